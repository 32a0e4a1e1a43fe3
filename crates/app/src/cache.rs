//! Read-through caching of the data every session check reads: the tenant, and the principal
//! (the membership and its user's status).
//!
//! Entries live in the shared [`Cache`] under namespaced, versioned keys with a TTL. Concurrent
//! misses of one key in a process load it once (single flight). Writes remove the entries they
//! change; an entry can still be stale for at most its TTL when a reader and a writer race
//! across processes.
//!
//! These lookups are part of verifying every session, and sessions fail closed: when the cache
//! does not answer a read, the lookup answers [`RepoError::Unavailable`] rather than going
//! around it. Failing to store or drop an entry is only logged.
//!
//! Within [`remembering`] (a request), each entry is read from the shared cache at most once:
//! what was read (or found absent), loaded or already read with the request's other reads (see
//! [`remember`]) is answered from a memo of that request. The session check's reads arrive
//! that way, in the same round trip as the rate-limit counters and the blocklist, and a
//! handler that reads the centre again finds it there. Writes drop what they change from the
//! memo as from the cache.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use async_trait::async_trait;
use cubby_domain::time_of_day::{clock_time, parse_clock_time};
use cubby_domain::{
    Actor, Audit, CentreSettings, EntitlementSet, Membership, MembershipId, MembershipStatus,
    PermissionSet, RatioEnforcement, RoleRef, Tenant, TenantCode, TenantId, TenantName,
    TenantStatus, TimeZone, UserId, UserStatus, Version,
};
use cubby_ports::{
    Cache, CacheKey, MembershipDirectory, RepoError, RoleRepository, TenantDirectory, TenantScope,
    Ttl, UserDirectory,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How long a tenant entry lives.
pub const TENANT_TTL: Duration = Duration::from_secs(60);
/// How long a principal entry lives.
pub const PRINCIPAL_TTL: Duration = Duration::from_secs(60);
/// How long a permission set lives (its key changes with every entitlements version).
pub const PERMISSIONS_TTL: Duration = Duration::from_secs(15 * 60);

/// Hits and misses of a cached reader.
#[derive(Debug, Default)]
pub struct CacheStats {
    hits: AtomicU64,
    misses: AtomicU64,
    errors: AtomicU64,
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

    /// Reads the cache did not answer (failed closed).
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
}

tokio::task_local! {
    /// The entries a request has read, by key (`None`: known to be absent).
    static SEEN: RefCell<HashMap<CacheKey, Option<Vec<u8>>>>;
}

/// Runs `work` with a memo of cache reads: inside it, each entry is read from the shared cache
/// at most once. Inside another `remembering`, it shares that one.
pub async fn remembering<F: Future>(work: F) -> F::Output {
    if SEEN.try_with(|_| ()).is_ok() {
        work.await
    } else {
        SEEN.scope(RefCell::default(), work).await
    }
}

/// Records what the shared cache holds under `key` (`None`: nothing), read along with other
/// reads; a no-op outside [`remembering`].
pub fn remember(key: CacheKey, value: Option<Vec<u8>>) {
    let _outside = SEEN.try_with(|seen| seen.borrow_mut().insert(key, value));
}

/// What the request already knows of `key`: `Some(None)` when it is known to be absent.
fn recall(key: &CacheKey) -> Option<Option<Vec<u8>>> {
    SEEN.try_with(|seen| seen.borrow().get(key).cloned())
        .ok()
        .flatten()
}

fn unremember(key: &CacheKey) {
    let _outside = SEEN.try_with(|seen| seen.borrow_mut().remove(key));
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

/// How a cached value is written and read back.
trait Entry: Sized {
    fn encode(&self) -> Vec<u8>;
    fn decode(bytes: &[u8]) -> Option<Self>;
}

/// The counter of cache reads by cache and outcome (`hit`, `miss`, `error`), from which a hit
/// rate is computed.
pub const CACHE_REQUESTS: &str = "cache_requests_total";

/// What a cache read came to.
#[derive(Clone, Copy)]
enum Outcome {
    Hit,
    Miss,
    Error,
}

/// Reads through the shared cache with single flight, counting hits and misses (in its stats
/// and in [`CACHE_REQUESTS`] under its `name`).
struct ReadThrough {
    name: &'static str,
    cache: Arc<dyn Cache>,
    flights: SingleFlight,
    stats: CacheStats,
}

impl ReadThrough {
    fn new(name: &'static str, cache: Arc<dyn Cache>) -> Self {
        Self {
            name,
            cache,
            flights: SingleFlight::default(),
            stats: CacheStats::default(),
        }
    }

    fn count(&self, outcome: Outcome) {
        let (counter, label) = match outcome {
            Outcome::Hit => (&self.stats.hits, "hit"),
            Outcome::Miss => (&self.stats.misses, "miss"),
            Outcome::Error => (&self.stats.errors, "error"),
        };
        counter.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(CACHE_REQUESTS, "cache" => self.name, "outcome" => label).increment(1);
    }

    /// The entry under `key` from the shared cache (from the request's memo first when
    /// `memo`), counting a failed read as an `error`.
    async fn lookup<T: Entry>(&self, key: &CacheKey, memo: bool) -> Result<Option<T>, RepoError> {
        let bytes = match recall(key).filter(|_| memo) {
            Some(known) => known,
            None => {
                let read = self
                    .cache
                    .get(key)
                    .await
                    .inspect_err(|_| self.count(Outcome::Error))?;
                remember(key.clone(), read.clone());
                read
            }
        };
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        match T::decode(&bytes) {
            Some(value) => Ok(Some(value)),
            None => {
                tracing::warn!(cache.key = key.as_str(), "unreadable cache entry dropped");
                unremember(key);
                self.cache
                    .remove(key)
                    .await
                    .inspect_err(|_| self.count(Outcome::Error))?;
                Ok(None)
            }
        }
    }

    async fn get<T: Entry, F>(&self, key: CacheKey, ttl: Duration, load: F) -> Result<T, RepoError>
    where
        F: Future<Output = Result<T, RepoError>>,
    {
        if let Some(value) = self.lookup(&key, true).await? {
            self.count(Outcome::Hit);
            return Ok(value);
        }
        let lock = self.flights.lock_for(key.as_str());
        let _loading = lock.lock().await;
        // Another task may have loaded it while this one waited (or since the memo's read).
        if let Some(value) = self.lookup(&key, false).await? {
            self.count(Outcome::Hit);
            return Ok(value);
        }
        self.count(Outcome::Miss);
        let value = load.await?;
        let bytes = value.encode();
        if let Some(ttl) = Ttl::new(ttl)
            && let Err(error) = self.cache.put(&key, &bytes, ttl).await
        {
            tracing::warn!(cache.key = key.as_str(), error = %error, "cache unavailable; entry not stored");
        }
        remember(key, Some(bytes));
        Ok(value)
    }

    async fn forget(&self, keys: &[CacheKey]) {
        for key in keys {
            unremember(key);
            if let Err(error) = self.cache.remove(key).await {
                tracing::warn!(cache.key = key.as_str(), error = %error, "cache unavailable; entry left to expire");
            }
        }
    }
}

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
                CacheKey::tenant_by_id(tenant.id),
                CacheKey::tenant_by_code(&tenant.code),
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
}

/// What a session check needs to know of a membership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The membership.
    pub membership: Membership,
    /// Its user's status.
    pub user_status: UserStatus,
}

