//! Traces: a request, the store calls it makes and the jobs it enqueues are exported in one
//! trace, the caller's when it sends a `traceparent`, and the trace id logged is the one
//! exported; spans reach a collector over OTLP/HTTP; without a collector nothing of
//! OpenTelemetry is installed, and the trace id is still logged and carried by jobs. Each test
//! installs its own subscriber (nextest runs every test in a process of its own).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use cubby_domain::Queue;
use cubby_settings::Settings;
use cubby_telemetry::{Host as Where, otel};
use cubby_tests::logs::Logs;
use cubby_tests::objects::FailingObjects;
use cubby_tests::world::{test_api_config, test_config};
use cubby_tests::{Call, Host, LambdaHost, World};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use serde_json::Value;
use tracing_subscriber::layer::SubscriberExt as _;

use crate::jobs::report_of;

mod otlp;

/// The caller's trace and span.
pub(crate) const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
pub(crate) const CALLER: &str = "00f067aa0ba902b7";

pub(crate) fn traceparent() -> String {
    format!("00-{TRACE}-{CALLER}-01")
}

/// The spans exported, kept in memory.
#[derive(Clone, Debug, Default)]
struct Exported(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Exported {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(batch);
        Ok(())
    }
}

/// What a test sees while its subscriber is installed.
struct Seen {
    exported: Exported,
    lines: Logs,
    _traces: Option<otel::Traces>,
    _installed: tracing::subscriber::DefaultGuard,
}

impl Seen {
    fn spans(&self) -> Vec<SpanData> {
        self.exported.0.lock().unwrap().clone()
    }

    fn lines(&self) -> Vec<Value> {
        self.lines.lines()
    }

