//! A centre's custom roles.

use async_trait::async_trait;
use cubby_domain::{CustomRole, RoleId, Version};

use crate::{RepoError, TenantScope};

/// Where a centre's custom roles are kept (a few dozen at most: they are listed whole).
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait RoleRepository: Send + Sync {
    /// Stores a new role in the scope's tenant.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::Conflict`]`("role.name")` when a role of the tenant has the
    ///   same name key ([`cubby_domain::RoleName::key`]).
    async fn insert_role(&self, scope: &TenantScope, role: &CustomRole) -> Result<(), RepoError>;

    /// Every custom role of the scope's tenant, in creation order.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn list_roles(&self, scope: &TenantScope) -> Result<Vec<CustomRole>, RepoError>;

    /// Replaces a stored role, if the stored version is still `expected`.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] (also for another tenant's role),
    ///   [`RepoError::StaleVersion`] (leaving it unchanged), or the conflict of
    ///   [`RoleRepository::insert_role`].
    async fn update_role(
        &self,
        scope: &TenantScope,
        role: &CustomRole,
        expected: Version,
    ) -> Result<(), RepoError>;

    /// Deletes a role, if the stored version is still `expected`.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] or [`RepoError::StaleVersion`].
    async fn delete_role(
        &self,
        scope: &TenantScope,
        id: RoleId,
        expected: Version,
    ) -> Result<(), RepoError>;
}
