//! Memberships in the `memberships` collection: written and listed through the scoped
//! [`MembershipRepository`], read before a session exists through the [`MembershipDirectory`],
//! whose lookups name their tenant explicitly and filter on it all the same.

use async_trait::async_trait;
use bson::{Document, doc};
use cubby_domain::{
    EntitlementSet, Membership, MembershipId, MembershipStatus, RoleRef, TenantId, UserId, Version,
};
use cubby_ports::{
    MembershipDirectory, MembershipQuery, MembershipRepository, Page, RepoError, TenantScope,
};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use crate::audit::AuditDocument;
use crate::timed;
use crate::{
    Filter, Mongo, all_of, decode, duplicate_key, in_tenant, one_of, page_of, platform, scoped,
    sort_order, to_repo_error, version_from_bson, version_to_bson,
};

/// The collection.
pub(crate) const COLLECTION: &str = "memberships";

/// The unique index on a tenant's members: a user is a member of a tenant once.
pub(crate) const TENANT_USER_INDEX: &str = "memberships_tenant_user_unique";

/// The index listing a user's memberships across tenants.
pub(crate) const USER_INDEX: &str = "memberships_user";

/// The index listing a tenant's members by status in creation order.
pub(crate) const TENANT_CREATED_INDEX: &str = "memberships_tenant_created";

/// The index finding a tenant's members holding a role (built in or custom).
pub(crate) const TENANT_ROLE_INDEX: &str = "memberships_tenant_role";

/// A membership as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MembershipDocument {
    #[serde(rename = "_id")]
    id: String,
    tenant_id: String,
    user_id: String,
    /// Roles in their wire form ([`RoleRef`]'s `Display`: a built-in role's name or a custom
    /// role's id), in the order given.
    roles: Vec<String>,
    /// Entitlements ([`cubby_domain::Entitlement::as_str`]).
    entitlements: Vec<String>,
    /// [`MembershipStatus::as_str`].
    status: String,
    entitlements_version: i64,
    audit: AuditDocument,
    version: i64,
}

impl MembershipDocument {
    fn from_domain(tenant: TenantId, membership: &Membership) -> Self {
        Self {
            id: membership.id().to_string(),
            tenant_id: tenant.to_string(),
            user_id: membership.user_id().to_string(),
            roles: membership.roles().iter().map(ToString::to_string).collect(),
            entitlements: entitlements_to_bson(membership.entitlements()),
            status: membership.status().as_str().to_owned(),
            entitlements_version: i64::try_from(membership.entitlements_version())
                .unwrap_or(i64::MAX),
            audit: AuditDocument::from_domain(membership.audit()),
            version: version_to_bson(membership.version()),
        }
    }

    /// The tenant and the domain membership, every field parsed again; anything malformed is
    /// `Corrupt`.
    fn into_domain(self) -> Result<(TenantId, Membership), RepoError> {
        let bad =
            |field: &str| RepoError::corrupt(format!("membership document: malformed {field}"));
        let tenant = TenantId::parse(&self.tenant_id).map_err(|_| bad("tenant_id"))?;
        let membership = Membership::restore(cubby_domain::MembershipParts {
            id: MembershipId::parse(&self.id).map_err(|_| bad("_id"))?,
            user_id: UserId::parse(&self.user_id).map_err(|_| bad("user_id"))?,
            roles: self
                .roles
                .iter()
                .map(|role| RoleRef::parse(role).map_err(|_| bad("roles")))
                .collect::<Result<_, _>>()?,
            entitlements: entitlements_from_bson(&self.entitlements)
                .ok_or_else(|| bad("entitlements"))?,
            status: MembershipStatus::parse(&self.status).ok_or_else(|| bad("status"))?,
            entitlements_version: u64::try_from(self.entitlements_version)
                .map_err(|_| bad("entitlements_version"))?,
            audit: self.audit.into_domain("membership document")?,
            version: version_from_bson(self.version).ok_or_else(|| bad("version"))?,
        });
        Ok((tenant, membership))
    }
}

impl Mongo {
    /// Memberships, for writes (typed, serialized by serde).
    fn memberships(&self) -> Collection<MembershipDocument> {
        self.db.collection(COLLECTION)
    }

    /// Memberships, for reads: documents are decoded one by one with [`decode`].
    fn membership_documents(&self) -> Collection<Document> {
        self.db.collection(COLLECTION)
    }

    /// The one membership matching `filter`, which must already name its tenant.
    async fn membership_where(&self, filter: Filter) -> Result<Membership, RepoError> {
        one_of(&self.membership_documents(), filter, membership)
            .await?
            .map(|(_, membership)| membership)
            .ok_or(RepoError::NotFound)
    }
}