    /// The trace id of each `request` log line, in order.
    fn logged_requests(&self) -> Vec<String> {
        self.lines()
            .iter()
            .filter(|line| line["message"] == "request")
            .map(|line| line["trace_id"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// Installs, on this thread, the layers a host installs without a collector (logs into memory)
/// and, when `exported`, the OpenTelemetry layer exporting each span into memory as it ends.
fn observe(exported: bool) -> Seen {
    let settings = Settings::from_vars(Vec::new()).unwrap();
    let lines = Logs::buffer();
    let (mut layers, _) =
        cubby_telemetry::layers(&settings, Where::Container, lines.writer()).unwrap();
    cubby_telemetry::trace::install();
    let spans = Exported::default();
    let traces = exported.then(|| {
        otel::Traces::new(
            otel::provider(Where::Container)
                .with_simple_exporter(spans.clone())
                .build(),
        )
    });
    layers.extend(traces.as_ref().map(otel::Traces::layer));
    let installed = tracing::subscriber::set_default(tracing_subscriber::registry().with(layers));
    Seen {
        exported: spans,
        lines,
        _traces: traces,
        _installed: installed,
    }
}

fn named<'a>(spans: &'a [SpanData], name: &str) -> Vec<&'a SpanData> {
    spans.iter().filter(|span| span.name == name).collect()
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

/// A world whose first object write fails: the first attempt of a report logs its failure.
async fn world_failing_once(mut ports: cubby_ports::Ports) -> World {
    let failed = AtomicBool::new(false);
    ports.objects = Arc::new(FailingObjects::new(ports.objects.clone(), move |_| {
        !failed.swap(true, Ordering::SeqCst)
    }));
    World::on(ports, test_config(), test_api_config()).await
}

#[tokio::test]
async fn a_request_with_a_traceparent_is_exported_in_the_callers_trace() {
    let seen = observe(true);
    let world = World::in_memory().await;
    let host = LambdaHost::start(&world);
    let call = Call::get("/v1/rooms").bearer(&world.a.director);
    host.send(call.header("traceparent", &traceparent()))
        .await
        .expect(200);

    let spans = seen.spans();
    let requests = named(&spans, "request");
    assert_eq!(requests.len(), 1, "{spans:#?}");
    assert_eq!(requests[0].span_context.trace_id().to_string(), TRACE);
    assert_eq!(requests[0].parent_span_id.to_string(), CALLER);
    assert!(requests[0].parent_span_is_remote);
    assert_eq!(
        attribute(requests[0], "http.request.method").as_deref(),
        Some("GET")
    );
    assert_eq!(seen.logged_requests(), [TRACE]);
}

#[tokio::test]
async fn without_a_traceparent_the_trace_id_logged_is_the_one_exported() {
    let seen = observe(true);
    let world = World::in_memory().await;
    let host = LambdaHost::start(&world);
    for _ in 0..2 {
        let call = Call::get("/v1/rooms").bearer(&world.a.director);
        host.send(call).await.expect(200);
    }

    let spans = seen.spans();
    let exported: Vec<String> = named(&spans, "request")
        .iter()
        .map(|span| {
            assert_eq!(span.parent_span_id.to_string(), "0000000000000000");
            span.span_context.trace_id().to_string()
        })
        .collect();
    assert_eq!(seen.logged_requests(), exported);
    assert_ne!(exported[0], exported[1], "a new trace each");
}

/// Starts a report (in the caller's trace when `traceparent` is given) and runs its first
/// attempt.
async fn report_then_work(world: &World, traceparent: Option<&str>) {
    let host = LambdaHost::start(world);
    let mut call = report_of("2026-03-02").bearer(&world.a.director);
    if let Some(traceparent) = traceparent {
        call = call.header("traceparent", traceparent);
    }
    host.send(call).await.expect(202);
    assert_eq!(world.app().jobs.work_once(Queue::Bulk).await.unwrap(), 1);
}

/// The line the job's failed first attempt logged.
fn failure_line(seen: &Seen) -> Value {
    let lines = seen.lines();
    let found = lines
        .iter()
        .find(|line| line["message"] == "job failed; retrying");
    found
        .cloned()
        .unwrap_or_else(|| panic!("no failure logged: {lines:#?}"))
}

#[tokio::test]
async fn a_job_enqueued_by_a_request_runs_in_the_requests_trace() {
    let seen = observe(true);
    let world = world_failing_once(cubby_adapters_memory::embedded_ports()).await;
    report_then_work(&world, Some(&traceparent())).await;

    let spans = seen.spans();
    let (requests, jobs) = (named(&spans, "request"), named(&spans, "job"));
    assert_eq!((requests.len(), jobs.len()), (1, 1), "{spans:#?}");
    let (request, job) = (requests[0], jobs[0]);
    assert_eq!(job.span_context.trace_id().to_string(), TRACE);
    assert_eq!(job.parent_span_id, request.span_context.span_id());
    assert!(job.parent_span_is_remote, "it came through the queue");
    assert_eq!(attribute(job, "kind").as_deref(), Some("attendance_report"));
    assert_eq!(attribute(job, "queue").as_deref(), Some("bulk"));
    assert_eq!(attribute(job, "attempt").as_deref(), Some("1"));
    let failure = failure_line(&seen);
    assert_eq!(failure["span"]["name"], "job", "{failure}");
    assert_eq!(failure["span"]["trace_id"], TRACE, "{failure}");
}

#[tokio::test]
async fn without_a_collector_a_jobs_log_lines_carry_the_requests_trace_id() {
    let seen = observe(false);
    let world = world_failing_once(cubby_adapters_memory::embedded_ports()).await;
    report_then_work(&world, None).await;

    let logged = seen.logged_requests();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].len(), 32);
    let failure = failure_line(&seen);
    assert_eq!(failure["span"]["trace_id"], logged[0].as_str(), "{failure}");
    assert!(seen.spans().is_empty());
}

#[tokio::test]
async fn store_calls_and_the_job_through_redis_share_the_requests_trace() {
    let Some(url) = cubby_ports::contract::services::redis_url() else {
        return;
    };
    let seen = observe(true);
    let mut ports = cubby_adapters_memory::embedded_ports();
    cubby_tests::services::fresh_redis(&url).install(&mut ports);
    let world = world_failing_once(ports).await;
    report_then_work(&world, Some(&traceparent())).await;

    let spans = seen.spans();
    let traced: Vec<&SpanData> = spans
        .iter()
        .filter(|span| span.span_context.trace_id().to_string() == TRACE)
        .collect();
    let (request, job) = (named(&spans, "request")[0], named(&spans, "job")[0]);
    let children_of = |parent: &SpanData| -> Vec<String> {
        traced
            .iter()
            .filter(|span| attribute(span, "db.system").is_some())
            .filter(|span| span.parent_span_id == parent.span_context.span_id())
            .filter_map(|span| attribute(span, "db.operation"))
            .collect()
    };
    let in_request = children_of(request);
    assert!(
        in_request.iter().any(|op| op == "jobs.enqueue"),
        "{in_request:?}"
    );
    let receives = spans
        .iter()
        .filter(|span| attribute(span, "db.operation").as_deref() == Some("jobs.receive"));
    assert_eq!(receives.count(), 0, "an idle worker's polls are not traced");
    let in_job = children_of(job);
    assert!(
        in_job.iter().any(|op| op.starts_with("jobs.")),
        "{in_job:?}"
    );
    assert_eq!(job.span_context.trace_id().to_string(), TRACE);
}
