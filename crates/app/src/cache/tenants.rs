//! The tenant directory behind the shared cache: by id and by code, both dropped on update.

use std::sync::Arc;

use async_trait::async_trait;
use cubby_domain::{Tenant, TenantCode, TenantId, Version};
use cubby_ports::{Cache, CacheKey, Page, RepoError, TenantDirectory, TenantQuery};

use super::read_through::ReadThrough;
use super::{CacheStats, TENANT_TTL};

/// The tenant directory behind the shared cache.
pub struct CachedTenants {
    inner: Arc<dyn TenantDirectory>,
    cache: ReadThrough,
}

impl std::fmt::Debug for CachedTenants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedTenants")
            .field("stats", &self.cache.stats)
            .finish_non_exhaustive()
    }
}

impl CachedTenants {
    /// `inner` read through `cache`.
    pub fn new(inner: Arc<dyn TenantDirectory>, cache: Arc<dyn Cache>) -> Self {
        Self {
            inner,
            cache: ReadThrough::new("tenants", cache),
        }
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> &CacheStats {
        &self.cache.stats
    }
}

#[async_trait]
impl TenantDirectory for CachedTenants {
    async fn by_code(&self, code: &TenantCode) -> Result<Tenant, RepoError> {
        self.cache
            .get(
                CacheKey::tenant_by_code(code),
                TENANT_TTL,
                self.inner.by_code(code),
            )
            .await
    }

    async fn by_id(&self, id: TenantId) -> Result<Tenant, RepoError> {
        self.cache
            .get(CacheKey::tenant_by_id(id), TENANT_TTL, self.inner.by_id(id))
            .await
    }

    async fn insert(&self, tenant: &Tenant) -> Result<(), RepoError> {
        self.inner.insert(tenant).await
    }

    async fn update(&self, tenant: &Tenant, expected: Version) -> Result<(), RepoError> {
        let result = self.inner.update(tenant, expected).await;
        self.cache
            .forget(&[
                CacheKey::tenant_by_id(tenant.id()),
                CacheKey::tenant_by_code(tenant.code()),
            ])
            .await;
        result
    }

    async fn tenant_ids(
        &self,
        after: Option<TenantId>,
        limit: u32,
    ) -> Result<Vec<TenantId>, RepoError> {
        self.inner.tenant_ids(after, limit).await
    }

