//! Contract suites: one per port, run against every adapter of that port (the in-memory fake
//! and the real store), so that they cannot behave differently.
//!
//! Each suite is a set of `pub async fn` cases taking the adapter under test, and a macro that
//! expands to one `#[tokio::test]` per case for an adapter crate:
//!
//! ```ignore
//! cubby_ports::room_repository_contract!(async { MemoryStore::default() });
//! ```
//!
//! The expression is awaited once per case. For a real service, write `optional` before it and
//! make it resolve to an `Option`: `None` (the service is not configured, see [`services`])
//! skips the case, or fails it under `CUBBY_REQUIRE_SERVICES=1`. Every case works in tenants of
//! its own, made up on the spot, so cases can share one database and never see each other's
//! data.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "contract cases are tests: a failed expectation must stop the case"
)]

pub mod attendance;
pub mod audit;
pub mod cache;
pub mod children;
pub mod gate;
pub mod idempotency;
pub mod identity;
pub mod invitations;
pub mod jobs;
pub mod limits;
pub mod mail;
pub mod messages;
pub mod objects;
pub mod roles;
pub mod rooms;
pub mod services;
pub mod tenants;
pub mod tokens;
pub mod users;

use cubby_domain::{PermissionSet, TenantId, UserId};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

use crate::TenantScope;

/// A scope in a tenant no other case uses, allowed everything.
pub fn fresh_scope() -> TenantScope {
    scope_in(TenantId::from_uuid(Uuid::now_v7()))
}

/// Another user's scope in `tenant`, allowed everything.
pub fn scope_in(tenant: TenantId) -> TenantScope {
    TenantScope::for_test(
        tenant,
        UserId::from_uuid(Uuid::now_v7()),
        PermissionSet::all(),
    )
}

/// A time with whole milliseconds, as every store keeps it; `minutes` after a fixed start.
pub fn at(minutes: i64) -> OffsetDateTime {
    datetime!(2026-09-01 07:00:00.123 UTC) + time::Duration::minutes(minutes)
}

/// Checks a list's order both ways and its paging: `list(direction, page)` answers the ids of
/// `oldest_first` in that order ascending, in reverse descending, and the second alone (with
/// the whole count as its total) for a page of one item after one.
///
/// # Panics
///
/// When the store answers otherwise, or fails.
pub async fn assert_sorts_both_ways<Item, Id, List, Answer>(
    list: List,
    id: impl Fn(&Item) -> Id,
    oldest_first: &[Id],
) where
    Id: PartialEq + std::fmt::Debug + Clone,
    List: Fn(crate::SortDirection, crate::PageRequest) -> Answer,
    Answer: std::future::Future<Output = Result<crate::Page<Item>, crate::RepoError>>,
{
    use crate::{PageRequest, SortDirection};
    let ids = |page: &crate::Page<Item>| page.items.iter().map(&id).collect::<Vec<_>>();
    let ascending = list(SortDirection::Ascending, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&ascending), oldest_first, "ascending");
    let descending = list(SortDirection::Descending, PageRequest::default())
        .await
        .unwrap();
    let newest_first: Vec<Id> = oldest_first.iter().rev().cloned().collect();
    assert_eq!(ids(&descending), newest_first, "descending");
    let second = list(SortDirection::Ascending, PageRequest::new(1, 1).unwrap())
        .await
        .unwrap();
    assert_eq!(
        (ids(&second), second.total),
        (vec![oldest_first[1].clone()], oldest_first.len() as u64),
        "the second, alone"
    );
}

/// Expands to one `#[tokio::test]` per case of a suite.
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_cases {
    ($suite:path, optional $make:expr, [$($case:ident),* $(,)?]) => {
        $(
            #[tokio::test]
            async fn $case() {
                use $suite as suite;
                if let Some(subject) = $make.await {
                    suite::$case(&subject).await;
                }
            }
        )*
    };
    ($suite:path, $make:expr, [$($case:ident),* $(,)?]) => {
        $(
            #[tokio::test]
            async fn $case() {
                use $suite as suite;
                let subject = $make.await;
                suite::$case(&subject).await;
            }
        )*
    };
}
