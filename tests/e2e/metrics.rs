//! Metrics at `/metrics`: a test load moves the request histograms by exactly what was sent,
//! with cumulative buckets; the cache counters show the hits and misses of the session checks;
//! jobs are counted and their lag and queue depth recorded; `/metrics` is 404 on the public
//! listener unless it is public, and the metrics listener serves it alone.
//!
//! The recorder is global to the process: nextest runs each test in its own process, so each
//! test reads only its own load (and reads it as a difference, from a scrape before it).

use std::time::Duration;

use cubby_api::{ApiConfig, METRICS_CONTENT_TYPE, MetricsRenderer, RateLimits};
use cubby_domain::{Queue, Role};
use cubby_host_actix::metrics::MetricsServer;
use cubby_tests::scrape::{Scrape, assert_cumulative};
use cubby_tests::world::{test_api_config, test_config};
use cubby_tests::{ActixHost, Call, Host, World};

use crate::checked::Checked;

/// The process's recorder, installed once, as the host hands it to the api.
fn renderer() -> MetricsRenderer {
    let metrics = cubby_telemetry::metrics::install_recorder().expect("a recorder");
    MetricsRenderer::new(move || metrics.render())
}

/// A world on the in-memory adapters whose public listener serves `/metrics`.
async fn metered_world() -> World {
    let config = ApiConfig {
        metrics: Some(renderer()),
        ..test_api_config()
    };
    World::on(
        cubby_adapters_memory::embedded_ports(),
        test_config(),
        config,
    )
    .await
}

async fn scrape(host: &impl Host) -> Scrape {
    let reply = host.send(Call::get("/metrics")).await;
    reply.expect(200);
    assert_eq!(reply.header("content-type"), Some(METRICS_CONTENT_TYPE));
    Scrape::parse(&reply.text())
}

const DURATION: &str = "http_request_duration_seconds";

#[tokio::test]
async fn a_test_load_moves_the_request_histograms_by_exactly_what_was_sent() {
    let world = metered_world().await;
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    let token = &world.a.director;
    let before = scrape(&host).await;
    let rooms = [("method", "GET"), ("route", "/v1/rooms"), ("status", "200")];
    let child = [
        ("method", "GET"),
        ("route", "/v1/children/{id}"),
        ("status", "404"),
    ];
    let unmatched = [("method", "GET"), ("route", "unmatched"), ("status", "404")];

    for _ in 0..25 {
        host.send(Call::get("/v1/rooms").bearer(token))
            .await
            .expect(200);
    }
    for _ in 0..15 {
        let missing = "/v1/children/child_01jdm6x8qgf7kt3v5c9n2w4r6y";
        host.send(Call::get(missing).bearer(token))
            .await
            .expect(404);
    }
    for _ in 0..10 {
        host.send(Call::get("/v1/no-such-route")).await.expect(404);
    }

    let after = scrape(&host).await;
    for (labels, sent) in [(&rooms, 25.0), (&child, 15.0), (&unmatched, 10.0)] {
        let count = format!("{DURATION}_count");
        assert_eq!(
            after.value(&count, labels) - before.value(&count, labels),
            sent,
            "{labels:?}"
        );
        assert_cumulative(&after, DURATION, labels);
        let sum = format!("{DURATION}_sum");
        assert!(
            after.value(&sum, labels) > before.value(&sum, labels),
            "{labels:?}"
        );
    }
    // The scrape before this one is counted under its own route, not as a concrete path.
    let metrics = [("method", "GET"), ("route", "/metrics"), ("status", "200")];
    assert_eq!(after.value(&format!("{DURATION}_count"), &metrics), 1.0);
    // An error rate can be computed: 25 answers below 400 out of the 50 sent here.
    let errors: f64 = [&child, &unmatched]
        .iter()
        .map(|labels| after.value(&format!("{DURATION}_count"), *labels))
        .sum();
    assert_eq!(errors, 25.0);
}