/// Entitlements as stored: their wire forms.
pub(crate) fn entitlements_to_bson(entitlements: EntitlementSet) -> Vec<String> {
    entitlements
        .iter()
        .map(|entitlement| entitlement.as_str().to_owned())
        .collect()
}

/// Stored entitlements parsed again; `None` if any is unknown.
pub(crate) fn entitlements_from_bson(stored: &[String]) -> Option<EntitlementSet> {
    EntitlementSet::parse(stored.iter().map(String::as_str))
}

fn membership(document: Document) -> Result<(TenantId, Membership), RepoError> {
    decode::<MembershipDocument>(COLLECTION, document)?.into_domain()
}

/// A duplicate key on memberships means the user already is a member of the tenant, or else
/// the id is taken.
fn write_error(error: mongodb::error::Error) -> RepoError {
    match duplicate_key(&error) {
        Some(message) if message.contains(TENANT_USER_INDEX) || message.contains("user_id") => {
            RepoError::Conflict("membership.user")
        }
        Some(_) => RepoError::Conflict("membership.id"),
        None => to_repo_error(error),
    }
}

#[async_trait]
impl MembershipDirectory for Mongo {
    async fn membership_of(&self, tenant: TenantId, user: UserId) -> Result<Membership, RepoError> {
        self.membership_where(in_tenant(tenant, doc! { "user_id": user.to_string() }))
            .await
    }

    async fn membership_by_id(
        &self,
        tenant: TenantId,
        id: MembershipId,
    ) -> Result<Membership, RepoError> {
        self.membership_where(in_tenant(tenant, doc! { "_id": id.to_string() }))
            .await
    }

    async fn memberships_of_user(
        &self,
        user: UserId,
    ) -> Result<Vec<(TenantId, Membership)>, RepoError> {
        all_of(
            &self.membership_documents(),
            platform(doc! { "user_id": user.to_string() }),
            doc! { "tenant_id": 1 },
            membership,
        )
        .await
    }
}

#[async_trait]
impl MembershipRepository for Mongo {
    async fn insert_membership(
        &self,
        scope: &TenantScope,
        membership: &Membership,
    ) -> Result<(), RepoError> {
        timed(
            "memberships.insert",
            self.memberships()
                .insert_one(MembershipDocument::from_domain(
                    scope.tenant_id(),
                    membership,
                )),
        )
        .await
        .map(|_| ())
        .map_err(write_error)
    }

    async fn get_membership(
        &self,
        scope: &TenantScope,
        id: MembershipId,
    ) -> Result<Membership, RepoError> {
        self.membership_where(scoped(scope, doc! { "_id": id.to_string() }))
            .await
    }

    async fn update_membership(
        &self,
        scope: &TenantScope,
        membership: &Membership,
        expected: Version,
    ) -> Result<(), RepoError> {
        let id = membership.id().to_string();
        let result = timed(
            "memberships.replace",
            self.memberships().replace_one(
                scoped(
                    scope,
                    doc! {
                        "_id": &id,
                        "user_id": membership.user_id().to_string(),
                        "version": version_to_bson(expected),
                    },
                )
                .into(),
                MembershipDocument::from_domain(scope.tenant_id(), membership),
            ),
        )
        .await
        .map_err(write_error)?;
        if result.matched_count == 1 {
            return Ok(());
        }
        let stored = self
            .membership_where(scoped(scope, doc! { "_id": &id }))
            .await?;
        if stored.user_id() != membership.user_id() {
            return Err(RepoError::Failed(
                "a membership's user cannot change".into(),
            ));
        }
        Err(RepoError::StaleVersion)
    }

    async fn list_memberships(
        &self,
        scope: &TenantScope,
        query: &MembershipQuery,
    ) -> Result<Page<Membership>, RepoError> {
        let statuses: Vec<&str> = query.statuses.iter().map(|s| s.as_str()).collect();
        let mut filter = scoped(scope, doc! { "status": { "$in": statuses } });
        if let Some(role) = query.role {
            filter.insert("roles", role.to_string());
        }
        if let Some(user) = query.user_id {
            filter.insert("user_id", user.to_string());
        }
        let order = sort_order(query.direction);
        page_of(
            &self.membership_documents(),
            filter,
            doc! { "audit.created_at": order, "_id": order },
            query.page,
            |document| membership(document).map(|(_, membership)| membership),
        )
        .await
    }
}
