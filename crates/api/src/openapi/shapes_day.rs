//! The shapes of attendance events, days and ratios, as their handlers build them.

#![expect(
    dead_code,
    reason = "these types only describe answers; they are never built"
)]

use utoipa::ToSchema;

use super::schemas::{self, with};
use crate::routes::attendance::BreachOut;

/// Whose day it is.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(crate) enum SubjectKind {
    /// A child.
    Child,
    /// A member of staff.
    Staff,
}

/// A child or a member of staff.
#[derive(ToSchema)]
pub(crate) struct Subject {
    kind: SubjectKind,
    /// A child's (`child_...`) or a staff record's (`stf_...`) id.
    #[schema(pattern = "^(?:child|stf)_[0-7][0-9abcdefghjkmnpqrstvwxyz]{25}$")]
    id: String,
}

/// What an event records.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub(crate) enum EventKind {
    /// A child arrives.
    CheckIn,
    /// A child leaves with a contact.
    CheckOut,
    /// A member of staff starts in a room.
    ClockIn,
    /// A member of staff stops.
    ClockOut,
    /// An earlier event voided or re-timed.
    Correction,
}

/// `true`.
#[derive(ToSchema)]
pub(crate) struct Void {
    /// Always `true`.
    #[schema(schema_with = with::always_true)]
    void: bool,
}

/// The corrected time.
#[derive(ToSchema)]
pub(crate) struct Retime {
    #[schema(value_type = String, format = DateTime)]
    at: String,
}

/// What a correction does to the event it amends.
#[derive(ToSchema)]
#[serde(untagged)]
pub(crate) enum Amendment {
    /// Voids it.
    Void(Void),
    /// Moves it to another time of the same day.
    Retime(Retime),
}

/// One attendance event. Check-ins with a contact and check-outs carry `contact_id`;
/// check-outs `pin_verified`; corrections `amends`, `amendment` and `reason`.
#[derive(ToSchema)]
pub(crate) struct Event {
    #[schema(value_type = schemas::AttendanceEvent)]
    id: String,
    subject: Subject,
    kind: EventKind,
    #[schema(schema_with = with::date)]
    day: String,
    /// The event's place in its subject's day.
    seq: u32,
    #[schema(value_type = String, format = DateTime)]
    at: String,
    #[schema(value_type = schemas::Room)]
    room_id: String,
    /// Who recorded it: a user id, or `system:<job>`.
    recorded_by: String,
    #[schema(value_type = String, format = DateTime)]
    recorded_at: String,
    #[schema(value_type = schemas::Contact, required = false)]
    contact_id: Option<String>,
    #[schema(nullable = false)]
    pin_verified: Option<bool>,
    #[schema(value_type = schemas::AttendanceEvent, required = false)]
    amends: Option<String>,
    #[schema(nullable = false)]
    amendment: Option<Amendment>,
    #[schema(nullable = false)]
    reason: Option<String>,
}

/// One age band of a ratio report.
#[derive(ToSchema)]
pub(crate) struct BandReport {
    from_months: u16,
    #[schema(schema_with = with::ratio)]
    ratio: String,
    /// Its children present.
    children: u32,
    /// Staff its own children need on its own ratio.
    staff_needed: u32,
}

/// How a room stands against its rule.
#[derive(ToSchema)]
pub(crate) struct RatioReport {
    /// Enough staff, and within the group size.
    complies: bool,
    children: u32,
    staff: u32,
    staff_needed: u32,
    staff_short: u32,
    over_group_size: u32,
    max_group_size: u16,
    /// The youngest band present, whose ratio applied to every child (absent: no child).
    #[schema(required = false, nullable = false)]
    applied_band_from_months: Option<u16>,
    bands: Vec<BandReport>,
}

/// `ratio.breach`.
#[derive(ToSchema)]
pub(crate) enum Warning {
    /// The room is out of ratio after the event.
    #[schema(rename = "ratio.breach")]
    RatioBreach,
}

/// A recorded event and, for events of a room, the room's ratio after it.
#[derive(ToSchema)]
pub(crate) struct Recorded {
    event: Event,
    #[schema(nullable = false)]
    ratio: Option<RatioReport>,
    /// Present when the room is out of ratio.
    #[schema(nullable = false)]
    warnings: Option<Vec<Warning>>,
}

/// Who is in a room now, against the rule in force.
#[derive(ToSchema)]
pub(crate) struct LiveRatio {
    #[serde(flatten)]
    report: RatioReport,
    #[schema(value_type = schemas::Room)]
    room_id: String,
    #[schema(schema_with = with::date)]
    day: String,
    #[schema(value_type = String, format = DateTime)]
    at: String,
    /// The day the rule in force took effect.
    #[schema(schema_with = with::date)]
    rule_effective_from: String,
}

/// A stretch of presence in a room; `to` is `null` while it lasts.
#[derive(ToSchema)]
pub(crate) struct Interval {
    #[schema(value_type = schemas::Room)]
    room_id: String,
    #[schema(value_type = String, format = DateTime)]
    from: String,
    /// Absent while the interval is open.
    #[schema(schema_with = with::time, required = false)]
    to: Option<String>,
}

/// A subject's day: its events, presence and minutes present.
#[derive(ToSchema)]
pub(crate) struct SubjectDay {
    subject: Subject,
    #[schema(schema_with = with::date)]
    date: String,
    /// Present now.
    present: bool,
    minutes_present: i64,
    intervals: Vec<Interval>,
    events: Vec<Event>,
}

/// Each subject's day in a room, or in every room the caller reaches.
#[derive(ToSchema)]
pub(crate) struct DayView {
    #[schema(schema_with = with::date)]
    date: String,
    /// The room asked for; absent for the whole centre.
    #[schema(value_type = schemas::Room, required = false)]
    room_id: Option<String>,
    subjects: Vec<SubjectDay>,
}

/// A child's days over a span.
#[derive(ToSchema)]
pub(crate) struct ChildDays {
    #[schema(value_type = schemas::Child)]
    child_id: String,
    #[schema(schema_with = with::date)]
    from: String,
    #[schema(schema_with = with::date)]
    to: String,
    /// Minutes in care over the span.
    minutes_in_care: i64,
    days: Vec<SubjectDay>,
}

/// A page of recorded ratio breaches, newest first.
#[derive(ToSchema)]
pub(crate) struct BreachPage {
    items: Vec<BreachOut>,
    total: u64,
    limit: u32,
    offset: u64,
}
