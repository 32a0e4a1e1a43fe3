//! A centre's own roles: a name and a set of permissions, defined by those who may manage
//! roles, never beyond their own permissions. Changing a role's permissions bumps the
//! entitlements version of every member holding it, so their next request sees the change.

use std::sync::Arc;

use cubby_domain::{
    Audit, AuditAction, CustomRole, ErrorCode, MembershipStatus, Permission, PermissionSet, Role,
    RoleId, RoleName, RoleRef, Version,
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
            code: ErrorCode::RolesBeyondYourPermissions,
            message: "a role cannot hold permissions you do not have".to_owned(),
        })
    }
}

fn name_taken(error: RepoError) -> AppError {
    match error {
        RepoError::Conflict("role.name") => AppError::Conflict {
            code: ErrorCode::RoleNameTaken,
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
                code: ErrorCode::RoleNoPermission,
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
                code: ErrorCode::RoleInUse,
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
                        .update_membership(scope, &bumped, membership.version())
                        .await
                    {
                        Ok(()) => break,
                        Err(RepoError::StaleVersion) => {
                            membership = self
                                .memberships
                                .get_membership(scope, membership.id())
                                .await?
                        }
                        Err(other) => return Err(other.into()),
                    }
                }
                self.principals
                    .forget(&[(scope.tenant_id(), membership.id())])
                    .await;
            }
            if count < u64::from(page_size) {
                return Ok(());
            }
            offset += count;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{World, corrupt, timed_out};
    use cubby_ports::mocks::{MockMembershipRepository, MockRoleRepository};
    use uuid::Uuid;

    fn cooks() -> (RoleName, PermissionSet) {
        let permissions = [Permission::ChildrenRead].into_iter().collect();
        (RoleName::parse("cook").unwrap(), permissions)
    }

    #[tokio::test]
    async fn a_role_is_created_renamed_and_deleted_with_an_audit_event_each() {
        let world = World::new().await;
        let roles = &world.app.custom_roles;
        let (name, permissions) = cooks();
        let role = roles.create(&world.scope, name, permissions).await.unwrap();
        let renamed = roles
            .update(
                &world.scope,
                role.id,
                role.version,
                Some(RoleName::parse("chef").unwrap()),
                None,
            )
            .await
            .unwrap();
        assert_eq!(roles.get(&world.scope, role.id).await.unwrap(), renamed);
        roles
            .delete(&world.scope, role.id, renamed.version)
            .await
            .unwrap();
        assert!(roles.list(&world.scope).await.unwrap().1.is_empty());
        assert_eq!(world.audited().await, 3);
    }

    #[tokio::test]
    async fn a_name_the_store_says_is_taken_is_the_named_conflict() {
        let world = World::new().await;
        let mut repo = MockRoleRepository::new();
        repo.expect_insert_role()
            .times(1)
            .returning(|_, _| Err(RepoError::Conflict("role.name")));
        let app = world.with(|ports| ports.roles = Arc::new(repo));
        let (name, permissions) = cooks();
        let answer = app
            .custom_roles
            .create(&world.scope, name, permissions)
            .await;
        assert!(
            matches!(
                answer,
                Err(AppError::Conflict {
                    code: ErrorCode::RoleNameTaken,
                    ..
                })
            ),
            "{answer:?}"
        );
        assert_eq!(world.audited().await, 0);
    }

    #[tokio::test]
    async fn memberships_timing_out_on_the_holder_check_keep_the_role() {
        let world = World::new().await;
        let (name, permissions) = cooks();
        let role = world
            .app
            .custom_roles
            .create(&world.scope, name, permissions)
            .await
            .unwrap();
        let mut memberships = MockMembershipRepository::new();
        memberships
            .expect_list_memberships()
            .times(1)
            .returning(|_, _| Err(timed_out()));
        memberships.expect_update_membership().never();
        let app = world.with(|ports| ports.memberships = Arc::new(memberships));
        let answer = app
            .custom_roles
            .delete(&world.scope, role.id, role.version)
            .await;
        assert!(
            matches!(answer, Err(AppError::Unavailable(_))),
            "{answer:?}"
        );
        let kept = world.app.custom_roles.get(&world.scope, role.id).await;
        assert_eq!(kept.unwrap(), role);
        assert_eq!(world.audited().await, 1, "only the creation is audited");
    }

    #[tokio::test]
    async fn a_corrupt_role_list_is_an_internal_error() {
        let world = World::new().await;
        let mut repo = MockRoleRepository::new();
        repo.expect_list_roles()
            .times(1)
            .returning(|_| Err(corrupt()));
        let app = world.with(|ports| ports.roles = Arc::new(repo));
        let answer = app
            .custom_roles
            .get(&world.scope, RoleId::from_uuid(Uuid::now_v7()))
            .await;
        assert!(matches!(answer, Err(AppError::Internal(_))), "{answer:?}");
    }
}
