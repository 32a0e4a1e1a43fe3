//! `/v1/attendance`, `/v1/children/{id}/attendance`, `/v1/rooms/{id}/ratio` and
//! `/v1/ratio-breaches`: the day as events, what they add up to, and ratios.

use cubby_app::attendance::{Correction, LiveRatio, Record, Recorded, Request, SubjectDay};
use cubby_domain::attendance::Interval;
use cubby_domain::{
    Amendment, AttendanceEvent, AttendanceEventId, Breach, ChildId, ContactId, Movement, Note, Pin,
    RatioReport, RoomId, StaffId, Subject,
};
use cubby_ports::BreachQuery;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::fields::{Fields, Unknown, date, date_text, rfc3339, time};
use crate::context::page;
use crate::openapi::schemas::{self as doc, with};
use crate::openapi::shapes_day as shape;
use crate::{ApiError, Ctx, Reply};

fn subject(subject: Subject) -> Value {
    match subject {
        Subject::Child(id) => json!({ "kind": "child", "id": id.to_string() }),
        Subject::Staff(id) => json!({ "kind": "staff", "id": id.to_string() }),
    }
}

/// An event on the wire.
pub(crate) fn event(event: &AttendanceEvent) -> Value {
    let mut out = json!({
        "id": event.id.to_string(),
        "subject": subject(event.subject),
        "kind": event.movement.kind(),
        "day": date_text(event.day),
        "seq": event.seq,
        "at": rfc3339(event.at),
        "room_id": event.room.to_string(),
        "recorded_by": event.actor.to_string(),
        "recorded_at": rfc3339(event.recorded_at),
    });
    let extra = match &event.movement {
        Movement::CheckIn {
            contact: Some(contact),
            ..
        } => json!({ "contact_id": contact.to_string() }),
        Movement::CheckOut {
            contact,
            pin_verified,
        } => json!({ "contact_id": contact.to_string(), "pin_verified": pin_verified }),
        Movement::Correction {
            amends,
            amendment,
            reason,
        } => json!({
            "amends": amends.to_string(),
            "amendment": match amendment {
                Amendment::Void => json!({ "void": true }),
                Amendment::Retime(at) => json!({ "at": rfc3339(*at) }),
            },
            "reason": reason.as_str(),
        }),
        _ => json!({}),
    };
    if let (Some(out), Some(extra)) = (out.as_object_mut(), extra.as_object()) {
        out.extend(extra.clone());
    }
    out
}

fn report(report: &RatioReport) -> Value {
    json!({
        "complies": report.complies(),
        "children": report.children,
        "staff": report.staff,
        "staff_needed": report.staff_needed,
        "staff_short": report.staff_short,
        "over_group_size": report.over_group_size,
        "max_group_size": report.max_group_size,
        "applied_band_from_months": report.applied_band,
        "bands": report.bands.iter().map(|band| json!({
            "from_months": band.from_months,
            "ratio": band.ratio.to_string(),
            "children": band.children,
            "staff_needed": band.staff_needed,
        })).collect::<Vec<_>>(),
    })
}

fn live(ratio: &LiveRatio) -> Value {
    let mut out = report(&ratio.report);
    if let Some(out) = out.as_object_mut() {
        out.insert("room_id".into(), json!(ratio.room.to_string()));
        out.insert("day".into(), json!(date_text(ratio.day)));
        out.insert("at".into(), json!(rfc3339(ratio.at)));
        out.insert(
            "rule_effective_from".into(),
            json!(date_text(ratio.rule_effective_from)),
        );
    }
    out
}

fn interval(interval: &Interval) -> Value {
    json!({
        "room_id": interval.room.to_string(),
        "from": rfc3339(interval.from),
        "to": interval.to.map(rfc3339),
    })
}

fn subject_day(day: &SubjectDay) -> Value {
    json!({
        "subject": subject(day.subject),
        "date": date_text(day.day),
        "present": day.timeline.intervals.last().is_some_and(|i| i.to.is_none()),
        "minutes_present": day.present_for.whole_minutes(),
        "intervals": day.timeline.intervals.iter().map(interval).collect::<Vec<_>>(),
        "events": day.events.iter().map(event).collect::<Vec<_>>(),
    })
}

fn recorded(recorded: &Recorded) -> Result<Reply, ApiError> {
    let mut body = json!({ "event": event(&recorded.event) });
    if let (Some(out), Some(ratio)) = (body.as_object_mut(), &recorded.ratio) {
        out.insert("ratio".into(), report(ratio));
        if !ratio.complies() {
            out.insert("warnings".into(), json!(["ratio.breach"]));
        }
    }
    if recorded.replayed {
        Ok(Reply::json(StatusCode::OK, &body)?.with_header(
            http::HeaderName::from_static("idempotent-replayed"),
            http::HeaderValue::from_static("true"),
        ))
    } else {
        Reply::json(StatusCode::CREATED, &body)
    }
}

