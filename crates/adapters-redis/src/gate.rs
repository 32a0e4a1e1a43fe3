//! The request gate on Redis: a request's rate-limit hits, its blocklist lookups (the token's and
//! its session's) and its cache
//! reads in one Lua script, so one round trip (the script runs by its digest; the server loads
//! it once, on the first call after a restart).
//!
//! The script names every key it touches (`KEYS`), as Redis asks of scripts; they are not in
//! one hash slot, so this needs a single Redis (or a primary with replicas), not Redis Cluster,
//! like the rest of this adapter's multi-key calls.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use cubby_ports::{GateAnswer, GateReads, RepoError, RequestGate, Window};
use redis::{Script, Value};

use crate::{Redis, expiry_ms};

/// `KEYS`: the counters, then the blocklist keys (`ARGV[2]` of them: the token's, the session's),
/// then the cache entries. `ARGV[1]`: how many counters; `ARGV[2]`: how many blocklist keys
/// follow them; `ARGV[3..]`: each counter's window in milliseconds.
///
/// Answers a flat array: each counter's `count, milliseconds left`, then, when blocklist keys
/// were asked about, how many of them exist (`0` when none), then each entry (nil when absent). A hit counts, then opens the window
/// on the first hit; a counter found without an expiry (which these writes never leave) gets a
/// new window rather than counting forever.
static ADMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local hits = tonumber(ARGV[1])
local out = {}
for i = 1, hits do
  local count = redis.call('INCR', KEYS[i])
  local left = redis.call('PTTL', KEYS[i])
  if count == 1 or left < 0 then
    redis.call('PEXPIRE', KEYS[i], ARGV[2 + i])
    left = tonumber(ARGV[2 + i])
  end
  out[#out + 1] = count
  out[#out + 1] = left
end
local next = hits + 1
local listed = tonumber(ARGV[2])
if listed > 0 then
  out[#out + 1] = redis.call('EXISTS', unpack(KEYS, next, next + listed - 1))
  next = next + listed
end
for i = next, #KEYS do
  out[#out + 1] = redis.call('GET', KEYS[i])
end
return out
",
    )
});

/// A counter's window from its count and its `PTTL` (negative when it has none).
pub(crate) fn window(count: i64, left_ms: i64) -> Window {
    Window {
        count: u32::try_from(count.max(0)).unwrap_or(u32::MAX),
        resets_in: Duration::from_millis(u64::try_from(left_ms).unwrap_or(0)),
    }
}

fn malformed() -> RepoError {
    RepoError::corrupt("redis answered the gate script with an unexpected shape")
}

fn integer(value: Option<Value>) -> Result<i64, RepoError> {
    match value {
        Some(Value::Int(n)) => Ok(n),
        _ => Err(malformed()),
    }
}

impl Redis {
    /// Runs the gate script for `reads`, timed as `operation`.
    pub(crate) async fn run_gate(
        &self,
        operation: &'static str,
        reads: &GateReads,
    ) -> Result<GateAnswer, RepoError> {
        let mut invocation = ADMIT.prepare_invoke();
        for (key, _) in &reads.hits {
            invocation.key(self.limit_key(key));
        }
        let mut listed = 0_usize;
        if let Some(jti) = &reads.blocked {
            invocation.key(self.blocked_key(jti));
            listed += 1;
        }
        if let Some(id) = reads.session {
            invocation.key(self.ended_key(id));
            listed += 1;
        }
        for key in &reads.cached {
            invocation.key(self.cache_key(key));
        }
        invocation.arg(reads.hits.len()).arg(listed);
        for (_, window) in &reads.hits {
            invocation.arg(expiry_ms(*window));
        }
        let values: Vec<Value> = self.run_script(operation, &invocation).await?;
        let expected = 2 * reads.hits.len() + usize::from(listed > 0) + reads.cached.len();
        if values.len() != expected {
            return Err(malformed());
        }
        let mut values = values.into_iter();
        let mut answer = GateAnswer::default();
        for _ in &reads.hits {
            let count = integer(values.next())?;
            let left = integer(values.next())?;
            answer.windows.push(window(count, left));
        }
        if listed > 0 {
            answer.blocked = integer(values.next())? > 0;
        }
        for value in values {
            answer.cached.push(match value {
                Value::Nil => None,
                Value::BulkString(bytes) => Some(bytes),
                _ => return Err(malformed()),
            });
        }
        Ok(answer)
    }
}

#[async_trait]
impl RequestGate for Redis {
    async fn admit(&self, reads: &GateReads) -> Result<GateAnswer, RepoError> {
        self.run_gate("gate.admit", reads).await
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
