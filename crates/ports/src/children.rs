//! The child and staff repository ports.

use async_trait::async_trait;
use cubby_domain::{
    Child, ChildId, EnrolmentStatus, RoomId, StaffId, StaffMember, UserId, Version,
};

use crate::{Page, PageRequest, RepoError, SortDirection, TenantScope};

/// What a child list is ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ChildSortKey {
    /// Family then given name, compared case-insensitively ([`cubby_domain::PersonName::key`]);
    /// ties broken by id.
    #[default]
    Name,
    /// Creation time (ties broken by id).
    CreatedAt,
    /// Date of birth (ties broken by id).
    DateOfBirth,
}

/// The children a caller may see when they may not see the whole centre: those of some rooms,
/// and some named children (their own, as a guardian).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChildSet {
    /// Children whose room is one of these.
    pub rooms: Vec<RoomId>,
    /// These children, wherever they are.
    pub children: Vec<ChildId>,
}

/// Which children to list, in which order, and which page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChildQuery {
    /// Only children in this set (`None`: every child of the tenant).
    pub within: Option<ChildSet>,
    /// Only children with a contact linked to this user.
    pub linked_user: Option<UserId>,
    /// Only children of this room.
    pub room: Option<RoomId>,
    /// Only children with this enrolment status.
    pub status: Option<EnrolmentStatus>,
    /// Only children whose name key ([`cubby_domain::PersonName::key`]) starts with this,
    /// lowercase.
    pub name_prefix: Option<String>,
    /// Include archived children (left out by default).
    pub include_archived: bool,
    /// The order.
    pub sort: ChildSortKey,
    /// The direction.
    pub direction: SortDirection,
    /// The page.
    pub page: PageRequest,
}

/// Where a tenant's children are kept, each with its contacts and custody restrictions.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait ChildRepository: Send + Sync {
    /// Stores a new child in the scope's tenant.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::Conflict`]`("child.id")` when the tenant already has a child
    ///   with this id, and leave it unchanged.
    async fn insert(&self, scope: &TenantScope, child: &Child) -> Result<(), RepoError>;

    /// The child with this id in the scope's tenant.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has no such child, including when
    ///   the id is another tenant's child.
    async fn get(&self, scope: &TenantScope, id: ChildId) -> Result<Child, RepoError>;

    /// A page of the tenant's children matching every filter of `query`, and how many match.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn list(&self, scope: &TenantScope, query: &ChildQuery)
    -> Result<Page<Child>, RepoError>;

    /// Replaces the stored child with `child`, if the stored version is still `expected`.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has no child with this id.
    /// - MUST return [`RepoError::StaleVersion`] when the stored version is not `expected`, and
    ///   leave the stored child unchanged.
    async fn update(
        &self,
        scope: &TenantScope,
        child: &Child,
        expected: Version,
    ) -> Result<(), RepoError>;
}

/// Which staff to list: ordered by name key, then id, ascending unless `direction` says otherwise.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaffQuery {
    /// Only staff assigned to this room.
    pub room: Option<RoomId>,
    /// Include archived staff (left out by default).
    pub include_archived: bool,
    /// The order by name key, ties broken by id the same way.
    pub direction: SortDirection,
    /// The page.
    pub page: PageRequest,
}

/// Where a tenant's staff records are kept.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait StaffRepository: Send + Sync {
    /// Stores a new staff member in the scope's tenant.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::Conflict`]`("staff.user")` when an active staff member of the
    ///   tenant is linked to the same user; archived ones and other tenants' never conflict.
    async fn insert(&self, scope: &TenantScope, staff: &StaffMember) -> Result<(), RepoError>;

    /// The staff member with this id in the scope's tenant.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has no such staff member.
    async fn get(&self, scope: &TenantScope, id: StaffId) -> Result<StaffMember, RepoError>;

    /// The active staff member linked to `user` in the scope's tenant, if any.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn by_user(
        &self,
        scope: &TenantScope,
        user: UserId,
    ) -> Result<Option<StaffMember>, RepoError>;

    /// A page of the tenant's staff matching `query`, by name, and how many match.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn list(
        &self,
        scope: &TenantScope,
        query: &StaffQuery,
    ) -> Result<Page<StaffMember>, RepoError>;

    /// Replaces the stored staff member, if the stored version is still `expected`.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`], [`RepoError::StaleVersion`] (leaving it
    ///   unchanged), or [`RepoError::Conflict`]`("staff.user")` as
    ///   [`StaffRepository::insert`] does.
    async fn update(
        &self,
        scope: &TenantScope,
        staff: &StaffMember,
        expected: Version,
    ) -> Result<(), RepoError>;
}
