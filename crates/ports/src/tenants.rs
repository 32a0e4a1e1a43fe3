//! The platform-level directory of tenants.

use async_trait::async_trait;
use cubby_domain::{Tenant, TenantCode, TenantId, TenantStatus, Version};

use crate::{Page, PageRequest, RepoError, SortDirection};

/// Which tenants to list, for the people who run the platform.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TenantQuery {
    /// Only tenants whose code starts with this text (any text: a prefix need not be a code).
    pub code_prefix: Option<String>,
    /// Only tenants with this status.
    pub status: Option<TenantStatus>,
    /// Code order (the default: ascending).
    pub direction: SortDirection,
    /// The page.
    pub page: PageRequest,
}

/// The directory of all tenants. Platform-level: it is the one store read without a scope,
/// to find a tenant by its code at login, to check a session's tenant is still active, and
/// for the platform operators' own work on centres.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    /// The tenant with this code.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when no tenant has the code.
    async fn by_code(&self, code: &TenantCode) -> Result<Tenant, RepoError>;

    /// The tenant with this id.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when no tenant has the id.
    async fn by_id(&self, id: TenantId) -> Result<Tenant, RepoError>;

    /// Records a new tenant.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::Conflict`]`("tenant.code")` when the code is taken, and
    ///   [`RepoError::Conflict`]`("tenant.id")` when the id is.
    async fn insert(&self, tenant: &Tenant) -> Result<(), RepoError>;

    /// Replaces a stored tenant with `tenant` (same id), if the stored version is still
    /// `expected`. The code cannot change.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when no tenant has the id.
    /// - MUST return [`RepoError::StaleVersion`] when the stored version is not `expected`,
    ///   and leave the stored tenant unchanged.
    async fn update(&self, tenant: &Tenant, expected: Version) -> Result<(), RepoError>;

    /// Up to `limit` tenant ids after `after` (from the first when `None`), in id order: how
    /// scheduled work visits every centre, a page at a time.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn tenant_ids(
        &self,
        after: Option<TenantId>,
        limit: u32,
    ) -> Result<Vec<TenantId>, RepoError>;

    /// A page of the tenants `query` selects, in code order (its direction), and how many it selects in all:
    /// the platform operators' list of centres.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn list_tenants(&self, query: &TenantQuery) -> Result<Page<Tenant>, RepoError>;
}
