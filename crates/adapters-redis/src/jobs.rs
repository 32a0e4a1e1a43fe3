//! The job queues on Redis Streams.
//!
//! Each queue has four keys (`{queue}` is [`Queue::as_str`]), none with a TTL (they hold work
//! that must not vanish):
//!
//! - `{namespace}:jobs:{queue}`: a stream of the jobs ready to run, with one consumer group,
//!   `workers`, created at id `0` with `MKSTREAM` by the first script to touch the queue (an
//!   existing group, `BUSYGROUP`, is left as it is). An entry's fields are the envelope: `id`,
//!   `tenant`, `kind`, `payload`, `attempt` (decimal) and, when the job continues a trace,
//!   `traceparent`. A delivery's receipt is its entry id.
//! - `{namespace}:jobs:{queue}:delayed`: a sorted set of the jobs waiting for a delay (new ones
//!   and retries), each member the envelope as JSON (the same fields, every value a string),
//!   scored by the time it is due, in milliseconds of the server's clock.
//! - `{namespace}:jobs:{queue}:leases`: a sorted set of the entry ids handed to a worker, scored
//!   by the time their visibility timeout runs out (server clock, milliseconds).
//! - `{namespace}:jobs:{queue}:dead`: a stream of dead-lettered jobs, the envelope's fields and
//!   `reason`, oldest first. It is never trimmed: operators empty it.
//!
//! Every step that touches more than one key is a Lua script (or a `MULTI` pipeline), so it
//! runs atomically and no half-done state is ever seen:
//!
//! - `enqueue` adds the entry to the stream, or, with a delay, the JSON to the delayed set.
//! - `receive` first moves the due delayed jobs into the stream (`ZRANGEBYSCORE`, `ZREM`,
//!   `XADD`: since the script is atomic, two receivers never move one job twice); then takes
//!   over the deliveries whose lease ran out (`XCLAIM` by id, the worker that had them having
//!   died or stalled); then reads new entries (`XREADGROUP ... COUNT n STREAMS stream >`, never
//!   blocking); and leases every delivery until now plus the caller's visibility timeout.
//!   Leases are kept apart from the group's pending entries list because each delivery has the
//!   visibility timeout of the call that received it, while `XAUTOCLAIM`'s idle time would be
//!   the later caller's.
//! - `ack` is `XACK`, `XDEL` and the lease's `ZREM` in one `MULTI`.
//! - `retry` and `dead_letter` are scripts that `XACK` the entry and, only when it was still
//!   pending (a delivery already finished by a worker that took it over is left alone), `XDEL`
//!   it and add the next attempt to the delayed set or the job to the dead stream.
//! - `depth`: waiting is the stream's length less its pending entries, plus the delayed set's
//!   size; in flight is the pending count (`XPENDING` summary); dead is the dead stream's length.
//!
//! Delivery is at least once: a worker that outlives its visibility timeout may finish a job
//! that another worker runs again; job records' effect marks make that harmless. Every adapter
//! made by [`Redis::connect`] reads as a consumer of its own name, so `XINFO CONSUMERS` tells
//! the processes apart. Times come from the server's `TIME`, so the workers' clocks do not
//! matter. The scripts touch several keys of one queue: fine on the single server this adapter
//! connects to.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use cubby_domain::{JobId, Queue, TenantId};
use cubby_ports::{DeadLetter, Delivery, JobEnvelope, JobQueue, QueueDepth, RepoError};
use redis::Script;
use serde::Serialize;

use crate::{MAX_EXPIRY_MS, Redis, expiry_ms};

/// The consumer group every worker reads as.
const GROUP: &str = "workers";

/// The most deliveries one `receive` hands out, whatever the caller asks for.
const MAX_RECEIVE: usize = 1000;

/// The most delayed jobs one `receive` moves into the stream (the next call moves the rest).
const MAX_PROMOTE: usize = 1000;

