//! The contract of [`AuditLog`].

use cubby_domain::{Actor, AuditAction, AuditEvent, AuditEventId, UserId};
use uuid::Uuid;

use super::{at, fresh_scope};
use crate::{AuditLog, AuditQuery, PageRequest};

/// Runs every audit log case against the log `$make` resolves to.
#[macro_export]
macro_rules! audit_log_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!($crate::contract::audit, $($make)+, [
            events_read_back_newest_first,
            events_sort_by_time_both_ways,
            events_filter_by_actor_action_target_and_time,
            another_tenant_sees_no_event,
        ]);
    };
}

fn event(
    minute: i64,
    actor: Option<Actor>,
    action: AuditAction,
    target: Option<&str>,
) -> AuditEvent {
    AuditEvent {
        id: AuditEventId::from_uuid(Uuid::now_v7()),
        at: at(minute),
        actor,
        action,
        target: target.map(str::to_owned),
        details: vec![("mode".to_owned(), "bearer".to_owned())],
    }
}

/// Appended events read back unchanged, newest first, with a total.
pub async fn events_read_back_newest_first(log: &dyn AuditLog) {
    let scope = fresh_scope();
    let user = Actor::User(UserId::from_uuid(Uuid::now_v7()));
    let first = event(0, Some(user.clone()), AuditAction::Login, Some("ses_x"));
    let second = event(1, None, AuditAction::LoginFailed, None);
    log.append(&scope, &first).await.unwrap();
    log.append(&scope, &second).await.unwrap();
    let page = log
        .list_events(&scope, &AuditQuery::default())
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items, vec![second, first]);
}

/// Filters narrow the list and the total.
pub async fn events_filter_by_actor_action_target_and_time(log: &dyn AuditLog) {
    let scope = fresh_scope();
    let alice = Actor::User(UserId::from_uuid(Uuid::now_v7()));
    let bob = Actor::User(UserId::from_uuid(Uuid::now_v7()));
    log.append(
        &scope,
        &event(0, Some(alice.clone()), AuditAction::Login, Some("t1")),
    )
    .await
    .unwrap();
    log.append(
        &scope,
        &event(5, Some(bob.clone()), AuditAction::Login, Some("t2")),
    )
    .await
    .unwrap();
    log.append(
        &scope,
        &event(10, Some(alice.clone()), AuditAction::Logout, Some("t1")),
    )
    .await
    .unwrap();
    assert_eq!(
        total(
            log,
            &scope,
            AuditQuery {
                actor: Some(alice.to_string()),
                ..AuditQuery::default()
            }
        )
        .await,
        2
    );
    assert_eq!(
        total(
            log,
            &scope,
            AuditQuery {
                action: Some(AuditAction::Login),
                ..AuditQuery::default()
            }
        )
        .await,
        2
    );
    assert_eq!(
        total(
            log,
            &scope,
            AuditQuery {
                target: Some("t2".to_owned()),
                ..AuditQuery::default()
            }
        )
        .await,
        1
    );
    assert_eq!(
        total(
            log,
            &scope,
            AuditQuery {
                from: Some(at(5)),
                ..AuditQuery::default()
            }
        )
        .await,
        2
    );
    assert_eq!(
        total(
            log,
            &scope,
            AuditQuery {
                until: Some(at(5)),
                ..AuditQuery::default()
            }
        )
        .await,
        1
    );
    let paged = AuditQuery {
        page: PageRequest::new(1, 1).unwrap(),
        ..AuditQuery::default()
    };
    let page = log.list_events(&scope, &paged).await.unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].at, at(5));
}

async fn total(log: &dyn AuditLog, scope: &crate::TenantScope, query: AuditQuery) -> u64 {
    log.list_events(scope, &query).await.unwrap().total
}

/// Another tenant's log is another log.
pub async fn another_tenant_sees_no_event(log: &dyn AuditLog) {
    let scope = fresh_scope();
    log.append(&scope, &event(0, None, AuditAction::LoginFailed, None))
        .await
        .unwrap();
    let elsewhere = log
        .list_events(&fresh_scope(), &AuditQuery::default())
        .await
        .unwrap();
    assert_eq!(elsewhere.total, 0);
    assert!(elsewhere.items.is_empty());
}

/// Events sort by time either way, and page in that order.
pub async fn events_sort_by_time_both_ways(log: &dyn AuditLog) {
    let scope = fresh_scope();
    let events: Vec<AuditEvent> = (0..3)
        .map(|minute| event(minute, None, AuditAction::LoginFailed, None))
        .collect();
    for e in [&events[1], &events[2], &events[0]] {
        log.append(&scope, e).await.unwrap();
    }
    let in_scope = &scope;
    let list = |direction, page| {
        let query = AuditQuery {
            direction,
            page,
            ..AuditQuery::default()
        };
        async move { log.list_events(in_scope, &query).await }
    };
    let oldest_first = [events[0].id, events[1].id, events[2].id];
    super::assert_sorts_both_ways(list, |e: &AuditEvent| e.id, &oldest_first).await;
}