/// Principals read through the shared cache.
pub struct Principals {
    memberships: Arc<dyn MembershipDirectory>,
    users: Arc<dyn UserDirectory>,
    cache: ReadThrough,
}

impl std::fmt::Debug for Principals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principals")
            .field("stats", &self.cache.stats)
            .finish_non_exhaustive()
    }
}

impl Principals {
    /// Principals from the directories, read through `cache`.
    pub fn new(
        memberships: Arc<dyn MembershipDirectory>,
        users: Arc<dyn UserDirectory>,
        cache: Arc<dyn Cache>,
    ) -> Self {
        Self {
            memberships,
            users,
            cache: ReadThrough::new("principals", cache),
        }
    }

    /// The membership `id` of `tenant` and its user's status.
    ///
    /// # Errors
    ///
    /// [`RepoError::NotFound`] when the tenant has no such membership or its user is gone;
    /// [`RepoError::Unavailable`] when the cache or the store does not answer.
    pub async fn get(&self, tenant: TenantId, id: MembershipId) -> Result<Principal, RepoError> {
        let load = async {
            let membership = self.memberships.membership_by_id(tenant, id).await?;
            let user = self.users.user_by_id(membership.user_id).await?;
            Ok(Principal {
                membership,
                user_status: user.status,
            })
        };
        self.cache
            .get(CacheKey::principal(tenant, id), PRINCIPAL_TTL, load)
            .await
    }

    /// Drops the cached principals of these memberships, after a change to them or their user.
    pub async fn forget(&self, memberships: &[(TenantId, MembershipId)]) {
        let keys: Vec<CacheKey> = memberships
            .iter()
            .map(|(t, m)| CacheKey::principal(*t, *m))
            .collect();
        self.cache.forget(&keys).await;
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> &CacheStats {
        &self.cache.stats
    }
}

/// Milliseconds since the epoch, as cached.
fn millis(at: OffsetDateTime) -> i128 {
    at.unix_timestamp_nanos() / 1_000_000
}

fn from_millis(ms: i128) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000).ok()
}

/// Stamps as cached.
#[derive(Serialize, Deserialize)]
struct AuditEntry {
    created_by: String,
    created_at_ms: i128,
    updated_by: String,
    updated_at_ms: i128,
}