/// Lua shared by the scripts.
const PRELUDE: &str = r"
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- Creates the group (and the stream) unless it exists: BUSYGROUP is the expected error.
local function ensure_group(stream, group)
  redis.pcall('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
end

-- The stream fields of a delayed job's JSON; one field holding it all when it cannot be read,
-- which the adapter then reports as corrupt.
local function fields(member)
  local ok, job = pcall(cjson.decode, member)
  if ok and type(job) == 'table' then
    local out = {}
    for _, name in ipairs({'id', 'tenant', 'kind', 'payload', 'attempt'}) do
      if type(job[name]) ~= 'string' then
        return {'unreadable', member}
      end
      out[#out + 1] = name
      out[#out + 1] = job[name]
    end
    if type(job.traceparent) == 'string' then
      out[#out + 1] = 'traceparent'
      out[#out + 1] = job.traceparent
    end
    return out
  end
  return {'unreadable', member}
end
";

/// `KEYS`: the stream, the delayed set. `ARGV`: the group, the delay in milliseconds (0: ready
/// now), the envelope as JSON.
static ENQUEUE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
ensure_group(KEYS[1], ARGV[1])
local delay = tonumber(ARGV[2])
if delay > 0 then
  redis.call('ZADD', KEYS[2], now_ms() + delay, ARGV[3])
else
  redis.call('XADD', KEYS[1], '*', unpack(fields(ARGV[3])))
end
return 1
",
    )
});

/// `KEYS`: the stream, the delayed set, the leases. `ARGV`: the group, the consumer, the most
/// deliveries, the visibility timeout in milliseconds, the most delayed jobs to move. Answers
/// the deliveries as `[[entry id, [field, value, ...]], ...]`, taken-over ones first.
static RECEIVE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local stream, delayed, leases = KEYS[1], KEYS[2], KEYS[3]
local group, consumer = ARGV[1], ARGV[2]
local max = tonumber(ARGV[3])
local now = now_ms()
local deadline = now + tonumber(ARGV[4])
ensure_group(stream, group)

local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, tonumber(ARGV[5]))
for _, member in ipairs(due) do
  redis.call('ZREM', delayed, member)
  redis.call('XADD', stream, '*', unpack(fields(member)))
end

local out = {}
local expired = redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, max)
if #expired > 0 then
  redis.call('ZREM', leases, unpack(expired))
  -- Entries no longer pending (finished meanwhile) are not claimed, and not returned.
  local claimed = redis.call('XCLAIM', stream, group, consumer, 0, unpack(expired))
  for _, entry in ipairs(claimed) do
    if type(entry) == 'table' and type(entry[2]) == 'table' then
      redis.call('ZADD', leases, deadline, entry[1])
      out[#out + 1] = entry
    end
  end
end

if #out < max then
  local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', max - #out,
    'STREAMS', stream, '>')
  if type(read) == 'table' and read[1] then
    for _, entry in ipairs(read[1][2]) do
      redis.call('ZADD', leases, deadline, entry[1])
      out[#out + 1] = entry
    end
  end
end
return out
",
    )
});

/// `KEYS`: the stream, the delayed set, the leases. `ARGV`: the group, the entry id, the delay
/// in milliseconds, the next attempt's envelope as JSON. Answers 1 when the job was put back,
/// 0 when the delivery was no longer pending.
static RETRY: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
redis.call('ZREM', KEYS[3], ARGV[2])
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], now_ms() + tonumber(ARGV[3]), ARGV[4])
return 1
",
    )
});

/// `KEYS`: the stream, the leases, the dead stream. `ARGV`: the group, the entry id, then the
/// dead entry's fields and values. Answers 1 when the job was dead-lettered, 0 when the
/// delivery was no longer pending.
static DEAD_LETTER: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
redis.call('ZREM', KEYS[2], ARGV[2])
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('XADD', KEYS[3], '*', unpack(ARGV, 3))
return 1
",
    )
});

