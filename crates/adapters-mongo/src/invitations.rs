//! Invitations in the `invitations` collection: written and listed through the scoped
//! [`InvitationRepository`], looked up by id across tenants through the read-only
//! [`InvitationDirectory`] when an invitation is accepted (with a token, before any session).

use async_trait::async_trait;
use bson::{DateTime, Document, doc};
use cubby_domain::{
    Email, Invitation, InvitationId, InvitationStatus, MembershipId, RoleRef, TenantId,
    TokenDigest, Version,
};
use cubby_ports::{
    InvitationDirectory, InvitationQuery, InvitationRepository, Page, RepoError, TenantScope,
};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use crate::audit::{AuditDocument, to_bson};
use crate::memberships::{entitlements_from_bson, entitlements_to_bson};
use crate::timed;
use crate::{
    Filter, Mongo, decode, id_conflict, one_of, page_of, platform, replace_versioned, scoped,
    sort_order, version_from_bson, version_to_bson,
};

/// The collection.
pub(crate) const COLLECTION: &str = "invitations";

/// The index listing a tenant's invitations newest first.
pub(crate) const TENANT_CREATED_INDEX: &str = "invitations_tenant_created";

/// The index listing a tenant's invitations of one status newest first.
pub(crate) const TENANT_STATUS_CREATED_INDEX: &str = "invitations_tenant_status_created";

/// An invitation as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct InvitationDocument {
    #[serde(rename = "_id")]
    id: String,
    tenant_id: String,
    email: String,
    membership_id: String,
    /// Roles in their wire form ([`RoleRef`]'s `Display`), in the order given.
    roles: Vec<String>,
    /// Entitlements ([`cubby_domain::Entitlement::as_str`]).
    entitlements: Vec<String>,
    /// The digest of the token, in lowercase hex (the token itself is never stored).
    token: String,
    /// [`InvitationStatus::as_str`].
    status: String,
    expires_at: DateTime,
    audit: AuditDocument,
    version: i64,
}

impl InvitationDocument {
    fn from_domain(scope: &TenantScope, invitation: &Invitation) -> Self {
        Self {
            id: invitation.id().to_string(),
            tenant_id: scope.tenant_id().to_string(),
            email: invitation.email().as_str().to_owned(),
            membership_id: invitation.membership_id().to_string(),
            roles: invitation.roles().iter().map(ToString::to_string).collect(),
            entitlements: entitlements_to_bson(invitation.entitlements()),
            token: hex::encode(invitation.token().0),
            status: invitation.status().as_str().to_owned(),
            expires_at: to_bson(invitation.expires_at()),
            audit: AuditDocument::from_domain(invitation.audit()),
            version: version_to_bson(invitation.version()),
        }
    }

    /// The tenant and the domain invitation, every field parsed again; anything malformed is
    /// `Corrupt`.
    fn into_domain(self) -> Result<(TenantId, Invitation), RepoError> {
        let bad =
            |field: &str| RepoError::corrupt(format!("invitation document: malformed {field}"));
        let tenant = TenantId::parse(&self.tenant_id).map_err(|_| bad("tenant_id"))?;
        let token = <[u8; 32] as hex::FromHex>::from_hex(&self.token)
            .ok()
            .map(TokenDigest)
            .ok_or_else(|| bad("token"))?;
        let invitation = Invitation::restore(cubby_domain::InvitationParts {
            id: InvitationId::parse(&self.id).map_err(|_| bad("_id"))?,
            email: Email::parse(&self.email).map_err(|_| bad("email"))?,
            membership_id: MembershipId::parse(&self.membership_id)
                .map_err(|_| bad("membership_id"))?,
            roles: self
                .roles
                .iter()
                .map(|role| RoleRef::parse(role).map_err(|_| bad("roles")))
                .collect::<Result<_, _>>()?,
            entitlements: entitlements_from_bson(&self.entitlements)
                .ok_or_else(|| bad("entitlements"))?,
            token,
            status: InvitationStatus::parse(&self.status).ok_or_else(|| bad("status"))?,
            expires_at: self.expires_at.to_time_0_3(),
            audit: self.audit.into_domain("invitation document")?,
            version: version_from_bson(self.version).ok_or_else(|| bad("version"))?,
        });
        Ok((tenant, invitation))
    }
}

