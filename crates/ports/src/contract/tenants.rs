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
    ($($make:tt)+) => {
        $crate::__contract_cases!(
            $crate::contract::tenants,
            $($make)+,
            [
                a_tenant_is_found_by_code_and_by_id,
                an_unknown_tenant_is_not_found,
                a_taken_code_conflicts,
                an_update_with_the_read_version_is_stored,
                an_update_with_a_stale_version_is_refused_and_changes_nothing,
                an_update_of_an_unknown_tenant_is_not_found,
                tenant_ids_come_in_order_a_page_at_a_time,
            ]
        );
    };
}

/// A tenant with a code no other case uses.
pub fn new_tenant() -> Tenant {
    let id = TenantId::from_uuid(Uuid::now_v7());
    let code = format!("t-{}", id.uuid().simple());
    Tenant::restore(cubby_domain::TenantParts {
        id,
        code: TenantCode::parse(&code[..40.min(code.len())]).unwrap(),
        name: TenantName::parse("Sunny Days Early Learning").unwrap(),
        time_zone: TimeZone::parse("Australia/Sydney").unwrap(),
        status: TenantStatus::Active,
        // Not the defaults, so a store that drops settings fails the round trip.
        settings: cubby_domain::CentreSettings {
            ratio_enforcement: cubby_domain::RatioEnforcement::Refuse,
            closing_time: Some(time::macros::time!(18:15)),
        },
        audit: Audit::created(Actor::User(UserId::from_uuid(Uuid::now_v7())), at(0)),
        version: Version::FIRST,
    })
}

/// A stored tenant reads back unchanged by its code and by its id.
pub async fn a_tenant_is_found_by_code_and_by_id(directory: &dyn TenantDirectory) {
    let tenant = new_tenant();
    directory.insert(&tenant).await.unwrap();
    assert_eq!(directory.by_code(tenant.code()).await.unwrap(), tenant);
    assert_eq!(directory.by_id(tenant.id()).await.unwrap(), tenant);
}

/// Codes and ids that were never stored are not found.
pub async fn an_unknown_tenant_is_not_found(directory: &dyn TenantDirectory) {
    let tenant = new_tenant();
    assert!(matches!(
        directory.by_code(tenant.code()).await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        directory.by_id(tenant.id()).await,
        Err(RepoError::NotFound)
    ));
}

/// A second tenant cannot take a code in use.
pub async fn a_taken_code_conflicts(directory: &dyn TenantDirectory) {
    let first = new_tenant();
    directory.insert(&first).await.unwrap();
    let second = Tenant::restore(cubby_domain::TenantParts {
        code: first.code().clone(),
        ..new_tenant().into_parts()
    });
    let result = directory.insert(&second).await;
    assert!(
        matches!(result, Err(RepoError::Conflict("tenant.code"))),
        "{result:?}"
    );
    assert!(matches!(
        directory.by_id(second.id()).await,
        Err(RepoError::NotFound)
    ));
}

fn suspended(tenant: &Tenant) -> Tenant {
    Tenant::restore(cubby_domain::TenantParts {
        status: TenantStatus::Suspended,
        audit: tenant
            .audit()
            .touched(Actor::User(UserId::from_uuid(Uuid::now_v7())), at(5)),
        version: tenant.version().next(),
        ..tenant.clone().into_parts()
    })
}

/// An update naming the stored version is stored and read back by id and by code.
pub async fn an_update_with_the_read_version_is_stored(directory: &dyn TenantDirectory) {
    let tenant = new_tenant();
    directory.insert(&tenant).await.unwrap();
    let changed = suspended(&tenant);
    directory.update(&changed, tenant.version()).await.unwrap();
    assert_eq!(directory.by_id(tenant.id()).await.unwrap(), changed);
    assert_eq!(directory.by_code(tenant.code()).await.unwrap(), changed);
}

/// An update naming an older version is refused and changes nothing.
pub async fn an_update_with_a_stale_version_is_refused_and_changes_nothing(
    directory: &dyn TenantDirectory,
) {
    let tenant = new_tenant();
    directory.insert(&tenant).await.unwrap();
    let changed = suspended(&tenant);
    directory.update(&changed, tenant.version()).await.unwrap();
    let late = Tenant::restore(cubby_domain::TenantParts {
        name: TenantName::parse("Late").unwrap(),
        ..suspended(&tenant).into_parts()
    });
    let result = directory.update(&late, tenant.version()).await;
    assert!(matches!(result, Err(RepoError::StaleVersion)), "{result:?}");
    assert_eq!(directory.by_id(tenant.id()).await.unwrap(), changed);
}

/// Updating a tenant that was never stored is not found.
pub async fn an_update_of_an_unknown_tenant_is_not_found(directory: &dyn TenantDirectory) {
    let tenant = new_tenant();
    let result = directory
        .update(&suspended(&tenant), tenant.version())
        .await;
    assert!(matches!(result, Err(RepoError::NotFound)), "{result:?}");
}

/// Every tenant's id comes, in order, a page at a time.
pub async fn tenant_ids_come_in_order_a_page_at_a_time(directory: &dyn TenantDirectory) {
    let mut mine = Vec::new();
    for _ in 0..3 {
        let tenant = new_tenant();
        directory.insert(&tenant).await.unwrap();
        mine.push(tenant.id());
    }
    // Other cases share the store: walk it all and look for ours, in order.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = directory.tenant_ids(after, 2).await.unwrap();
        assert!(page.len() <= 2);
        for pair in page.windows(2) {
            assert!(pair[0] < pair[1]);
        }
        if let (Some(last), Some(first)) = (after, page.first()) {
            assert!(last < *first);
        }
        let Some(last) = page.last().copied() else {
            break;
        };
        seen.extend(page);
        after = Some(last);
    }
    let found: Vec<TenantId> = seen.into_iter().filter(|id| mine.contains(id)).collect();
    assert_eq!(found, mine, "ids are minted in time order");
}
