//! Read-through caching of hot data: the tenant directory, read on every authenticated request.
//!
//! Entries live in the shared [`Cache`] under namespaced, versioned keys with a TTL. Concurrent
//! misses of one key in a process load it once (single flight). Writes through the decorator
//! remove the entries they change; an entry can still be stale for at most its TTL when a
//! reader and a writer race across processes.
//!
//! The tenant lookup is part of verifying every session, and sessions fail closed: when the
//! cache does not answer a read, the lookup answers [`RepoError::Unavailable`] rather than
//! going around it. Failing to store or drop an entry is only logged.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use async_trait::async_trait;
use cubby_domain::{
    Actor, Audit, Tenant, TenantCode, TenantId, TenantName, TenantStatus, TimeZone, Version,
};
use cubby_ports::{Cache, CacheKey, RepoError, TenantDirectory, Ttl};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How long a tenant entry lives.
pub const TENANT_TTL: Duration = Duration::from_secs(60);

/// Hits and misses of a cached reader.
#[derive(Debug, Default)]
pub struct CacheStats {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl CacheStats {
    /// Reads answered from the cache.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Reads that went to the store.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }
}

/// One lock per key being loaded, so that concurrent misses of a key load it once.
#[derive(Debug, Default)]
struct SingleFlight {
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl SingleFlight {
    fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(lock) = locks.get(key).and_then(Weak::upgrade) {
            return lock;
        }
        locks.retain(|_, lock| lock.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(key.to_owned(), Arc::downgrade(&lock));
        lock
    }
}

/// The tenant directory behind the shared cache.
pub struct CachedTenants {
    inner: Arc<dyn TenantDirectory>,
    cache: Arc<dyn Cache>,
    flights: SingleFlight,
    stats: CacheStats,
}

impl std::fmt::Debug for CachedTenants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedTenants")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl CachedTenants {
    /// `inner` read through `cache`.
    pub fn new(inner: Arc<dyn TenantDirectory>, cache: Arc<dyn Cache>) -> Self {
        Self {
            inner,
            cache,
            flights: SingleFlight::default(),
            stats: CacheStats::default(),
        }
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> &CacheStats {
        &self.stats
    }

    async fn cached(&self, key: &CacheKey) -> Result<Option<Tenant>, RepoError> {
        let Some(bytes) = self.cache.get(key).await? else {
            return Ok(None);
        };
        match decode(&bytes) {
            Some(tenant) => Ok(Some(tenant)),
            None => {
                tracing::warn!(cache.key = key.as_str(), "unreadable cache entry dropped");
                self.cache.remove(key).await?;
                Ok(None)
            }
        }
    }

    async fn read_through<F>(&self, key: CacheKey, load: F) -> Result<Tenant, RepoError>
    where
        F: Future<Output = Result<Tenant, RepoError>>,
    {
        if let Some(tenant) = self.cached(&key).await? {
            self.stats.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(tenant);
        }
        let lock = self.flights.lock_for(key.as_str());
        let _loading = lock.lock().await;
        // Another task may have loaded it while this one waited.
        if let Some(tenant) = self.cached(&key).await? {
            self.stats.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(tenant);
        }
        self.stats.misses.fetch_add(1, Ordering::Relaxed);
        let tenant = load.await?;
        if let Some(ttl) = Ttl::new(TENANT_TTL)
            && let Err(error) = self.cache.put(&key, &encode(&tenant), ttl).await
        {
            tracing::warn!(cache.key = key.as_str(), error = %error, "cache unavailable; entry not stored");
        }
        Ok(tenant)
    }

    async fn forget(&self, tenant: &Tenant) {
        for key in [
            CacheKey::tenant_by_id(tenant.id),
            CacheKey::tenant_by_code(&tenant.code),
        ] {
            if let Err(error) = self.cache.remove(&key).await {
                tracing::warn!(cache.key = key.as_str(), error = %error, "cache unavailable; entry left to expire");
            }
        }
    }
}

#[async_trait]
impl TenantDirectory for CachedTenants {
    async fn by_code(&self, code: &TenantCode) -> Result<Tenant, RepoError> {
        self.read_through(CacheKey::tenant_by_code(code), self.inner.by_code(code))
            .await
    }

