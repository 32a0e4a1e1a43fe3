//! A child's record: adding one (with an id of the caller's choosing for imports), changing
//! it or its sensitive part, and archiving it.

use cubby_domain::child::check_date_of_birth;
use cubby_domain::{
    AuditAction, Child, ChildId, ErrorCode, Permission, RoomId, SensitiveInfo, Version,
};
use cubby_ports::TenantScope;

use super::{ChildChanges, Children, NewChild, invalid};
use crate::AppError;
use crate::error::require;

impl Children {
    /// Adds a child.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `children:write`; [`AppError::Invalid`] for a date of
    /// birth out of range (`child.invalid_date_of_birth`) or a room the centre does not have
    /// active (`child.unknown_room`).
    pub async fn create(&self, scope: &TenantScope, new: NewChild) -> Result<Child, AppError> {
        let id = ChildId::from_uuid(self.ids.uuid());
        self.create_with_id(scope, id, new)
            .await?
            .ok_or_else(|| AppError::Internal("a fresh child id was taken".into()))
    }

    /// Adds a child with an id chosen by the caller (an import derives it from its job and
    /// row, so that running the import again adds nothing): `None` if the centre already has a
    /// child with that id.
    ///
    /// # Errors
    ///
    /// As [`Children::create`].
    pub(crate) async fn create_with_id(
        &self,
        scope: &TenantScope,
        id: ChildId,
        new: NewChild,
    ) -> Result<Option<Child>, AppError> {
        require(scope, Permission::ChildrenWrite)?;
        let day = self.today(scope).await?;
        check_date_of_birth(new.date_of_birth, day).map_err(|e| invalid("date_of_birth", &e))?;
        if let Some(room) = new.room_id {
            self.check_room(scope, room).await?;
        }
        let now = self.clock.now();
        let child = Child::create(
            id,
            cubby_domain::NewChild {
                name: new.name,
                date_of_birth: new.date_of_birth,
                room_id: new.room_id,
                enrolment: new.enrolment,
                photo_consent: new.photo_consent,
            },
            scope.actor().clone(),
            now,
        );
        match self.children.insert(scope, &child).await {
            Ok(()) => {}
            Err(cubby_ports::RepoError::Conflict("child.id")) => return Ok(None),
            Err(other) => return Err(other.into()),
        }
        self.audit
            .record(
                scope,
                AuditAction::ChildCreated,
                Some(child.id().to_string()),
                &[],
            )
            .await;
        Ok(Some(child))
    }

    /// Changes a child's record, if it is still at `expected`.
    ///
    /// # Errors
    ///
    /// As [`Children::create`], and [`AppError::NotFound`], [`AppError::StaleVersion`],
    /// [`AppError::Rule`] (`child.archived`).
    pub async fn update(
        &self,
        scope: &TenantScope,
        id: ChildId,
        expected: Version,
        changes: ChildChanges,
    ) -> Result<Child, AppError> {
        if let Some(Some(room)) = changes.room_id {
            require(scope, Permission::ChildrenWrite)?;
            self.check_room(scope, room).await?;
        }
        let day = self.today(scope).await?;
        if let Some(born) = changes.date_of_birth {
            check_date_of_birth(born, day).map_err(|e| invalid("date_of_birth", &e))?;
        }
        self.modify(scope, id, expected, AuditAction::ChildUpdated, |child| {
            if let Some(name) = changes.name {
                child.rename(name);
            }
            if let Some(born) = changes.date_of_birth {
                child.set_date_of_birth(born);
            }
            if let Some(room) = changes.room_id {
                child.place_in(room);
            }
            if let Some(enrolment) = changes.enrolment {
                child.set_enrolment(enrolment);
            }
            if let Some(consent) = changes.photo_consent {
                child.set_photo_consent(consent);
            }
            Ok(())
        })
        .await
    }

    /// Replaces the sensitive part of a child's record.
    ///
    /// # Errors
    ///
    /// As [`Children::update`].
    pub async fn replace_sensitive(
        &self,
        scope: &TenantScope,
        id: ChildId,
        expected: Version,
        sensitive: SensitiveInfo,
    ) -> Result<Child, AppError> {
        self.modify(
            scope,
            id,
            expected,
            AuditAction::ChildSensitiveChanged,
            |child| {
                child.replace_sensitive(sensitive);
                Ok(())
            },
        )
        .await
    }

    /// Archives a child (it stays readable; archiving twice changes nothing).
    ///
    /// # Errors
    ///
    /// As [`Children::update`], without the rule.
    pub async fn archive(
        &self,
        scope: &TenantScope,
        id: ChildId,
        expected: Version,
    ) -> Result<Child, AppError> {
        let stored = self.to_change(scope, id, expected).await?;
        let Some(archived) = stored.archive(scope.actor().clone(), self.clock.now()) else {
            return Ok(stored);
        };
        self.children.update(scope, &archived, expected).await?;
        self.audit
            .record(scope, AuditAction::ChildArchived, Some(id.to_string()), &[])
            .await;
        Ok(archived)
    }

    async fn check_room(&self, scope: &TenantScope, room: RoomId) -> Result<(), AppError> {
        match self.rooms.get(scope, room).await {
            Ok(found) if !found.is_archived() => Ok(()),
            Ok(_) | Err(cubby_ports::RepoError::NotFound) => Err(AppError::Invalid {
                field: "room_id",
                code: ErrorCode::ChildUnknownRoom,
                message: "the centre has no active room with this id".to_owned(),
            }),
            Err(other) => Err(other.into()),
        }
    }
}
