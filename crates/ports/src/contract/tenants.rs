//! The contract of [`TenantDirectory`].

use cubby_domain::{
    Actor, Audit, Tenant, TenantCode, TenantId, TenantName, TenantStatus, TimeZone, UserId, Version,
};
use uuid::Uuid;

use super::at;
use crate::{PageRequest, RepoError, TenantDirectory, TenantQuery};

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
                tenants_are_listed_in_code_order_by_prefix_and_status_a_page_at_a_time,
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

/// Tenants come in code order, filtered by the start of their code and by status, a page at a
/// time with the total of the whole selection.
pub async fn tenants_are_listed_in_code_order_by_prefix_and_status_a_page_at_a_time(
    directory: &dyn TenantDirectory,
) {
    // Other cases share the store: a prefix no other tenant has. Inserted out of order.
    let prefix = format!("p{}", &Uuid::now_v7().simple().to_string()[20..]);
    let mut stored = Vec::new();
    for suffix in ["c", "a", "d", "b"] {
        let tenant = Tenant::restore(cubby_domain::TenantParts {
            code: TenantCode::parse(&format!("{prefix}-{suffix}")).unwrap(),
            ..new_tenant().into_parts()
        });
        directory.insert(&tenant).await.unwrap();
        stored.push(tenant);
    }
    // `…-d` is suspended.
    let suspended_one = suspended(&stored[2]);
    directory
        .update(&suspended_one, stored[2].version())
        .await
        .unwrap();
    let codes = |page: &crate::Page<Tenant>| {
        page.items
            .iter()
            .map(|t| t.code().as_str().trim_start_matches(&prefix).to_owned())
            .collect::<Vec<_>>()
    };
    let query = |status, limit, offset| TenantQuery {
        code_prefix: Some(prefix.clone()),
        status,
        direction: crate::SortDirection::Ascending,
        page: PageRequest::new(limit, offset).unwrap(),
    };
    let all = directory.list_tenants(&query(None, 10, 0)).await.unwrap();
    assert_eq!(codes(&all), ["-a", "-b", "-c", "-d"]);
    assert_eq!(all.total, 4);
    assert_eq!(all.items[3], suspended_one);
    let backwards = directory
        .list_tenants(&TenantQuery {
            direction: crate::SortDirection::Descending,
            ..query(None, 3, 0)
        })
        .await
        .unwrap();
    assert_eq!(
        (codes(&backwards), backwards.total),
        (vec!["-d".to_owned(), "-c".to_owned(), "-b".to_owned()], 4)
    );
    let second = directory.list_tenants(&query(None, 2, 2)).await.unwrap();
    assert_eq!(
        (codes(&second), second.total),
        (vec!["-c".to_owned(), "-d".to_owned()], 4)
    );
    let active = directory
        .list_tenants(&query(Some(TenantStatus::Active), 10, 0))
        .await
        .unwrap();
    assert_eq!(
        (codes(&active), active.total),
        (vec!["-a".to_owned(), "-b".to_owned(), "-c".to_owned()], 3)
    );
    let only = directory
        .list_tenants(&query(Some(TenantStatus::Suspended), 10, 0))
        .await
        .unwrap();
    assert_eq!(codes(&only), ["-d"]);
    // A prefix is text, not a pattern: one that is no code's start selects nothing.
    for other in [
        format!("{prefix}-a-"),
        format!("{prefix}.*"),
        format!("^{prefix}"),
    ] {
        let none = directory
            .list_tenants(&TenantQuery {
                code_prefix: Some(other),
                ..TenantQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(none.total, 0);
        assert!(none.items.is_empty());
    }
    // Without filters, ours are among them, still in code order.
    let everyone = directory
        .list_tenants(&TenantQuery {
            page: PageRequest::new(100, 0).unwrap(),
            ..TenantQuery::default()
        })
        .await
        .unwrap();
    assert!(everyone.total >= 4);
    for pair in everyone.items.windows(2) {
        assert!(pair[0].code().as_str() < pair[1].code().as_str());
    }
}
