//! Staff use cases: staff records linked to members, their qualifications and room
//! assignments (which decide the children a teacher without `centre:all_rooms` reaches).

use std::sync::Arc;

use cubby_domain::staff::{check_qualifications, room_assignments};
use cubby_domain::{
    Audit, AuditAction, ErrorCode, Permission, PersonName, Qualification, RoomId, StaffError,
    StaffId, StaffMember, UserId, Version,
};
use cubby_ports::{
    Clock, IdGenerator, MembershipDirectory, Page, RepoError, RoomRepository, StaffQuery,
    StaffRepository, TenantScope,
};

use crate::AppError;
use crate::audit::AuditTrail;
use crate::error::require;

/// A staff record to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewStaff {
    /// The member it is for.
    pub user_id: UserId,
    /// Their name.
    pub name: PersonName,
    /// Their qualifications.
    pub qualifications: Vec<Qualification>,
    /// Their rooms.
    pub room_ids: Vec<RoomId>,
}

/// A change to a staff record: each `Some` replaces the value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaffChanges {
    /// A new name.
    pub name: Option<PersonName>,
    /// New qualifications.
    pub qualifications: Option<Vec<Qualification>>,
    /// New rooms.
    pub room_ids: Option<Vec<RoomId>>,
}

/// The staff use cases.
pub struct Staff {
    pub(crate) staff: Arc<dyn StaffRepository>,
    pub(crate) rooms: Arc<dyn RoomRepository>,
    pub(crate) directory: Arc<dyn MembershipDirectory>,
    pub(crate) audit: Arc<AuditTrail>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for Staff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Staff").finish_non_exhaustive()
    }
}

fn invalid(field: &'static str, error: &StaffError) -> AppError {
    AppError::Invalid {
        field,
        code: error.code(),
        message: error.to_string(),
    }
}

fn user_taken(error: RepoError) -> AppError {
    match error {
        RepoError::Conflict("staff.user") => AppError::Conflict {
            code: ErrorCode::StaffUserTaken,
            message: "this member already has a staff record".to_owned(),
        },
        other => other.into(),
    }
}

impl Staff {
    /// A page of the centre's staff.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `staff:read`.
    pub async fn list(
        &self,
        scope: &TenantScope,
        query: &StaffQuery,
    ) -> Result<Page<StaffMember>, AppError> {
        require(scope, Permission::StaffRead)?;
        Ok(self.staff.list(scope, query).await?)
    }

    /// One staff record.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `staff:read`; [`AppError::NotFound`].
    pub async fn get(&self, scope: &TenantScope, id: StaffId) -> Result<StaffMember, AppError> {
        require(scope, Permission::StaffRead)?;
        Ok(self.staff.get(scope, id).await?)
    }

    /// Creates a staff record for a member.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `staff:manage`; [`AppError::Invalid`]
    /// (`staff.unknown_user`, `staff.unknown_room`, `staff.too_many_*`);
    /// [`AppError::Conflict`] (`staff.user_taken`).
    pub async fn create(
        &self,
        scope: &TenantScope,
        new: NewStaff,
    ) -> Result<StaffMember, AppError> {
        require(scope, Permission::StaffManage)?;
        check_qualifications(&new.qualifications).map_err(|e| invalid("qualifications", &e))?;
        let room_ids = self.check_rooms(scope, new.room_ids).await?;
        match self
            .directory
            .membership_of(scope.tenant_id(), new.user_id)
            .await
        {
            Ok(_) => {}
            Err(RepoError::NotFound) => {
                return Err(AppError::Invalid {
                    field: "user_id",
                    code: ErrorCode::StaffUnknownUser,
                    message: "the user is not a member of this centre".to_owned(),
                });
            }
            Err(other) => return Err(other.into()),
        }
        let member = StaffMember {
            id: StaffId::from_uuid(self.ids.uuid()),
            user_id: new.user_id,
            name: new.name,
            qualifications: new.qualifications,
            room_ids,
            archived_at: None,
            audit: Audit::created(scope.actor().clone(), self.clock.now()),
            version: Version::FIRST,
        };
        self.staff
            .insert(scope, &member)
            .await
            .map_err(user_taken)?;
        self.audit
            .record(
                scope,
                AuditAction::StaffCreated,
                Some(member.id.to_string()),
                &[],
            )
            .await;
        Ok(member)
    }

