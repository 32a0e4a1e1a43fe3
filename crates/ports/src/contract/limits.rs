//! The contract of [`RateLimiter`].

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use uuid::Uuid;

use crate::{LimitKey, RateLimiter};

/// Runs every rate limiter case against the limiter `$make` resolves to.
#[macro_export]
macro_rules! rate_limiter_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!($crate::contract::limits, $($make)+, [
            hits_count_up_within_a_window_and_reset_after_it,
            a_cleared_counter_starts_again,
            counters_do_not_share_hits,
            concurrent_hits_are_all_counted,
        ]);
    };
}

fn key() -> LimitKey {
    LimitKey::failed_logins_for_account(
        Uuid::now_v7()
            .as_u128()
            .to_le_bytes()
            .repeat(2)
            .as_slice()
            .try_into()
            .unwrap(),
    )
}

/// Hits add up within the window, which the first hit opens; after it the count starts over.
pub async fn hits_count_up_within_a_window_and_reset_after_it(limiter: &dyn RateLimiter) {
    let key = key();
    assert_eq!(limiter.current(&key).await.unwrap().count, 0);
    let window = Duration::from_millis(700);
    assert_eq!(limiter.hit(&key, window).await.unwrap().count, 1);
    let second = limiter.hit(&key, window).await.unwrap();
    assert_eq!(second.count, 2);
    assert!(
        second.resets_in > Duration::ZERO && second.resets_in <= window,
        "{second:?}"
    );
    assert_eq!(limiter.current(&key).await.unwrap().count, 2);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(limiter.current(&key).await.unwrap().count, 0);
    assert_eq!(limiter.hit(&key, window).await.unwrap().count, 1);
}

/// Clearing forgets the count.
pub async fn a_cleared_counter_starts_again(limiter: &dyn RateLimiter) {
    let key = key();
    for _ in 0..3 {
        limiter.hit(&key, Duration::from_secs(60)).await.unwrap();
    }
    limiter.clear(&key).await.unwrap();
    assert_eq!(limiter.current(&key).await.unwrap().count, 0);
}

/// Different keys count separately.
pub async fn counters_do_not_share_hits(limiter: &dyn RateLimiter) {
    let (a, b) = (
        key(),
        LimitKey::failed_logins_from(IpAddr::V6(Ipv6Addr::from(Uuid::now_v7().as_u128()))),
    );
    limiter.hit(&a, Duration::from_secs(60)).await.unwrap();
    assert_eq!(limiter.current(&b).await.unwrap().count, 0);
}

/// Twenty concurrent hits count twenty.
pub async fn concurrent_hits_are_all_counted(limiter: &dyn RateLimiter) {
    let key = key();
    let results =
        futures::future::join_all((0..20).map(|_| limiter.hit(&key, Duration::from_secs(60))))
            .await;
    let mut counts: Vec<u32> = results.into_iter().map(|r| r.unwrap().count).collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<_>>());
}
