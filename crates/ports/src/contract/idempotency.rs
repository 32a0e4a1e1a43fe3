//! The contract of [`IdempotencyStore`].

use std::time::Duration;

use super::{fresh_scope, scope_in};
use crate::{Claim, Fingerprint, IdempotencyKey, IdempotencyStore, StoredResponse};

/// Runs every idempotency store case against the store `$make` resolves to.
#[macro_export]
macro_rules! idempotency_store_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!($crate::contract::idempotency, $($make)+, [
            a_free_key_is_claimed_then_reports_in_flight,
            a_completed_key_replays_its_response,
            a_released_key_can_be_claimed_again,
            a_lapsed_claim_frees_the_key,
            keys_are_scoped_by_tenant_and_actor,
            of_concurrent_claims_exactly_one_wins,
        ]);
    };
}

const LONG: Duration = Duration::from_secs(60);

fn key(name: &str) -> IdempotencyKey {
    IdempotencyKey::parse(name).unwrap()
}

fn response() -> StoredResponse {
    StoredResponse {
        status: 201,
        headers: vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("etag".to_owned(), "\"1\"".to_owned()),
        ],
        body: br#"{"id":"room_01h455vb4pex5vsknk084sn02q"}"#.to_vec(),
    }
}

/// Claiming a free key wins; claiming it again reports the running request.
pub async fn a_free_key_is_claimed_then_reports_in_flight(store: &dyn IdempotencyStore) {
    let scope = fresh_scope();
    let print = Fingerprint([1; 32]);
    assert_eq!(
        store.claim(&scope, &key("k-1"), print, LONG).await.unwrap(),
        Claim::Claimed
    );
    assert_eq!(
        store
            .claim(&scope, &key("k-1"), Fingerprint([2; 32]), LONG)
            .await
            .unwrap(),
        Claim::InFlight { fingerprint: print }
    );
}

/// Once completed, the key answers with the stored response and its fingerprint.
pub async fn a_completed_key_replays_its_response(store: &dyn IdempotencyStore) {
    let scope = fresh_scope();
    let print = Fingerprint([3; 32]);
    store.claim(&scope, &key("k-2"), print, LONG).await.unwrap();
    store
        .complete(&scope, &key("k-2"), print, &response(), LONG)
        .await
        .unwrap();
    assert_eq!(
        store.claim(&scope, &key("k-2"), print, LONG).await.unwrap(),
        Claim::Completed {
            fingerprint: print,
            response: response()
        }
    );
}

/// A released key is free again.
pub async fn a_released_key_can_be_claimed_again(store: &dyn IdempotencyStore) {
    let scope = fresh_scope();
    store
        .claim(&scope, &key("k-3"), Fingerprint([4; 32]), LONG)
        .await
        .unwrap();
    store.release(&scope, &key("k-3")).await.unwrap();
    assert_eq!(
        store
            .claim(&scope, &key("k-3"), Fingerprint([5; 32]), LONG)
            .await
            .unwrap(),
        Claim::Claimed
    );
}

/// A claim that is neither completed nor released lapses.
pub async fn a_lapsed_claim_frees_the_key(store: &dyn IdempotencyStore) {
    let scope = fresh_scope();
    store
        .claim(
            &scope,
            &key("k-4"),
            Fingerprint([6; 32]),
            Duration::from_millis(300),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        store
            .claim(&scope, &key("k-4"), Fingerprint([6; 32]), LONG)
            .await
            .unwrap(),
        Claim::Claimed
    );
}

/// The same key of another tenant, or of another user of the same tenant, is another record.
pub async fn keys_are_scoped_by_tenant_and_actor(store: &dyn IdempotencyStore) {
    let scope = fresh_scope();
    let print = Fingerprint([7; 32]);
    store
        .claim(&scope, &key("shared"), print, LONG)
        .await
        .unwrap();
    store
        .complete(&scope, &key("shared"), print, &response(), LONG)
        .await
        .unwrap();
    assert_eq!(
        store
            .claim(&fresh_scope(), &key("shared"), print, LONG)
            .await
            .unwrap(),
        Claim::Claimed
    );
    let colleague = scope_in(scope.tenant_id());
    assert_eq!(
        store
            .claim(&colleague, &key("shared"), print, LONG)
            .await
            .unwrap(),
        Claim::Claimed
    );
}

/// Of ten concurrent claims of a free key, exactly one wins.
pub async fn of_concurrent_claims_exactly_one_wins(store: &dyn IdempotencyStore) {
    let scope = fresh_scope();
    let print = Fingerprint([8; 32]);
    let race = key("race");
    let claims =
        futures::future::join_all((0..10).map(|_| store.claim(&scope, &race, print, LONG))).await;
    let winners = claims
        .iter()
        .filter(|c| matches!(c, Ok(Claim::Claimed)))
        .count();
    assert_eq!(winners, 1, "{claims:?}");
    assert!(
        claims
            .iter()
            .all(|c| matches!(c, Ok(Claim::Claimed) | Ok(Claim::InFlight { .. })))
    );
}