/// `KEYS`: the stream, the delayed set, the dead stream. `ARGV`: the group. Answers the
/// stream's length, its pending count (0 while the group does not exist), the delayed set's
/// size and the dead stream's length.
static DEPTH: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local pending = 0
local summary = redis.pcall('XPENDING', KEYS[1], ARGV[1])
if type(summary) == 'table' and type(summary[1]) == 'number' then
  pending = summary[1]
end
return {redis.call('XLEN', KEYS[1]), pending, redis.call('ZCARD', KEYS[2]),
  redis.call('XLEN', KEYS[3])}
",
    )
});

fn script(body: &str) -> Script {
    Script::new(&format!("{PRELUDE}{body}"))
}

/// The keys of one queue.
pub(crate) struct QueueKeys {
    pub(crate) stream: String,
    pub(crate) delayed: String,
    pub(crate) leases: String,
    pub(crate) dead: String,
}

impl Redis {
    /// The keys of `queue`.
    pub(crate) fn queue_keys(&self, queue: Queue) -> QueueKeys {
        let stream = self.key("jobs", queue.as_str());
        QueueKeys {
            delayed: format!("{stream}:delayed"),
            leases: format!("{stream}:leases"),
            dead: format!("{stream}:dead"),
            stream,
        }
    }
}

/// A job waiting in the delayed set, as JSON: every value a string, so the scripts copy them
/// into stream fields unchanged.
#[derive(Serialize)]
struct Delayed<'a> {
    id: String,
    tenant: String,
    kind: &'a str,
    payload: &'a str,
    attempt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    traceparent: Option<&'a str>,
}

fn delayed_json(job: &JobEnvelope) -> Result<String, RepoError> {
    serde_json::to_string(&Delayed {
        id: job.id.to_string(),
        tenant: job.tenant.to_string(),
        kind: &job.kind,
        payload: &job.payload,
        attempt: job.attempt.to_string(),
        traceparent: job.traceparent.as_deref(),
    })
    .map_err(|_| RepoError::Failed("a job could not be serialized".into()))
}

/// `duration` in whole milliseconds, at most a year; zero stays zero.
fn delay_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .min(MAX_EXPIRY_MS)
}

/// A stream entry as read: its id and its fields and values, alternating.
type Entry = (String, Vec<Vec<u8>>);

/// The value of `name` among an entry's fields, as text.
fn field<'a>(fields: &'a [Vec<u8>], name: &str) -> Result<&'a str, RepoError> {
    fields
        .chunks(2)
        .find(|pair| pair[0] == name.as_bytes())
        .and_then(|pair| pair.get(1))
        .and_then(|value| std::str::from_utf8(value).ok())
        .ok_or_else(|| malformed(name))
}

fn malformed(name: &str) -> RepoError {
    RepoError::corrupt(format!("a job entry: missing or malformed {name}"))
}

/// The envelope an entry holds; anything unreadable is [`RepoError::Corrupt`], named by field,
/// never by value.
fn envelope(fields: &[Vec<u8>]) -> Result<JobEnvelope, RepoError> {
    Ok(JobEnvelope {
        id: JobId::parse(field(fields, "id")?).map_err(|_| malformed("id"))?,
        tenant: TenantId::parse(field(fields, "tenant")?).map_err(|_| malformed("tenant"))?,
        kind: field(fields, "kind")?.to_owned(),
        payload: field(fields, "payload")?.to_owned(),
        attempt: field(fields, "attempt")?
            .parse()
            .map_err(|_| malformed("attempt"))?,
        // Optional, and never a reason to refuse a job.
        traceparent: field(fields, "traceparent").ok().map(str::to_owned),
    })
}

fn delivery((receipt, fields): Entry) -> Result<Delivery, RepoError> {
    Ok(Delivery {
        envelope: envelope(&fields)?,
        receipt,
    })
}

fn dead_letter((_, fields): Entry) -> Result<DeadLetter, RepoError> {
    Ok(DeadLetter {
        envelope: envelope(&fields)?,
        reason: field(&fields, "reason")?.to_owned(),
    })
}

