//! The cache and idempotency records in memory, with expiry.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use cubby_ports::{
    Cache, CacheKey, Claim, Fingerprint, IdempotencyKey, IdempotencyStore, RepoError,
    StoredResponse, TenantScope, Ttl,
};

use crate::{MemoryStore, read, write};

/// Entries that expire; expired ones are dropped when read and swept as the map grows.
pub(crate) struct Expiring<K, V> {
    entries: HashMap<K, (V, Instant)>,
    sweep_at: usize,
}

impl<K, V> Default for Expiring<K, V> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            sweep_at: 1024,
        }
    }
}

impl<K: std::hash::Hash + Eq, V> Expiring<K, V> {
    /// The live value under `key`, read only: an expired entry is left for the next sweep. For
    /// reads on every request, under a read lock.
    pub(crate) fn peek<Q>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        let now = Instant::now();
        self.entries
            .get(key)
            .filter(|(_, until)| *until > now)
            .map(|(value, _)| value)
    }

    /// Every live value, read only.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        let now = Instant::now();
        self.entries
            .values()
            .filter(move |(_, until)| *until > now)
            .map(|(value, _)| value)
    }

    pub(crate) fn live(&mut self, key: &K) -> Option<&V> {
        let now = Instant::now();
        if self
            .entries
            .get(key)
            .is_some_and(|(_, until)| *until <= now)
        {
            self.entries.remove(key);
        }
        self.entries.get(key).map(|(value, _)| value)
    }

    pub(crate) fn insert(&mut self, key: K, value: V, ttl: Duration) {
        if self.entries.len() >= self.sweep_at {
            let now = Instant::now();
            self.entries.retain(|_, (_, until)| *until > now);
            self.sweep_at = (self.entries.len() * 2).max(1024);
        }
        self.entries.insert(key, (value, Instant::now() + ttl));
    }

    pub(crate) fn remove(&mut self, key: &K) {
        self.entries.remove(key);
    }
}

#[async_trait]
impl Cache for MemoryStore {
    async fn get(&self, key: &CacheKey) -> Result<Option<Vec<u8>>, RepoError> {
        Ok(read(&self.cache).peek(key.as_str()).cloned())
    }

    async fn put(&self, key: &CacheKey, value: &[u8], ttl: Ttl) -> Result<(), RepoError> {
        write(&self.cache).insert(key.as_str().to_owned(), value.to_vec(), ttl.get());
        Ok(())
    }

    async fn remove(&self, key: &CacheKey) -> Result<(), RepoError> {
        write(&self.cache).remove(&key.as_str().to_owned());
        Ok(())
    }
}

/// An idempotency record: running, or done with its response.
#[derive(Clone)]
pub(crate) enum Record {
    InFlight(Fingerprint),
    Completed(Fingerprint, StoredResponse),
}

/// Records are kept per tenant, actor and key.
pub(crate) type RecordKey = (cubby_domain::TenantId, String, String);

fn record_key(scope: &TenantScope, key: &IdempotencyKey) -> RecordKey {
    (
        scope.tenant_id(),
        scope.actor().to_string(),
        key.as_str().to_owned(),
    )
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn claim(
        &self,
        scope: &TenantScope,
        key: &IdempotencyKey,
        fingerprint: Fingerprint,
        in_flight: Duration,
    ) -> Result<Claim, RepoError> {
        let mut records = write(&self.idempotency);
        let key = record_key(scope, key);
        Ok(match records.live(&key).cloned() {
            Some(Record::InFlight(fingerprint)) => Claim::InFlight { fingerprint },
            Some(Record::Completed(fingerprint, response)) => Claim::Completed {
                fingerprint,
                response,
            },
            None => {
                records.insert(key, Record::InFlight(fingerprint), in_flight);
                Claim::Claimed
            }
        })
    }

    async fn complete(
        &self,
        scope: &TenantScope,
        key: &IdempotencyKey,
        fingerprint: Fingerprint,
        response: &StoredResponse,
        keep: Duration,
    ) -> Result<(), RepoError> {
        write(&self.idempotency).insert(
            record_key(scope, key),
            Record::Completed(fingerprint, response.clone()),
            keep,
        );
        Ok(())
    }

    async fn release(&self, scope: &TenantScope, key: &IdempotencyKey) -> Result<(), RepoError> {
        write(&self.idempotency).remove(&record_key(scope, key));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    mod cache {
        use crate::MemoryStore;
        cubby_ports::cache_contract!(async { MemoryStore::default() });
    }

    mod idempotency {
        use crate::MemoryStore;
        cubby_ports::idempotency_store_contract!(async { MemoryStore::default() });
    }
}
