//! Fixed-window counters on Redis: one integer key per [`LimitKey`], expiring when its window
//! ends. A hit is a Lua script (count, then open the window on the first hit), so concurrent
//! hits are all counted and no counter is ever left without an expiry.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use cubby_ports::{LimitKey, RateLimiter, RepoError, Window};
use redis::Script;

use crate::{Redis, expiry_ms};

/// Counts one hit and answers `{count, milliseconds left}`.
///
/// `KEYS[1]`: the counter; `ARGV[1]`: the window in milliseconds. The first hit opens the
/// window; a counter found without an expiry (which these writes never leave) gets a new window
/// rather than counting forever.
static HIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if count == 1 or left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}
",
    )
});

impl Redis {
    /// The Redis key of a counter.
    pub(crate) fn limit_key(&self, key: &LimitKey) -> String {
        self.key("limit", key.as_str())
    }
}

/// A counter's window from its stored count and its `PTTL` (negative when it has none).
fn window(count: i64, left_ms: i64) -> Window {
    Window {
        count: u32::try_from(count.max(0)).unwrap_or(u32::MAX),
        resets_in: Duration::from_millis(u64::try_from(left_ms).unwrap_or(0)),
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
        let (count, left_ms): (i64, i64) = self
            .run_script(
                "limits.hit",
                HIT.key(self.limit_key(key)).arg(expiry_ms(window_length)),
            )
            .await?;
        Ok(window(count, left_ms))
    }

    async fn clear(&self, key: &LimitKey) -> Result<(), RepoError> {
        self.query("limits.clear", redis::cmd("DEL").arg(self.limit_key(key)))
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::window;

    #[test]
    fn a_counter_without_time_left_resets_now() {
        assert_eq!(window(3, -1).resets_in, Duration::ZERO);
        assert_eq!(window(3, 1500).resets_in, Duration::from_millis(1500));
        assert_eq!(window(i64::MAX, 5).count, u32::MAX);
    }
}
