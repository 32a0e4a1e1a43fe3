//! `/v1/attendance`, `/v1/children/{id}/attendance`, `/v1/rooms/{id}/ratio` and
//! `/v1/ratio-breaches`: the day as events, what they add up to, and ratios.
//!
//! This module owns what the use cases share (an event and a ratio report on the wire, the
//! answer to a recorded event, id and query parsing); each use case lives in its own file.

pub(crate) mod corrections;
pub(crate) mod days;
pub(crate) mod ratio;
pub(crate) mod record;

pub(crate) use corrections::correct;
pub(crate) use days::{child_days, day};
pub(crate) use ratio::{breaches, ratio};
pub(crate) use record::record;

use cubby_app::attendance::Recorded;
use cubby_domain::{Amendment, AttendanceEvent, ErrorCode, Movement, RatioReport, Subject};
use http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::fields::{Fields, Unknown, date_text, rfc3339};
use crate::openapi::schemas::{self as doc, with};
use crate::{ApiError, Reply};

/// Whose day it is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum SubjectKind {
    /// A child.
    Child,
    /// A member of staff.
    Staff,
}

/// A child or a member of staff.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Subject)]
pub(crate) struct SubjectOut {
    kind: SubjectKind,
    /// A child's (`child_...`) or a staff record's (`stf_...`) id.
    #[schema(pattern = "^(?:child|stf)_[0-7][0-9abcdefghjkmnpqrstvwxyz]{25}$")]
    id: String,
}

impl From<Subject> for SubjectOut {
    fn from(subject: Subject) -> Self {
        match subject {
            Subject::Child(id) => Self {
                kind: SubjectKind::Child,
                id: id.to_string(),
            },
            Subject::Staff(id) => Self {
                kind: SubjectKind::Staff,
                id: id.to_string(),
            },
        }
    }
}

/// What an event records.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = EventKind)]
enum EventKindOut {
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

impl From<&Movement> for EventKindOut {
    fn from(movement: &Movement) -> Self {
        match movement {
            Movement::CheckIn { .. } => Self::CheckIn,
            Movement::CheckOut { .. } => Self::CheckOut,
            Movement::ClockIn { .. } => Self::ClockIn,
            Movement::ClockOut => Self::ClockOut,
            Movement::Correction { .. } => Self::Correction,
        }
    }
}

/// `true`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Void)]
struct VoidOut {
    /// Always `true`.
    #[schema(schema_with = with::always_true)]
    void: bool,
}

/// The corrected time.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Retime)]
struct RetimeOut {
    #[schema(value_type = String, format = DateTime)]
    at: String,
}

/// What a correction does to the event it amends.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = Amendment)]
enum AmendmentOut {
    /// Voids it.
    Void(VoidOut),
    /// Moves it to another time of the same day.
    Retime(RetimeOut),
}

/// One attendance event. Check-ins with a contact and check-outs carry `contact_id`;
/// check-outs `pin_verified`; corrections `amends`, `amendment` and `reason`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Event)]
pub(crate) struct EventOut {
    #[schema(value_type = doc::AttendanceEvent)]
    id: String,
    subject: SubjectOut,
    kind: EventKindOut,
    #[schema(schema_with = with::date)]
    day: String,
    /// The event's place in its subject's day.
    seq: u32,
    #[schema(value_type = String, format = DateTime)]
    at: String,
    #[schema(value_type = doc::Room)]
    room_id: String,
    /// Who recorded it: a user id, or `system:<job>`.
    recorded_by: String,
    #[schema(value_type = String, format = DateTime)]
    recorded_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = doc::Contact, required = false)]
    contact_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pin_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = doc::AttendanceEvent, required = false)]
    amends: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    amendment: Option<AmendmentOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    reason: Option<String>,
}