    async fn by_id(&self, id: TenantId) -> Result<Tenant, RepoError> {
        self.read_through(CacheKey::tenant_by_id(id), self.inner.by_id(id))
            .await
    }

    async fn insert(&self, tenant: &Tenant) -> Result<(), RepoError> {
        self.inner.insert(tenant).await
    }

    async fn update(&self, tenant: &Tenant, expected: Version) -> Result<(), RepoError> {
        let result = self.inner.update(tenant, expected).await;
        self.forget(tenant).await;
        result
    }
}

/// A tenant as cached.
#[derive(Serialize, Deserialize)]
struct TenantEntry {
    id: String,
    code: String,
    name: String,
    time_zone: String,
    status: String,
    created_by: String,
    created_at_ms: i128,
    updated_by: String,
    updated_at_ms: i128,
    version: u64,
}

fn encode(tenant: &Tenant) -> Vec<u8> {
    let entry = TenantEntry {
        id: tenant.id.to_string(),
        code: tenant.code.to_string(),
        name: tenant.name.as_str().to_owned(),
        time_zone: tenant.time_zone.name().to_owned(),
        status: tenant.status.as_str().to_owned(),
        created_by: tenant.audit.created_by().to_string(),
        created_at_ms: tenant.audit.created_at().unix_timestamp_nanos() / 1_000_000,
        updated_by: tenant.audit.updated_by().to_string(),
        updated_at_ms: tenant.audit.updated_at().unix_timestamp_nanos() / 1_000_000,
        version: tenant.version.get(),
    };
    serde_json::to_vec(&entry).unwrap_or_default()
}

fn decode(bytes: &[u8]) -> Option<Tenant> {
    let entry: TenantEntry = serde_json::from_slice(bytes).ok()?;
    let at = |ms: i128| OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000).ok();
    Some(Tenant {
        id: TenantId::parse(&entry.id).ok()?,
        code: TenantCode::parse(&entry.code).ok()?,
        name: TenantName::parse(&entry.name).ok()?,
        time_zone: TimeZone::parse(&entry.time_zone).ok()?,
        status: TenantStatus::parse(&entry.status)?,
        audit: Audit::restore(
            Actor::parse(&entry.created_by).ok()?,
            at(entry.created_at_ms)?,
            Actor::parse(&entry.updated_by).ok()?,
            at(entry.updated_at_ms)?,
        ),
        version: Version::new(entry.version)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cubby_adapters_memory::MemoryStore;
    use cubby_ports::contract::tenants::new_tenant;
    use std::sync::atomic::AtomicUsize;

    /// A directory that counts the loads reaching it and can be slowed down.
    struct Counting {
        inner: MemoryStore,
        loads: AtomicUsize,
    }

    #[async_trait]
    impl TenantDirectory for Counting {
        async fn by_code(&self, code: &TenantCode) -> Result<Tenant, RepoError> {
            self.loads.fetch_add(1, Ordering::SeqCst);
            self.inner.by_code(code).await
        }
        async fn by_id(&self, id: TenantId) -> Result<Tenant, RepoError> {
            self.loads.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.inner.by_id(id).await
        }
        async fn insert(&self, tenant: &Tenant) -> Result<(), RepoError> {
            self.inner.insert(tenant).await
        }
        async fn update(&self, tenant: &Tenant, expected: Version) -> Result<(), RepoError> {
            self.inner.update(tenant, expected).await
        }
    }

    fn cached() -> (Arc<Counting>, CachedTenants) {
        let counting = Arc::new(Counting {
            inner: MemoryStore::default(),
            loads: AtomicUsize::new(0),
        });
        let cached = CachedTenants::new(counting.clone(), Arc::new(MemoryStore::default()));
        (counting, cached)
    }

    #[tokio::test]
    async fn a_second_read_is_a_hit_and_an_entry_round_trips() {
        let (counting, cached) = cached();
        let tenant = new_tenant();
        cached.insert(&tenant).await.unwrap();
        assert_eq!(cached.by_id(tenant.id).await.unwrap(), tenant);
        assert_eq!(cached.by_id(tenant.id).await.unwrap(), tenant);
        assert_eq!(counting.loads.load(Ordering::SeqCst), 1);
        assert_eq!((cached.stats().hits(), cached.stats().misses()), (1, 1));
    }

    #[tokio::test]
    async fn concurrent_misses_load_once() {
        let (counting, cached) = cached();
        let tenant = new_tenant();
        cached.insert(&tenant).await.unwrap();
        let reads = futures::future::join_all((0..20).map(|_| cached.by_id(tenant.id))).await;
        assert!(reads.iter().all(|r| r.as_ref().is_ok_and(|t| *t == tenant)));
        assert_eq!(
            counting.loads.load(Ordering::SeqCst),
            1,
            "a stampede reached the store"
        );
    }

    #[tokio::test]
    async fn an_update_through_the_cache_is_seen_by_the_next_read() {
        let (_, cached) = cached();
        let tenant = new_tenant();
        cached.insert(&tenant).await.unwrap();
        assert_eq!(
            cached.by_code(&tenant.code).await.unwrap().status,
            TenantStatus::Active
        );
        assert_eq!(
            cached.by_id(tenant.id).await.unwrap().status,
            TenantStatus::Active
        );
        let suspended = Tenant {
            status: TenantStatus::Suspended,
            version: tenant.version.next(),
            ..tenant.clone()
        };
        cached.update(&suspended, tenant.version).await.unwrap();
        assert_eq!(
            cached.by_id(tenant.id).await.unwrap().status,
            TenantStatus::Suspended
        );
        assert_eq!(
            cached.by_code(&tenant.code).await.unwrap().status,
            TenantStatus::Suspended
        );
    }

    /// A cache that never answers.
    struct Down;

    #[async_trait]
    impl Cache for Down {
        async fn get(&self, _: &CacheKey) -> Result<Option<Vec<u8>>, RepoError> {
            Err(RepoError::Unavailable("down".into()))
        }
        async fn put(&self, _: &CacheKey, _: &[u8], _: Ttl) -> Result<(), RepoError> {
            Err(RepoError::Unavailable("down".into()))
        }
        async fn remove(&self, _: &CacheKey) -> Result<(), RepoError> {
            Err(RepoError::Unavailable("down".into()))
        }
    }

    #[tokio::test]
    async fn a_cache_that_does_not_answer_fails_the_lookup_closed() {
        let store = MemoryStore::default();
        let tenant = new_tenant();
        store.insert(&tenant).await.unwrap();
        let cached = CachedTenants::new(Arc::new(store), Arc::new(Down));
        assert!(matches!(
            cached.by_id(tenant.id).await,
            Err(RepoError::Unavailable(_))
        ));
        let suspended = Tenant {
            status: TenantStatus::Suspended,
            version: tenant.version.next(),
            ..tenant.clone()
        };
        cached.update(&suspended, tenant.version).await.unwrap();
    }

    #[tokio::test]
    async fn missing_tenants_are_not_cached() {
        let (counting, cached) = cached();
        let tenant = new_tenant();
        assert!(matches!(
            cached.by_id(tenant.id).await,
            Err(RepoError::NotFound)
        ));
        cached.insert(&tenant).await.unwrap();
        assert_eq!(cached.by_id(tenant.id).await.unwrap(), tenant);
        assert_eq!(counting.loads.load(Ordering::SeqCst), 2);
    }
}