#[async_trait]
impl JobQueue for Redis {
    async fn enqueue(
        &self,
        queue: Queue,
        job: &JobEnvelope,
        delay: Duration,
    ) -> Result<(), RepoError> {
        let keys = self.queue_keys(queue);
        let mut invocation = ENQUEUE.prepare_invoke();
        invocation
            .key(&keys.stream)
            .key(&keys.delayed)
            .arg(GROUP)
            .arg(delay_ms(delay))
            .arg(delayed_json(job)?);
        self.run_script("jobs.enqueue", &invocation).await
    }

    async fn receive(
        &self,
        queue: Queue,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Delivery>, RepoError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let keys = self.queue_keys(queue);
        let mut invocation = RECEIVE.prepare_invoke();
        invocation
            .key(&keys.stream)
            .key(&keys.delayed)
            .key(&keys.leases)
            .arg(GROUP)
            .arg(&*self.consumer)
            .arg(max.min(MAX_RECEIVE))
            .arg(expiry_ms(visibility))
            .arg(MAX_PROMOTE);
        let entries: Vec<Entry> = self.run_script("jobs.receive", &invocation).await?;
        entries.into_iter().map(delivery).collect()
    }

    async fn ack(&self, queue: Queue, delivery: &Delivery) -> Result<(), RepoError> {
        let keys = self.queue_keys(queue);
        let id = &delivery.receipt;
        let mut pipeline = redis::pipe();
        pipeline
            .atomic()
            .cmd("XACK")
            .arg(&keys.stream)
            .arg(GROUP)
            .arg(id)
            .ignore()
            .cmd("XDEL")
            .arg(&keys.stream)
            .arg(id)
            .ignore()
            .cmd("ZREM")
            .arg(&keys.leases)
            .arg(id)
            .ignore();
        self.query_pipeline("jobs.ack", &pipeline).await
    }

    async fn retry(
        &self,
        queue: Queue,
        delivery: &Delivery,
        delay: Duration,
    ) -> Result<(), RepoError> {
        let keys = self.queue_keys(queue);
        let next = JobEnvelope {
            attempt: delivery.envelope.attempt.saturating_add(1),
            ..delivery.envelope.clone()
        };
        let mut invocation = RETRY.prepare_invoke();
        invocation
            .key(&keys.stream)
            .key(&keys.delayed)
            .key(&keys.leases)
            .arg(GROUP)
            .arg(&delivery.receipt)
            .arg(delay_ms(delay))
            .arg(delayed_json(&next)?);
        self.run_script::<i64>("jobs.retry", &invocation)
            .await
            .map(|_| ())
    }

    async fn dead_letter(
        &self,
        queue: Queue,
        delivery: &Delivery,
        reason: &str,
    ) -> Result<(), RepoError> {
        let keys = self.queue_keys(queue);
        let job = &delivery.envelope;
        let mut invocation = DEAD_LETTER.prepare_invoke();
        invocation
            .key(&keys.stream)
            .key(&keys.leases)
            .key(&keys.dead)
            .arg(GROUP)
            .arg(&delivery.receipt)
            .arg("id")
            .arg(job.id.to_string())
            .arg("tenant")
            .arg(job.tenant.to_string())
            .arg("kind")
            .arg(&job.kind)
            .arg("payload")
            .arg(&job.payload)
            .arg("attempt")
            .arg(job.attempt)
            .arg("reason")
            .arg(reason);
        if let Some(traceparent) = &job.traceparent {
            invocation.arg("traceparent").arg(traceparent);
        }
        self.run_script::<i64>("jobs.dead_letter", &invocation)
            .await
            .map(|_| ())
    }

