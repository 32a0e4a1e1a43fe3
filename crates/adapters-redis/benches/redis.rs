//! The floor under every Redis-backed check: one round trip (`PING`) on the multiplexed
//! connection the adapter uses, against `CUBBY_TEST_REDIS_URL` or `redis://127.0.0.1:6379`.
//! Without a Redis that answers, it says so and measures nothing: a benchmark, not a test
//! (`scripts/bench micro` runs it; docs/benchmarks.md keeps the numbers).

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use redis::aio::MultiplexedConnection;
use tokio::runtime::Runtime;

const DEFAULT_URL: &str = "redis://127.0.0.1:6379";

/// A connection that has answered one `PING`, or why there is none.
async fn connect(url: &str) -> Result<MultiplexedConnection, String> {
    let client = redis::Client::open(url).map_err(|e| format!("bad redis url: {e}"))?;
    let attempt = async {
        let mut connection = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await?;
        Ok::<_, redis::RedisError>(connection)
    };
    match tokio::time::timeout(Duration::from_secs(2), attempt).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(error)) => Err(format!("no answer: {error}")),
        Err(_) => Err("no answer within 2 s".to_owned()),
    }
}

fn round_trip(c: &mut Criterion) {
    let Ok(rt) = Runtime::new() else {
        eprintln!("redis floor skipped: no tokio runtime");
        return;
    };
    let url = std::env::var("CUBBY_TEST_REDIS_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    // The url may hold a password: only the outcome is reported.
    let connection = match rt.block_on(connect(&url)) {
        Ok(connection) => connection,
        Err(reason) => {
            eprintln!(
                "redis floor skipped: no Redis answered at CUBBY_TEST_REDIS_URL or {DEFAULT_URL} \
                 ({reason})"
            );
            return;
        }
    };
    c.bench_function("floor/redis/ping_round_trip", |b| {
        b.to_async(&rt).iter(|| {
            let mut connection = connection.clone();
            async move {
                redis::cmd("PING")
                    .query_async::<String>(&mut connection)
                    .await
                    .is_ok()
            }
        })
    });
}

criterion_group!(benches, round_trip);
criterion_main!(benches);
