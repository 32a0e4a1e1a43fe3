//! The contract of [`RequestGate`]: one call answers as the adapter's own rate limiter, token
//! store and cache would, one by one.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use cubby_domain::{SessionId, TenantId};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    Cache, CacheKey, GateReads, LimitKey, RateLimiter, RequestGate, SeparateCalls, TokenStore, Ttl,
};

/// Runs every gate case against the [`Gated`] `$make` resolves to.
#[macro_export]
macro_rules! request_gate_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!($crate::contract::gate, $($make)+, [
            hits_count_on_the_rate_limiters_counters,
            a_token_blocked_through_the_token_store_reads_blocked,
            a_session_ended_through_the_token_store_blocks_its_tokens,
            cached_entries_read_back_in_order_and_absent_ones_as_none,
            one_call_answers_every_read_together,
            concurrent_admissions_count_every_hit,
            nothing_asked_is_an_empty_answer,
        ]);
    };
}

/// A gate with the adapter's own limiter, token store and cache beside it, which the cases
/// write through and check against.
#[derive(Clone)]
pub struct Gated {
    /// The gate under test.
    pub gate: Arc<dyn RequestGate>,
    /// The same adapter's counters.
    pub limits: Arc<dyn RateLimiter>,
    /// The same adapter's blocklist.
    pub tokens: Arc<dyn TokenStore>,
    /// The same adapter's cache.
    pub cache: Arc<dyn Cache>,
}

impl std::fmt::Debug for Gated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gated").finish_non_exhaustive()
    }
}

impl Gated {
    /// An adapter that is all three ports, with its own gate.
    pub fn of<S>(store: S) -> Self
    where
        S: RequestGate + RateLimiter + TokenStore + Cache + Clone + 'static,
    {
        Self {
            gate: Arc::new(store.clone()),
            limits: Arc::new(store.clone()),
            tokens: Arc::new(store.clone()),
            cache: Arc::new(store),
        }
    }

    /// An adapter that is all three ports, behind [`SeparateCalls`].
    pub fn separate<S>(store: S) -> Self
    where
        S: RateLimiter + TokenStore + Cache + Clone + 'static,
    {
        let limits: Arc<dyn RateLimiter> = Arc::new(store.clone());
        let tokens: Arc<dyn TokenStore> = Arc::new(store.clone());
        let cache: Arc<dyn Cache> = Arc::new(store);
        Self {
            gate: Arc::new(SeparateCalls {
                limits: limits.clone(),
                tokens: tokens.clone(),
                cache: cache.clone(),
            }),
            limits,
            tokens,
            cache,
        }
    }
}

fn counter() -> LimitKey {
    LimitKey::requests_from(IpAddr::V6(Ipv6Addr::from(Uuid::now_v7().as_u128())))
}

fn entry() -> CacheKey {
    CacheKey::tenant_by_id(TenantId::from_uuid(Uuid::now_v7()))
}

fn jti() -> String {
    Uuid::now_v7().to_string()
}

/// Blocks `jti` through the token store for five minutes.
async fn block(gated: &Gated, jti: &str) {
    let until = OffsetDateTime::now_utc() + time::Duration::minutes(5);
    gated.tokens.block_access(jti, until).await.unwrap();
}

fn minute() -> Ttl {
    Ttl::new(Duration::from_secs(60)).unwrap()
}

/// Hits through the gate and through the limiter add up on one counter, each in its window.
pub async fn hits_count_on_the_rate_limiters_counters(gated: &Gated) {
    let (key, window) = (counter(), Duration::from_secs(60));
    let reads = GateReads {
        hits: vec![(key.clone(), window)],
        ..GateReads::default()
    };
    let first = gated.gate.admit(&reads).await.unwrap();
    assert_eq!(first.windows.len(), 1);
    assert_eq!(first.windows[0].count, 1);
    assert!(
        first.windows[0].resets_in > Duration::ZERO && first.windows[0].resets_in <= window,
        "{first:?}"
    );
    assert_eq!(gated.limits.hit(&key, window).await.unwrap().count, 2);
    assert_eq!(gated.gate.admit(&reads).await.unwrap().windows[0].count, 3);
    assert_eq!(gated.limits.current(&key).await.unwrap().count, 3);
}

/// The blocklist the token store writes is the one the gate reads.
pub async fn a_token_blocked_through_the_token_store_reads_blocked(gated: &Gated) {
    let (blocked, other) = (jti(), jti());
    block(gated, &blocked).await;
    let asks = |jti: &str| GateReads {
        blocked: Some(jti.to_owned()),
        ..GateReads::default()
    };
    assert!(gated.gate.admit(&asks(&blocked)).await.unwrap().blocked);
    assert!(!gated.gate.admit(&asks(&other)).await.unwrap().blocked);
}

