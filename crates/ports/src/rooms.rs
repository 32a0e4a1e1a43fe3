//! The room repository port.

use async_trait::async_trait;
use cubby_domain::{Room, RoomId, Version};

use crate::{Page, PageRequest, RepoError, SortDirection, TenantScope};

/// What a room list is ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RoomSortKey {
    /// Creation time (ties broken by id, which is time-ordered too).
    #[default]
    CreatedAt,
    /// Name, compared case-insensitively (ties broken by id).
    Name,
}

/// The order of a room list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomSort {
    /// The key.
    pub key: RoomSortKey,
    /// The direction.
    pub direction: SortDirection,
}

impl Default for RoomSort {
    /// Newest first.
    fn default() -> Self {
        Self {
            key: RoomSortKey::CreatedAt,
            direction: SortDirection::Descending,
        }
    }
}

/// Which rooms to list, in which order, and which page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomQuery {
    /// Include archived rooms (left out by default).
    pub include_archived: bool,
    /// Only rooms whose name starts with this, compared case-insensitively.
    pub name_prefix: Option<String>,
    /// The order.
    pub sort: RoomSort,
    /// The page.
    pub page: PageRequest,
}

/// Where a tenant's rooms are kept.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait RoomRepository: Send + Sync {
    /// Stores a new room in the scope's tenant.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::Conflict`]`("room.name")` when an active room of the same
    ///   tenant has the same name key ([`cubby_domain::RoomName::key`]); archived rooms and
    ///   other tenants' rooms never conflict.
    async fn insert(&self, scope: &TenantScope, room: &Room) -> Result<(), RepoError>;

    /// The room with this id in the scope's tenant.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has no such room, including when
    ///   the id belongs to another tenant's room.
    async fn get(&self, scope: &TenantScope, id: RoomId) -> Result<Room, RepoError>;

    /// A page of the tenant's rooms matching `query`, and how many match in all.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn list(&self, scope: &TenantScope, query: &RoomQuery) -> Result<Page<Room>, RepoError>;

    /// Replaces the stored room with `room`, if the stored version is still `expected`.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has no room with this id.
    /// - MUST return [`RepoError::StaleVersion`] when the stored version is not `expected`,
    ///   and leave the stored room unchanged.
    /// - MUST return [`RepoError::Conflict`]`("room.name")` as [`RoomRepository::insert`] does.
    async fn update(
        &self,
        scope: &TenantScope,
        room: &Room,
        expected: Version,
    ) -> Result<(), RepoError>;
}
