//! The one kind of filter the collection helpers take: one that names its tenant.
//!
//! A [`Filter`] is made only by [`scoped`] (from the caller's scope), [`in_tenant`] (for the few
//! lookups that run before a scope exists and name their tenant) or [`platform`] (for the
//! collections no tenant owns: centres and users). Its document is private, so a raw document
//! never reaches [`crate::one_of`], [`crate::page_of`] and the other helpers, and a condition
//! added later cannot replace the tenant's.

use bson::{Bson, Document};
use cubby_domain::TenantId;
use cubby_ports::TenantScope;

/// The field every tenant-owned document keeps its tenant in.
const TENANT: &str = "tenant_id";

/// A MongoDB filter confined to one tenant, or said out loud to be platform-level.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Filter(Document);

impl Filter {
    /// Adds the condition `key` = `value` (or an operator document), replacing an earlier one on
    /// the same key. The tenant's condition is never replaced: a `tenant_id` key is ignored, in
    /// every build.
    pub(crate) fn insert(&mut self, key: &str, value: impl Into<Bson>) {
        if key != TENANT {
            self.0.insert(key, value);
        }
    }

    /// The filter as the driver takes it.
    pub(crate) fn into_document(self) -> Document {
        self.0
    }
}

impl From<Filter> for Document {
    fn from(filter: Filter) -> Self {
        filter.into_document()
    }
}

/// `filter` confined to the scope's tenant. Every query on a tenant-owned collection starts
/// here.
pub(crate) fn scoped(scope: &TenantScope, filter: Document) -> Filter {
    in_tenant(scope.tenant_id(), filter)
}

/// `filter` confined to `tenant`: for the few platform-level lookups that run before a scope
/// exists and name their tenant explicitly (a membership at sign-in). Everything else uses
/// [`scoped`].
pub(crate) fn in_tenant(tenant: TenantId, mut filter: Document) -> Filter {
    filter.insert(TENANT, tenant.to_string());
    Filter(filter)
}

/// `filter` on a collection no tenant owns (centres, users), or a platform-level lookup across
/// tenants (the memberships of one user, for choosing a centre at sign-in): used as given.
pub(crate) fn platform(filter: Document) -> Filter {
    Filter(filter)
}

#[cfg(test)]
mod tests {
    use bson::doc;
    use cubby_domain::PermissionSet;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_scoped_filter_names_the_scope_tenant_whatever_it_was_given() {
        let tenant = TenantId::from_uuid(Uuid::now_v7());
        let scope = TenantScope::for_test(
            tenant,
            cubby_domain::UserId::from_uuid(Uuid::now_v7()),
            PermissionSet::EMPTY,
        );
        let smuggled = doc! { "tenant_id": "tenant_other", "_id": "room_1" };
        let filter = scoped(&scope, smuggled).into_document();
        assert_eq!(filter.get_str("tenant_id").unwrap(), tenant.to_string());
        assert_eq!(filter.get_str("_id").unwrap(), "room_1");
    }

    #[test]
    fn a_later_condition_cannot_replace_the_tenant() {
        let tenant = TenantId::from_uuid(Uuid::now_v7());
        let mut filter = in_tenant(tenant, Document::new());
        filter.insert("tenant_id", "tenant_other");
        filter.insert("archived", false);
        let filter = filter.into_document();
        assert_eq!(filter.get_str("tenant_id").unwrap(), tenant.to_string());
        assert!(!filter.get_bool("archived").unwrap());
    }
}
