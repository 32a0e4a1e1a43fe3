//! Traces as this host keeps them: the W3C `traceparent` a request or a job carries, and the
//! [`cubby_ports::trace::TraceContext`] the hosts install ([`install`]), which puts a unit of work
//! in its trace and hands the trace on to the jobs it enqueues.
//!
//! When the OpenTelemetry layer is installed a span's OpenTelemetry parent follows the same
//! trace, and the logged id is the exported one; when it is not, the id is still logged and,
//! through [`layer`], still propagated.

use std::fmt;

use cubby_ports::trace::{TRACE_ID_FIELD as FIELD, TraceContext};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::Registry;
use tracing_subscriber::registry::LookupSpan as _;

mod ids;

use ids::Recorded;
pub use ids::layer;

/// A W3C trace context, as in the `traceparent` header: a trace, the span that started the
/// work, and the trace flags (whether the caller samples it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceParent {
    trace_id: TraceId,
    span_id: SpanId,
    flags: TraceFlags,
}

impl TraceParent {
    /// `version-traceid-parentid-flags`, version 00 (later versions keep these four fields
    /// first); lowercase hex; all-zero ids are invalid.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.trim().split('-');
        let (version, trace_id, span_id, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let valid = is_hex(version, 2)
            && version != "ff"
            && (version != "00" || parts.next().is_none())
            && is_hex(trace_id, 32)
            && is_hex(span_id, 16)
            && is_hex(flags, 2);
        if !valid {
            return None;
        }
        let parent = Self {
            trace_id: TraceId::from_hex(trace_id).ok()?,
            span_id: SpanId::from_hex(span_id).ok()?,
            flags: TraceFlags::new(u8::from_str_radix(flags, 16).ok()?),
        };
        (parent.trace_id != TraceId::INVALID && parent.span_id != SpanId::INVALID).then_some(parent)
    }

    /// The trace id, 32 lowercase hex digits.
    pub fn trace_id(&self) -> String {
        self.trace_id.to_string()
    }

    /// The id of the span that started the work, 16 lowercase hex digits.
    pub fn span_id(&self) -> String {
        self.span_id.to_string()
    }

    /// This trace context as the remote parent of an OpenTelemetry span.
    fn context(&self) -> opentelemetry::Context {
        let remote = SpanContext::new(
            self.trace_id,
            self.span_id,
            self.flags,
            true,
            opentelemetry::trace::TraceState::default(),
        );
        opentelemetry::Context::new().with_remote_span_context(remote)
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{:02x}",
            self.trace_id,
            self.span_id,
            self.flags.to_u8()
        )
    }
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A new random trace id, 32 lowercase hex digits.
pub fn new_trace_id() -> String {
    TraceId::from(rand::random::<u128>().max(1)).to_string()
}

/// Puts `span` (made with an empty [`FIELD`], not entered yet) in `parent`'s trace, or in a
/// new one, and records the trace id in its [`FIELD`]; answers the id. With the OpenTelemetry
/// layer, the span's parent is `parent` (a remote span) and a new trace is the one the layer
/// started, so the id logged is always the id exported.
pub fn start(span: &Span, parent: Option<&TraceParent>) -> String {
    let trace_id = match parent {
        Some(parent) => {
            // Refused only without the OpenTelemetry layer (nothing to parent then).
            let _ = span.set_parent(parent.context());
            parent.trace_id()
        }
        None => exported_trace_id(span).unwrap_or_else(new_trace_id),
    };
    span.record(FIELD, trace_id.as_str());
    trace_id
}

