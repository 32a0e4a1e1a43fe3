//! The contract suites against a real Redis, and how the adapter behaves when Redis is down,
//! goes away, or comes back.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use cubby_domain::{JobId, Queue, TenantId, TokenDigest};
use cubby_ports::contract::fresh_scope;
use cubby_ports::contract::services::{redis_url, required};
use cubby_ports::contract::tokens::new_family;
use cubby_ports::{
    Cache, CacheKey, Claim, DeadLetter, Delivery, Fingerprint, HealthProbe, IdempotencyKey,
    IdempotencyStore, JobEnvelope, JobQueue, LimitKey, QueueDepth, RateLimiter, RepoError,
    TokenStore, Ttl,
};
use uuid::Uuid;

use crate::Redis;

/// An adapter on the test server in a namespace of its own, or `None` when none is configured.
/// Its keys all expire by themselves within a minute.
pub(crate) async fn fresh() -> Option<Redis> {
    let url = redis_url()?;
    Some(Redis::connect(&url, &format!("cubby-test-{}", Uuid::now_v7())).unwrap())
}

mod cache {
    cubby_ports::cache_contract!(optional super::fresh());
}

mod idempotency {
    cubby_ports::idempotency_store_contract!(optional super::fresh());
}

mod tokens {
    cubby_ports::token_store_contract!(optional super::fresh());
}

mod limits {
    cubby_ports::rate_limiter_contract!(optional super::fresh());
}

mod gate {
    use cubby_ports::contract::gate::Gated;
    cubby_ports::request_gate_contract!(optional async { super::fresh().await.map(Gated::of) });
}

mod jobs {
    cubby_ports::job_queue_contract!(optional super::fresh_queues());
}

/// The job queues of an adapter in a namespace of its own. Queue keys have no TTL, so they are
/// given one (a minute, like every other test key) when this is dropped.
pub(crate) struct TestQueues {
    redis: Redis,
    url: String,
}

/// [`TestQueues`] on the test server, or `None` when none is configured.
pub(crate) async fn fresh_queues() -> Option<TestQueues> {
    let redis = fresh().await?;
    let url = redis_url()?;
    Some(TestQueues { redis, url })
}

impl Drop for TestQueues {
    fn drop(&mut self) {
        // Synchronous: no runtime may be left to run an async call. Failures leave the keys.
        let Ok(client) = redis::Client::open(self.url.as_str()) else {
            return;
        };
        let Ok(mut connection) = client.get_connection_with_timeout(Duration::from_secs(1)) else {
            return;
        };
        for queue in Queue::ALL {
            let keys = self.redis.queue_keys(queue);
            for key in [keys.stream, keys.delayed, keys.leases, keys.dead] {
                let _: Result<i64, _> = redis::cmd("PEXPIRE")
                    .arg(key)
                    .arg(60_000)
                    .query(&mut connection);
            }
        }
    }
}

#[async_trait]
impl JobQueue for TestQueues {
    async fn enqueue(
        &self,
        queue: Queue,
        job: &JobEnvelope,
        delay: Duration,
    ) -> Result<(), RepoError> {
        self.redis.enqueue(queue, job, delay).await
    }

