//! Members' permission sets behind the shared cache, keyed by entitlements version.

use std::sync::Arc;

use cubby_domain::{Membership, PermissionSet, RoleRef, TenantId};
use cubby_ports::{Cache, CacheKey, RepoError, RoleRepository, TenantScope};

use super::read_through::ReadThrough;
use super::{CacheStats, PERMISSIONS_TTL};

/// Members' permission sets, computed once per entitlements version and kept in the shared
/// cache under a key holding that version: any change of roles, entitlements, status or of a
/// custom role's definition bumps the version, so the next request computes afresh.
pub struct Permissions {
    roles: Arc<dyn RoleRepository>,
    cache: ReadThrough,
}

impl std::fmt::Debug for Permissions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permissions")
            .field("stats", &self.cache.stats)
            .finish_non_exhaustive()
    }
}

impl Permissions {
    /// Permission sets computed with the centre's custom `roles`, read through `cache`.
    pub fn new(roles: Arc<dyn RoleRepository>, cache: Arc<dyn Cache>) -> Self {
        Self {
            roles,
            cache: ReadThrough::new("permissions", cache),
        }
    }

    /// What `membership` of `tenant` may do.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the cache or the store does not answer.
    pub async fn of(
        &self,
        tenant: TenantId,
        membership: &Membership,
    ) -> Result<PermissionSet, RepoError> {
        let key = CacheKey::permissions(tenant, membership.id(), membership.entitlements_version());
        let load = async {
            let custom = if membership
                .roles()
                .iter()
                .any(|r| matches!(r, RoleRef::Custom(_)))
            {
                self.roles
                    .list_roles(&TenantScope::for_permission_lookup(tenant))
                    .await?
            } else {
                Vec::new()
            };
            Ok(membership.permissions(&custom))
        };
        self.cache.get(key, PERMISSIONS_TTL, load).await
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> &CacheStats {
        &self.cache.stats
    }
}