impl From<&AttendanceEvent> for EventOut {
    fn from(event: &AttendanceEvent) -> Self {
        let mut out = Self {
            id: event.id.to_string(),
            subject: event.subject.into(),
            kind: EventKindOut::from(&event.movement),
            day: date_text(event.day),
            seq: event.seq,
            at: rfc3339(event.at),
            room_id: event.room.to_string(),
            recorded_by: event.actor.to_string(),
            recorded_at: rfc3339(event.recorded_at),
            contact_id: None,
            pin_verified: None,
            amends: None,
            amendment: None,
            reason: None,
        };
        match &event.movement {
            Movement::CheckIn { contact, .. } => {
                out.contact_id = contact.map(|contact| contact.to_string());
            }
            Movement::CheckOut {
                contact,
                pin_verified,
            } => {
                out.contact_id = Some(contact.to_string());
                out.pin_verified = Some(*pin_verified);
            }
            Movement::Correction {
                amends,
                amendment,
                reason,
            } => {
                out.amends = Some(amends.to_string());
                out.amendment = Some(match amendment {
                    Amendment::Void => AmendmentOut::Void(VoidOut { void: true }),
                    Amendment::Retime(at) => AmendmentOut::Retime(RetimeOut { at: rfc3339(*at) }),
                });
                out.reason = Some(reason.as_str().to_owned());
            }
            Movement::ClockIn { .. } | Movement::ClockOut => {}
        }
        out
    }
}

/// One age band of a ratio report.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = BandReport)]
struct BandReportOut {
    from_months: u16,
    #[schema(schema_with = with::ratio)]
    ratio: String,
    /// Its children present.
    children: u32,
    /// Staff its own children need on its own ratio.
    staff_needed: u32,
}

/// How a room stands against its rule.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RatioReport)]
pub(crate) struct RatioReportOut {
    /// Enough staff, and within the group size.
    complies: bool,
    children: u32,
    staff: u32,
    staff_needed: u32,
    staff_short: u32,
    over_group_size: u32,
    max_group_size: u16,
    /// The youngest band present, whose ratio applied to every child (absent: no child).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    applied_band_from_months: Option<u16>,
    bands: Vec<BandReportOut>,
}

impl From<&RatioReport> for RatioReportOut {
    fn from(report: &RatioReport) -> Self {
        Self {
            complies: report.complies(),
            children: report.children,
            staff: report.staff,
            staff_needed: report.staff_needed,
            staff_short: report.staff_short,
            over_group_size: report.over_group_size,
            max_group_size: report.max_group_size,
            applied_band_from_months: report.applied_band,
            bands: report
                .bands
                .iter()
                .map(|band| BandReportOut {
                    from_months: band.from_months,
                    ratio: band.ratio.to_string(),
                    children: band.children,
                    staff_needed: band.staff_needed,
                })
                .collect(),
        }
    }
}

/// `ratio.breach`.
#[derive(Debug, Serialize, ToSchema)]
enum Warning {
    /// The room is out of ratio after the event.
    #[serde(rename = "ratio.breach")]
    RatioBreach,
}

/// A recorded event and, for events of a room, the room's ratio after it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Recorded)]
pub(crate) struct RecordedOut {
    event: EventOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    ratio: Option<RatioReportOut>,
    /// Present when the room is out of ratio.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    warnings: Option<Vec<Warning>>,
}

fn recorded(recorded: &Recorded) -> Result<Reply, ApiError> {
    let body = RecordedOut {
        event: EventOut::from(&recorded.event),
        ratio: recorded.ratio.as_ref().map(RatioReportOut::from),
        warnings: recorded
            .ratio
            .as_ref()
            .filter(|ratio| !ratio.complies())
            .map(|_| vec![Warning::RatioBreach]),
    };
    if recorded.replayed {
        Ok(Reply::json(StatusCode::OK, &body)?.with_header(
            http::HeaderName::from_static("idempotent-replayed"),
            http::HeaderValue::from_static("true"),
        ))
    } else {
        Reply::json(StatusCode::CREATED, &body)
    }
}

fn id<T: std::str::FromStr>(
    fields: &mut Fields,
    field: &str,
    code: ErrorCode,
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

fn bad_query(name: &str) -> ApiError {
    ApiError::bad_request(
        ErrorCode::RequestInvalidQuery,
        format!("{name} is not valid"),
    )
}