/// A session the token store ended reads as blocked, whichever token of it asks and whether or
/// not that token's own id is blocked; a session not ended leaves the answer to the token's id.
pub async fn a_session_ended_through_the_token_store_blocks_its_tokens(gated: &Gated) {
    let (ended, live) = (
        SessionId::from_uuid(Uuid::now_v7()),
        SessionId::from_uuid(Uuid::now_v7()),
    );
    let until = OffsetDateTime::now_utc() + time::Duration::minutes(5);
    gated.tokens.end_session(ended, until).await.unwrap();
    let blocked_jti = jti();
    block(gated, &blocked_jti).await;
    let asks = |jti: &str, session: SessionId| GateReads {
        blocked: Some(jti.to_owned()),
        session: Some(session),
        ..GateReads::default()
    };
    for token in [jti(), jti(), blocked_jti.clone()] {
        assert!(
            gated
                .gate
                .admit(&asks(&token, ended))
                .await
                .unwrap()
                .blocked
        );
    }
    assert!(!gated.gate.admit(&asks(&jti(), live)).await.unwrap().blocked);
    assert!(
        gated
            .gate
            .admit(&asks(&blocked_jti, live))
            .await
            .unwrap()
            .blocked
    );
    // Asked without a token id, with the cache and counters around it, the answer keeps its
    // shape.
    let (counter, cached) = (counter(), entry());
    gated.cache.put(&cached, b"entry", minute()).await.unwrap();
    let answer = gated
        .gate
        .admit(&GateReads {
            hits: vec![(counter, Duration::from_secs(60))],
            blocked: None,
            session: Some(ended),
            cached: vec![cached],
        })
        .await
        .unwrap();
    assert!(answer.blocked);
    assert_eq!(answer.windows.len(), 1);
    assert_eq!(answer.cached, vec![Some(b"entry".to_vec())]);
}

/// Entries come back byte for byte in the order asked, an absent one as `None`.
pub async fn cached_entries_read_back_in_order_and_absent_ones_as_none(gated: &Gated) {
    let (a, absent, b) = (entry(), entry(), entry());
    gated.cache.put(&a, b"\x00a\xff", minute()).await.unwrap();
    gated.cache.put(&b, b"{\"b\":1}", minute()).await.unwrap();
    let reads = GateReads {
        cached: vec![b.clone(), absent, a.clone(), b],
        ..GateReads::default()
    };
    let answer = gated.gate.admit(&reads).await.unwrap();
    assert_eq!(
        answer.cached,
        vec![
            Some(b"{\"b\":1}".to_vec()),
            None,
            Some(b"\x00a\xff".to_vec()),
            Some(b"{\"b\":1}".to_vec()),
        ]
    );
    assert!(answer.windows.is_empty());
    assert!(!answer.blocked);
}

/// Two counters, the blocklist and entries in one call, each answered as asked alone.
pub async fn one_call_answers_every_read_together(gated: &Gated) {
    let (address, tenant) = (counter(), counter());
    let (blocked, cached) = (jti(), entry());
    gated
        .limits
        .hit(&tenant, Duration::from_secs(60))
        .await
        .unwrap();
    block(gated, &blocked).await;
    gated.cache.put(&cached, b"value", minute()).await.unwrap();
    let reads = GateReads {
        hits: vec![
            (address, Duration::from_secs(60)),
            (tenant, Duration::from_secs(30)),
        ],
        blocked: Some(blocked),
        session: Some(SessionId::from_uuid(Uuid::now_v7())),
        cached: vec![entry(), cached],
    };
    let answer = gated.gate.admit(&reads).await.unwrap();
    let counts: Vec<u32> = answer.windows.iter().map(|w| w.count).collect();
    assert_eq!(counts, [1, 2]);
    assert!(answer.windows[1].resets_in > Duration::from_secs(30));
    assert!(answer.blocked);
    assert_eq!(answer.cached, vec![None, Some(b"value".to_vec())]);
}

/// Twenty concurrent admissions on one counter count twenty.
pub async fn concurrent_admissions_count_every_hit(gated: &Gated) {
    let reads = GateReads {
        hits: vec![(counter(), Duration::from_secs(60))],
        ..GateReads::default()
    };
    let answers = futures::future::join_all((0..20).map(|_| gated.gate.admit(&reads))).await;
    let mut counts: Vec<u32> = answers
        .into_iter()
        .map(|a| a.unwrap().windows[0].count)
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<_>>());
}

/// Asking nothing answers nothing.
pub async fn nothing_asked_is_an_empty_answer(gated: &Gated) {
    let answer = gated.gate.admit(&GateReads::default()).await.unwrap();
    assert_eq!(answer, crate::GateAnswer::default());
}
