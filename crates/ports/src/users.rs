//! The platform-level directory of users and the membership lookups sign-in needs.

use async_trait::async_trait;
use cubby_domain::{
    Email, ExternalId, Membership, MembershipId, MembershipStatus, RoleRef, TenantId, User, UserId,
    Version,
};

use crate::{Page, PageRequest, RepoError, SortDirection, TenantScope};

/// Every user, across centres. Platform-level: users exist before any session, so sign-in
/// finds them by e-mail or identity-provider id without a scope.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait UserDirectory: Send + Sync {
    /// The user with this id.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when there is none.
    async fn user_by_id(&self, id: UserId) -> Result<User, RepoError>;

    /// The user with this e-mail address.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when there is none.
    async fn user_by_email(&self, email: &Email) -> Result<User, RepoError>;

    /// The user linked to this Supabase id.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when there is none.
    async fn user_by_supabase_id(&self, id: &ExternalId) -> Result<User, RepoError>;

    /// Records a new user.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::Conflict`]`("user.email")` when the address is taken, and
    ///   [`RepoError::Conflict`]`("user.supabase_id")` when the Supabase id is.
    async fn insert_user(&self, user: &User) -> Result<(), RepoError>;

    /// Replaces a stored user, if the stored version is still `expected`.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`], [`RepoError::StaleVersion`] (leaving the user
    ///   unchanged), or the conflicts of [`UserDirectory::insert_user`].
    async fn update_user(&self, user: &User, expected: Version) -> Result<(), RepoError>;
}

/// The membership lookups that happen before a session exists: at sign-in, at refresh and on
/// every session check. Read-only; memberships are written through [`MembershipRepository`].
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait MembershipDirectory: Send + Sync {
    /// The membership of `user` in `tenant`.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the user is not a member.
    async fn membership_of(&self, tenant: TenantId, user: UserId) -> Result<Membership, RepoError>;

    /// The membership with this id in `tenant`.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when `tenant` has no such membership.
    async fn membership_by_id(
        &self,
        tenant: TenantId,
        id: MembershipId,
    ) -> Result<Membership, RepoError>;

    /// Every centre `user` is a member of, with the membership.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn memberships_of_user(
        &self,
        user: UserId,
    ) -> Result<Vec<(TenantId, Membership)>, RepoError>;
}

/// Which memberships to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipQuery {
    /// Only these statuses (default: every status but removed).
    pub statuses: Vec<MembershipStatus>,
    /// Only members holding this role.
    pub role: Option<RoleRef>,
    /// Only this user's membership.
    pub user_id: Option<UserId>,
    /// Creation order (ties broken by id).
    pub direction: SortDirection,
    /// The page.
    pub page: PageRequest,
}

impl Default for MembershipQuery {
    fn default() -> Self {
        Self {
            statuses: vec![
                MembershipStatus::Invited,
                MembershipStatus::Active,
                MembershipStatus::Suspended,
            ],
            role: None,
            user_id: None,
            direction: SortDirection::Ascending,
            page: PageRequest::default(),
        }
    }
}

/// Where a centre's memberships are written.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait MembershipRepository: Send + Sync {
    /// Records a membership in the scope's tenant.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::Conflict`]`("membership.user")` when the user already is a
    ///   member of the tenant.
    async fn insert_membership(
        &self,
        scope: &TenantScope,
        membership: &Membership,
    ) -> Result<(), RepoError>;

    /// The membership with this id in the scope's tenant.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has no such membership.
    async fn get_membership(
        &self,
        scope: &TenantScope,
        id: MembershipId,
    ) -> Result<Membership, RepoError>;

    /// Replaces a stored membership, if the stored version is still `expected`.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] (also for another tenant's membership) or
    ///   [`RepoError::StaleVersion`], leaving the membership unchanged.
    async fn update_membership(
        &self,
        scope: &TenantScope,
        membership: &Membership,
        expected: Version,
    ) -> Result<(), RepoError>;

    /// A page of the scope's tenant's memberships matching `query`, and how many match.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn list_memberships(
        &self,
        scope: &TenantScope,
        query: &MembershipQuery,
    ) -> Result<Page<Membership>, RepoError>;
}
