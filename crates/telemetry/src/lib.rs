//! What the hosts install at start-up to be observable: JSON log lines written through the
//! [`redact`] layer, and, when the settings ask for them, traces, metrics and error reports.

pub mod errors;
pub mod metrics;
pub mod otel;
pub mod redact;
pub mod trace;

use cubby_settings::Settings;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// Where a process runs, which decides small things about its log lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// The `cubby` binary: lines carry their own timestamp.
    Container,
    /// A Lambda function: CloudWatch stamps each line, so lines carry none.
    Lambda,
}

/// A layer of the global subscriber.
pub type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// What stays alive while the process runs (dropping it flushes what is pending).
#[derive(Default)]
#[must_use = "dropping the telemetry guard stops its exporters"]
pub struct Telemetry {
    /// The error reporting client, when a DSN is set.
    errors: Option<sentry::ClientInitGuard>,
    /// The trace exporter, when an OTLP endpoint is set.
    traces: Option<otel::Traces>,
}

impl Telemetry {
    /// The trace exporter, when `CUBBY_OTLP_ENDPOINT` is set (see [`otel`]).
    pub fn traces(&self) -> Option<&otel::Traces> {
        self.traces.as_ref()
    }

    /// Whether anything is sent out of the process (traces or error reports).
    pub fn exports(&self) -> bool {
        self.traces.is_some() || self.errors.is_some()
    }

    /// Sends what is waiting: the spans that ended and the error reports made (up to 2 s for
    /// the reports). Blocks: call it off the async runtime's threads.
    pub fn flush(&self) {
        if let Some(traces) = &self.traces {
            traces.flush();
        }
        if let Some(errors) = &self.errors {
            errors.flush(Some(std::time::Duration::from_secs(2)));
        }
    }
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry")
            .field("errors", &self.errors.is_some())
            .field("traces", &self.traces.is_some())
            .finish()
    }
}

/// Installs the global subscriber for `settings` on `host` (see [`layers`]) and the trace
/// context ([`trace::install`]). Safe to call more than once (later calls install nothing).
///
/// # Errors
///
/// When a telemetry setting cannot be used (the message names the variable, never its value).
pub fn init(settings: &Settings, host: Host) -> Result<Telemetry, String> {
    let (layers, telemetry) = layers(settings, host, std::io::stdout)?;
    let _ = tracing_subscriber::registry().with(layers).try_init();
    // The use cases and the api start and continue traces through it.
    trace::install();
    // The Prometheus recorder, where `/metrics` is served (see [`metrics::wanted`]).
    let _ = metrics::install(settings, host);
    Ok(telemetry)
}

/// The layers `settings` ask for, logs written to `writer`: JSON lines through the redaction
/// layer, filtered by `CUBBY_LOG`; traces ([`otel`]) when `CUBBY_OTLP_ENDPOINT` is set; and
/// error reports when `CUBBY_SENTRY_DSN` is set.
///
/// # Errors
///
/// As [`init`].
pub fn layers<W>(
    settings: &Settings,
    host: Host,
    writer: W,
) -> Result<(Vec<BoxedLayer>, Telemetry), String>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_new(&settings.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let mut layers = vec![
        json_lines(writer, host == Host::Container)
            .with_filter(filter)
            .boxed(),
    ];
    let mut telemetry = Telemetry::default();
    // Which trace each span belongs to, for the jobs a request enqueues (cheap: only the
    // spans that carry a `trace_id` field).
    layers.push(trace::layer().boxed());
    if let Some(endpoint) = &settings.otlp_endpoint {
        let traces = otel::Traces::otlp(endpoint, host)?;
        layers.push(traces.layer());
        telemetry.traces = Some(traces);
    }
    if let Some((guard, layer)) = errors::init(settings)? {
        layers.push(layer);
        telemetry.errors = Some(guard);
    }
    Ok((layers, telemetry))
}

/// The JSON log layer, writing through [`redact::Redacting`]: one object per line with the
/// event's fields flattened and the current span's fields (the request id and trace id of the
/// request being served) under `span`.
pub fn json_lines<W>(writer: W, timestamps: bool) -> BoxedLayer
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(redact::Redacting::new(writer));
    if timestamps {
        layer.boxed()
    } else {
        layer.without_time().boxed()
    }
}
