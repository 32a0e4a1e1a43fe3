//! The contract of [`TenantDirectory`].

use cubby_domain::{
    Actor, Audit, Tenant, TenantCode, TenantId, TenantName, TenantStatus, TimeZone, UserId, Version,
};
use uuid::Uuid;

use super::at;
use crate::{RepoError, TenantDirectory};

/// Runs every tenant directory case against the directory `$make` resolves to.
#[macro_export]
macro_rules! tenant_directory_contract {
    ($make:expr) => {
        $crate::__contract_cases!(
            $crate::contract::tenants,
            $make,
            [
                a_tenant_is_found_by_code_and_by_id,
                an_unknown_tenant_is_not_found,
                a_taken_code_conflicts,
            ]
        );
    };
}

/// A tenant with a code no other case uses.
pub fn new_tenant() -> Tenant {
    let id = TenantId::from_uuid(Uuid::now_v7());
    let code = format!("t-{}", id.uuid().simple());
    Tenant {
        id,
        code: TenantCode::parse(&code[..40.min(code.len())]).unwrap(),
        name: TenantName::parse("Sunny Days Early Learning").unwrap(),
        time_zone: TimeZone::parse("Australia/Sydney").unwrap(),
        status: TenantStatus::Active,
        audit: Audit::created(Actor::User(UserId::from_uuid(Uuid::now_v7())), at(0)),
        version: Version::FIRST,
    }
}

/// A stored tenant reads back unchanged by its code and by its id.
pub async fn a_tenant_is_found_by_code_and_by_id(directory: &dyn TenantDirectory) {
    let tenant = new_tenant();
    directory.insert(&tenant).await.unwrap();
    assert_eq!(directory.by_code(&tenant.code).await.unwrap(), tenant);
    assert_eq!(directory.by_id(tenant.id).await.unwrap(), tenant);
}

/// Codes and ids that were never stored are not found.
pub async fn an_unknown_tenant_is_not_found(directory: &dyn TenantDirectory) {
    let tenant = new_tenant();
    assert!(matches!(
        directory.by_code(&tenant.code).await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        directory.by_id(tenant.id).await,
        Err(RepoError::NotFound)
    ));
}

/// A second tenant cannot take a code in use.
pub async fn a_taken_code_conflicts(directory: &dyn TenantDirectory) {
    let first = new_tenant();
    directory.insert(&first).await.unwrap();
    let second = Tenant {
        code: first.code.clone(),
        ..new_tenant()
    };
    let result = directory.insert(&second).await;
    assert!(
        matches!(result, Err(RepoError::Conflict("tenant.code"))),
        "{result:?}"
    );
    assert!(matches!(
        directory.by_id(second.id).await,
        Err(RepoError::NotFound)
    ));
}