#[tokio::test]
async fn the_cache_counters_show_the_hits_and_misses_of_the_session_checks() {
    let world = metered_world().await;
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    let director = world.a.member(Role::Director);
    let teacher = world.a.member(Role::Teacher);
    let tenant = world.a.tenant.id();
    // Cold entries: each member's first request reads its principal from the store.
    world
        .app()
        .principals
        .forget(&[
            (tenant, director.membership_id),
            (tenant, teacher.membership_id),
        ])
        .await;
    let stats = world.app().principals.stats();
    let (hits, misses) = (stats.hits(), stats.misses());
    let before = scrape(&host).await;

    for member in [director, teacher] {
        for _ in 0..10 {
            host.send(Call::get("/v1/rooms").bearer(&member.token))
                .await
                .expect(200);
        }
    }
    // Public routes check no session: no principal is read for them.
    for _ in 0..5 {
        host.send(Call::get("/healthz")).await.expect(200);
    }

    let after = scrape(&host).await;
    let counter = |scrape: &Scrape, outcome: &str| {
        scrape.value(
            "cache_requests_total",
            &[("cache", "principals"), ("outcome", outcome)],
        )
    };
    let hit = counter(&after, "hit") - counter(&before, "hit");
    let miss = counter(&after, "miss") - counter(&before, "miss");
    assert_eq!((hit, miss), (18.0, 2.0), "one miss per member, then hits");
    assert_eq!(
        (hit, miss),
        (
            (stats.hits() - hits) as f64,
            (stats.misses() - misses) as f64
        ),
        "the counters say what the cache's own statistics say"
    );
    assert_eq!(counter(&after, "error"), 0.0);
    // The other session caches are read as often: a hit rate near 1 once warm.
    let tenants = |outcome: &str| {
        after.value(
            "cache_requests_total",
            &[("cache", "tenants"), ("outcome", outcome)],
        ) - before.value(
            "cache_requests_total",
            &[("cache", "tenants"), ("outcome", outcome)],
        )
    };
    assert_eq!(tenants("hit") + tenants("miss"), 20.0);
    assert!(tenants("hit") >= 19.0, "{}", tenants("hit"));
}

#[tokio::test]
async fn jobs_are_counted_with_their_lag_and_their_queue_depth() {
    let world = metered_world().await;
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let before = scrape(&host).await;
    let job = crate::jobs::report_of(&today).bearer(&world.a.director);
    host.send(job).await.expect(202);
    world.app().jobs.sample_depths().await;
    let queued = scrape(&host).await;
    assert_eq!(queued.value("job_queue_depth", &[("queue", "bulk")]), 1.0);
    assert_eq!(
        queued.value("job_queue_depth", &[("queue", "critical")]),
        0.0
    );

    assert_eq!(world.app().jobs.work_once(Queue::Bulk).await.unwrap(), 1);
    world.app().jobs.sample_depths().await;
    let after = scrape(&host).await;
    assert_eq!(after.value("job_queue_depth", &[("queue", "bulk")]), 0.0);
    assert_eq!(after.value("job_dead_letters", &[("queue", "bulk")]), 0.0);
    let runs = |scrape: &Scrape, outcome: &str| {
        scrape.value(
            "jobs_total",
            &[("kind", "attendance_report"), ("outcome", outcome)],
        )
    };
    assert_eq!(runs(&after, "succeeded") - runs(&before, "succeeded"), 1.0);
    assert_eq!(runs(&after, "retried"), 0.0);
    let lag = [("queue", "bulk")];
    assert_eq!(
        after.value("job_lag_seconds_count", &lag) - before.value("job_lag_seconds_count", &lag),
        1.0
    );
    assert_cumulative(&after, "job_lag_seconds", &lag);
}

#[tokio::test]
async fn metrics_are_404_on_a_listener_that_is_not_public_and_served_on_their_own() {
    let renderer = renderer();
    // A prod-like world: the public listener leaves the route out.
    let world = World::in_memory().await;
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    host.send(Call::get("/metrics"))
        .await
        .expect_error(404, "not_found");
    host.send(Call::get("/v1/rooms").bearer(&world.a.director))
        .await
        .expect(200);

    // The host's choice: only CUBBY_METRICS_PUBLIC puts the route on the public listener.
    let mut settings = cubby_settings::Settings::from_vars(Vec::new()).unwrap();
    settings.metrics_public = false;
    assert!(cubby_host_actix::metrics::public_renderer(&settings).is_none());
    settings.metrics_public = true;
    assert!(cubby_host_actix::metrics::public_renderer(&settings).is_some());

    // The metrics listener serves them, and nothing else.
    let server = MetricsServer::bind(renderer, ([127, 0, 0, 1], 0).into()).unwrap();
    let base = format!("http://{}", server.address());
    tokio::spawn(server.run_until_stopped());
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let reply = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["content-type"], METRICS_CONTENT_TYPE);
    let text = Scrape::parse(&reply.text().await.unwrap());
    let rooms = [("method", "GET"), ("route", "/v1/rooms"), ("status", "200")];
    assert_eq!(text.value(&format!("{DURATION}_count"), &rooms), 1.0);
    let other = client.get(format!("{base}/v1/rooms")).send().await.unwrap();
    assert_eq!(other.status(), 404);
    let post = client.post(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(post.status(), 405);
}

