//! A centre's own roles: a name and a set of permissions, defined by those who may manage
//! roles, never beyond their own permissions. Changing a role's permissions bumps the
//! entitlements version of every member holding it, so their next request sees the change.

use std::sync::Arc;

use cubby_domain::{
    Audit, AuditAction, CustomRole, MembershipStatus, Permission, PermissionSet, Role, RoleId,
    RoleName, RoleRef, Version,
};
use cubby_ports::{
    Clock, IdGenerator, MembershipQuery, MembershipRepository, PageRequest, RepoError,
    RoleRepository, TenantScope,
};

use crate::AppError;
use crate::audit::AuditTrail;
use crate::cache::Principals;
use crate::error::require;

/// The custom role use cases.
pub struct CustomRoles {
    pub(crate) roles: Arc<dyn RoleRepository>,
    pub(crate) memberships: Arc<dyn MembershipRepository>,
    pub(crate) principals: Arc<Principals>,
    pub(crate) audit: Arc<AuditTrail>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for CustomRoles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomRoles").finish_non_exhaustive()
    }
}

fn within(scope: &TenantScope, permissions: PermissionSet) -> Result<(), AppError> {
    if permissions.is_subset_of(scope.permissions()) {
        Ok(())
    } else {
        Err(AppError::Denied {
            code: "roles.beyond_your_permissions",
            message: "a role cannot hold permissions you do not have".to_owned(),
        })
    }
}

fn name_taken(error: RepoError) -> AppError {
    match error {
        RepoError::Conflict("role.name") => AppError::Conflict {
            code: "role.name_taken",
            message: "the centre already has a role with this name".to_owned(),
        },
        other => other.into(),
    }
}