/// The body of `POST /v1/attendance`. A check-in names `child_id` (and may name `room_id`,
/// else the child's room, and `contact_id`); a check-out `child_id`, `contact_id` and the
/// contact's `pin` when it has one; a clock-in `room_id` (and `staff_id`, else the caller's);
/// a clock-out `staff_id` (else the caller's).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EventIn {
    /// The client's own id for the event: recording it again stores nothing twice.
    #[schema(value_type = doc::AttendanceEvent)]
    id: String,
    #[schema(value_type = RecordKind)]
    kind: String,
    #[schema(value_type = Option<doc::Child>)]
    child_id: Option<String>,
    #[schema(value_type = Option<doc::Staff>)]
    staff_id: Option<String>,
    #[schema(value_type = Option<doc::Room>)]
    room_id: Option<String>,
    #[schema(value_type = Option<doc::Contact>)]
    contact_id: Option<String>,
    /// The contact's pickup PIN.
    #[schema(schema_with = with::pin_or_null)]
    pin: Option<String>,
    /// When it happened (default: now).
    #[schema(schema_with = with::time_or_null)]
    at: Option<String>,
}

/// What an event records.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[expect(dead_code, reason = "a schema only; never built")]
enum RecordKind {
    /// A child arrives.
    CheckIn,
    /// A child leaves with a contact.
    CheckOut,
    /// A member of staff starts in a room.
    ClockIn,
    /// A member of staff stops.
    ClockOut,
}

fn id<T: std::str::FromStr>(
    fields: &mut Fields,
    field: &str,
    code: &'static str,
    text: Option<&str>,
) -> Option<Option<T>> {
    match text {
        None => Some(None),
        Some(text) => fields
            .check(
                field,
                text.parse::<T>().map_err(|_| Unknown {
                    code,
                    value: text.to_owned(),
                }),
            )
            .map(Some),
    }
}

fn required<T>(fields: &mut Fields, field: &str, value: Option<Option<T>>) -> Option<T> {
    match value {
        Some(Some(value)) => Some(value),
        Some(None) => {
            fields.check::<T, Unknown>(
                field,
                Err(Unknown {
                    code: "request.field_required",
                    value: String::new(),
                }),
            );
            None
        }
        None => None,
    }
}

impl EventIn {
    fn into_request(self) -> Result<Request, ApiError> {
        let mut fields = Fields::default();
        let event_id =
            id::<AttendanceEventId>(&mut fields, "id", "attendance.invalid_id", Some(&self.id))
                .flatten();
        let at = match &self.at {
            Some(text) => fields.check("at", time(text)).map(Some),
            None => Some(None),
        };
        let child = id::<ChildId>(
            &mut fields,
            "child_id",
            "request.invalid_id",
            self.child_id.as_deref(),
        );
        let staff = id::<StaffId>(
            &mut fields,
            "staff_id",
            "request.invalid_id",
            self.staff_id.as_deref(),
        );
        let room = id::<RoomId>(
            &mut fields,
            "room_id",
            "attendance.unknown_room",
            self.room_id.as_deref(),
        );
        let contact = id::<ContactId>(
            &mut fields,
            "contact_id",
            "contact.unknown",
            self.contact_id.as_deref(),
        );
        let pin = match &self.pin {
            Some(text) => fields.check("pin", Pin::parse(text)).map(Some),
            None => Some(None),
        };
        let record = match self.kind.as_str() {
            "check_in" => required(&mut fields, "child_id", child).and_then(|child| {
                Some(Record::CheckIn {
                    child,
                    room: room?,
                    contact: contact?,
                })
            }),
            "check_out" => {
                let child = required(&mut fields, "child_id", child);
                let contact = required(&mut fields, "contact_id", contact);
                match (child, contact, pin) {
                    (Some(child), Some(contact), Some(pin)) => Some(Record::CheckOut {
                        child,
                        contact,
                        pin,
                    }),
                    _ => None,
                }
            }
            "clock_in" => required(&mut fields, "room_id", room).and_then(|room| {
                Some(Record::ClockIn {
                    staff: staff?,
                    room,
                })
            }),
            "clock_out" => staff.map(|staff| Record::ClockOut { staff }),
            other => {
                fields.check::<(), Unknown>(
                    "kind",
                    Err(Unknown {
                        code: "attendance.unknown_kind",
                        value: other.to_owned(),
                    }),
                );
                None
            }
        };
        let request = match (event_id, at, record) {
            (Some(id), Some(at), Some(record)) => Some(Request { id, at, record }),
            _ => None,
        };
        fields.finish(request)
    }
}

