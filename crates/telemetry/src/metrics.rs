//! Prometheus metrics: the recorder behind the `metrics` facade, rendering the text format on
//! demand for whoever serves `/metrics`.
//!
//! It is installed only where something can scrape it: the container host, when the public
//! listener serves `/metrics` (`CUBBY_METRICS_PUBLIC`) or a metrics listener is set
//! (`CUBBY_METRICS_BIND`). Lambda never gets one (nothing could scrape a function), and without
//! a recorder every `metrics::counter!` and `histogram!` of the code base does nothing.
//!
//! Every metric the code base records is described here, so that the rendered text says what
//! each one means (docs/OPERATIONS.md, "Metrics", lists them too).

use std::sync::OnceLock;
use std::time::Duration;

use cubby_settings::Settings;
use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::Host;

/// The buckets of latency histograms, in seconds: half a millisecond to ten seconds.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The buckets of `job_lag_seconds`: ten milliseconds to an hour.
pub const LAG_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

/// How often histogram samples are folded into their buckets when nobody scrapes.
const UPKEEP: Duration = Duration::from_secs(5);

/// The installed recorder, which renders every metric recorded so far. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Every metric in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        self.handle.render()
    }
}

/// The recorder of this process: `None` until [`install`] (or [`install_recorder`]) put one
/// in place, and for good when another recorder was there first.
static INSTALLED: OnceLock<Option<Metrics>> = OnceLock::new();

/// Whether `settings` on `host` want a recorder: on the container host only, when `/metrics`
/// is served somewhere.
pub fn wanted(settings: &Settings, host: Host) -> bool {
    host == Host::Container && (settings.metrics_public || settings.metrics_bind.is_some())
}

/// Installs the global recorder when [`wanted`]; answers it (also found later with
/// [`installed`]).
pub fn install(settings: &Settings, host: Host) -> Option<Metrics> {
    if wanted(settings, host) {
        install_recorder()
    } else {
        None
    }
}

/// Installs the global recorder, whatever the settings (tests, tools), and a thread that keeps
/// its histograms from growing between scrapes. Safe to call more than once: later calls answer
/// the same recorder, or `None` when another recorder was installed first.
pub fn install_recorder() -> Option<Metrics> {
    INSTALLED.get_or_init(build).clone()
}

/// The recorder installed in this process, if any.
pub fn installed() -> Option<Metrics> {
    INSTALLED.get().cloned().flatten()
}

fn build() -> Option<Metrics> {
    let builder = PrometheusBuilder::new()
        .set_buckets(LATENCY_BUCKETS)
        .and_then(|builder| {
            builder.set_buckets_for_metric(Matcher::Full("job_lag_seconds".into()), LAG_BUCKETS)
        });
    let handle = match builder.map(PrometheusBuilder::install_recorder) {
        Ok(Ok(handle)) => handle,
        Ok(Err(error)) | Err(error) => {
            tracing::warn!(error = %error, "metrics recorder not installed; /metrics will be empty");
            return None;
        }
    };
    describe();
    let upkeep = handle.clone();
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP);
                upkeep.run_upkeep();
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(error = %error, "metrics upkeep not started; histograms are folded at scrapes only");
    }
    Some(Metrics { handle })
}

/// What each metric means, for the `# HELP` lines.
fn describe() {
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer a request, by method, route template and status"
    );
    describe_histogram!(
        "store_call_duration_seconds",
        Unit::Seconds,
        "Time of one call to a store (mongodb, redis, s3, sqs), by operation and outcome"
    );
    describe_counter!(
        "cache_requests_total",
        "Reads of a read-through cache (tenants, principals, permissions) by outcome: hit, miss or error"
    );
    describe_counter!(
        "jobs_total",
        "Job runs by kind and outcome: succeeded, failed, retried, dead_lettered, skipped, orphaned, error"
    );
    describe_histogram!(
        "job_lag_seconds",
        Unit::Seconds,
        "Time from a job's enqueue to the start of its first run, by queue"
    );
    describe_gauge!(
        "job_queue_depth",
        "Jobs waiting on a queue (ready or delayed), as last sampled by a worker"
    );
    describe_gauge!(
        "job_queue_in_flight",
        "Jobs handed to a worker and not yet settled, as last sampled by a worker"
    );
    describe_gauge!(
        "job_dead_letters",
        "Jobs in a queue's dead-letter queue, as last sampled by a worker"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(public: bool, bind: Option<&str>) -> Settings {
        let mut settings = Settings::from_vars(Vec::new()).unwrap();
        settings.metrics_public = public;
        settings.metrics_bind = bind.map(|b| b.parse().unwrap());
        settings
    }

    #[test]
    fn a_recorder_is_wanted_on_the_container_when_metrics_are_served_and_never_on_lambda() {
        let public = settings(true, None);
        let bound = settings(false, Some("127.0.0.1:9100"));
        let off = settings(false, None);
        assert!(wanted(&public, Host::Container));
        assert!(wanted(&bound, Host::Container));
        assert!(!wanted(&off, Host::Container));
        for settings in [&public, &bound, &off] {
            assert!(!wanted(settings, Host::Lambda));
            assert!(install(settings, Host::Lambda).is_none());
        }
    }

    #[test]
    fn the_recorder_renders_described_histograms_with_the_latency_buckets() {
        let metrics = install_recorder().unwrap();
        assert!(install_recorder().is_some(), "installing again answers it");
        metrics::histogram!("store_call_duration_seconds", "system" => "test").record(0.003);
        metrics::histogram!("job_lag_seconds", "queue" => "test").record(42.0);
        let text = metrics.render();
        assert!(
            text.contains("# HELP store_call_duration_seconds Time of one call"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE store_call_duration_seconds histogram"),
            "{text}"
        );
        for le in ["0.0025\"} 0", "0.005\"} 1", "10\"} 1", "+Inf\"} 1"] {
            assert!(
                text.contains(&format!(
                    "store_call_duration_seconds_bucket{{system=\"test\",le=\"{le}"
                )),
                "{le}: {text}"
            );
        }
        assert!(
            text.contains("job_lag_seconds_bucket{queue=\"test\",le=\"60\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("job_lag_seconds_bucket{queue=\"test\",le=\"30\"} 0"),
            "{text}"
        );
        assert!(installed().is_some());
    }
}
