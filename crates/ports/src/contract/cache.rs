//! The contract of [`Cache`].

use std::time::Duration;

use cubby_domain::{MembershipId, TenantId};
use uuid::Uuid;

use crate::{Cache, CacheKey, Ttl};

/// Runs every cache case against the cache `$make` resolves to.
#[macro_export]
macro_rules! cache_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!($crate::contract::cache, $($make)+, [
            a_stored_value_reads_back,
            an_absent_key_is_a_miss,
            a_put_replaces_and_a_remove_forgets,
            an_entry_expires_after_its_ttl,
            keys_of_different_tenants_never_meet,
            permission_entries_are_keyed_by_entitlements_version,
        ]);
    };
}

fn key() -> CacheKey {
    CacheKey::tenant_by_id(TenantId::from_uuid(Uuid::now_v7()))
}

fn ttl(seconds: u64) -> Ttl {
    Ttl::new(Duration::from_secs(seconds)).unwrap()
}

/// A value reads back byte for byte.
pub async fn a_stored_value_reads_back(cache: &dyn Cache) {
    let key = key();
    let value = b"\x00binary\xffvalue".to_vec();
    cache.put(&key, &value, ttl(60)).await.unwrap();
    assert_eq!(cache.get(&key).await.unwrap(), Some(value));
}

/// A key never written is a miss.
pub async fn an_absent_key_is_a_miss(cache: &dyn Cache) {
    assert_eq!(cache.get(&key()).await.unwrap(), None);
    cache.remove(&key()).await.unwrap();
}

/// A second put replaces the value; a remove forgets it.
pub async fn a_put_replaces_and_a_remove_forgets(cache: &dyn Cache) {
    let key = key();
    cache.put(&key, b"one", ttl(60)).await.unwrap();
    cache.put(&key, b"two", ttl(60)).await.unwrap();
    assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(&b"two"[..]));
    cache.remove(&key).await.unwrap();
    assert_eq!(cache.get(&key).await.unwrap(), None);
}

/// An entry is gone once its TTL has passed.
pub async fn an_entry_expires_after_its_ttl(cache: &dyn Cache) {
    let key = key();
    cache
        .put(
            &key,
            b"brief",
            Ttl::new(Duration::from_millis(300)).unwrap(),
        )
        .await
        .unwrap();
    assert!(cache.get(&key).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(cache.get(&key).await.unwrap(), None);
}

/// Two tenants' keys are different entries.
pub async fn keys_of_different_tenants_never_meet(cache: &dyn Cache) {
    let (a, b) = (key(), key());
    assert_ne!(a, b);
    cache.put(&a, b"a", ttl(60)).await.unwrap();
    assert_eq!(cache.get(&b).await.unwrap(), None);
}

/// A permission entry of one entitlements version is not read at another.
pub async fn permission_entries_are_keyed_by_entitlements_version(cache: &dyn Cache) {
    let (tenant, membership) = (
        TenantId::from_uuid(Uuid::now_v7()),
        MembershipId::from_uuid(Uuid::now_v7()),
    );
    cache
        .put(
            &CacheKey::permissions(tenant, membership, 3),
            b"rooms:read",
            ttl(60),
        )
        .await
        .unwrap();
    assert_eq!(
        cache
            .get(&CacheKey::permissions(tenant, membership, 3))
            .await
            .unwrap()
            .as_deref(),
        Some(&b"rooms:read"[..])
    );
    assert_eq!(
        cache
            .get(&CacheKey::permissions(tenant, membership, 4))
            .await
            .unwrap(),
        None
    );
}
