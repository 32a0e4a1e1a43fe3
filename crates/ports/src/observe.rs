//! What every adapter records about its calls to a store: a `store` span around the call (which
//! a tracing layer exporting OpenTelemetry sends as a client span of the request's trace) and
//! its duration in `store_call_duration_seconds{system, operation, outcome}`, through the
//! `metrics` facade (nothing is kept unless the host installed a recorder).
//!
//! Labels stay few: `system` is the store (`mongodb`, `redis`, `s3`, `sqs`), `operation` a
//! fixed name such as `children.find` or `cache.get` (never an id, a key or a tenant), and
//! `outcome` is `ok` or `error`.

use std::borrow::Cow;
use std::future::IntoFuture;
use std::time::Instant;

use tracing::Instrument;

/// The histogram every store call is recorded in, in seconds.
pub const STORE_CALL_DURATION: &str = "store_call_duration_seconds";

/// Runs `call` (one call to `system`, named `operation`) inside a `store` span and records how
/// long it took and whether it failed. The call's result is handed back as it was.
///
/// # Errors
///
/// The call's own error, unchanged.
pub async fn timed<C, T, E>(
    system: &'static str,
    operation: impl Into<Cow<'static, str>>,
    call: C,
) -> Result<T, E>
where
    C: IntoFuture<Output = Result<T, E>>,
{
    let operation = operation.into();
    let span = tracing::info_span!(
        "store",
        otel.name = %operation,
        otel.kind = "client",
        db.system = system,
        db.operation = %operation,
    );
    let started = Instant::now();
    let result = call.into_future().instrument(span).await;
    let outcome = if result.is_ok() { "ok" } else { "error" };
    metrics::histogram!(
        STORE_CALL_DURATION,
        "system" => system,
        "operation" => operation,
        "outcome" => outcome,
    )
    .record(started.elapsed().as_secs_f64());
    result
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use metrics_exporter_prometheus::PrometheusBuilder;
    use tracing::span::{Attributes, Id};
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::{Context, SubscriberExt};

    use super::*;

    /// The spans opened, with their fields, as text.
    #[derive(Clone, Default)]
    struct Spans(Arc<Mutex<Vec<String>>>);

    impl<S: tracing::Subscriber> Layer<S> for Spans {
        fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
            struct Fields(String);
            impl tracing::field::Visit for Fields {
                fn record_debug(
                    &mut self,
                    field: &tracing::field::Field,
                    value: &dyn std::fmt::Debug,
                ) {
                    self.0.push_str(&format!(" {}={value:?}", field.name()));
                }
                fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                    self.0.push_str(&format!(" {}={value}", field.name()));
                }
            }
            let mut fields = Fields(attrs.metadata().name().to_owned());
            attrs.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
    }

    /// Runs two calls of `children.find` (one slow, one failing) and one of `cache.get` under a
    /// recorder and a span collector; answers the Prometheus text and the spans.
    fn recorded() -> (String, Vec<String>) {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[0.001, 0.01, 0.1, 1.0])
            .unwrap()
            .build_recorder();
        let handle = recorder.handle();
        let spans = Spans::default();
        let subscriber = tracing_subscriber::registry().with(spans.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let _guard = tracing::subscriber::set_default(subscriber);
        metrics::with_local_recorder(&recorder, || {
            runtime.block_on(async {
                let slow = timed("mongodb", "children.find", async {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok::<_, ()>(7)
                });
                assert_eq!(slow.await, Ok(7));
                let failing = timed("mongodb", "children.find", async { Err::<(), _>("down") });
                assert_eq!(failing.await, Err("down"));
                let owned = String::from("cache.get");
                assert_eq!(
                    timed("redis", owned, async { Ok::<_, ()>(()) }).await,
                    Ok(())
                );
            });
        });
        let spans = spans.0.lock().unwrap().clone();
        (handle.render(), spans)
    }

    fn value(text: &str, series: &str) -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
    }

    #[test]
    fn each_call_is_timed_by_system_operation_and_outcome() {
        let (text, _) = recorded();
        let ok = r#"{system="mongodb",operation="children.find",outcome="ok"}"#;
        let error = r#"{system="mongodb",operation="children.find",outcome="error"}"#;
        assert_eq!(
            value(&text, &format!("{STORE_CALL_DURATION}_count{ok}")),
            1.0
        );
        assert_eq!(
            value(&text, &format!("{STORE_CALL_DURATION}_count{error}")),
            1.0
        );
        let redis = r#"{system="redis",operation="cache.get",outcome="ok"}"#;
        assert_eq!(
            value(&text, &format!("{STORE_CALL_DURATION}_count{redis}")),
            1.0
        );
        // The slow call took its 20 ms: above the 10 ms bucket, within the 100 ms one.
        let bucket = |le: &str| {
            let labels =
                format!(r#"{{system="mongodb",operation="children.find",outcome="ok",le="{le}"}}"#);
            value(&text, &format!("{STORE_CALL_DURATION}_bucket{labels}"))
        };
        assert_eq!((bucket("0.01"), bucket("0.1")), (0.0, 1.0));
        assert!(value(&text, &format!("{STORE_CALL_DURATION}_sum{ok}")) >= 0.02);
    }

    #[test]
    fn each_call_runs_in_a_store_span_naming_its_system_and_operation() {
        let (_, spans) = recorded();
        assert_eq!(spans.len(), 3, "{spans:?}");
        assert!(
            spans[0].starts_with("store")
                && spans[0].contains("db.system=mongodb")
                && spans[0].contains("db.operation=children.find")
                && spans[0].contains("otel.kind=client"),
            "{spans:?}"
        );
        assert!(
            spans[2].contains("db.system=redis") && spans[2].contains("db.operation=cache.get")
        );
    }
}
