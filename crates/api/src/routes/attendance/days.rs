//! `GET /v1/attendance` and `GET /v1/children/{id}/attendance`: what the events of a day, or
//! of a child's days, add up to.

use cubby_app::attendance::SubjectDay;
use cubby_domain::attendance::Interval;
use cubby_domain::{ChildId, RoomId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{EventOut, SubjectOut, bad_query};
use crate::openapi::schemas::{self as doc, with};
use crate::routes::fields::{date, date_text, rfc3339};
use crate::{ApiError, Ctx, Reply};

/// A stretch of presence in a room; `to` is absent while it lasts.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Interval)]
struct IntervalOut {
    #[schema(value_type = doc::Room)]
    room_id: String,
    #[schema(value_type = String, format = DateTime)]
    from: String,
    /// Absent while the interval is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::time, required = false)]
    to: Option<String>,
}

impl From<&Interval> for IntervalOut {
    fn from(interval: &Interval) -> Self {
        Self {
            room_id: interval.room.to_string(),
            from: rfc3339(interval.from),
            to: interval.to.map(rfc3339),
        }
    }
}

/// A subject's day: its events, presence and minutes present.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SubjectDay)]
struct SubjectDayOut {
    subject: SubjectOut,
    #[schema(schema_with = with::date)]
    date: String,
    /// Present now.
    present: bool,
    minutes_present: i64,
    intervals: Vec<IntervalOut>,
    events: Vec<EventOut>,
}

impl From<&SubjectDay> for SubjectDayOut {
    fn from(day: &SubjectDay) -> Self {
        Self {
            subject: day.subject.into(),
            date: date_text(day.day),
            present: day
                .timeline
                .intervals
                .last()
                .is_some_and(|i| i.to.is_none()),
            minutes_present: day.present_for.whole_minutes(),
            intervals: day
                .timeline
                .intervals
                .iter()
                .map(IntervalOut::from)
                .collect(),
            events: day.events.iter().map(EventOut::from).collect(),
        }
    }
}

/// Each subject's day in a room, or in every room the caller reaches.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DayView)]
struct DayViewOut {
    #[schema(schema_with = with::date)]
    date: String,
    /// The room asked for; absent for the whole centre.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = doc::Room, required = false)]
    room_id: Option<String>,
    subjects: Vec<SubjectDayOut>,
}

/// A child's days over a span.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ChildDays)]
struct ChildDaysOut {
    #[schema(value_type = doc::Child)]
    child_id: String,
    #[schema(schema_with = with::date)]
    from: String,
    #[schema(schema_with = with::date)]
    to: String,
    /// Minutes in care over the span.
    minutes_in_care: i64,
    days: Vec<SubjectDayOut>,
}

/// The query of `GET /v1/attendance`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DayQuery {
    /// The day (default: today in the centre's time zone).
    #[param(format = Date)]
    date: Option<String>,
    /// One room's day.
    #[param(value_type = Option<doc::Room>)]
    room: Option<String>,
}

/// `GET /v1/attendance?date=&room=`: each subject's day (events, presence intervals, minutes
/// present) in a room, or in every room the caller reaches; `date` defaults to today.
#[utoipa::path(
    get,
    path = "/v1/attendance",
    tag = "attendance",
    params(DayQuery),
    responses(
        (status = 200, description = "The day", body = DayViewOut),
        (status = 404, description = "No such room the caller reaches"),
        (status = 409, description = "A stored day does not add up"),
        (status = 422, description = "The day or room cannot be read"),
    )
)]
pub(crate) async fn day(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: DayQuery = ctx.query()?;
    let scope = ctx.scope()?;
    let day = match &query.date {
        Some(text) => date(text).map_err(|_| bad_query("date"))?,
        None => ctx.app().centre.today(scope).await?,
    };
    let room = match &query.room {
        Some(text) => Some(text.parse::<RoomId>().map_err(|_| bad_query("room"))?),
        None => None,
    };
    let days = ctx.app().attendance.day_view(scope, day, room).await?;
    Reply::ok(&DayViewOut {
        date: date_text(day),
        room_id: room.map(|r| r.to_string()),
        subjects: days.iter().map(SubjectDayOut::from).collect(),
    })
}

/// The query of `GET /v1/children/{id}/attendance`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SpanQuery {
    /// The first day (default: today).
    #[param(format = Date)]
    from: Option<String>,
    /// The last day (default: `from`, or today if later).
    #[param(format = Date)]
    to: Option<String>,
}

/// `GET /v1/children/{id}/attendance?from=&to=`: the child's days (default: today), with
/// minutes in care each day and in all.
#[utoipa::path(
    get,
    path = "/v1/children/{id}/attendance",
    tag = "attendance",
    params(("id" = doc::Child, Path, description = "The child"), SpanQuery),
    responses(
        (status = 200, description = "The child's days", body = ChildDaysOut),
        (status = 409, description = "A stored day does not add up"),
        (status = 422, description = "The span is reversed or too long"),
    )
)]
pub(crate) async fn child_days(ctx: Ctx) -> Result<Reply, ApiError> {
    let child: ChildId = ctx.param("id")?;
    let query: SpanQuery = ctx.query()?;
    let scope = ctx.scope()?;
    let today = ctx.app().centre.today(scope).await?;
    let from = match &query.from {
        Some(text) => date(text).map_err(|_| bad_query("from"))?,
        None => today,
    };
    let to = match &query.to {
        Some(text) => date(text).map_err(|_| bad_query("to"))?,
        None => from.max(today),
    };
    let days = ctx
        .app()
        .attendance
        .child_days(scope, child, from, to)
        .await?;
    let total: i64 = days.iter().map(|d| d.present_for.whole_minutes()).sum();
    Reply::ok(&ChildDaysOut {
        child_id: child.to_string(),
        from: date_text(from),
        to: date_text(to),
        minutes_in_care: total,
        days: days.iter().map(SubjectDayOut::from).collect(),
    })
}
