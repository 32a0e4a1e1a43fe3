//! Principals (a membership and its user's status) behind the shared cache.

use std::sync::Arc;

use cubby_domain::{Membership, MembershipId, TenantId, UserStatus};
use cubby_ports::{Cache, CacheKey, MembershipDirectory, RepoError, UserDirectory};

use super::read_through::ReadThrough;
use super::{CacheStats, PRINCIPAL_TTL};

/// What a session check needs to know of a membership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The membership.
    pub membership: Membership,
    /// Its user's status.
    pub user_status: UserStatus,
}

/// Principals read through the shared cache.
pub struct Principals {
    memberships: Arc<dyn MembershipDirectory>,
    users: Arc<dyn UserDirectory>,
    cache: ReadThrough,
}

impl std::fmt::Debug for Principals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principals")
            .field("stats", &self.cache.stats)
            .finish_non_exhaustive()
    }
}

impl Principals {
    /// Principals from the directories, read through `cache`.
    pub fn new(
        memberships: Arc<dyn MembershipDirectory>,
        users: Arc<dyn UserDirectory>,
        cache: Arc<dyn Cache>,
    ) -> Self {
        Self {
            memberships,
            users,
            cache: ReadThrough::new("principals", cache),
        }
    }

    /// The membership `id` of `tenant` and its user's status.
    ///
    /// # Errors
    ///
    /// [`RepoError::NotFound`] when the tenant has no such membership or its user is gone;
    /// [`RepoError::Unavailable`] when the cache or the store does not answer.
    pub async fn get(&self, tenant: TenantId, id: MembershipId) -> Result<Principal, RepoError> {
        let load = async {
            let membership = self.memberships.membership_by_id(tenant, id).await?;
            let user = self.users.user_by_id(membership.user_id()).await?;
            Ok(Principal {
                membership,
                user_status: user.status(),
            })
        };
        self.cache
            .get(CacheKey::principal(tenant, id), PRINCIPAL_TTL, load)
            .await
    }

    /// Drops the cached principals of these memberships, after a change to them or their user.
    pub async fn forget(&self, memberships: &[(TenantId, MembershipId)]) {
        let keys: Vec<CacheKey> = memberships
            .iter()
            .map(|(t, m)| CacheKey::principal(*t, *m))
            .collect();
        self.cache.forget(&keys).await;
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> &CacheStats {
        &self.cache.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cubby_adapters_memory::MemoryStore;
    use cubby_domain::{MembershipStatus, Role};
    use cubby_ports::MembershipRepository;
    use cubby_ports::contract::users::{new_membership, new_user};

    #[tokio::test]
    async fn a_principal_round_trips_and_is_refreshed_once_forgotten() {
        let store = Arc::new(MemoryStore::default());
        let principals = Principals::new(
            store.clone(),
            store.clone(),
            Arc::new(MemoryStore::default()),
        );
        let user = new_user();
        store.insert_user(&user).await.unwrap();
        let scope = cubby_ports::contract::fresh_scope();
        let membership = new_membership(user.id(), &[Role::Director, Role::Teacher]);
        store.insert_membership(&scope, &membership).await.unwrap();
        let principal = principals
            .get(scope.tenant_id(), membership.id())
            .await
            .unwrap();
        assert_eq!(
            principal,
            Principal {
                membership: membership.clone(),
                user_status: UserStatus::Active
            }
        );
        assert_eq!(
            principals
                .get(scope.tenant_id(), membership.id())
                .await
                .unwrap(),
            principal
        );
        assert_eq!(principals.stats().hits(), 1);

        let suspended = Membership::restore(cubby_domain::MembershipParts {
            status: MembershipStatus::Suspended,
            version: membership.version().next(),
            ..membership.clone().into_parts()
        });
        store
            .update_membership(&scope, &suspended, membership.version())
            .await
            .unwrap();
        assert!(
            principals
                .get(scope.tenant_id(), membership.id())
                .await
                .unwrap()
                .membership
                .is_active(),
            "cached"
        );
        principals
            .forget(&[(scope.tenant_id(), membership.id())])
            .await;
        assert!(
            !principals
                .get(scope.tenant_id(), membership.id())
                .await
                .unwrap()
                .membership
                .is_active()
        );
    }
}
