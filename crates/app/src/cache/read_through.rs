//! Reading through the shared cache: single flight per key, hits, misses and errors counted,
//! and failing closed when the cache does not answer.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use cubby_ports::{Cache, CacheKey, RepoError, Ttl};

use super::memo::{recall, remember, unremember};
use super::{CACHE_REQUESTS, CacheStats};

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
pub(super) trait Entry: Sized {
    fn encode(&self) -> Vec<u8>;
    fn decode(bytes: &[u8]) -> Option<Self>;
}

/// What a cache read came to.
#[derive(Clone, Copy)]
enum Outcome {
    Hit,
    Miss,
    Error,
}

/// Reads through the shared cache with single flight, counting hits and misses (in its stats
/// and in [`CACHE_REQUESTS`] under its `name`).
pub(super) struct ReadThrough {
    name: &'static str,
    cache: Arc<dyn Cache>,
    flights: SingleFlight,
    pub(super) stats: CacheStats,
}

impl ReadThrough {
    pub(super) fn new(name: &'static str, cache: Arc<dyn Cache>) -> Self {
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

    pub(super) async fn get<T: Entry, F>(
        &self,
        key: CacheKey,
        ttl: Duration,
        load: F,
    ) -> Result<T, RepoError>
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

    pub(super) async fn forget(&self, keys: &[CacheKey]) {
        for key in keys {
            unremember(key);
            if let Err(error) = self.cache.remove(key).await {
                tracing::warn!(cache.key = key.as_str(), error = %error, "cache unavailable; entry left to expire");
            }
        }
    }
}
