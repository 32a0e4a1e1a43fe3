//! `POST /v1/attendance`: recording a check-in, check-out, clock-in or clock-out.

use cubby_app::attendance::{Record, Request};
use cubby_domain::{AttendanceEventId, ChildId, ContactId, ErrorCode, Pin, RoomId, StaffId};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{id, recorded};
use crate::openapi::schemas::{self as doc, with};
use crate::routes::fields::{Fields, Unknown, time};
use crate::{ApiError, Ctx, Reply};

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

fn required<T>(fields: &mut Fields, field: &str, value: Option<Option<T>>) -> Option<T> {
    match value {
        Some(Some(value)) => Some(value),
        Some(None) => {
            fields.check::<T, Unknown>(
                field,
                Err(Unknown {
                    code: ErrorCode::RequestFieldRequired,
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
        let event_id = id::<AttendanceEventId>(
            &mut fields,
            "id",
            ErrorCode::AttendanceInvalidId,
            Some(&self.id),
        )
        .flatten();
        let at = match &self.at {
            Some(text) => fields.check("at", time(text)).map(Some),
            None => Some(None),
        };
        let child = id::<ChildId>(
            &mut fields,
            "child_id",
            ErrorCode::RequestInvalidId,
            self.child_id.as_deref(),
        );
        let staff = id::<StaffId>(
            &mut fields,
            "staff_id",
            ErrorCode::RequestInvalidId,
            self.staff_id.as_deref(),
        );
        let room = id::<RoomId>(
            &mut fields,
            "room_id",
            ErrorCode::AttendanceUnknownRoom,
            self.room_id.as_deref(),
        );
        let contact = id::<ContactId>(
            &mut fields,
            "contact_id",
            ErrorCode::ContactUnknown,
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
                        code: ErrorCode::AttendanceUnknownKind,
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
            stored", body = super::RecordedOut,
            headers(("Idempotent-Replayed" = String, description = "`true`"))),
        (status = 201, description = "The event, and the room's ratio after it", body = super::RecordedOut),
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