    async fn dead_letters(&self, queue: Queue, max: usize) -> Result<Vec<DeadLetter>, RepoError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let mut range = redis::cmd("XRANGE");
        range
            .arg(self.queue_keys(queue).dead)
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(max);
        let entries: Vec<Entry> = self.query("jobs.dead_letters", &range).await?;
        entries.into_iter().map(dead_letter).collect()
    }

    async fn depth(&self, queue: Queue) -> Result<QueueDepth, RepoError> {
        let keys = self.queue_keys(queue);
        let mut invocation = DEPTH.prepare_invoke();
        invocation
            .key(&keys.stream)
            .key(&keys.delayed)
            .key(&keys.dead)
            .arg(GROUP);
        let (length, pending, delayed, dead): (u64, u64, u64, u64) =
            self.run_script("jobs.depth", &invocation).await?;
        Ok(QueueDepth {
            waiting: length.saturating_sub(pending) + delayed,
            in_flight: pending,
            dead,
        })
    }
}

#[cfg(test)]
mod tests {
    use cubby_domain::{JobId, TenantId};
    use cubby_ports::{JobEnvelope, RepoError};
    use uuid::Uuid;

    use super::{delayed_json, envelope};

    fn job() -> JobEnvelope {
        JobEnvelope {
            id: JobId::from_uuid(Uuid::now_v7()),
            tenant: TenantId::from_uuid(Uuid::now_v7()),
            kind: "roster_import".to_owned(),
            payload: r#"{"file":"ü"}"#.to_owned(),
            attempt: 7,
            traceparent: None,
        }
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<Vec<u8>> {
        pairs
            .iter()
            .flat_map(|(name, value)| [name.as_bytes().to_vec(), value.as_bytes().to_vec()])
            .collect()
    }

    #[test]
    fn an_envelope_reads_back_from_its_fields() {
        let job = job();
        let (id, tenant) = (job.id.to_string(), job.tenant.to_string());
        let stored = fields(&[
            ("id", &id),
            ("tenant", &tenant),
            ("kind", &job.kind),
            ("payload", &job.payload),
            ("attempt", "7"),
        ]);
        assert_eq!(envelope(&stored).unwrap(), job);
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let mut traced = stored.clone();
        traced.extend(fields(&[("traceparent", traceparent)]));
        assert_eq!(
            envelope(&traced).unwrap(),
            cubby_ports::JobEnvelope {
                traceparent: Some(traceparent.to_owned()),
                ..job
            }
        );
    }

    #[test]
    fn the_delayed_form_holds_every_value_as_a_string() {
        let job = job();
        let json: serde_json::Value = serde_json::from_str(&delayed_json(&job).unwrap()).unwrap();
        assert_eq!(json["attempt"], "7");
        assert_eq!(json["payload"], job.payload.as_str());
        assert_eq!(json["id"], job.id.to_string().as_str());
        assert!(json.get("traceparent").is_none(), "{json}");
    }

    #[test]
    fn unreadable_entries_are_corrupt_and_name_no_value() {
        let job = job();
        let (id, tenant) = (job.id.to_string(), job.tenant.to_string());
        for (stored, what) in [
            (fields(&[("unreadable", "{secret")]), "id"),
            (
                fields(&[
                    ("id", "job_secret"),
                    ("tenant", &tenant),
                    ("kind", "k"),
                    ("payload", "{}"),
                    ("attempt", "0"),
                ]),
                "id",
            ),
            (
                fields(&[
                    ("id", &id),
                    ("tenant", &tenant),
                    ("kind", "k"),
                    ("payload", "{}"),
                    ("attempt", "-1"),
                ]),
                "attempt",
            ),
            (
                fields(&[("id", &id), ("tenant", &tenant), ("kind", "k")]),
                "payload",
            ),
        ] {
            let error = envelope(&stored).unwrap_err();
            let text = format!("{error} {:?}", std::error::Error::source(&error));
            assert!(matches!(error, RepoError::Corrupt(_)), "{text}");
            assert!(text.contains(what) && !text.contains("secret"), "{text}");
        }
        let mut odd = fields(&[("id", &id)]);
        odd.push(b"tenant".to_vec());
        assert!(matches!(envelope(&odd), Err(RepoError::Corrupt(_))));
    }
}
