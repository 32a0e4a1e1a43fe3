//! Attendance in the data set: past days appended to the attendance log (older than the use
//! case accepts from a client), and today's staff clocked in through the use case.

use cubby_app::App;
use cubby_app::attendance::{Record, Request};
use cubby_domain::{
    Actor, AttendanceEvent, AttendanceEventId, Movement, RoomId, Subject, TimeZone,
};
use time::{Date, OffsetDateTime, Time};

use crate::seed::Made;

/// One event to append: whose, what, where, and at what hour and minute of the day.
struct Planned {
    subject: Subject,
    movement: Movement,
    room: RoomId,
    at: (u8, u8),
}

/// Appends `days` past days of attendance to the tenant's log: every child checked in in the
/// morning and out in the afternoon, every staff member clocked in and out. Answers how many
/// events were stored.
pub(crate) async fn history(app: &App, made: &Made, days: u32) -> anyhow::Result<usize> {
    let today = app.centre.today(&made.scope).await?;
    let mut stored = 0;
    for back in 1..=days {
        let day = today - time::Duration::days(i64::from(back));
        for plan in plans(made) {
            let [first, second] = plan;
            for (seq, planned) in [(1, first), (2, second)] {
                append(app, made, day, seq, planned).await?;
                stored += 1;
            }
        }
    }
    Ok(stored)
}

/// Each subject's two events of a day.
fn plans(made: &Made) -> Vec<[Planned; 2]> {
    let mut plans = Vec::with_capacity(made.children.len() + made.staff.len());
    for &(staff, room) in &made.staff {
        let subject = Subject::Staff(staff);
        plans.push([
            Planned {
                subject,
                movement: Movement::ClockIn { room },
                room,
                at: (7, 0),
            },
            Planned {
                subject,
                movement: Movement::ClockOut,
                room,
                at: (17, 0),
            },
        ]);
    }
    for (n, child) in made.children.iter().enumerate() {
        let subject = Subject::Child(child.id);
        let minute = u8::try_from(n % 60).unwrap_or(0);
        plans.push([
            Planned {
                subject,
                movement: Movement::CheckIn {
                    room: child.room,
                    contact: Some(child.contact),
                },
                room: child.room,
                at: (8, minute),
            },
            Planned {
                subject,
                movement: Movement::CheckOut {
                    contact: child.contact,
                    pin_verified: false,
                },
                room: child.room,
                at: (16, minute),
            },
        ]);
    }
    plans
}

/// The instant of `hour:minute` on `day` in the centre's time zone.
fn local(zone: &TimeZone, day: Date, (hour, minute): (u8, u8)) -> anyhow::Result<OffsetDateTime> {
    let naive = day.with_time(Time::from_hms(hour, minute, 0)?);
    let offset = zone.offset_at(naive.assume_utc());
    Ok(naive.assume_offset(offset))
}

async fn append(
    app: &App,
    made: &Made,
    day: Date,
    seq: u32,
    planned: Planned,
) -> anyhow::Result<()> {
    let ports = app.ports();
    let at = local(made.tenant.time_zone(), day, planned.at)?;
    let event = AttendanceEvent {
        id: AttendanceEventId::from_uuid(ports.ids.uuid()),
        subject: planned.subject,
        day,
        seq,
        movement: planned.movement,
        at,
        room: planned.room,
        actor: Actor::User(made.director.0.id()),
        recorded_at: at,
    };
    ports.attendance.append(&made.scope, &event).await?;
    Ok(())
}

/// Today: every staff member clocked in to their room, through the use case, so that the
/// rooms are in ratio when the load checks children in.
pub(crate) async fn today(app: &App, made: &Made) -> anyhow::Result<()> {
    for &(staff, room) in &made.staff {
        let request = Request {
            id: AttendanceEventId::from_uuid(app.ports().ids.uuid()),
            at: None,
            record: Record::ClockIn {
                staff: Some(staff),
                room,
            },
        };
        app.attendance.record(&made.scope, request).await?;
    }
    Ok(())
}