#[tokio::test]
async fn store_calls_are_timed_by_system_and_operation() {
    let renderer = renderer();
    let services = cubby_ports::contract::services::mongodb_uri()
        .zip(cubby_ports::contract::services::redis_url());
    let Some((uri, url)) = services else {
        return;
    };
    let world = World::on_stores(&uri, &url).await;
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    let before = Scrape::parse(&renderer.render());
    for _ in 0..10 {
        host.send(Call::get("/v1/rooms").bearer(&world.a.director))
            .await
            .expect(200);
    }
    let after = Scrape::parse(&renderer.render());
    let moved = |system: &str, operation: &str| {
        let labels = [
            ("system", system),
            ("operation", operation),
            ("outcome", "ok"),
        ];
        let count = "store_call_duration_seconds_count";
        after.value(count, &labels) - before.value(count, &labels)
    };
    // A page of rooms is one count and one find, nothing else of `rooms`.
    assert_eq!(moved("mongodb", "rooms.find"), 10.0);
    assert_eq!(moved("mongodb", "rooms.count"), 10.0);
    assert_eq!(
        moved("redis", "gate.admit"),
        10.0,
        "session checks read the blocklist and the cache through the gate"
    );
    let find = [
        ("system", "mongodb"),
        ("operation", "rooms.find"),
        ("outcome", "ok"),
    ];
    assert_cumulative(&after, "store_call_duration_seconds", &find);
}

/// Every Redis call a scrape has counted, by operation (all outcomes).
fn redis_calls(scrape: &Scrape) -> std::collections::BTreeMap<String, f64> {
    let mut calls = std::collections::BTreeMap::new();
    for sample in &scrape.0 {
        if sample.name == "store_call_duration_seconds_count"
            && sample.labels.get("system").map(String::as_str) == Some("redis")
        {
            *calls.entry(sample.labels["operation"].clone()).or_default() += sample.value;
        }
    }
    calls
}

/// The test api configuration with rate limits: `per_address` requests a minute from one
/// address, a thousand of one centre.
fn limited(per_address: u32) -> ApiConfig {
    ApiConfig {
        rate_limits: Some(RateLimits {
            per_address,
            per_tenant: 1_000,
            window: Duration::from_secs(60),
        }),
        ..test_api_config()
    }
}

/// Issue 10's goal: before a request reaches the data, one Redis round trip answers both rate
/// limits, the blocklist and the session's cached entries, and a handler that reads the centre
/// again (the child's page, for its date) finds it in the request's memo.
#[tokio::test]
async fn an_authenticated_request_makes_one_redis_round_trip() {
    let renderer = renderer();
    let services = cubby_ports::contract::services::mongodb_uri()
        .zip(cubby_ports::contract::services::redis_url());
    let Some((uri, url)) = services else {
        return;
    };
    let world = World::on_stores_with(&uri, &url, limited(1_000)).await;
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    let token = &world.a.director;
    let room = crate::children::room(&host, token, "Koalas").await;
    let child = crate::children::child(&host, token, "Aino", Some(&room)).await;
    let paths = [
        "/v1/rooms".to_owned(),
        "/v1/children?limit=25".to_owned(),
        format!("/v1/children/{}", child["id"].as_str().unwrap()),
        format!("/v1/rooms/{room}/ratio"),
    ];
    // Warm: the first read of each entry misses and loads it.
    for path in &paths {
        host.send(Call::get(path).bearer(token)).await.expect(200);
    }

    let before = redis_calls(&Scrape::parse(&renderer.render()));
    for _ in 0..5 {
        for path in &paths {
            host.send(Call::get(path).bearer(token)).await.expect(200);
        }
    }
    let after = redis_calls(&Scrape::parse(&renderer.render()));
    let moved: std::collections::BTreeMap<&str, f64> = after
        .iter()
        .map(|(operation, n)| {
            (
                operation.as_str(),
                n - before.get(operation).unwrap_or(&0.0),
            )
        })
        .filter(|(_, n)| *n > 0.0)
        .collect();
    assert_eq!(
        moved,
        [("gate.admit", 20.0)].into_iter().collect(),
        "20 requests, one Redis call each"
    );

    // Over its limit, the address is refused from that same one call.
    let world = World::on_stores_with(&uri, &url, limited(2)).await;
    let actix = ActixHost::start(&world).await;
    for _ in 0..2 {
        actix
            .send(Call::get("/v1/rooms").bearer(&world.a.director))
            .await
            .expect(200);
    }
    actix
        .send(Call::get("/v1/rooms").bearer(&world.a.director))
        .await
        .expect_error(429, "rate_limited");
}