impl Mongo {
    /// Invitations, for writes (typed, serialized by serde).
    fn invitations(&self) -> Collection<InvitationDocument> {
        self.db.collection(COLLECTION)
    }

    /// Invitations, for reads: documents are decoded one by one with [`decode`].
    fn invitation_documents(&self) -> Collection<Document> {
        self.db.collection(COLLECTION)
    }

    /// The one invitation matching `filter`, with its tenant.
    async fn invitation_where(&self, filter: Filter) -> Result<(TenantId, Invitation), RepoError> {
        one_of(&self.invitation_documents(), filter, invitation)
            .await?
            .ok_or(RepoError::NotFound)
    }
}

fn invitation(document: Document) -> Result<(TenantId, Invitation), RepoError> {
    decode::<InvitationDocument>(COLLECTION, document)?.into_domain()
}

/// A duplicate key on invitations can only be the id (ids are minted unique).
fn write_error(error: mongodb::error::Error) -> RepoError {
    id_conflict("invitation.id")(error)
}

#[async_trait]
impl InvitationRepository for Mongo {
    async fn insert_invitation(
        &self,
        scope: &TenantScope,
        invitation: &Invitation,
    ) -> Result<(), RepoError> {
        timed(
            "invitations.insert",
            self.invitations()
                .insert_one(InvitationDocument::from_domain(scope, invitation)),
        )
        .await
        .map(|_| ())
        .map_err(write_error)
    }

    async fn get_invitation(
        &self,
        scope: &TenantScope,
        id: InvitationId,
    ) -> Result<Invitation, RepoError> {
        self.invitation_where(scoped(scope, doc! { "_id": id.to_string() }))
            .await
            .map(|(_, invitation)| invitation)
    }

    async fn list_invitations(
        &self,
        scope: &TenantScope,
        query: &InvitationQuery,
    ) -> Result<Page<Invitation>, RepoError> {
        let mut filter = scoped(scope, Document::new());
        if let Some(status) = query.status {
            filter.insert("status", status.as_str());
        }
        let order = sort_order(query.direction);
        page_of(
            &self.invitation_documents(),
            filter,
            doc! { "audit.created_at": order, "_id": order },
            query.page,
            |document| invitation(document).map(|(_, invitation)| invitation),
        )
        .await
    }

    async fn update_invitation(
        &self,
        scope: &TenantScope,
        invitation: &Invitation,
        expected: Version,
    ) -> Result<(), RepoError> {
        replace_versioned(
            &self.invitations(),
            scoped(scope, doc! { "_id": invitation.id().to_string() }),
            expected,
            InvitationDocument::from_domain(scope, invitation),
            write_error,
        )
        .await
    }
}

#[async_trait]
impl InvitationDirectory for Mongo {
    /// Platform-level: the id is the only filter, and the tenant comes from the document.
    async fn invitation_by_id(
        &self,
        id: InvitationId,
    ) -> Result<(TenantId, Invitation), RepoError> {
        self.invitation_where(platform(doc! { "_id": id.to_string() }))
            .await
    }
}

#[cfg(test)]
mod tests {
    use cubby_domain::{EntitlementSet, Invitation, Role, RoleId, RoleRef, TokenDigest};
    use cubby_ports::contract::fresh_scope;
    use cubby_ports::contract::invitations::new_invitation;
    use uuid::Uuid;

    use super::InvitationDocument;

    #[test]
    fn an_invitation_round_trips_through_its_document_with_its_tenant() {
        let scope = fresh_scope();
        let mut digest = [0u8; 32];
        for (n, byte) in digest.iter_mut().enumerate() {
            *byte = u8::try_from(n * 8).unwrap();
        }
        let invitation = Invitation::restore(cubby_domain::InvitationParts {
            roles: vec![
                RoleRef::Custom(RoleId::from_uuid(Uuid::now_v7())),
                Role::Guardian.into(),
            ],
            entitlements: EntitlementSet::EMPTY,
            token: TokenDigest(digest),
            ..new_invitation(3).into_parts()
        });
        let document =
            bson::to_document(&InvitationDocument::from_domain(&scope, &invitation)).unwrap();
        assert_eq!(document.get_str("token").unwrap().len(), 64);
        assert!(document.get_datetime("expires_at").is_ok());
        let back: InvitationDocument = bson::from_document(document).unwrap();
        assert_eq!(back.into_domain().unwrap(), (scope.tenant_id(), invitation));
    }
}
