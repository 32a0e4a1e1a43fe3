//! Traces: the spans of requests, jobs and store calls exported to an OpenTelemetry collector
//! over OTLP/HTTP (protobuf), when `CUBBY_OTLP_ENDPOINT` is set.
//!
//! The OpenTelemetry layer turns `tracing` spans at INFO and above into OpenTelemetry spans (the
//! events inside them become span events); a batch processor sends them from its own thread,
//! every few seconds or when its batch is full, with the workspace's reqwest (its blocking client,
//! on rustls with `ring` and the Mozilla roots), so no async runtime is needed and exporting never
//! holds up a request. Every span is sampled unless the caller's `traceparent` says it dropped
//! its own (parent-based, always on). Without an endpoint nothing here is installed.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{
    BatchSpanProcessor, Sampler, SdkTracerProvider, TracerProviderBuilder,
};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;

use crate::{BoxedLayer, Host};

/// The service every span is reported under.
pub const SERVICE: &str = "cubby";

/// The path traces are posted to, under the collector's base URL.
pub const TRACES_PATH: &str = "/v1/traces";

/// How long one export may take before it is given up (its spans are dropped).
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The trace pipeline of the process: dropping it sends what is pending and stops the exporter.
#[must_use = "dropping the traces stops their exporter"]
pub struct Traces {
    provider: SdkTracerProvider,
}

impl std::fmt::Debug for Traces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Traces").finish_non_exhaustive()
    }
}

impl Traces {
    /// Traces exported in batches over OTLP/HTTP to the collector at `endpoint` (a base URL
    /// such as `http://collector:4318`; spans go to `{endpoint}/v1/traces`).
    ///
    /// # Errors
    ///
    /// When `endpoint` is not an http(s) URL, or the HTTP client cannot be built (the message
    /// names the setting, never its value, which may hold credentials).
    pub fn otlp(endpoint: &str, host: Host) -> Result<Self, String> {
        let url = traces_url(endpoint)?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(url)
            .with_timeout(EXPORT_TIMEOUT)
            .with_http_client(http_client()?)
            .build()
            .map_err(|_| "CUBBY_OTLP_ENDPOINT: the OTLP exporter could not be built".to_owned())?;
        let processor = BatchSpanProcessor::builder(exporter).build();
        Ok(Self::new(
            provider(host).with_span_processor(processor).build(),
        ))
    }

    /// Traces going wherever `provider` sends them (tests give one with an in-memory exporter,
    /// built from [`provider`]).
    pub fn new(provider: SdkTracerProvider) -> Self {
        Self { provider }
    }

    /// The layer that turns `tracing` spans at INFO and above into OpenTelemetry spans.
    pub fn layer(&self) -> BoxedLayer {
        tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer(SERVICE))
            .with_threads(false)
            .with_filter(LevelFilter::INFO)
            .boxed()
    }

    /// Sends every finished span now and waits for the collector's answer (at most the export
    /// timeout). Blocking: async callers run it with `spawn_blocking`.
    pub fn flush(&self) {
        if let Err(error) = self.provider.force_flush() {
            tracing::warn!(error = %error, "spans could not be exported");
        }
    }
}

impl Drop for Traces {
    fn drop(&mut self) {
        // The provider is shared with the layer's tracer, which the global subscriber keeps:
        // shut down explicitly so that the pending spans are sent before the process ends.
        let _ = self.provider.shutdown();
    }
}

/// A tracer provider for `host`, before its span processor: resource `service.name = cubby`,
/// `service.version` and `cubby.host`, sampler parent-based always-on.
pub fn provider(host: Host) -> TracerProviderBuilder {
    let resource = Resource::builder()
        .with_service_name(SERVICE)
        .with_attributes([
            KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            KeyValue::new("cubby.host", host_name(host)),
        ])
        .build();
    SdkTracerProvider::builder()
        .with_resource(resource)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
}

fn host_name(host: Host) -> &'static str {
    match host {
        Host::Container => "container",
        Host::Lambda => "lambda",
    }
}

/// `{endpoint}/v1/traces`, for an http(s) base URL.
fn traces_url(endpoint: &str) -> Result<String, String> {
    let base = endpoint.trim().trim_end_matches('/');
    let url = format!("{base}{TRACES_PATH}");
    let valid = url.parse::<http::Uri>().ok().is_some_and(|uri| {
        matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some()
    });
    if valid {
        Ok(url)
    } else {
        Err("CUBBY_OTLP_ENDPOINT must be an http:// or https:// base URL, such as http://collector:4318".to_owned())
    }
}

/// The exporter's HTTP client: rustls on `ring` with the Mozilla roots (like every other
/// client of the workspace), no proxy (collectors are near: a sidecar or an internal address).
/// Built on a thread of its own, because the blocking client starts (and on drop stops) a
/// runtime, which must not happen inside the caller's async runtime (the Lambda start-up).
fn http_client() -> Result<reqwest::blocking::Client, String> {
    let build = || {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| error.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        reqwest::blocking::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(EXPORT_TIMEOUT)
            .connect_timeout(EXPORT_TIMEOUT)
            .no_proxy()
            .user_agent(concat!("cubby/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| error.to_string())
    };
    std::thread::Builder::new()
        .name("otlp-client".to_owned())
        .spawn(build)
        .map_err(|error| format!("CUBBY_OTLP_ENDPOINT: no thread for the OTLP client: {error}"))?
        .join()
        .map_err(|_| "CUBBY_OTLP_ENDPOINT: the OTLP client could not be built".to_owned())?
        .map_err(|error| {
            format!("CUBBY_OTLP_ENDPOINT: the OTLP client could not be built: {error}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_go_under_the_base_url() {
        assert_eq!(
            traces_url("http://collector:4318/").as_deref(),
            Ok("http://collector:4318/v1/traces")
        );
        assert_eq!(
            traces_url("https://otel.example/base").as_deref(),
            Ok("https://otel.example/base/v1/traces")
        );
    }

    #[test]
    fn an_endpoint_that_is_not_an_http_url_is_refused_without_its_value() {
        for endpoint in ["collector:4318", "ftp://secret@collector", "not a url", ""] {
            let error = traces_url(endpoint).unwrap_err();
            assert!(error.starts_with("CUBBY_OTLP_ENDPOINT"), "{error}");
            assert!(!error.contains("secret"), "{error}");
        }
    }

    #[test]
    fn the_otlp_exporter_builds_outside_and_inside_a_runtime() {
        let traces = Traces::otlp("http://127.0.0.1:9", Host::Container);
        assert!(traces.is_ok(), "{traces:?}");
        drop(traces);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let traces = runtime.block_on(async { Traces::otlp("http://127.0.0.1:9", Host::Lambda) });
        assert!(traces.is_ok(), "{traces:?}");
    }
}