/// The body of `POST /v1/attendance/corrections`: either `"void": true` or a corrected `at`
/// (on the same day), with a reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CorrectionIn {
    /// The client's own id for the correction.
    #[schema(value_type = doc::AttendanceEvent)]
    id: String,
    /// The event corrected.
    #[schema(value_type = doc::AttendanceEvent)]
    amends: String,
    #[serde(default)]
    void: bool,
    #[schema(schema_with = with::time_or_null)]
    at: Option<String>,
    #[schema(schema_with = with::note)]
    reason: String,
}

impl CorrectionIn {
    fn into_domain(self) -> Result<Correction, ApiError> {
        let mut fields = Fields::default();
        let event_id =
            id::<AttendanceEventId>(&mut fields, "id", "attendance.invalid_id", Some(&self.id))
                .flatten();
        let amends = id::<AttendanceEventId>(
            &mut fields,
            "amends",
            "attendance.invalid_id",
            Some(&self.amends),
        )
        .flatten();
        let amendment = match (self.void, &self.at) {
            (true, None) => Some(Amendment::Void),
            (false, Some(text)) => fields.check("at", time(text)).map(Amendment::Retime),
            _ => {
                fields.check::<(), Unknown>(
                    "void",
                    Err(Unknown {
                        code: "attendance.invalid_correction",
                        value: "give either \"void\": true or a corrected \"at\"".to_owned(),
                    }),
                );
                None
            }
        };
        let reason = fields.check("reason", Note::parse(&self.reason));
        let correction = match (event_id, amends, amendment, reason) {
            (Some(id), Some(amends), Some(amendment), Some(reason)) => Some(Correction {
                id,
                amends,
                amendment,
                reason,
            }),
            _ => None,
        };
        fields.finish(correction)
    }
}

/// `POST /v1/attendance`: records a check-in, check-out, clock-in or clock-out. 201 with the
/// event (and the room's ratio after it, with `warnings: ["ratio.breach"]` when out of ratio);
/// a replay of an id already recorded is 200 with the event as first stored and
/// `Idempotent-Replayed: true`.
#[utoipa::path(
    post,
    path = "/v1/attendance",
    tag = "attendance",
    request_body = EventIn,
    responses(
        (status = 200, description = "The event was already recorded under this id: as first \
            stored", body = shape::Recorded,
            headers(("Idempotent-Replayed" = String, description = "`true`"))),
        (status = 201, description = "The event, and the room's ratio after it", body = shape::Recorded),
        (status = 403, description = "The contact may not collect the child, or the PIN is \
            wrong, or the session lacks the permission"),
        (status = 404, description = "No such child, staff record, room or contact the caller \
            reaches"),
        (status = 409, description = "The day does not allow it (`attendance.already_checked_in`, \
            `attendance.not_checked_in`, ...), the child is archived, or the check-in would \
            break the ratio where the centre refuses that (`ratio.would_breach`)"),
    )
)]
pub(crate) async fn record(ctx: Ctx) -> Result<Reply, ApiError> {
    let request = ctx.json::<EventIn>()?.into_request()?;
    let done = ctx.app().attendance.record(ctx.scope()?, request).await?;
    recorded(&done)
}

