//! The contract of [`RoleRepository`].

use cubby_domain::{
    Actor, Audit, CustomRole, Permission, PermissionSet, RoleId, RoleName, UserId, Version,
};
use uuid::Uuid;

use super::{at, fresh_scope};
use crate::{RepoError, RoleRepository};

/// Runs every role repository case against the repository `$make` resolves to.
#[macro_export]
macro_rules! role_repository_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!($crate::contract::roles, $($make)+, [
            roles_read_back_in_creation_order,
            a_role_name_is_unique_within_a_tenant_only,
            an_update_with_a_stale_version_is_refused,
            a_deleted_role_is_gone,
            another_tenant_cannot_see_change_or_delete_a_role,
        ]);
    };
}

/// A custom role named `name` granting `permissions`, created `minute` minutes in.
pub fn new_role(name: &str, permissions: &[Permission], minute: i64) -> CustomRole {
    CustomRole {
        id: RoleId::from_uuid(Uuid::now_v7()),
        name: RoleName::parse(name).unwrap(),
        permissions: permissions.iter().copied().collect::<PermissionSet>(),
        audit: Audit::created(Actor::User(UserId::from_uuid(Uuid::now_v7())), at(minute)),
        version: Version::FIRST,
    }
}

/// Stored roles read back unchanged, oldest first.
pub async fn roles_read_back_in_creation_order(repo: &dyn RoleRepository) {
    let scope = fresh_scope();
    let cook = new_role(
        "Cook",
        &[Permission::ChildrenRead, Permission::ChildrenReadSensitive],
        0,
    );
    let driver = new_role("Driver", &[Permission::AttendanceCheckIn], 1);
    repo.insert_role(&scope, &cook).await.unwrap();
    repo.insert_role(&scope, &driver).await.unwrap();
    assert_eq!(repo.list_roles(&scope).await.unwrap(), vec![cook, driver]);
}

/// Two roles of a tenant cannot share a name, whatever its case; other tenants can.
pub async fn a_role_name_is_unique_within_a_tenant_only(repo: &dyn RoleRepository) {
    let scope = fresh_scope();
    repo.insert_role(&scope, &new_role("Cook", &[Permission::ChildrenRead], 0))
        .await
        .unwrap();
    let again = repo
        .insert_role(&scope, &new_role("COOK", &[Permission::StaffRead], 1))
        .await;
    assert!(
        matches!(again, Err(RepoError::Conflict("role.name"))),
        "{again:?}"
    );
    repo.insert_role(
        &fresh_scope(),
        &new_role("Cook", &[Permission::ChildrenRead], 2),
    )
    .await
    .unwrap();
    let other = new_role("Driver", &[Permission::StaffRead], 3);
    repo.insert_role(&scope, &other).await.unwrap();
    let renamed = CustomRole {
        name: RoleName::parse("cook").unwrap(),
        version: other.version.next(),
        ..other.clone()
    };
    let clash = repo.update_role(&scope, &renamed, other.version).await;
    assert!(
        matches!(clash, Err(RepoError::Conflict("role.name"))),
        "{clash:?}"
    );
}

/// Updates are conditioned on the version read.
pub async fn an_update_with_a_stale_version_is_refused(repo: &dyn RoleRepository) {
    let scope = fresh_scope();
    let role = new_role("Cook", &[Permission::ChildrenRead], 0);
    repo.insert_role(&scope, &role).await.unwrap();
    let changed = CustomRole {
        permissions: PermissionSet::EMPTY.with(Permission::StaffRead),
        version: role.version.next(),
        ..role.clone()
    };
    repo.update_role(&scope, &changed, role.version)
        .await
        .unwrap();
    assert_eq!(
        repo.list_roles(&scope).await.unwrap(),
        vec![changed.clone()]
    );
    let stale = repo.update_role(&scope, &changed, role.version).await;
    assert!(matches!(stale, Err(RepoError::StaleVersion)), "{stale:?}");
    let missing = new_role("Ghost", &[Permission::StaffRead], 1);
    assert!(matches!(
        repo.update_role(&scope, &missing, missing.version).await,
        Err(RepoError::NotFound)
    ));
}

/// A deleted role is no longer listed; deleting needs the current version.
pub async fn a_deleted_role_is_gone(repo: &dyn RoleRepository) {
    let scope = fresh_scope();
    let role = new_role("Cook", &[Permission::ChildrenRead], 0);
    repo.insert_role(&scope, &role).await.unwrap();
    let stale = repo.delete_role(&scope, role.id, role.version.next()).await;
    assert!(matches!(stale, Err(RepoError::StaleVersion)), "{stale:?}");
    repo.delete_role(&scope, role.id, role.version)
        .await
        .unwrap();
    assert!(repo.list_roles(&scope).await.unwrap().is_empty());
    assert!(matches!(
        repo.delete_role(&scope, role.id, role.version).await,
        Err(RepoError::NotFound)
    ));
}

/// Another tenant's scope reaches nothing.
pub async fn another_tenant_cannot_see_change_or_delete_a_role(repo: &dyn RoleRepository) {
    let (owner, intruder) = (fresh_scope(), fresh_scope());
    let role = new_role("Cook", &[Permission::ChildrenRead], 0);
    repo.insert_role(&owner, &role).await.unwrap();
    assert!(repo.list_roles(&intruder).await.unwrap().is_empty());
    let hijack = CustomRole {
        permissions: PermissionSet::all(),
        version: role.version.next(),
        ..role.clone()
    };
    assert!(matches!(
        repo.update_role(&intruder, &hijack, role.version).await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        repo.delete_role(&intruder, role.id, role.version).await,
        Err(RepoError::NotFound)
    ));
    assert_eq!(repo.list_roles(&owner).await.unwrap(), vec![role]);
}
