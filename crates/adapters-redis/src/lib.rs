//! Redis adapters on the `redis` crate: the shared [`Cache`](cubby_ports::Cache), the
//! [`IdempotencyStore`](cubby_ports::IdempotencyStore), the session
//! [`TokenStore`](cubby_ports::TokenStore), the [`RateLimiter`](cubby_ports::RateLimiter)
//! counters, the [`RequestGate`](cubby_ports::RequestGate) that reads those in one round trip,
//! the [`JobQueue`](cubby_ports::JobQueue) on Redis Streams and a readiness probe.
//!
//! One [`Redis`] (one multiplexed connection behind the driver's `ConnectionManager`) serves a
//! whole process. It connects lazily, so a process starts while Redis is down; every call is
//! bounded by short connection and response timeouts, so an outage answers
//! [`RepoError::Unavailable`] within about a second instead of hanging; and the next call after
//! a failure reconnects, so the same value works again once Redis is back.
//!
//! Every key lives under the namespace given to [`Redis::connect`], and every key but the job
//! queues' has a TTL:
//!
//! - `{namespace}:cache:{key}`: a cache entry, under its [`CacheKey`](cubby_ports::CacheKey)
//!   (which names the layout version and the tenant), for its [`Ttl`](cubby_ports::Ttl);
//! - `{namespace}:idem:{tenant_id}:{actor}:{sha256 of the Idempotency-Key, hex}`: an
//!   idempotency record, as JSON, for the in-flight time, then the keep time;
//! - `{namespace}:blk:{jti}`: a blocked access token (the value is `1`), until the token's own
//!   expiry;
//! - `{namespace}:ses:{session id}`: a refresh token family, as JSON, until the session's
//!   absolute expiry (rotations keep that TTL);
//! - `{namespace}:limit:{limit key}`: a rate-limit counter (an integer), for its window, which
//!   the first hit opens;
//! - `{namespace}:jobs:{queue}` and `{namespace}:jobs:{queue}:{delayed,leases,dead}`: a job
//!   queue's stream, delayed jobs, visibility leases and dead letters, without a TTL since they
//!   hold work that must not vanish (see the `jobs` module).
//!
//! Expiries are at least a millisecond and at most a year. Driver errors are mapped here by
//! `to_repo_error` and never cross the port; no message repeats the URL, which may hold a
//! password.

mod cache;
mod gate;
mod idempotency;
mod jobs;
mod limits;
mod tokens;

#[cfg(test)]
mod tests;

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use cubby_ports::{HealthProbe, Ports, ProbeError, RepoError};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{
    Cmd, ErrorKind, FromRedisValue, Pipeline, RedisError, ScriptInvocation, ServerErrorKind,
};

/// How long opening a connection may take before the call fails.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a command may wait for its answer before the call fails.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Extra connection attempts behind one failed attempt. None: while Redis is down each call
/// fails after one attempt, and the next call tries again.
const RECONNECT_RETRIES: usize = 0;
/// The longest expiry sent to Redis (a year); longer durations are clamped to it.
const MAX_EXPIRY_MS: u64 = 365 * 24 * 60 * 60 * 1000;