    /// Read from the directory itself: an operator's list is rare, and must show every change.
    async fn list_tenants(&self, query: &TenantQuery) -> Result<Page<Tenant>, RepoError> {
        self.inner.list_tenants(query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::read_through::Entry;
    use crate::cache::{remember, remembering};
    use cubby_adapters_memory::MemoryStore;
    use cubby_domain::TenantStatus;
    use cubby_ports::Ttl;
    use cubby_ports::contract::tenants::new_tenant;
    use cubby_ports::mocks::MockCache;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A directory that counts the loads reaching it and is slow to answer.
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
        async fn tenant_ids(
            &self,
            after: Option<TenantId>,
            limit: u32,
        ) -> Result<Vec<TenantId>, RepoError> {
            self.inner.tenant_ids(after, limit).await
        }
        async fn list_tenants(&self, query: &TenantQuery) -> Result<Page<Tenant>, RepoError> {
            self.inner.list_tenants(query).await
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
        assert_eq!(cached.by_id(tenant.id()).await.unwrap(), tenant);
        assert_eq!(cached.by_id(tenant.id()).await.unwrap(), tenant);
        assert_eq!(counting.loads.load(Ordering::SeqCst), 1);
        assert_eq!((cached.stats().hits(), cached.stats().misses()), (1, 1));
    }

    #[tokio::test]
    async fn concurrent_misses_load_once() {
        let (counting, cached) = cached();
        let tenant = new_tenant();
        cached.insert(&tenant).await.unwrap();
        let reads = futures::future::join_all((0..20).map(|_| cached.by_id(tenant.id()))).await;
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
            cached.by_code(tenant.code()).await.unwrap().status(),
            TenantStatus::Active
        );
        assert_eq!(
            cached.by_id(tenant.id()).await.unwrap().status(),
            TenantStatus::Active
        );
        let suspended = suspended(&tenant);
        cached.update(&suspended, tenant.version()).await.unwrap();
        assert_eq!(
            cached.by_id(tenant.id()).await.unwrap().status(),
            TenantStatus::Suspended
        );
        assert_eq!(
            cached.by_code(tenant.code()).await.unwrap().status(),
            TenantStatus::Suspended
        );
    }

    #[tokio::test]
    async fn a_cache_that_does_not_answer_fails_the_lookup_closed() {
        let store = Arc::new(MemoryStore::default());
        let tenant = new_tenant();
        store.insert(&tenant).await.unwrap();
        // A cache that never answers: the read fails closed (and puts nothing); the change is
        // still made.
        let mut down = MockCache::new();
        down.expect_get()
            .times(1)
            .returning(|_| Err(RepoError::Unavailable("down".into())));
        down.expect_put().never();
        down.expect_remove()
            .returning(|_| Err(RepoError::Unavailable("down".into())));
        let cached = CachedTenants::new(store.clone(), Arc::new(down));
        assert!(matches!(
            cached.by_id(tenant.id()).await,
            Err(RepoError::Unavailable(_))
        ));
        let stats = cached.stats();
        assert_eq!((stats.hits(), stats.misses(), stats.errors()), (0, 0, 1));
        let suspended = suspended(&tenant);
        cached.update(&suspended, tenant.version()).await.unwrap();
        assert_eq!(
            TenantDirectory::by_id(store.as_ref(), tenant.id())
                .await
                .unwrap(),
            suspended
        );
    }

    /// `tenant`, suspended, one version on.
    fn suspended(tenant: &Tenant) -> Tenant {
        Tenant::restore(cubby_domain::TenantParts {
            status: TenantStatus::Suspended,
            version: tenant.version().next(),
            ..tenant.clone().into_parts()
        })
    }

    /// A shared cache that counts the reads reaching it.
    #[derive(Default)]
    struct CountedReads {
        inner: MemoryStore,
        gets: AtomicUsize,
    }

    #[async_trait]
    impl Cache for CountedReads {
        async fn get(&self, key: &CacheKey) -> Result<Option<Vec<u8>>, RepoError> {
            self.gets.fetch_add(1, Ordering::SeqCst);
            self.inner.get(key).await
        }
        async fn put(&self, key: &CacheKey, value: &[u8], ttl: Ttl) -> Result<(), RepoError> {
            self.inner.put(key, value, ttl).await
        }
        async fn remove(&self, key: &CacheKey) -> Result<(), RepoError> {
            self.inner.remove(key).await
        }
    }

    #[tokio::test]
    async fn within_a_request_an_entry_is_read_once_and_a_write_drops_it() {
        let cache = Arc::new(CountedReads::default());
        let cached = CachedTenants::new(Arc::new(MemoryStore::default()), cache.clone());
        let tenant = new_tenant();
        cached.insert(&tenant).await.unwrap();
        cached.by_id(tenant.id()).await.unwrap();
        let before = cache.gets.load(Ordering::SeqCst);
        let suspended = remembering(async {
            assert_eq!(cached.by_id(tenant.id()).await.unwrap(), tenant);
            assert_eq!(cached.by_id(tenant.id()).await.unwrap(), tenant);
            assert_eq!(cache.gets.load(Ordering::SeqCst), before + 1, "read once");
            let suspended = suspended(&tenant);
            cached.update(&suspended, tenant.version()).await.unwrap();
            assert_eq!(
                cached.by_id(tenant.id()).await.unwrap(),
                suspended,
                "not the memo's"
            );
            suspended
        })
        .await;
        // Outside a request nothing is remembered: every read asks the cache.
        let outside = cache.gets.load(Ordering::SeqCst);
        assert_eq!(cached.by_id(tenant.id()).await.unwrap(), suspended);
        assert_eq!(cached.by_id(tenant.id()).await.unwrap(), suspended);
        assert_eq!(cache.gets.load(Ordering::SeqCst), outside + 2);
    }

    #[tokio::test]
    async fn an_entry_remembered_with_other_reads_is_not_read_again() {
        let cache = Arc::new(CountedReads::default());
        let cached = CachedTenants::new(Arc::new(MemoryStore::default()), cache.clone());
        let tenant = new_tenant();
        cached.insert(&tenant).await.unwrap();
        let bytes = tenant.encode();
        remembering(async {
            remember(CacheKey::tenant_by_id(tenant.id()), Some(bytes));
            assert_eq!(cached.by_id(tenant.id()).await.unwrap(), tenant);
        })
        .await;
        assert_eq!(cache.gets.load(Ordering::SeqCst), 0);
        assert_eq!(cached.stats().hits(), 1);
    }

    #[tokio::test]
    async fn missing_tenants_are_not_cached() {
        let (counting, cached) = cached();
        let tenant = new_tenant();
        assert!(matches!(
            cached.by_id(tenant.id()).await,
            Err(RepoError::NotFound)
        ));
        cached.insert(&tenant).await.unwrap();
        assert_eq!(cached.by_id(tenant.id()).await.unwrap(), tenant);
        assert_eq!(counting.loads.load(Ordering::SeqCst), 2);
    }
}
