//! A centre's custom roles in the `roles` collection.

use async_trait::async_trait;
use bson::{Document, doc};
use cubby_domain::{CustomRole, PermissionSet, RoleId, RoleName, Version};
use cubby_ports::{RepoError, RoleRepository, TenantScope};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use crate::audit::AuditDocument;
use crate::timed;
use crate::{
    Mongo, all_of, decode, duplicate_key, missed, replace_versioned, scoped, to_repo_error,
    version_from_bson, version_to_bson,
};

/// The collection.
pub(crate) const COLLECTION: &str = "roles";

/// The unique index on a tenant's role names (case-insensitive, by [`RoleName::key`]).
pub(crate) const NAME_INDEX: &str = "roles_tenant_name_unique";

/// The index listing a tenant's roles in creation order.
pub(crate) const TENANT_CREATED_INDEX: &str = "roles_tenant_created";

/// A custom role as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RoleDocument {
    #[serde(rename = "_id")]
    id: String,
    tenant_id: String,
    name: String,
    /// The lowercase name ([`RoleName::key`]), for uniqueness.
    name_key: String,
    /// Permissions ([`cubby_domain::Permission::as_str`]).
    permissions: Vec<String>,
    audit: AuditDocument,
    version: i64,
}

impl RoleDocument {
    fn from_domain(scope: &TenantScope, role: &CustomRole) -> Self {
        Self {
            id: role.id.to_string(),
            tenant_id: scope.tenant_id().to_string(),
            name: role.name.as_str().to_owned(),
            name_key: role.name.key(),
            permissions: role
                .permissions
                .iter()
                .map(|permission| permission.as_str().to_owned())
                .collect(),
            audit: AuditDocument::from_domain(&role.audit),
            version: version_to_bson(role.version),
        }
    }

    /// The domain role, every field parsed again; anything malformed is `Corrupt`.
    fn into_domain(self) -> Result<CustomRole, RepoError> {
        let bad = |field: &str| RepoError::corrupt(format!("role document: malformed {field}"));
        Ok(CustomRole {
            id: RoleId::parse(&self.id).map_err(|_| bad("_id"))?,
            name: RoleName::parse(&self.name).map_err(|_| bad("name"))?,
            permissions: PermissionSet::parse(self.permissions.iter().map(String::as_str))
                .ok_or_else(|| bad("permissions"))?,
            audit: self.audit.into_domain("role document")?,
            version: version_from_bson(self.version).ok_or_else(|| bad("version"))?,
        })
    }
}

impl Mongo {
    /// Roles, for writes (typed, serialized by serde).
    fn roles(&self) -> Collection<RoleDocument> {
        self.db.collection(COLLECTION)
    }

    /// Roles, for reads: documents are decoded one by one with [`decode`].
    fn role_documents(&self) -> Collection<Document> {
        self.db.collection(COLLECTION)
    }
}

fn role(document: Document) -> Result<CustomRole, RepoError> {
    decode::<RoleDocument>(COLLECTION, document)?.into_domain()
}

/// A duplicate key on roles means the name is taken in the tenant (ids are minted unique).
fn write_error(error: mongodb::error::Error) -> RepoError {
    match duplicate_key(&error) {
        Some(message) if message.contains(NAME_INDEX) || message.contains("name_key") => {
            RepoError::Conflict("role.name")
        }
        Some(_) => RepoError::Conflict("role.id"),
        None => to_repo_error(error),
    }
}

#[async_trait]
impl RoleRepository for Mongo {
    async fn insert_role(&self, scope: &TenantScope, role: &CustomRole) -> Result<(), RepoError> {
        timed(
            "roles.insert",
            self.roles()
                .insert_one(RoleDocument::from_domain(scope, role)),
        )
        .await
        .map(|_| ())
        .map_err(write_error)
    }

    async fn list_roles(&self, scope: &TenantScope) -> Result<Vec<CustomRole>, RepoError> {
        all_of(
            &self.role_documents(),
            scoped(scope, Document::new()),
            doc! { "audit.created_at": 1, "_id": 1 },
            role,
        )
        .await
    }

    async fn update_role(
        &self,
        scope: &TenantScope,
        role: &CustomRole,
        expected: Version,
    ) -> Result<(), RepoError> {
        replace_versioned(
            &self.roles(),
            scoped(scope, doc! { "_id": role.id.to_string() }),
            expected,
            RoleDocument::from_domain(scope, role),
            write_error,
        )
        .await
    }

    async fn delete_role(
        &self,
        scope: &TenantScope,
        id: RoleId,
        expected: Version,
    ) -> Result<(), RepoError> {
        let id = id.to_string();
        let result = timed(
            "roles.delete",
            self.roles().delete_one(
                scoped(
                    scope,
                    doc! { "_id": &id, "version": version_to_bson(expected) },
                )
                .into(),
            ),
        )
        .await
        .map_err(to_repo_error)?;
        if result.deleted_count == 1 {
            return Ok(());
        }
        Err(missed(&self.roles(), scoped(scope, doc! { "_id": &id })).await)
    }
}

#[cfg(test)]
mod tests {
    use cubby_domain::Permission;
    use cubby_ports::contract::fresh_scope;
    use cubby_ports::contract::roles::new_role;

    use super::RoleDocument;

    #[test]
    fn a_role_round_trips_through_its_document_with_a_lowercase_name_key() {
        let role = new_role(
            "Assistant Cook",
            &[Permission::ChildrenRead, Permission::StaffRead],
            0,
        );
        let document =
            bson::to_document(&RoleDocument::from_domain(&fresh_scope(), &role)).unwrap();
        assert_eq!(document.get_str("name_key").unwrap(), "assistant cook");
        assert_eq!(
            document.get_array("permissions").unwrap().len(),
            2,
            "{document:?}"
        );
        let back: RoleDocument = bson::from_document(document).unwrap();
        assert_eq!(back.into_domain().unwrap(), role);
    }
}