impl AuditEntry {
    fn of(audit: &Audit) -> Self {
        Self {
            created_by: audit.created_by().to_string(),
            created_at_ms: millis(audit.created_at()),
            updated_by: audit.updated_by().to_string(),
            updated_at_ms: millis(audit.updated_at()),
        }
    }

    fn audit(&self) -> Option<Audit> {
        Some(Audit::restore(
            Actor::parse(&self.created_by).ok()?,
            from_millis(self.created_at_ms)?,
            Actor::parse(&self.updated_by).ok()?,
            from_millis(self.updated_at_ms)?,
        ))
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
    ratio_enforcement: String,
    closing_time: Option<String>,
    audit: AuditEntry,
    version: u64,
}

impl Entry for Tenant {
    fn encode(&self) -> Vec<u8> {
        let entry = TenantEntry {
            id: self.id.to_string(),
            code: self.code.to_string(),
            name: self.name.as_str().to_owned(),
            time_zone: self.time_zone.name().to_owned(),
            status: self.status.as_str().to_owned(),
            ratio_enforcement: self.settings.ratio_enforcement.as_str().to_owned(),
            closing_time: self.settings.closing_time.map(clock_time),
            audit: AuditEntry::of(&self.audit),
            version: self.version.get(),
        };
        serde_json::to_vec(&entry).unwrap_or_default()
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let entry: TenantEntry = serde_json::from_slice(bytes).ok()?;
        Some(Tenant {
            id: TenantId::parse(&entry.id).ok()?,
            code: TenantCode::parse(&entry.code).ok()?,
            name: TenantName::parse(&entry.name).ok()?,
            time_zone: TimeZone::parse(&entry.time_zone).ok()?,
            status: TenantStatus::parse(&entry.status)?,
            settings: CentreSettings {
                ratio_enforcement: RatioEnforcement::parse(&entry.ratio_enforcement)?,
                closing_time: match entry.closing_time.as_deref() {
                    Some(text) => Some(parse_clock_time(text)?),
                    None => None,
                },
            },
            audit: entry.audit.audit()?,
            version: Version::new(entry.version)?,
        })
    }
}

/// A principal as cached.
#[derive(Serialize, Deserialize)]
struct PrincipalEntry {
    id: String,
    user_id: String,
    roles: Vec<String>,
    entitlements: Vec<String>,
    status: String,
    entitlements_version: u64,
    audit: AuditEntry,
    version: u64,
    user_status: String,
}

impl Entry for Principal {
    fn encode(&self) -> Vec<u8> {
        let membership = &self.membership;
        let entry = PrincipalEntry {
            id: membership.id.to_string(),
            user_id: membership.user_id.to_string(),
            roles: membership.roles.iter().map(ToString::to_string).collect(),
            entitlements: membership
                .entitlements
                .iter()
                .map(|e| e.as_str().to_owned())
                .collect(),
            status: membership.status.as_str().to_owned(),
            entitlements_version: membership.entitlements_version,
            audit: AuditEntry::of(&membership.audit),
            version: membership.version.get(),
            user_status: self.user_status.as_str().to_owned(),
        };
        serde_json::to_vec(&entry).unwrap_or_default()
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let entry: PrincipalEntry = serde_json::from_slice(bytes).ok()?;
        let roles = entry
            .roles
            .iter()
            .map(|r| RoleRef::parse(r).ok())
            .collect::<Option<Vec<_>>>()?;
        Some(Principal {
            membership: Membership {
                id: MembershipId::parse(&entry.id).ok()?,
                user_id: UserId::parse(&entry.user_id).ok()?,
                roles,
                entitlements: EntitlementSet::parse(entry.entitlements.iter().map(String::as_str))?,
                status: MembershipStatus::parse(&entry.status)?,
                entitlements_version: entry.entitlements_version,
                audit: entry.audit.audit()?,
                version: Version::new(entry.version)?,
            },
            user_status: UserStatus::parse(&entry.user_status)?,
        })
    }
}

/// A permission set as cached: the wire forms.
impl Entry for PermissionSet {
    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(&self.iter().map(|p| p.as_str()).collect::<Vec<_>>()).unwrap_or_default()
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let names: Vec<String> = serde_json::from_slice(bytes).ok()?;
        PermissionSet::parse(names.iter().map(String::as_str))
    }
}

/// Members' permission sets, computed once per entitlements version and kept in the shared
/// cache under a key holding that version: any change of roles, entitlements, status or of a
/// custom role's definition bumps the version, so the next request computes afresh.
pub struct Permissions {
    roles: Arc<dyn RoleRepository>,
    cache: ReadThrough,
}

impl std::fmt::Debug for Permissions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permissions")
            .field("stats", &self.cache.stats)
            .finish_non_exhaustive()
    }
}

