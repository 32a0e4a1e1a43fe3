//! Room use cases: create, read, list, change and archive a tenant's rooms.

use std::sync::Arc;

use cubby_domain::{ErrorCode, NewRoom, Permission, Room, RoomChanges, RoomError, RoomId, Version};
use cubby_ports::{Clock, IdGenerator, Page, RepoError, RoomQuery, RoomRepository, TenantScope};

use crate::AppError;
use crate::error::require;

/// The room use cases.
pub struct Rooms {
    repo: Arc<dyn RoomRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for Rooms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rooms").finish_non_exhaustive()
    }
}

fn rule(error: RoomError) -> AppError {
    AppError::Rule {
        code: error.code(),
        message: error.to_string(),
    }
}

fn name_conflicts(error: RepoError) -> AppError {
    match error {
        RepoError::Conflict("room.name") => AppError::Conflict {
            code: ErrorCode::RoomNameTaken,
            message: "an active room of this centre already has this name".to_owned(),
        },
        other => other.into(),
    }
}

impl Rooms {
    /// The use cases on these ports.
    pub fn new(
        repo: Arc<dyn RoomRepository>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self { repo, clock, ids }
    }

    /// Creates a room in the caller's tenant.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `rooms:write`; [`AppError::Conflict`] (`room.name_taken`)
    /// when an active room has the name.
    pub async fn create(&self, scope: &TenantScope, new: NewRoom) -> Result<Room, AppError> {
        require(scope, Permission::RoomsWrite)?;
        let room = Room::create(
            RoomId::from_uuid(self.ids.uuid()),
            new,
            scope.actor().clone(),
            self.clock.now(),
        );
        self.repo
            .insert(scope, &room)
            .await
            .map_err(name_conflicts)?;
        Ok(room)
    }

    /// One room of the caller's tenant, archived or not.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `rooms:read`; [`AppError::NotFound`].
    pub async fn get(&self, scope: &TenantScope, id: RoomId) -> Result<Room, AppError> {
        require(scope, Permission::RoomsRead)?;
        Ok(self.repo.get(scope, id).await?)
    }

    /// A page of the caller's tenant's rooms.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `rooms:read`.
    pub async fn list(
        &self,
        scope: &TenantScope,
        query: &RoomQuery,
    ) -> Result<Page<Room>, AppError> {
        require(scope, Permission::RoomsRead)?;
        Ok(self.repo.list(scope, query).await?)
    }

    /// Changes a room, if it is still at the version the caller read. An empty change stores
    /// nothing and answers the room as it is.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`], [`AppError::NotFound`], [`AppError::StaleVersion`],
    /// [`AppError::Rule`] (`room.archived`), [`AppError::Conflict`] (`room.name_taken`).
    pub async fn update(
        &self,
        scope: &TenantScope,
        id: RoomId,
        expected: Version,
        changes: RoomChanges,
    ) -> Result<Room, AppError> {
        require(scope, Permission::RoomsWrite)?;
        let stored = self.current(scope, id, expected).await?;
        if changes == RoomChanges::default() {
            return Ok(stored);
        }
        let changed = stored
            .change(changes, scope.actor().clone(), self.clock.now())
            .map_err(rule)?;
        self.repo
            .update(scope, &changed, expected)
            .await
            .map_err(name_conflicts)?;
        Ok(changed)
    }

    /// Archives a room, if it is still at the version the caller read. Archiving an archived
    /// room stores nothing and answers it as it is.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`], [`AppError::NotFound`], [`AppError::StaleVersion`].
    pub async fn archive(
        &self,
        scope: &TenantScope,
        id: RoomId,
        expected: Version,
    ) -> Result<Room, AppError> {
        require(scope, Permission::RoomsWrite)?;
        let stored = self.current(scope, id, expected).await?;
        let Some(archived) = stored.archive(scope.actor().clone(), self.clock.now()) else {
            return Ok(stored);
        };
        self.repo.update(scope, &archived, expected).await?;
        Ok(archived)
    }

