//! The trace a request belongs to: the caller's W3C `traceparent` when it is well-formed, else
//! a new trace. Its id is written in every log line of the request, is the id of the exported
//! `request` span when traces are exported, and is carried by the jobs the request enqueues
//! (see [`cubby_ports::trace`]).

use cubby_ports::trace;
use http::{HeaderMap, Method};

use crate::request_id::RequestId;

/// The W3C trace context header.
pub(crate) const TRACEPARENT: &str = "traceparent";

/// The span a request runs in, in the caller's trace or a new one (see [`trace::start`]), and
/// the trace id every line logged while serving it carries.
pub(crate) fn request_span(
    headers: &HeaderMap,
    request_id: &RequestId,
    method: &Method,
) -> (tracing::Span, String) {
    let parent = headers
        .get(TRACEPARENT)
        .and_then(|value| value.to_str().ok());
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        trace_id = tracing::field::Empty,
        http.request.method = %method,
    );
    let trace_id = trace::start(&span, parent);
    (span, trace_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn traced(value: Option<&str>) -> String {
        cubby_telemetry::trace::install();
        let mut headers = HeaderMap::new();
        if let Some(value) = value {
            headers.insert(
                TRACEPARENT,
                HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
            );
        }
        let request_id = RequestId::from_headers(&HeaderMap::new());
        request_span(&headers, &request_id, &Method::GET).1
    }

    #[test]
    fn a_well_formed_traceparent_is_followed() {
        assert_eq!(traced(Some(PARENT)), "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    #[test]
    fn a_malformed_traceparent_starts_a_new_trace() {
        for value in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "garbage",
        ] {
            let trace_id = traced(Some(value));
            assert_ne!(trace_id, "4bf92f3577b34da6a3ce929d0e0e4736", "{value}");
            assert_eq!(trace_id.len(), 32);
        }
    }

    #[test]
    fn new_traces_differ() {
        assert_ne!(traced(None), traced(None));
    }
}
