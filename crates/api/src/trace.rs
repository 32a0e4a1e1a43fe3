//! The trace a request belongs to: the caller's W3C `traceparent` when it is well-formed, else
//! a new trace. Its id is written in every log line of the request, is the id of the exported
//! `request` span when traces are exported, and is carried by the jobs the request enqueues
//! (see [`cubby_app::trace`]).

use cubby_app::trace::{self, TraceParent};
use http::{HeaderMap, Method};

use crate::request_id::RequestId;

/// The W3C trace context header.
pub(crate) const TRACEPARENT: &str = "traceparent";

/// A request's trace: its id (32 lowercase hex digits) and the caller's span, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trace {
    trace_id: String,
    parent: Option<TraceParent>,
}

impl Trace {
    /// The caller's trace if `traceparent` is well-formed, else a new one.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let parent = headers
            .get(TRACEPARENT)
            .and_then(|value| value.to_str().ok())
            .and_then(TraceParent::parse);
        match parent {
            Some(parent) => Self {
                trace_id: parent.trace_id(),
                parent: Some(parent),
            },
            None => Self::generate(),
        }
    }

    /// A new trace with no parent.
    pub(crate) fn generate() -> Self {
        Self {
            trace_id: trace::new_trace_id(),
            parent: None,
        }
    }

    /// The trace id, as logged (final once [`Trace::span`] has made the request's span).
    pub(crate) fn trace_id(&self) -> &str {
        &self.trace_id
    }

    /// The span the request runs in: every line logged while serving it carries these fields.
    /// Its OpenTelemetry parent is the caller's span; without one, the trace the OpenTelemetry
    /// layer starts is adopted as this request's (when the layer is installed).
    pub(crate) fn span(&mut self, request_id: &RequestId, method: &Method) -> tracing::Span {
        let span = tracing::info_span!(
            "request",
            request_id = %request_id,
            trace_id = tracing::field::Empty,
            http.request.method = %method,
        );
        match &self.parent {
            Some(parent) => {
                trace::start(&span, Some(parent));
            }
            None => {
                if let Some(exported) = trace::exported_trace_id(&span) {
                    self.trace_id = exported;
                }
                span.record(trace::FIELD, self.trace_id.as_str());
            }
        }
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn traced(value: &str) -> Trace {
        let mut headers = HeaderMap::new();
        headers.insert(
            TRACEPARENT,
            HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
        );
        Trace::from_headers(&headers)
    }

    #[test]
    fn a_well_formed_traceparent_is_followed() {
        let trace = traced("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        assert_eq!(trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(
            trace.parent.map(|parent| parent.span_id()).as_deref(),
            Some("00f067aa0ba902b7")
        );
    }

    #[test]
    fn a_malformed_traceparent_starts_a_new_trace() {
        for value in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "garbage",
        ] {
            let trace = traced(value);
            assert_ne!(
                trace.trace_id(),
                "4bf92f3577b34da6a3ce929d0e0e4736",
                "{value}"
            );
            assert_eq!(trace.trace_id().len(), 32);
            assert_eq!(trace.parent, None, "{value}");
        }
    }

    #[test]
    fn new_traces_differ() {
        assert_ne!(Trace::generate(), Trace::generate());
    }

    #[test]
    fn without_opentelemetry_the_span_keeps_the_trace_it_was_given() {
        let request_id = RequestId::from_headers(&HeaderMap::new());
        let mut fresh = Trace::generate();
        let before = fresh.trace_id().to_owned();
        drop(fresh.span(&request_id, &Method::GET));
        assert_eq!(fresh.trace_id(), before);
        let mut followed = traced("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        drop(followed.span(&request_id, &Method::GET));
        assert_eq!(followed.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    }
}