fn listed(permissions: PermissionSet) -> String {
    permissions
        .iter()
        .map(Permission::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

impl CustomRoles {
    /// The built-in roles and the centre's custom roles.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `members:read`; store failures.
    pub async fn list(
        &self,
        scope: &TenantScope,
    ) -> Result<(Vec<Role>, Vec<CustomRole>), AppError> {
        require(scope, Permission::MembersRead)?;
        Ok((Role::ALL.to_vec(), self.roles.list_roles(scope).await?))
    }

    /// One custom role.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `members:read`; [`AppError::NotFound`].
    pub async fn get(&self, scope: &TenantScope, id: RoleId) -> Result<CustomRole, AppError> {
        require(scope, Permission::MembersRead)?;
        self.roles
            .list_roles(scope)
            .await?
            .into_iter()
            .find(|role| role.id == id)
            .ok_or(AppError::NotFound)
    }

    /// Defines a role.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `roles:manage`; [`AppError::Denied`] beyond the
    /// caller's permissions; [`AppError::Invalid`] without permissions; [`AppError::Conflict`]
    /// (`role.name_taken`).
    pub async fn create(
        &self,
        scope: &TenantScope,
        name: RoleName,
        permissions: PermissionSet,
    ) -> Result<CustomRole, AppError> {
        require(scope, Permission::RolesManage)?;
        Self::not_empty(permissions)?;
        within(scope, permissions)?;
        let role = CustomRole {
            id: RoleId::from_uuid(self.ids.uuid()),
            name,
            permissions,
            audit: Audit::created(scope.actor().clone(), self.clock.now()),
            version: Version::FIRST,
        };
        self.roles
            .insert_role(scope, &role)
            .await
            .map_err(name_taken)?;
        let details = [
            ("name", role.name.as_str().to_owned()),
            ("permissions", listed(permissions)),
        ];
        self.audit
            .record(
                scope,
                AuditAction::RoleCreated,
                Some(role.id.to_string()),
                &details,
            )
            .await;
        Ok(role)
    }

    fn not_empty(permissions: PermissionSet) -> Result<(), AppError> {
        if permissions.is_empty() {
            return Err(AppError::Invalid {
                field: "permissions",
                code: "role.no_permission",
                message: "a role needs at least one permission".to_owned(),
            });
        }
        Ok(())
    }

    /// Renames a role or changes its permissions; every member holding it sees a new
    /// permission set on their next request.
    ///
    /// # Errors
    ///
    /// As [`CustomRoles::create`], and [`AppError::NotFound`], [`AppError::StaleVersion`].
    pub async fn update(
        &self,
        scope: &TenantScope,
        id: RoleId,
        expected: Version,
        name: Option<RoleName>,
        permissions: Option<PermissionSet>,
    ) -> Result<CustomRole, AppError> {
        require(scope, Permission::RolesManage)?;
        let stored = self.current(scope, id, expected).await?;
        within(scope, stored.permissions)?;
        let changed = CustomRole {
            name: name.unwrap_or_else(|| stored.name.clone()),
            permissions: permissions.unwrap_or(stored.permissions),
            audit: stored
                .audit
                .touched(scope.actor().clone(), self.clock.now()),
            version: stored.version.next(),
            ..stored.clone()
        };
        Self::not_empty(changed.permissions)?;
        within(scope, changed.permissions)?;
        self.roles
            .update_role(scope, &changed, expected)
            .await
            .map_err(name_taken)?;
        if changed.permissions != stored.permissions {
            self.reentitle_holders(scope, id).await?;
        }
        let details = [
            ("name", changed.name.as_str().to_owned()),
            ("from", listed(stored.permissions)),
            ("to", listed(changed.permissions)),
        ];
        self.audit
            .record(
                scope,
                AuditAction::RoleUpdated,
                Some(id.to_string()),
                &details,
            )
            .await;
        Ok(changed)
    }

    /// Deletes a role no member holds.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`], [`AppError::Denied`], [`AppError::NotFound`],
    /// [`AppError::StaleVersion`]; [`AppError::Conflict`] (`role.in_use`) while members hold it.
    pub async fn delete(
        &self,
        scope: &TenantScope,
        id: RoleId,
        expected: Version,
    ) -> Result<(), AppError> {
        require(scope, Permission::RolesManage)?;
        let stored = self.current(scope, id, expected).await?;
        within(scope, stored.permissions)?;
        let holders = MembershipQuery {
            role: Some(RoleRef::Custom(id)),
            ..MembershipQuery::default()
        };
        if self
            .memberships
            .list_memberships(scope, &holders)
            .await?
            .total
            > 0
        {
            return Err(AppError::Conflict {
                code: "role.in_use",
                message: "members hold this role; take it from them first".to_owned(),
            });
        }
        self.roles.delete_role(scope, id, expected).await?;
        let details = [("name", stored.name.as_str().to_owned())];
        self.audit
            .record(
                scope,
                AuditAction::RoleDeleted,
                Some(id.to_string()),
                &details,
            )
            .await;
        Ok(())
    }

    async fn current(
        &self,
        scope: &TenantScope,
        id: RoleId,
        expected: Version,
    ) -> Result<CustomRole, AppError> {
        let stored = self
            .roles
            .list_roles(scope)
            .await?
            .into_iter()
            .find(|role| role.id == id)
            .ok_or(AppError::NotFound)?;
        if stored.version != expected {
            return Err(AppError::StaleVersion);
        }
        Ok(stored)
    }

    /// Bumps the entitlements version of every member holding the role (whatever their status,
    /// so that a reactivated member does not bring back a stale permission set).
    async fn reentitle_holders(&self, scope: &TenantScope, id: RoleId) -> Result<(), AppError> {
        let page_size = 100;
        let mut offset = 0;
        loop {
            let query = MembershipQuery {
                role: Some(RoleRef::Custom(id)),
                statuses: MembershipStatus::ALL.to_vec(),
                page: PageRequest::new(page_size, offset)
                    .map_err(|e| AppError::Internal(Box::new(e)))?,
                ..MembershipQuery::default()
            };
            let page = self.memberships.list_memberships(scope, &query).await?;
            let count = page.items.len() as u64;
            for holder in page.items {
                // A holder changed concurrently is read again and bumped once more.
                let mut membership = holder;
                for _ in 0..3 {
                    let bumped = membership.reentitled(scope.actor().clone(), self.clock.now());
                    match self
                        .memberships
                        .update_membership(scope, &bumped, membership.version)
                        .await
                    {
                        Ok(()) => break,
                        Err(RepoError::StaleVersion) => {
                            membership = self
                                .memberships
                                .get_membership(scope, membership.id)
                                .await?
                        }
                        Err(other) => return Err(other.into()),
                    }
                }
                self.principals
                    .forget(&[(scope.tenant_id(), membership.id)])
                    .await;
            }
            if count < u64::from(page_size) {
                return Ok(());
            }
            offset += count;
        }
    }
}