impl Permissions {
    /// Permission sets computed with the centre's custom `roles`, read through `cache`.
    pub fn new(roles: Arc<dyn RoleRepository>, cache: Arc<dyn Cache>) -> Self {
        Self {
            roles,
            cache: ReadThrough::new("permissions", cache),
        }
    }

    /// What `membership` of `tenant` may do.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the cache or the store does not answer.
    pub async fn of(
        &self,
        tenant: TenantId,
        membership: &Membership,
    ) -> Result<PermissionSet, RepoError> {
        let key = CacheKey::permissions(tenant, membership.id, membership.entitlements_version);
        let load = async {
            let custom = if membership
                .roles
                .iter()
                .any(|r| matches!(r, RoleRef::Custom(_)))
            {
                self.roles
                    .list_roles(&TenantScope::for_permission_lookup(tenant))
                    .await?
            } else {
                Vec::new()
            };
            Ok(membership.permissions(&custom))
        };
        self.cache.get(key, PERMISSIONS_TTL, load).await
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> &CacheStats {
        &self.cache.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cubby_adapters_memory::MemoryStore;
    use cubby_domain::Role;
    use cubby_ports::MembershipRepository;
    use cubby_ports::contract::tenants::new_tenant;
    use cubby_ports::contract::users::{new_membership, new_user};
    use std::sync::atomic::AtomicUsize;

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
        let stats = cached.stats();
        assert_eq!((stats.hits(), stats.misses(), stats.errors()), (0, 0, 1));
        let suspended = Tenant {
            status: TenantStatus::Suspended,
            version: tenant.version.next(),
            ..tenant.clone()
        };
        cached.update(&suspended, tenant.version).await.unwrap();
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
        cached.by_id(tenant.id).await.unwrap();
        let before = cache.gets.load(Ordering::SeqCst);
        let suspended = remembering(async {
            assert_eq!(cached.by_id(tenant.id).await.unwrap(), tenant);
            assert_eq!(cached.by_id(tenant.id).await.unwrap(), tenant);
            assert_eq!(cache.gets.load(Ordering::SeqCst), before + 1, "read once");
            let suspended = Tenant {
                status: TenantStatus::Suspended,
                version: tenant.version.next(),
                ..tenant.clone()
            };
            cached.update(&suspended, tenant.version).await.unwrap();
            assert_eq!(
                cached.by_id(tenant.id).await.unwrap(),
                suspended,
                "not the memo's"
            );
            suspended
        })
        .await;
        // Outside a request nothing is remembered: every read asks the cache.
        let outside = cache.gets.load(Ordering::SeqCst);
        assert_eq!(cached.by_id(tenant.id).await.unwrap(), suspended);
        assert_eq!(cached.by_id(tenant.id).await.unwrap(), suspended);
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
            remember(CacheKey::tenant_by_id(tenant.id), Some(bytes));
            assert_eq!(cached.by_id(tenant.id).await.unwrap(), tenant);
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
            cached.by_id(tenant.id).await,
            Err(RepoError::NotFound)
        ));
        cached.insert(&tenant).await.unwrap();
        assert_eq!(cached.by_id(tenant.id).await.unwrap(), tenant);
        assert_eq!(counting.loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_principal_round_trips_and_is_refreshed_once_forgotten() {
        let store = Arc::new(MemoryStore::default());
        let principals = Principals::new(
            store.clone(),
            store.clone(),
            Arc::new(MemoryStore::default()),
        );
        let user = new_user();
        store.insert_user(&user).await.unwrap();
        let scope = cubby_ports::contract::fresh_scope();
        let membership = new_membership(user.id, &[Role::Director, Role::Teacher]);
        store.insert_membership(&scope, &membership).await.unwrap();
        let principal = principals
            .get(scope.tenant_id(), membership.id)
            .await
            .unwrap();
        assert_eq!(
            principal,
            Principal {
                membership: membership.clone(),
                user_status: UserStatus::Active
            }
        );
        assert_eq!(
            principals
                .get(scope.tenant_id(), membership.id)
                .await
                .unwrap(),
            principal
        );
        assert_eq!(principals.stats().hits(), 1);

        let suspended = Membership {
            status: MembershipStatus::Suspended,
            version: membership.version.next(),
            ..membership.clone()
        };
        store
            .update_membership(&scope, &suspended, membership.version)
            .await
            .unwrap();
        assert!(
            principals
                .get(scope.tenant_id(), membership.id)
                .await
                .unwrap()
                .membership
                .is_active(),
            "cached"
        );
        principals
            .forget(&[(scope.tenant_id(), membership.id)])
            .await;
        assert!(
            !principals
                .get(scope.tenant_id(), membership.id)
                .await
                .unwrap()
                .membership
                .is_active()
        );
    }
}