/// The trace id OpenTelemetry gave `span`, when the OpenTelemetry layer records it.
pub fn exported_trace_id(span: &Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// The trace context of the work in progress, to hand to the work it starts (a job's
/// envelope): the innermost exported span when the OpenTelemetry layer is installed, else the
/// trace id of the innermost span that has one (with a new span id: nothing is exported).
pub fn current() -> Option<TraceParent> {
    Span::current()
        .with_subscriber(|(id, dispatch)| {
            let registry = dispatch.downcast_ref::<Registry>()?;
            let span = registry.span(id)?;
            span.scope().find_map(|ancestor| {
                let exported = tracing_opentelemetry::get_otel_context(&ancestor.id(), dispatch)
                    .map(|context| context.span().span_context().clone())
                    .filter(SpanContext::is_valid);
                if let Some(exported) = exported {
                    return Some(TraceParent {
                        trace_id: exported.trace_id(),
                        span_id: exported.span_id(),
                        flags: exported.trace_flags(),
                    });
                }
                let extensions = ancestor.extensions();
                extensions.get::<Recorded>().map(|recorded| TraceParent {
                    trace_id: recorded.0,
                    span_id: SpanId::from(rand::random::<u64>().max(1)),
                    flags: TraceFlags::SAMPLED,
                })
            })
        })
        .flatten()
}

/// The trace context the hosts install: OpenTelemetry's when its layer is installed, else the
/// trace ids [`layer`] remembers.
struct Hosted;

impl TraceContext for Hosted {
    fn start(&self, span: &Span, traceparent: Option<&str>) -> String {
        start(span, traceparent.and_then(TraceParent::parse).as_ref())
    }

    fn current(&self) -> Option<String> {
        current().map(|parent| parent.to_string())
    }

    fn unsampled(&self, span: &Span) {
        let unsampled = SpanContext::new(
            TraceId::from(rand::random::<u128>().max(1)),
            SpanId::from(rand::random::<u64>().max(1)),
            TraceFlags::default(),
            true,
            opentelemetry::trace::TraceState::default(),
        );
        // Refused only without the OpenTelemetry layer (nothing is exported then anyway).
        let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(unsampled));
    }
}

/// Installs this host's trace context for the use cases and the api (once per process; later
/// calls change nothing).
pub fn install() {
    cubby_ports::trace::install(&Hosted);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt as _;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_well_formed_traceparent_reads_and_writes_back() {
        let parent = TraceParent::parse(PARENT).unwrap();
        assert_eq!(parent.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(parent.span_id(), "00f067aa0ba902b7");
        assert_eq!(parent.to_string(), PARENT);
        let later = TraceParent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-x");
        assert_eq!(
            later.map(|p| p.to_string()).as_deref(),
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
        );
    }

    #[test]
    fn a_malformed_traceparent_is_refused() {
        for value in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "garbage",
            "",
        ] {
            assert_eq!(TraceParent::parse(value), None, "{value}");
        }
    }

    #[test]
    fn new_trace_ids_are_hex_and_differ() {
        let (one, two) = (new_trace_id(), new_trace_id());
        assert!(is_hex(&one, 32) && is_hex(&two, 32), "{one} {two}");
        assert_ne!(one, two);
    }

    #[test]
    fn without_opentelemetry_the_trace_id_still_reaches_the_work_started_inside() {
        let subscriber = tracing_subscriber::registry().with(layer());
        tracing::subscriber::with_default(subscriber, || {
            assert_eq!(current(), None, "outside any trace");
            let parent = TraceParent::parse(PARENT).unwrap();
            let job = |traceparent: Option<&str>| {
                let span = tracing::info_span!("job", trace_id = tracing::field::Empty);
                Hosted.start(&span, traceparent);
                span
            };
            let continued = job(Some(PARENT));
            let inner = continued.in_scope(|| {
                let _child = tracing::info_span!("store").entered();
                Hosted.current()
            });
            let inner = TraceParent::parse(&inner.unwrap()).unwrap();
            assert_eq!(inner.trace_id(), parent.trace_id());
            assert_ne!(inner.span_id(), parent.span_id(), "a span of this process");
            for malformed in [None, Some("garbage")] {
                let fresh = job(malformed).in_scope(current).unwrap();
                assert_ne!(fresh.trace_id(), parent.trace_id(), "a new trace");
            }
        });
    }
}