    /// Changes a staff record, if it is still at `expected`.
    ///
    /// # Errors
    ///
    /// As [`Staff::create`], and [`AppError::NotFound`], [`AppError::StaleVersion`],
    /// [`AppError::Rule`] (`staff.archived`).
    pub async fn update(
        &self,
        scope: &TenantScope,
        id: StaffId,
        expected: Version,
        changes: StaffChanges,
    ) -> Result<StaffMember, AppError> {
        require(scope, Permission::StaffManage)?;
        if let Some(list) = &changes.qualifications {
            check_qualifications(list).map_err(|e| invalid("qualifications", &e))?;
        }
        let room_ids = match changes.room_ids {
            Some(rooms) => Some(self.check_rooms(scope, rooms).await?),
            None => None,
        };
        self.change(scope, id, expected, AuditAction::StaffUpdated, |m| {
            if let Some(name) = changes.name {
                m.name = name;
            }
            if let Some(list) = changes.qualifications {
                m.qualifications = list;
            }
            if let Some(rooms) = room_ids {
                m.room_ids = rooms;
            }
        })
        .await
    }

    /// Archives a staff record (the member keeps their membership; they reach no room's
    /// children as staff any more).
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`], [`AppError::NotFound`], [`AppError::StaleVersion`].
    pub async fn archive(
        &self,
        scope: &TenantScope,
        id: StaffId,
        expected: Version,
    ) -> Result<StaffMember, AppError> {
        require(scope, Permission::StaffManage)?;
        let stored = self.staff.get(scope, id).await?;
        if stored.is_archived() && stored.version == expected {
            return Ok(stored);
        }
        let now = self.clock.now();
        self.change(scope, id, expected, AuditAction::StaffArchived, |m| {
            m.archived_at = Some(now);
        })
        .await
    }

    async fn change(
        &self,
        scope: &TenantScope,
        id: StaffId,
        expected: Version,
        action: AuditAction,
        change: impl FnOnce(&mut StaffMember),
    ) -> Result<StaffMember, AppError> {
        let stored = self.staff.get(scope, id).await?;
        if stored.version != expected {
            return Err(AppError::StaleVersion);
        }
        let next = stored
            .changed(change, scope.actor().clone(), self.clock.now())
            .map_err(|e| AppError::Rule {
                code: e.code(),
                message: e.to_string(),
            })?;
        if next.name == stored.name
            && next.qualifications == stored.qualifications
            && next.room_ids == stored.room_ids
            && next.archived_at == stored.archived_at
        {
            return Ok(stored);
        }
        self.staff
            .update(scope, &next, expected)
            .await
            .map_err(user_taken)?;
        self.audit
            .record(scope, action, Some(id.to_string()), &[])
            .await;
        Ok(next)
    }

    async fn check_rooms(
        &self,
        scope: &TenantScope,
        rooms: Vec<RoomId>,
    ) -> Result<Vec<RoomId>, AppError> {
        let rooms = room_assignments(rooms).map_err(|e| invalid("room_ids", &e))?;
        for room in &rooms {
            match self.rooms.get(scope, *room).await {
                Ok(found) if !found.is_archived() => {}
                Ok(_) | Err(RepoError::NotFound) => {
                    return Err(AppError::Invalid {
                        field: "room_ids",
                        code: ErrorCode::StaffUnknownRoom,
                        message: "the centre has no active room with this id".to_owned(),
                    });
                }
                Err(other) => return Err(other.into()),
            }
        }
        Ok(rooms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{World, corrupt, timed_out};
    use cubby_domain::Role;
    use cubby_ports::mocks::{MockRoomRepository, MockStaffRepository};
    use uuid::Uuid;

    fn new_staff(user_id: UserId, room_ids: Vec<RoomId>) -> NewStaff {
        NewStaff {
            user_id,
            name: PersonName::parse("Grace", "Hopper").unwrap(),
            qualifications: Vec::new(),
            room_ids,
        }
    }

    async fn stored_staff(world: &World) -> u64 {
        world
            .ports
            .staff
            .list(&world.scope, &StaffQuery::default())
            .await
            .unwrap()
            .total
    }

    #[tokio::test]
    async fn a_member_becomes_staff_and_their_record_changes_at_its_version() {
        let world = World::new().await;
        let (user, _) = world.member("grace@here.example", Role::Teacher).await;
        let staff = &world.app.staff;
        let member = staff
            .create(&world.scope, new_staff(user.id(), Vec::new()))
            .await
            .unwrap();
        let renamed = staff
            .update(
                &world.scope,
                member.id,
                member.version,
                StaffChanges {
                    name: Some(PersonName::parse("Grace", "Murray").unwrap()),
                    ..StaffChanges::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(renamed.version, member.version.next());
        assert_eq!(staff.get(&world.scope, member.id).await.unwrap(), renamed);
        assert_eq!(world.audited().await, 2);
    }

    #[tokio::test]
    async fn a_user_the_store_says_is_staff_already_is_the_named_conflict() {
        let world = World::new().await;
        let (user, _) = world.member("grace@here.example", Role::Teacher).await;
        let mut repo = MockStaffRepository::new();
        repo.expect_insert()
            .times(1)
            .returning(|_, _| Err(RepoError::Conflict("staff.user")));
        let app = world.with(|ports| ports.staff = Arc::new(repo));
        let answer = app
            .staff
            .create(&world.scope, new_staff(user.id(), Vec::new()))
            .await;
        assert!(
            matches!(
                answer,
                Err(AppError::Conflict {
                    code: ErrorCode::StaffUserTaken,
                    ..
                })
            ),
            "{answer:?}"
        );
        assert_eq!(world.audited().await, 0);
    }

    #[tokio::test]
    async fn a_room_store_timing_out_fails_the_creation_before_anything_is_stored() {
        let world = World::new().await;
        let (user, _) = world.member("grace@here.example", Role::Teacher).await;
        let mut rooms = MockRoomRepository::new();
        rooms
            .expect_get()
            .times(1)
            .returning(|_, _| Err(timed_out()));
        rooms.expect_insert().never();
        rooms.expect_update().never();
        let app = world.with(|ports| ports.rooms = Arc::new(rooms));
        let room = RoomId::from_uuid(Uuid::now_v7());
        let answer = app
            .staff
            .create(&world.scope, new_staff(user.id(), vec![room]))
            .await;
        assert!(
            matches!(answer, Err(AppError::Unavailable(_))),
            "{answer:?}"
        );
        assert_eq!(stored_staff(&world).await, 0);
        assert_eq!(world.audited().await, 0);
    }

    #[tokio::test]
    async fn a_corrupt_staff_record_fails_its_archiving_as_internal() {
        let world = World::new().await;
        let mut repo = MockStaffRepository::new();
        repo.expect_get().times(1).returning(|_, _| Err(corrupt()));
        repo.expect_update().never();
        let app = world.with(|ports| ports.staff = Arc::new(repo));
        let answer = app
            .staff
            .archive(
                &world.scope,
                StaffId::from_uuid(Uuid::now_v7()),
                Version::FIRST,
            )
            .await;
        assert!(matches!(answer, Err(AppError::Internal(_))), "{answer:?}");
        assert_eq!(world.audited().await, 0);
    }
}
