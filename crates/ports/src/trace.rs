//! Which trace a piece of work belongs to, as the use cases and the api need it, without knowing
//! how traces are kept or exported.
//!
//! Every unit of work runs in a span with a `trace_id` field: a request (in the caller's trace
//! when its W3C `traceparent` is well-formed), a job (in the trace of the work that enqueued it,
//! whose `traceparent` its envelope carries), a scheduled run (a new trace). [`start`] puts such a
//! span in its trace and records the id; [`current`] answers the trace context to hand to the
//! work being started.
//!
//! How is the host's choice: it installs a [`TraceContext`] once, at start, with its tracing
//! layers (the telemetry crate's, which follows OpenTelemetry when it exports). The context is
//! process-wide, as the `tracing` dispatcher it reads is; it holds no state of its own. Until one
//! is installed, [`start`] records a new trace id and [`current`] answers none.

use std::sync::OnceLock;

use tracing::Span;

/// The span field that holds the trace id (32 lowercase hex digits).
pub const TRACE_ID_FIELD: &str = "trace_id";

/// How a host keeps traces; see the module documentation.
pub trait TraceContext: Send + Sync + 'static {
    /// Puts `span` (made with an empty [`TRACE_ID_FIELD`], not entered yet) in the trace that
    /// `traceparent` names when it is a well-formed W3C trace context, else in a new trace;
    /// records the trace id in its [`TRACE_ID_FIELD`] and answers it.
    fn start(&self, span: &Span, traceparent: Option<&str>) -> String;

    /// The W3C `traceparent` of the work in progress, to hand to the work it starts (a job's
    /// envelope); `None` outside any trace.
    fn current(&self) -> Option<String>;

    /// Keeps `span` (a root) and everything inside it from being exported: its trace is never
    /// sampled.
    fn unsampled(&self, span: &Span);
}

static INSTALLED: OnceLock<&'static dyn TraceContext> = OnceLock::new();

/// Installs the host's trace context; the first one installed stays.
pub fn install(context: &'static dyn TraceContext) {
    let _ = INSTALLED.set(context);
}

/// See [`TraceContext::start`]. Without an installed context: a new trace, whatever
/// `traceparent` says.
pub fn start(span: &Span, traceparent: Option<&str>) -> String {
    if let Some(context) = INSTALLED.get() {
        return context.start(span, traceparent);
    }
    let trace_id = uuid::Uuid::now_v7().simple().to_string();
    span.record(TRACE_ID_FIELD, trace_id.as_str());
    trace_id
}

/// See [`TraceContext::current`]; `None` without an installed context.
pub fn current() -> Option<String> {
    INSTALLED.get().and_then(|context| context.current())
}

/// See [`TraceContext::unsampled`]; nothing to do without an installed context.
pub fn unsampled(span: &Span) {
    if let Some(context) = INSTALLED.get() {
        context.unsampled(span);
    }
}