/// A Redis server holding Cubby's keys under one namespace. Cheap to clone: clones share one
/// connection, and read the job queues as one consumer.
#[derive(Clone)]
pub struct Redis {
    connection: ConnectionManager,
    namespace: Arc<str>,
    /// The name this value (and its clones) reads the job queues' streams as, unique to it.
    consumer: Arc<str>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The driver's own Debug would print the connection details, password included.
        f.debug_struct("Redis")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// A client for the server at `url` (`redis://[:password@]host[:port][/db]`) keeping every
    /// key under `namespace`. No connection is made until the first call, so this succeeds
    /// while Redis is down. Must be called inside a Tokio runtime, which then drives the
    /// connection.
    ///
    /// # Errors
    ///
    /// [`RepoError::Failed`] when the URL is not valid (the message never repeats it, since it
    /// may hold a password), the namespace is empty, or no Tokio runtime is running.
    pub fn connect(url: &str, namespace: &str) -> Result<Self, RepoError> {
        if namespace.is_empty() {
            return Err(RepoError::Failed("the redis namespace is empty".into()));
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(RepoError::Failed(
                "redis needs a running tokio runtime to connect".into(),
            ));
        }
        let client = redis::Client::open(url)
            .map_err(|_| RepoError::Failed("the redis url is not valid".into()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(RECONNECT_RETRIES);
        let connection =
            ConnectionManager::new_lazy_with_config(client, config).map_err(to_repo_error)?;
        Ok(Self {
            connection,
            namespace: namespace.into(),
            consumer: consumer_name().into(),
        })
    }

    /// The namespace every key is stored under.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Points the cache, the idempotency store, the token store, the rate limiter and the job
    /// queues of `ports` at this server, and adds its readiness probe.
    pub fn install(&self, ports: &mut Ports) {
        ports.cache = Arc::new(self.clone());
        ports.idempotency = Arc::new(self.clone());
        ports.tokens = Arc::new(self.clone());
        ports.limits = Arc::new(self.clone());
        ports.gate = Some(Arc::new(self.clone()));
        ports.jobs = Arc::new(self.clone());
        ports.probes.push(Arc::new(self.clone()));
    }

    /// The full key of `kind` (`cache`, `idem`, `blk`, `ses`, `limit`, `jobs`) and `rest`.
    fn key(&self, kind: &str, rest: &str) -> String {
        format!("{}:{kind}:{rest}", self.namespace)
    }

    /// Runs `command` and reads its answer as `T`. Like every call to the server, it is timed
    /// as `operation` (the port's method: `cache.get`) in a `store` span (see
    /// [`cubby_ports::observe`]).
    async fn query<T: FromRedisValue>(
        &self,
        operation: &'static str,
        command: &Cmd,
    ) -> Result<T, RepoError> {
        let mut connection = self.connection.clone();
        timed(operation, command.query_async(&mut connection)).await
    }

    /// Runs `pipeline` and reads its answers as `T`, timed as `operation`.
    async fn query_pipeline<T: FromRedisValue>(
        &self,
        operation: &'static str,
        pipeline: &Pipeline,
    ) -> Result<T, RepoError> {
        let mut connection = self.connection.clone();
        timed(operation, pipeline.query_async(&mut connection)).await
    }

    /// Runs a Lua script (by its digest, loading it first when the server does not know it) and
    /// reads its answer as `T`, timed as `operation`. A script runs atomically.
    async fn run_script<T: FromRedisValue>(
        &self,
        operation: &'static str,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, RepoError> {
        let mut connection = self.connection.clone();
        timed(operation, invocation.invoke_async(&mut connection)).await
    }
}

#[async_trait]
impl HealthProbe for Redis {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn check(&self) -> Result<(), ProbeError> {
        let mut connection = self.connection.clone();
        let answer: String = redis::cmd("PING")
            .query_async(&mut connection)
            .await
            .map_err(|e| ProbeError(describe(&e)))?;
        match answer.as_str() {
            "PONG" => Ok(()),
            _ => Err(ProbeError(
                "redis answered ping with something other than pong".to_owned(),
            )),
        }
    }
}

/// Runs `call` as `operation` of Redis (see [`cubby_ports::observe::timed`]), its error mapped.
async fn timed<T>(
    operation: &'static str,
    call: impl Future<Output = Result<T, RedisError>>,
) -> Result<T, RepoError> {
    cubby_ports::observe::timed("redis", operation, call)
        .await
        .map_err(to_repo_error)
}

/// A job queue consumer name no other process or [`Redis`] value uses: the process id, a
/// random number (from the standard library's randomly keyed hasher) and a count of the names
/// this process made.
fn consumer_name() -> String {
    static MADE: AtomicU64 = AtomicU64::new(0);
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let made = MADE.fetch_add(1, Ordering::Relaxed);
    format!("{}-{random:016x}-{made}", std::process::id())
}

/// `duration` in whole milliseconds for `PX`: at least 1 (Redis refuses 0), at most a year.
fn expiry_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .clamp(1, MAX_EXPIRY_MS)
}

/// Maps a driver error to the port's: unreachable, timed out, dropped or still loading →
/// `Unavailable`; anything else → `Failed`. The message is built here and never carries the
/// driver's text.
fn to_repo_error(error: RedisError) -> RepoError {
    let message = describe(&error);
    if is_transient(&error) {
        RepoError::Unavailable(message.into())
    } else {
        RepoError::Failed(message.into())
    }
}

/// Whether `error` means "Redis cannot answer now" rather than "this cannot work".
fn is_transient(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_refusal()
        || error.is_connection_dropped()
        || matches!(
            error.kind(),
            ErrorKind::Server(
                ServerErrorKind::BusyLoading
                    | ServerErrorKind::TryAgain
                    | ServerErrorKind::MasterDown
                    | ServerErrorKind::ClusterDown
            )
        )
}

/// What went wrong, for logs and probes: the kind of failure and the server's error code,
/// never the driver's text (which may name the host or echo arguments).
fn describe(error: &RedisError) -> String {
    if error.is_connection_refusal() {
        "redis refused the connection".to_owned()
    } else if error.is_timeout() {
        "redis did not answer in time".to_owned()
    } else if error.is_connection_dropped() {
        "the connection to redis dropped".to_owned()
    } else if error.is_io_error() {
        "redis could not be reached".to_owned()
    } else if let Some(code) = error.code() {
        format!("redis answered with error {code}")
    } else {
        format!("the redis call failed ({})", error.category())
    }
}
