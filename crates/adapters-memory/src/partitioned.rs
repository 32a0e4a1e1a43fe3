//! The one shape of a tenant-owned table: a partition per tenant, reached through a scope.

use std::collections::HashMap;

use cubby_domain::TenantId;
use cubby_ports::TenantScope;

/// A table partitioned by tenant. Every accessor takes the caller's [`TenantScope`] and reaches
/// only that tenant's partition, so no lookup of a tenant-owned record is written by hand; the
/// few platform-level lookups that run before a scope exists name their tenant through
/// [`Partitioned::in_tenant`].
#[derive(Debug)]
pub(crate) struct Partitioned<T> {
    tenants: HashMap<TenantId, T>,
}

impl<T> Default for Partitioned<T> {
    fn default() -> Self {
        Self {
            tenants: HashMap::new(),
        }
    }
}

impl<T> Partitioned<T> {
    /// The scope's partition, if it holds anything.
    pub(crate) fn of(&self, scope: &TenantScope) -> Option<&T> {
        self.tenants.get(&scope.tenant_id())
    }

    /// The scope's partition to change, if it holds anything.
    pub(crate) fn of_mut(&mut self, scope: &TenantScope) -> Option<&mut T> {
        self.tenants.get_mut(&scope.tenant_id())
    }

    /// `tenant`'s partition, for a platform-level lookup that names its tenant (a membership at
    /// sign-in). Everything else uses [`Partitioned::of`].
    pub(crate) fn in_tenant(&self, tenant: TenantId) -> Option<&T> {
        self.tenants.get(&tenant)
    }

    /// Every partition with its tenant, for platform-level lookups across tenants (a user's
    /// memberships, the scheduler's list of centres).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&TenantId, &T)> {
        self.tenants.iter()
    }
}

impl<T: Default> Partitioned<T> {
    /// The scope's partition to write into, made empty if it held nothing.
    pub(crate) fn writing(&mut self, scope: &TenantScope) -> &mut T {
        self.tenants.entry(scope.tenant_id()).or_default()
    }
}

#[cfg(test)]
mod tests {
    use cubby_domain::{PermissionSet, UserId};
    use uuid::Uuid;

    use super::*;

    fn scope() -> TenantScope {
        TenantScope::for_test(
            TenantId::from_uuid(Uuid::now_v7()),
            UserId::from_uuid(Uuid::now_v7()),
            PermissionSet::EMPTY,
        )
    }

    #[test]
    fn a_scope_reaches_its_own_partition_only() {
        let (mine, theirs) = (scope(), scope());
        let mut table = Partitioned::<Vec<&str>>::default();
        table.writing(&mine).push("mine");
        assert_eq!(table.of(&mine), Some(&vec!["mine"]));
        assert_eq!(table.of(&theirs), None);
        assert!(table.of_mut(&theirs).is_none());
        assert_eq!(table.in_tenant(mine.tenant_id()), Some(&vec!["mine"]));
    }
}
