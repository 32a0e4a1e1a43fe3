//! Error reports: when `CUBBY_SENTRY_DSN` is set, every `ERROR` event (a request that failed
//! with a 5xx logs exactly one) and every panic is sent to Sentry, tagged with the request id
//! and the tenant id and stripped of anything personal.
//!
//! What leaves the process is decided in [`scrub_event`]: the tags `request_id`, `tenant_id`
//! and `code`, the message, the cause chain and the exception and stack trace, each text
//! passed through [`crate::redact::scrub`]; every other field of the log event is dropped,
//! and no user, request or server name is attached.

use std::sync::Arc;

use cubby_settings::Settings;
use secrecy::ExposeSecret;
use sentry::integrations::tracing::ErrorLayer;
use sentry::protocol::{Context, Event, Value};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;

use crate::BoxedLayer;
use crate::redact::{self, REDACTED};

/// The event fields that become tags (ids and codes only).
const TAGS: &[&str] = &["request_id", "tenant_id", "code", "trace_id"];
/// The event fields kept as context, scrubbed.
const KEPT: &[&str] = &["error.cause_chain", "panic.location"];
/// Where the tracing integration puts an event's fields.
const FIELDS: &str = "Rust Tracing Fields";

/// The Sentry client for `settings` (none without a DSN) and the layer that turns `ERROR`
/// events into reports.
///
/// # Errors
///
/// When the DSN is not a valid Sentry DSN (the message does not repeat it: it holds a key).
pub fn init(settings: &Settings) -> Result<Option<(sentry::ClientInitGuard, BoxedLayer)>, String> {
    let Some(dsn) = &settings.sentry_dsn else {
        return Ok(None);
    };
    let dsn: sentry::types::Dsn = dsn
        .expose_secret()
        .parse()
        .map_err(|_| "CUBBY_SENTRY_DSN is not a valid Sentry DSN".to_owned())?;
    let guard = sentry::init(options(Some(dsn), settings.env.as_str()));
    Ok(Some((guard, layer())))
}

/// The client options: no personal data, the scrubber on every event.
pub fn options(dsn: Option<sentry::types::Dsn>, environment: &str) -> sentry::ClientOptions {
    let mut options = sentry::ClientOptions::new();
    options.dsn = dsn;
    options.release = Some(concat!("cubby@", env!("CARGO_PKG_VERSION")).into());
    options.environment = Some(environment.to_owned().into());
    options.send_default_pii = false;
    options.attach_stacktrace = false;
    options.before_send = Some(Arc::new(|event| Some(scrub_event(event))));
    options
}

/// The layer that reports `ERROR` events.
pub fn layer() -> BoxedLayer {
    ErrorLayer::new().with_filter(LevelFilter::ERROR).boxed()
}

/// `event` with only what may leave the process (see the module's rules).
pub fn scrub_event(mut event: Event<'static>) -> Event<'static> {
    if let Some(Context::Other(fields)) = event.contexts.remove(FIELDS) {
        let mut kept = std::collections::BTreeMap::new();
        for (key, value) in fields {
            let text = match &value {
                Value::String(text) => text.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            if TAGS.contains(&key.as_str()) {
                event.tags.insert(key, redact::scrub(&text));
            } else if KEPT.contains(&key.as_str()) {
                kept.insert(key, Value::String(redact::scrub(&text)));
            }
        }
        if !kept.is_empty() {
            event
                .contexts
                .insert("error".to_owned(), Context::Other(kept));
        }
    }
    event.tags.retain(|key, _| !redact::is_sensitive(key));
    event.message = event.message.map(|text| redact::scrub(&text));
    for exception in event.exception.values.iter_mut() {
        exception.value = exception.value.take().map(|text| redact::scrub(&text));
    }
    event.user = None;
    event.request = None;
    event.server_name = None;
    event.extra.clear();
    event.breadcrumbs.values.clear();
    if event.logentry.is_some() {
        event.logentry = None;
        event.message = event.message.or_else(|| Some(REDACTED.to_owned()));
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use sentry::test::TestTransport;
    use tracing_subscriber::layer::SubscriberExt;

    fn reported(emit: impl FnOnce()) -> Vec<Event<'static>> {
        let transport = TestTransport::new();
        let mut options = options("https://public@sentry.invalid/1".parse().ok(), "dev");
        options.transport = Some(Arc::new(transport.clone()));
        let hub = Arc::new(sentry::Hub::new(
            Some(Arc::new(options.into())),
            Arc::new(Default::default()),
        ));
        let subscriber = tracing_subscriber::registry().with(vec![layer()]);
        sentry::Hub::run(hub, || tracing::subscriber::with_default(subscriber, emit));
        transport
            .fetch_and_clear_envelopes()
            .into_iter()
            .filter_map(|envelope| envelope.event().cloned())
            .collect()
    }

    #[test]
    fn an_error_event_is_reported_once_with_ids_and_nothing_personal() {
        let events = reported(|| {
            tracing::info!(email = "ada@example.org", "not an error: not reported");
            tracing::error!(
                request_id = "req-1",
                tenant_id = "tenant-1",
                code = "internal",
                email = "ada@example.org",
                child_first_name = "Ada",
                error.cause_chain = "store failed: no user ada@example.org: timed out",
                "request failed"
            );
        });
        assert_eq!(events.len(), 1);
        let event = &events[0];
        assert_eq!(
            event.tags.get("request_id").map(String::as_str),
            Some("req-1")
        );
        assert_eq!(
            event.tags.get("tenant_id").map(String::as_str),
            Some("tenant-1")
        );
        assert_eq!(event.tags.get("code").map(String::as_str), Some("internal"));
        let text = serde_json::to_string(event).unwrap_or_default();
        assert!(!text.contains("ada@example.org"), "{text}");
        assert!(!text.contains("Ada"), "{text}");
        assert!(
            text.contains("store failed: no user [redacted]: timed out"),
            "{text}"
        );
    }

    #[test]
    fn no_dsn_means_no_client() {
        let settings = Settings::from_vars(Vec::new()).ok();
        let none = settings.map(|settings| init(&settings).map(|client| client.is_none()));
        assert_eq!(none, Some(Ok(true)));
    }

    #[test]
    fn a_bad_dsn_is_refused_without_repeating_it() {
        let vars = vec![("CUBBY_SENTRY_DSN".to_owned(), "not-a-dsn-secret".to_owned())];
        let refused = Settings::from_vars(vars).map(|settings| init(&settings).err());
        let message = refused.ok().flatten().unwrap_or_default();
        assert!(message.contains("CUBBY_SENTRY_DSN"), "{message}");
        assert!(!message.contains("not-a-dsn-secret"));
    }
}
