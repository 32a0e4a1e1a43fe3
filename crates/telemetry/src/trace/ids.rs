//! The trace id of each span that has one, remembered for [`super::current`] when no
//! OpenTelemetry layer keeps it.

use std::fmt;

use opentelemetry::trace::TraceId;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, filter_fn};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::{FIELD, is_hex};

/// The layer that remembers the trace id of every span with a [`FIELD`] (INFO and above), for
/// [`super::current`] when the OpenTelemetry layer is not installed. It sees no event and no
/// other span.
pub fn layer<S>() -> impl Layer<S> + Send + Sync + 'static
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let traced = filter_fn(|metadata| {
        metadata.is_span()
            && *metadata.level() <= Level::INFO
            && metadata.fields().field(FIELD).is_some()
    })
    .with_max_level_hint(LevelFilter::INFO);
    TraceIds.with_filter(traced)
}

/// See [`layer`].
struct TraceIds;

/// The trace id a span recorded.
pub(super) struct Recorded(pub(super) TraceId);

impl<S> Layer<S> for TraceIds
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut found = Found(None);
        attrs.record(&mut found);
        remember(found, id, &ctx);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut found = Found(None);
        values.record(&mut found);
        remember(found, id, &ctx);
    }
}

fn remember<S>(found: Found, id: &Id, ctx: &Context<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    if let (Some(trace_id), Some(span)) = (found.0, ctx.span(id)) {
        span.extensions_mut().replace(Recorded(trace_id));
    }
}

/// Finds the [`FIELD`] among a span's values.
struct Found(Option<TraceId>);

impl Found {
    fn read(&mut self, field: &Field, text: &str) {
        if field.name() == FIELD && is_hex(text, 32) {
            self.0 = TraceId::from_hex(text)
                .ok()
                .filter(|id| *id != TraceId::INVALID);
        }
    }
}

impl Visit for Found {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.read(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == FIELD {
            self.read(field, &format!("{value:?}"));
        }
    }
}
