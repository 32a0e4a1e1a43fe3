//! The shared cache on Redis: one string key per entry, with `PX` expiry.

use async_trait::async_trait;
use cubby_ports::{Cache, CacheKey, RepoError, Ttl};

use crate::{Redis, expiry_ms};

impl Redis {
    /// The Redis key of a cache entry.
    pub(crate) fn cache_key(&self, key: &CacheKey) -> String {
        self.key("cache", key.as_str())
    }
}

#[async_trait]
impl Cache for Redis {
    async fn get(&self, key: &CacheKey) -> Result<Option<Vec<u8>>, RepoError> {
        self.query("cache.get", redis::cmd("GET").arg(self.cache_key(key)))
            .await
    }

    async fn put(&self, key: &CacheKey, value: &[u8], ttl: Ttl) -> Result<(), RepoError> {
        let mut command = redis::cmd("SET");
        command
            .arg(self.cache_key(key))
            .arg(value)
            .arg("PX")
            .arg(expiry_ms(ttl.get()));
        self.query("cache.put", &command).await
    }

    async fn remove(&self, key: &CacheKey) -> Result<(), RepoError> {
        self.query("cache.remove", redis::cmd("DEL").arg(self.cache_key(key)))
            .await
    }
}
