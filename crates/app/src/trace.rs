//! The spans background work runs in, each in its trace (see [`cubby_ports::trace`]): a job in
//! the trace of the work that enqueued it, a scheduled run in a new one, a worker's polling in
//! none that is ever exported.

use cubby_domain::{Queue, TenantId};
use cubby_ports::JobEnvelope;
use tracing::Span;

/// The span a delivered job runs in: `job`, with its id, kind, queue and attempt (1 for the
/// first), a root in `tracing` and in the trace of the work that enqueued it (the envelope's
/// `traceparent`), else in a new trace.
pub fn job_span(queue: Queue, envelope: &JobEnvelope) -> Span {
    let span = tracing::info_span!(
        parent: None,
        "job",
        job_id = %envelope.id,
        kind = %envelope.kind,
        queue = queue.as_str(),
        attempt = envelope.attempt.saturating_add(1),
        trace_id = tracing::field::Empty,
    );
    cubby_ports::trace::start(&span, envelope.traceparent.as_deref());
    span
}

/// The span a scheduled run starts in for one centre: `schedule`, a new trace, which the job it
/// enqueues continues.
pub fn schedule_span(schedule: &str, tenant: TenantId) -> Span {
    let span = tracing::info_span!(
        parent: None,
        "schedule",
        schedule,
        tenant_id = %tenant,
        trace_id = tracing::field::Empty,
    );
    cubby_ports::trace::start(&span, None);
    span
}

/// The span a worker polls a queue in: `poll`, a root whose trace is never sampled, so that the
/// queue's calls (a `store` span each) are not exported as a trace of their own every time an idle
/// worker looks; the jobs it takes each run in their [`job_span`].
pub fn poll_span(queue: Queue) -> Span {
    let span = tracing::info_span!(parent: None, "poll", queue = queue.as_str());
    cubby_ports::trace::unsampled(&span);
    span
}