    /// The stored room, if it is at `expected`.
    async fn current(
        &self,
        scope: &TenantScope,
        id: RoomId,
        expected: Version,
    ) -> Result<Room, AppError> {
        let stored = self.repo.get(scope, id).await?;
        if stored.version() == expected {
            Ok(stored)
        } else {
            Err(AppError::StaleVersion)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cubby_adapters_memory::{MemoryStore, RandomIds, SystemClock};
    use cubby_domain::{
        AgeRange, Capacity, PermissionSet, RoomName, StaffChildRatio, TenantId, UserId,
    };
    use uuid::Uuid;

    fn rooms() -> Rooms {
        Rooms::new(
            Arc::new(MemoryStore::default()),
            Arc::new(SystemClock),
            Arc::new(RandomIds),
        )
    }

    fn scope(permissions: &[Permission]) -> TenantScope {
        TenantScope::for_test(
            TenantId::from_uuid(Uuid::now_v7()),
            UserId::from_uuid(Uuid::now_v7()),
            permissions.iter().copied().collect::<PermissionSet>(),
        )
    }

    fn koalas() -> NewRoom {
        NewRoom {
            name: RoomName::parse("Koalas").unwrap(),
            age_range: AgeRange::new(12, 24).unwrap(),
            capacity: Capacity::new(12).unwrap(),
            ratio: StaffChildRatio::new(1, 4).unwrap(),
        }
    }

    #[tokio::test]
    async fn creating_stamps_the_scope_actor() {
        let scope = scope(&[Permission::RoomsWrite, Permission::RoomsRead]);
        let rooms = rooms();
        let room = rooms.create(&scope, koalas()).await.unwrap();
        assert_eq!(room.audit().created_by(), scope.actor());
        assert_eq!(rooms.get(&scope, room.id()).await.unwrap(), room);
    }

    #[tokio::test]
    async fn every_use_case_checks_its_permission() {
        let reader = scope(&[Permission::RoomsRead]);
        let rooms = rooms();
        let denied = rooms.create(&reader, koalas()).await;
        assert!(matches!(
            denied,
            Err(AppError::Forbidden(Permission::RoomsWrite))
        ));
        let nobody = scope(&[]);
        let denied = rooms.list(&nobody, &RoomQuery::default()).await;
        assert!(matches!(
            denied,
            Err(AppError::Forbidden(Permission::RoomsRead))
        ));
    }

    #[tokio::test]
    async fn a_duplicate_name_is_a_named_conflict() {
        let scope = scope(&[Permission::RoomsWrite]);
        let rooms = rooms();
        rooms.create(&scope, koalas()).await.unwrap();
        let again = rooms.create(&scope, koalas()).await;
        assert!(
            matches!(
                again,
                Err(AppError::Conflict {
                    code: ErrorCode::RoomNameTaken,
                    ..
                })
            ),
            "{again:?}"
        );
    }

    #[tokio::test]
    async fn an_update_from_a_stale_read_is_refused() {
        let scope = scope(&[Permission::RoomsWrite]);
        let rooms = rooms();
        let room = rooms.create(&scope, koalas()).await.unwrap();
        let change = RoomChanges {
            capacity: Some(Capacity::new(10).unwrap()),
            ..RoomChanges::default()
        };
        rooms
            .update(&scope, room.id(), room.version(), change.clone())
            .await
            .unwrap();
        let stale = rooms
            .update(&scope, room.id(), room.version(), change)
            .await;
        assert!(matches!(stale, Err(AppError::StaleVersion)));
    }

    #[tokio::test]
    async fn archiving_twice_answers_the_archived_room() {
        let scope = scope(&[Permission::RoomsWrite]);
        let rooms = rooms();
        let room = rooms.create(&scope, koalas()).await.unwrap();
        let archived = rooms
            .archive(&scope, room.id(), room.version())
            .await
            .unwrap();
        let again = rooms
            .archive(&scope, room.id(), archived.version())
            .await
            .unwrap();
        assert_eq!(again, archived);
        let change = RoomChanges {
            capacity: Some(Capacity::new(10).unwrap()),
            ..RoomChanges::default()
        };
        let refused = rooms
            .update(&scope, room.id(), archived.version(), change)
            .await;
        assert!(matches!(
            refused,
            Err(AppError::Rule {
                code: ErrorCode::RoomArchived,
                ..
            })
        ));
    }
}