/// `POST /v1/attendance/corrections`: voids or re-times an earlier event, with a reason.
#[utoipa::path(
    post,
    path = "/v1/attendance/corrections",
    tag = "attendance",
    request_body = CorrectionIn,
    responses(
        (status = 200, description = "The correction was already recorded under this id",
            body = shape::Recorded,
            headers(("Idempotent-Replayed" = String, description = "`true`"))),
        (status = 201, description = "The correction", body = shape::Recorded),
        (status = 404, description = "No such event in the centre (or it is a correction)"),
        (status = 409, description = "The day would not make sense with it \
            (`attendance.invalid_correction`, `attendance.not_checked_in`, ...)"),
    )
)]
pub(crate) async fn correct(ctx: Ctx) -> Result<Reply, ApiError> {
    let correction = ctx.json::<CorrectionIn>()?.into_domain()?;
    let done = ctx
        .app()
        .attendance
        .correct(ctx.scope()?, correction)
        .await?;
    recorded(&done)
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

fn bad_query(name: &str) -> ApiError {
    ApiError::bad_request("request.invalid_query", format!("{name} is not valid"))
}

/// `GET /v1/attendance?date=&room=`: each subject's day (events, presence intervals, minutes
/// present) in a room, or in every room the caller reaches; `date` defaults to today.
#[utoipa::path(
    get,
    path = "/v1/attendance",
    tag = "attendance",
    params(DayQuery),
    responses(
        (status = 200, description = "The day", body = shape::DayView),
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
    Reply::ok(&json!({
        "date": date_text(day),
        "room_id": room.map(|r| r.to_string()),
        "subjects": days.iter().map(subject_day).collect::<Vec<_>>(),
    }))
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
        (status = 200, description = "The child's days", body = shape::ChildDays),
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
    Reply::ok(&json!({
        "child_id": child.to_string(),
        "from": date_text(from),
        "to": date_text(to),
        "minutes_in_care": total,
        "days": days.iter().map(subject_day).collect::<Vec<_>>(),
    }))
}

/// `GET /v1/rooms/{id}/ratio`: who is in the room now against the rule in force.
#[utoipa::path(
    get,
    path = "/v1/rooms/{id}/ratio",
    tag = "attendance",
    params(("id" = doc::Room, Path, description = "The room")),
    responses(
        (status = 200, description = "The room's live ratio", body = shape::LiveRatio),
        (status = 409, description = "A stored day does not add up"),
    )
)]
pub(crate) async fn ratio(ctx: Ctx) -> Result<Reply, ApiError> {
    let room: RoomId = ctx.param("id")?;
    let found = ctx.app().attendance.live_ratio(ctx.scope()?, room).await?;
    Reply::ok(&live(&found))
}

/// The query of `GET /v1/ratio-breaches`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct BreachListQuery {
    /// One room's breaches (callers without `centre:all_rooms` must name one of theirs).
    #[param(value_type = Option<doc::Room>)]
    room: Option<String>,
    /// From this day.
    #[param(format = Date)]
    from: Option<String>,
    /// To this day.
    #[param(format = Date)]
    to: Option<String>,
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
}

/// A breach on the wire.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Breach)]
pub(crate) struct BreachOut {
    #[schema(value_type = doc::Breach)]
    id: String,
    #[schema(value_type = doc::Room)]
    room_id: String,
    #[schema(schema_with = with::date)]
    day: String,
    #[schema(format = DateTime)]
    at: String,
    /// The check-in or clock-out that broke the ratio.
    #[schema(value_type = doc::AttendanceEvent)]
    event_id: String,
    /// Whether the check-in was refused.
    refused: bool,
    children: u32,
    staff: u32,
    staff_needed: u32,
    over_group_size: u32,
    /// A user id, or `system:<job>`.
    recorded_by: String,
}

impl From<&Breach> for BreachOut {
    fn from(b: &Breach) -> Self {
        Self {
            id: b.id.to_string(),
            room_id: b.room.to_string(),
            day: date_text(b.day),
            at: rfc3339(b.at),
            event_id: b.event.to_string(),
            refused: b.refused,
            children: b.children,
            staff: b.staff,
            staff_needed: b.staff_needed,
            over_group_size: b.over_group_size,
            recorded_by: b.actor.to_string(),
        }
    }
}

/// `GET /v1/ratio-breaches`: every recorded breach, newest first; `room`, `from`, `to`.
#[utoipa::path(
    get,
    path = "/v1/ratio-breaches",
    tag = "attendance",
    params(BreachListQuery),
    responses(
        (status = 200, description = "A page of breaches", body = shape::BreachPage),
        (status = 404, description = "No such room the caller works in"),
        (status = 422, description = "Callers without `centre:all_rooms` must name a room \
            (`ratio.room_required`)"),
    )
)]
pub(crate) async fn breaches(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: BreachListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let parse_day = |text: &Option<String>, name: &str| match text {
        Some(text) => date(text).map(Some).map_err(|_| bad_query(name)),
        None => Ok(None),
    };
    let breach_query = BreachQuery {
        room: match &query.room {
            Some(text) => Some(text.parse::<RoomId>().map_err(|_| bad_query("room"))?),
            None => None,
        },
        from: parse_day(&query.from, "from")?,
        to: parse_day(&query.to, "to")?,
        page,
    };
    let found = ctx
        .app()
        .attendance
        .breaches(ctx.scope()?, &breach_query)
        .await?;
    Reply::ok(&json!({
        "items": found.items.iter().map(BreachOut::from).collect::<Vec<_>>(),
        "total": found.total,
        "limit": page.limit(),
        "offset": page.offset(),
    }))
}