    async fn receive(
        &self,
        queue: Queue,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Delivery>, RepoError> {
        self.redis.receive(queue, max, visibility).await
    }

    async fn ack(&self, queue: Queue, delivery: &Delivery) -> Result<(), RepoError> {
        self.redis.ack(queue, delivery).await
    }

    async fn retry(
        &self,
        queue: Queue,
        delivery: &Delivery,
        delay: Duration,
    ) -> Result<(), RepoError> {
        self.redis.retry(queue, delivery, delay).await
    }

    async fn dead_letter(
        &self,
        queue: Queue,
        delivery: &Delivery,
        reason: &str,
    ) -> Result<(), RepoError> {
        self.redis.dead_letter(queue, delivery, reason).await
    }

    async fn dead_letters(&self, queue: Queue, max: usize) -> Result<Vec<DeadLetter>, RepoError> {
        self.redis.dead_letters(queue, max).await
    }

    async fn depth(&self, queue: Queue) -> Result<QueueDepth, RepoError> {
        self.redis.depth(queue).await
    }
}

/// Longer than any single call may take while Redis is down.
const FAIL_FAST: Duration = Duration::from_secs(2);

fn cache_key() -> CacheKey {
    CacheKey::tenant_by_id(TenantId::from_uuid(Uuid::now_v7()))
}

fn minute() -> Ttl {
    Ttl::new(Duration::from_secs(60)).unwrap()
}

fn idempotency_key() -> IdempotencyKey {
    IdempotencyKey::parse("outage").unwrap()
}

/// Runs `call`, checks it answered within [`FAIL_FAST`], and returns its answer.
async fn timed<T>(call: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let answer = call.await;
    assert!(
        started.elapsed() < FAIL_FAST,
        "the call took {:?}",
        started.elapsed()
    );
    answer
}

fn assert_unavailable<T: std::fmt::Debug>(answer: Result<T, RepoError>) {
    assert!(
        matches!(answer, Err(RepoError::Unavailable(_))),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_closed_port_answers_unavailable_quickly() {
    let redis = Redis::connect("redis://127.0.0.1:1", "cubby-test-closed").unwrap();
    for _ in 0..2 {
        assert_unavailable(timed(redis.get(&cache_key())).await);
        assert_unavailable(timed(redis.put(&cache_key(), b"v", minute())).await);
        let (scope, key) = (fresh_scope(), idempotency_key());
        let claim = redis.claim(&scope, &key, Fingerprint([0; 32]), Duration::from_secs(60));
        assert_unavailable(timed(claim).await);
        let probe = timed(redis.check()).await;
        assert_eq!(probe.unwrap_err().0, "redis refused the connection");
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_as_unavailable() {
    // Accepts connections and reads nothing: the handshake and every command wait for an answer.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            sockets.push(socket);
        }
    });
    let redis = Redis::connect(&format!("redis://127.0.0.1:{port}"), "cubby-test-silent").unwrap();
    for _ in 0..2 {
        assert_unavailable(timed(redis.get(&cache_key())).await);
        assert_eq!(
            timed(redis.check()).await.unwrap_err().0,
            "redis did not answer in time"
        );
    }
    held.abort();
}

#[tokio::test]
async fn no_error_or_debug_output_repeats_the_password() {
    let invalid = Redis::connect("redis://:hunter2@127.0.0.1:notaport", "ns").unwrap_err();
    assert!(matches!(invalid, RepoError::Failed(_)), "{invalid:?}");
    assert!(!format!("{invalid:?}").contains("hunter2"));
    let redis = Redis::connect("redis://user:hunter2@127.0.0.1:1/0", "ns").unwrap();
    let error = redis.get(&cache_key()).await.unwrap_err();
    let source = std::error::Error::source(&error)
        .map(ToString::to_string)
        .unwrap_or_default();
    let seen = format!("{error} {error:?} {source} {redis:?}");
    assert!(
        !seen.contains("hunter2") && !seen.contains("127.0.0.1"),
        "{seen}"
    );
}

#[tokio::test]
async fn an_empty_namespace_is_refused() {
    assert!(matches!(
        Redis::connect("redis://127.0.0.1:1", ""),
        Err(RepoError::Failed(_))
    ));
}

#[test]
fn connecting_outside_a_runtime_is_an_error_not_a_panic() {
    assert!(matches!(
        Redis::connect("redis://127.0.0.1:1", "ns"),
        Err(RepoError::Failed(_))
    ));
}

#[tokio::test]
async fn keys_are_namespaced_and_hash_the_client_key() {
    let Some(redis) = fresh().await else { return };
    let scope = fresh_scope();
    let key = redis.record_key(&scope, &IdempotencyKey::parse("a:b/c").unwrap());
    let prefix = format!(
        "{}:idem:{}:{}:",
        redis.namespace(),
        scope.tenant_id(),
        scope.actor()
    );
    assert!(key.starts_with(&prefix), "{key}");
    assert_eq!(key.len(), prefix.len() + 64);
    assert!(redis.check().await.is_ok());
}

#[tokio::test]
async fn a_stored_record_that_cannot_be_read_is_corrupt() {
    let Some(redis) = fresh().await else { return };
    let scope = fresh_scope();
    let mut set = redis::cmd("SET");
    set.arg(redis.record_key(&scope, &idempotency_key()))
        .arg("{not json")
        .arg("PX")
        .arg(60_000);
    redis.query::<()>("test", &set).await.unwrap();
    let claim = redis
        .claim(
            &scope,
            &idempotency_key(),
            Fingerprint([1; 32]),
            Duration::from_secs(60),
        )
        .await;
    assert!(matches!(claim, Err(RepoError::Corrupt(_))), "{claim:?}");
}

/// The key's time to live in milliseconds (-1: none, -2: no key).
async fn pttl(redis: &Redis, key: &str) -> i64 {
    redis
        .query("test", redis::cmd("PTTL").arg(key))
        .await
        .unwrap()
}

#[tokio::test]
async fn session_keys_are_namespaced_and_expire_with_what_they_hold() {
    let Some(redis) = fresh().await else { return };
    let jti = Uuid::now_v7().to_string();
    redis
        .block_access(
            &jti,
            time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
        )
        .await
        .unwrap();
    let blocked = format!("{}:blk:{jti}", redis.namespace());
    let left = pttl(&redis, &blocked).await;
    assert!((290_000..=300_000).contains(&left), "{left}");

    let family = new_family(time::Duration::hours(1));
    redis.create_family(&family).await.unwrap();
    let key = format!("{}:ses:{}", redis.namespace(), family.id);
    assert_eq!(redis.family_key(family.id), key);
    let before = pttl(&redis, &key).await;
    assert!((3_590_000..=3_600_000).contains(&before), "{before}");
    let rotated = family.rotated(TokenDigest([2; 32]), time::OffsetDateTime::now_utc());
    assert!(redis.swap_family(&rotated, 0).await.unwrap());
    let after = pttl(&redis, &key).await;
    assert!(after > 0 && after <= before, "{before} {after}");

    let limit = LimitKey::failed_logins_from("192.0.2.7".parse().unwrap());
    redis.hit(&limit, Duration::from_secs(60)).await.unwrap();
    let counter = format!("{}:limit:v1:login:address:192.0.2.7", redis.namespace());
    assert_eq!(redis.limit_key(&limit), counter);
    let left = pttl(&redis, &counter).await;
    assert!((59_000..=60_000).contains(&left), "{left}");
}

#[tokio::test]
async fn a_counter_found_without_expiry_gets_a_window_again() {
    let Some(redis) = fresh().await else { return };
    let limit = LimitKey::failed_logins_from("192.0.2.8".parse().unwrap());
    let mut set = redis::cmd("SET");
    set.arg(redis.limit_key(&limit)).arg(4);
    redis.query::<()>("test", &set).await.unwrap();
    let window = redis.hit(&limit, Duration::from_secs(30)).await.unwrap();
    assert_eq!(window.count, 5);
    assert!(window.resets_in > Duration::ZERO && window.resets_in <= Duration::from_secs(30));
    assert!(pttl(&redis, &redis.limit_key(&limit)).await > 0);
    let current = redis.current(&limit).await.unwrap();
    assert_eq!(current.count, 5);
    assert!(current.resets_in > Duration::ZERO && current.resets_in <= window.resets_in);
    redis.clear(&limit).await.unwrap();
    assert_eq!(pttl(&redis, &redis.limit_key(&limit)).await, -2);
}

#[tokio::test]
async fn a_stored_family_that_cannot_be_read_is_corrupt() {
    let Some(redis) = fresh().await else { return };
    let family = new_family(time::Duration::hours(1));
    let mut set = redis::cmd("SET");
    set.arg(redis.family_key(family.id))
        .arg("{not json")
        .arg("PX")
        .arg(60_000);
    redis.query::<()>("test", &set).await.unwrap();
    let read = redis.family(family.id).await;
    assert!(matches!(read, Err(RepoError::Corrupt(_))), "{read:?}");
    let swap = redis.swap_family(&family, 0).await;
    assert!(matches!(swap, Err(RepoError::Corrupt(_))), "{swap:?}");
    let counter = LimitKey::failed_logins_from("192.0.2.9".parse().unwrap());
    let mut set = redis::cmd("SET");
    set.arg(redis.limit_key(&counter))
        .arg("many")
        .arg("PX")
        .arg(60_000);
    redis.query::<()>("test", &set).await.unwrap();
    let current = redis.current(&counter).await;
    assert!(matches!(current, Err(RepoError::Corrupt(_))), "{current:?}");
}

/// A private `redis-server` on a port of its own, killed when dropped.
struct PrivateServer {
    port: u16,
    process: Option<Child>,
}

impl PrivateServer {
    /// Starts one on a free port, or `None` (with a note) when `redis-server` is not installed
    /// and services are not required.
    async fn start() -> Option<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Self {
            port,
            process: None,
        };
        match server.spawn() {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required() => {
                eprintln!("skipped: redis-server is not on PATH");
                return None;
            }
            Err(e) => panic!("cannot start redis-server: {e}"),
        }
        server.wait_until_listening().await;
        Some(server)
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.process = Some(child);
        Ok(())
    }

    async fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start listening"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn restart(&mut self) {
        self.spawn().unwrap();
        self.wait_until_listening().await;
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn the_same_value_works_again_after_redis_comes_back() {
    let Some(mut server) = PrivateServer::start().await else {
        return;
    };
    let redis = Redis::connect(&server.url(), "cubby-test-restart").unwrap();
    let key = cache_key();
    redis.put(&key, b"before", minute()).await.unwrap();
    assert_eq!(
        redis.get(&key).await.unwrap().as_deref(),
        Some(&b"before"[..])
    );

    server.stop();
    for _ in 0..3 {
        assert_unavailable(timed(redis.get(&key)).await);
        assert!(timed(redis.check()).await.is_err());
    }

    server.restart().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match redis.get(&key).await {
            // The server keeps nothing across restarts, so the entry is gone.
            Ok(value) => break assert_eq!(value, None),
            Err(RepoError::Unavailable(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("redis did not come back: {e:?}"),
        }
    }
    redis.put(&key, b"after", minute()).await.unwrap();
    assert_eq!(
        redis.get(&key).await.unwrap().as_deref(),
        Some(&b"after"[..])
    );
    assert!(redis.check().await.is_ok());
    let (scope, key) = (fresh_scope(), idempotency_key());
    let claim = redis
        .claim(&scope, &key, Fingerprint([2; 32]), Duration::from_secs(60))
        .await;
    assert_eq!(claim.unwrap(), Claim::Claimed);
}

fn job_envelope(kind: &str) -> JobEnvelope {
    JobEnvelope {
        id: JobId::from_uuid(Uuid::now_v7()),
        tenant: TenantId::from_uuid(Uuid::now_v7()),
        kind: kind.to_owned(),
        payload: "{}".to_owned(),
        attempt: 0,
        traceparent: None,
    }
}

const VISIBLE_LONG: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_job_whose_worker_died_is_taken_over_by_another_worker_and_finished_once() {
    let Some(queues) = fresh_queues().await else {
        return;
    };
    let a = &queues.redis;
    // A second process on the same queues: another connection, another consumer name.
    let b = Redis::connect(&queues.url, a.namespace()).unwrap();
    assert_ne!(a.consumer, b.consumer);
    let job = job_envelope("attendance_report");
    a.enqueue(Queue::Bulk, &job, Duration::ZERO).await.unwrap();

    // A takes the job and dies: it never acknowledges it.
    let taken = a
        .receive(Queue::Bulk, 10, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert!(
        b.receive(Queue::Bulk, 10, VISIBLE_LONG)
            .await
            .unwrap()
            .is_empty(),
        "hidden from B while A's visibility lasts"
    );

    tokio::time::sleep(Duration::from_millis(1200)).await;
    let again = b.receive(Queue::Bulk, 10, VISIBLE_LONG).await.unwrap();
    assert_eq!(again.len(), 1, "B takes it over");
    assert_eq!(again[0].envelope, job, "the same attempt, not a retry");
    assert_eq!(again[0].receipt, taken[0].receipt);
    let owners: Vec<(String, String, i64, i64)> = b
        .query(
            "test",
            redis::cmd("XPENDING")
                .arg(b.queue_keys(Queue::Bulk).stream)
                .arg("workers")
                .arg("-")
                .arg("+")
                .arg(10),
        )
        .await
        .unwrap();
    assert_eq!(owners.len(), 1);
    assert_eq!((owners[0].1.as_str(), owners[0].3), (&*b.consumer, 2));
    b.ack(Queue::Bulk, &again[0]).await.unwrap();

    // Nothing more, for either, even once B's visibility would have run out.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for worker in [a, &b] {
        assert!(
            worker
                .receive(Queue::Bulk, 10, Duration::from_secs(1))
                .await
                .unwrap()
                .is_empty()
        );
    }
    assert_eq!(a.depth(Queue::Bulk).await.unwrap(), QueueDepth::default());
    // A, back from the dead, finishing its delivery late changes nothing.
    a.retry(Queue::Bulk, &taken[0], Duration::ZERO)
        .await
        .unwrap();
    a.dead_letter(Queue::Bulk, &taken[0], "late").await.unwrap();
    assert!(
        a.receive(Queue::Bulk, 10, VISIBLE_LONG)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(a.depth(Queue::Bulk).await.unwrap(), QueueDepth::default());
}

#[tokio::test]
async fn each_delivery_keeps_the_visibility_it_was_received_with() {
    let Some(queues) = fresh_queues().await else {
        return;
    };
    let redis = &queues.redis;
    let (short, long) = (job_envelope("short"), job_envelope("long"));
    redis
        .enqueue(Queue::Critical, &long, Duration::ZERO)
        .await
        .unwrap();
    let first = redis
        .receive(Queue::Critical, 1, VISIBLE_LONG)
        .await
        .unwrap();
    assert_eq!(first[0].envelope.id, long.id);
    redis
        .enqueue(Queue::Critical, &short, Duration::ZERO)
        .await
        .unwrap();
    let second = redis
        .receive(Queue::Critical, 1, Duration::from_millis(500))
        .await
        .unwrap();
    assert_eq!(second[0].envelope.id, short.id);
    tokio::time::sleep(Duration::from_millis(700)).await;
    // A caller asking for a short visibility takes over only what ran out: not the job still
    // within its 30 s.
    let again = redis
        .receive(Queue::Critical, 10, Duration::from_millis(100))
        .await
        .unwrap();
    let ids: Vec<JobId> = again.iter().map(|d| d.envelope.id).collect();
    assert_eq!(ids, vec![short.id]);
    let depth = redis.depth(Queue::Critical).await.unwrap();
    assert_eq!((depth.waiting, depth.in_flight), (0, 2));
}

#[tokio::test]
async fn job_keys_are_namespaced_per_queue() {
    let Some(queues) = fresh_queues().await else {
        return;
    };
    let redis = &queues.redis;
    let keys = redis.queue_keys(Queue::Bulk);
    let stream = format!("{}:jobs:bulk", redis.namespace());
    assert_eq!(
        [
            keys.stream.as_str(),
            &keys.delayed,
            &keys.leases,
            &keys.dead
        ],
        [
            stream.as_str(),
            &format!("{stream}:delayed"),
            &format!("{stream}:leases"),
            &format!("{stream}:dead"),
        ]
    );
    redis
        .enqueue(Queue::Bulk, &job_envelope("now"), Duration::ZERO)
        .await
        .unwrap();
    redis
        .enqueue(Queue::Bulk, &job_envelope("later"), Duration::from_secs(60))
        .await
        .unwrap();
    let kind: String = redis
        .query("test", redis::cmd("TYPE").arg(&keys.stream))
        .await
        .unwrap();
    assert_eq!(kind, "stream");
    let delayed: i64 = redis
        .query("test", redis::cmd("ZCARD").arg(&keys.delayed))
        .await
        .unwrap();
    assert_eq!(delayed, 1);
    let depth = redis.depth(Queue::Bulk).await.unwrap();
    assert_eq!((depth.waiting, depth.in_flight, depth.dead), (2, 0, 0));
    assert_eq!(
        redis.depth(Queue::Critical).await.unwrap(),
        QueueDepth::default()
    );
}

#[tokio::test]
async fn a_stored_job_that_cannot_be_read_is_corrupt() {
    let Some(queues) = fresh_queues().await else {
        return;
    };
    let redis = &queues.redis;
    let keys = redis.queue_keys(Queue::Bulk);
    let mut zadd = redis::cmd("ZADD");
    zadd.arg(&keys.delayed).arg(0).arg("{not json");
    redis.query::<()>("test", &zadd).await.unwrap();
    let received = redis.receive(Queue::Bulk, 10, VISIBLE_LONG).await;
    assert!(
        matches!(received, Err(RepoError::Corrupt(_))),
        "{received:?}"
    );
    let mut xadd = redis::cmd("XADD");
    xadd.arg(&keys.dead).arg("*").arg("reason").arg("lost");
    redis.query::<()>("test", &xadd).await.unwrap();
    let dead = redis.dead_letters(Queue::Bulk, 10).await;
    assert!(matches!(dead, Err(RepoError::Corrupt(_))), "{dead:?}");
}

#[tokio::test]
async fn a_closed_port_answers_unavailable_quickly_for_the_queues() {
    let redis = Redis::connect("redis://127.0.0.1:1", "cubby-test-closed").unwrap();
    let job = job_envelope("report");
    assert_unavailable(timed(redis.enqueue(Queue::Bulk, &job, Duration::ZERO)).await);
    assert_unavailable(timed(redis.receive(Queue::Bulk, 1, VISIBLE_LONG)).await);
    assert_unavailable(timed(redis.depth(Queue::Bulk)).await);
}

/// The Prometheus text of what `calls` recorded, through a recorder local to this thread.
async fn recorded(calls: impl std::future::Future<Output = ()>) -> String {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let local = metrics::set_default_local_recorder(&recorder);
    calls.await;
    drop(local);
    handle.render()
}

#[tokio::test]
async fn every_call_is_timed_by_operation_and_outcome() {
    let Some(redis) = fresh().await else { return };
    let key = CacheKey::tenant_by_id(fresh_scope().tenant_id());
    let text = recorded(async {
        let ttl = Ttl::new(Duration::from_secs(60)).unwrap();
        redis.put(&key, b"entry", ttl).await.unwrap();
        assert_eq!(
            redis.get(&key).await.unwrap().as_deref(),
            Some(&b"entry"[..])
        );
        assert_eq!(
            redis.get(&key).await.unwrap().as_deref(),
            Some(&b"entry"[..])
        );
    })
    .await;
    let count = |operation: &str, outcome: &str| {
        format!(
            "store_call_duration_seconds_count{{system=\"redis\",operation=\"{operation}\",outcome=\"{outcome}\"}}"
        )
    };
    assert!(
        text.contains(&format!("{} 2\n", count("cache.get", "ok"))),
        "{text}"
    );
    assert!(
        text.contains(&format!("{} 1\n", count("cache.put", "ok"))),
        "{text}"
    );

    let down = Redis::connect("redis://127.0.0.1:1", "cubby-test-closed").unwrap();
    let text = recorded(async {
        assert!(down.get(&key).await.is_err());
    })
    .await;
    assert!(
        text.contains(&format!("{} 1\n", count("cache.get", "error"))),
        "{text}"
    );
}
