//! Capturing the JSON log lines a test run writes, to check what is logged and what is not.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use cubby_telemetry::BoxedLayer;
use sentry::protocol::Event;
use sentry::test::TestTransport;
use serde_json::Value;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Every log line written since the capture started, process-wide.
#[derive(Clone)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

/// What [`Logs::writer`] writes with.
pub struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// An empty buffer, not installed anywhere: give [`Logs::writer`] to a layer.
    pub fn buffer() -> Logs {
        Logs(Arc::new(Mutex::new(Vec::new())))
    }

    /// A writer (for a `tracing_subscriber` layer) appending to this buffer.
    pub fn writer(&self) -> impl Fn() -> Sink + Send + Sync + 'static {
        let buffer = self.0.clone();
        move || Sink(buffer.clone())
    }

    /// Installs the capturing subscriber (once per process) and returns its buffer: the
    /// production JSON layer, redaction included, at debug level.
    pub fn capture() -> Logs {
        Self::install(Vec::new()).0
    }

    /// As [`Logs::capture`], with error reporting on an in-memory transport. The first
    /// capture of a process decides whether reports are captured.
    pub fn capture_with_reports() -> (Logs, Reports) {
        let (logs, reports) = Self::install(vec![cubby_telemetry::errors::layer()]);
        (
            logs,
            reports.unwrap_or_else(|| Reports {
                transport: TestTransport::new(),
                _client: None,
            }),
        )
    }

    fn install(extra: Vec<BoxedLayer>) -> (Logs, Option<Reports>) {
        static LOGS: OnceLock<(Logs, Option<Reports>)> = OnceLock::new();
        LOGS.get_or_init(|| {
            let logs = Logs::buffer();
            let reports = (!extra.is_empty()).then(|| {
                let transport = TestTransport::new();
                let mut options = cubby_telemetry::errors::options(
                    "https://public@sentry.invalid/1".parse().ok(),
                    "dev",
                );
                options.transport = Some(Arc::new(transport.clone()));
                Reports {
                    transport,
                    _client: Some(Arc::new(sentry::init(options))),
                }
            });
            let mut layers = vec![
                cubby_telemetry::json_lines(logs.writer(), true)
                    .with_filter(LevelFilter::DEBUG)
                    .boxed(),
            ];
            layers.extend(extra);
            tracing_subscriber::registry().with(layers).init();
            (logs, reports)
        })
        .clone()
    }

    /// The raw text captured.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    /// The captured lines, parsed.
    pub fn lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }
}

/// The error reports sent since the capture started, held by an in-memory transport.
#[derive(Clone)]
pub struct Reports {
    transport: Arc<TestTransport>,
    /// The client, kept alive for the whole process.
    _client: Option<Arc<sentry::ClientInitGuard>>,
}

impl Reports {
    /// The events reported so far, taken out of the transport.
    pub fn take(&self) -> Vec<Event<'static>> {
        if let Some(client) = sentry::Hub::main().client() {
            client.flush(Some(std::time::Duration::from_secs(2)));
        }
        self.transport
            .fetch_and_clear_envelopes()
            .into_iter()
            .filter_map(|envelope| envelope.event().cloned())
            .collect()
    }
}
