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
pub(crate) use ratio::{BreachOut, breaches, ratio};
pub(crate) use record::record;

use cubby_app::attendance::Recorded;
use cubby_domain::{Amendment, AttendanceEvent, ErrorCode, Movement, RatioReport, Subject};
use http::StatusCode;
use serde_json::{Value, json};

use super::fields::{Fields, Unknown, date_text, omit_nulls, rfc3339};
use crate::{ApiError, Reply};

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
    omit_nulls(json!({
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
    }))
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
