//! Read-through caching of the data every session check reads: the tenant, and the principal
//! (the membership and its user's status).
//!
//! Entries live in the shared [`Cache`](cubby_ports::Cache) under namespaced, versioned keys with a TTL. Concurrent
//! misses of one key in a process load it once (single flight). Writes remove the entries they
//! change; an entry can still be stale for at most its TTL when a reader and a writer race
//! across processes.
//!
//! These lookups are part of verifying every session, and sessions fail closed: when the cache
//! does not answer a read, the lookup answers
//! [`RepoError::Unavailable`](cubby_ports::RepoError::Unavailable) rather than going
//! around it. Failing to store or drop an entry is only logged.
//!
//! Within [`remembering`] (a request), each entry is read from the shared cache at most once:
//! what was read (or found absent), loaded or already read with the request's other reads (see
//! [`remember`]) is answered from a memo of that request. The session check's reads arrive
//! that way, in the same round trip as the rate-limit counters and the blocklist, and a
//! handler that reads the centre again finds it there. Writes drop what they change from the
//! memo as from the cache.
//!
//! One part a file: `memo` (the request's memo), `read_through` (single flight, counting, the
//! [`CACHE_REQUESTS`] metric), `entries` (how values are cached), and the cached readers
//! `tenants`, `principals` and `permissions`.

mod entries;
mod memo;
mod permissions;
mod principals;
mod read_through;
mod tenants;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use memo::{remember, remembering};
pub use permissions::Permissions;
pub use principals::{Principal, Principals};
pub use tenants::CachedTenants;

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

/// The counter of cache reads by cache and outcome (`hit`, `miss`, `error`), from which a hit
/// rate is computed.
pub const CACHE_REQUESTS: &str = "cache_requests_total";
