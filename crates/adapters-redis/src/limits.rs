//! Fixed-window counters on Redis: one integer key per [`LimitKey`], expiring when its window
//! ends. A hit is the gate's Lua script with that one hit (count, then open the window on the
//! first hit), so concurrent hits are all counted and no counter is ever left without an
//! expiry.

use std::time::Duration;

use async_trait::async_trait;
use cubby_ports::{GateReads, LimitKey, RateLimiter, RepoError, Window};

use crate::Redis;
use crate::gate::window;

impl Redis {
    /// The Redis key of a counter.
    pub(crate) fn limit_key(&self, key: &LimitKey) -> String {
        self.key("limit", key.as_str())
    }
}

#[async_trait]
impl RateLimiter for Redis {
    async fn current(&self, key: &LimitKey) -> Result<Window, RepoError> {
        let counter = self.limit_key(key);
        let mut pipeline = redis::pipe();
        pipeline
            .atomic()
            .cmd("GET")
            .arg(&counter)
            .cmd("PTTL")
            .arg(&counter);
        let (stored, left_ms): (Option<Vec<u8>>, i64) =
            self.query_pipeline("limits.current", &pipeline).await?;
        let Some(bytes) = stored else {
            return Ok(window(0, 0));
        };
        let count = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| text.parse::<i64>().ok())
            .ok_or_else(|| RepoError::corrupt("a rate limit counter is not a number"))?;
        Ok(window(count, left_ms))
    }

    async fn hit(&self, key: &LimitKey, window_length: Duration) -> Result<Window, RepoError> {
        let reads = GateReads {
            hits: vec![(key.clone(), window_length)],
            ..GateReads::default()
        };
        self.run_gate("limits.hit", &reads)
            .await?
            .windows
            .pop()
            .ok_or_else(|| RepoError::corrupt("redis counted no hit"))
    }

    async fn clear(&self, key: &LimitKey) -> Result<(), RepoError> {
        self.query("limits.clear", redis::cmd("DEL").arg(self.limit_key(key)))
            .await
    }
}
