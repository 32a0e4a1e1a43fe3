//! Attendance as append-only events, and the state machine that folds them.
//!
//! Every child check-in and check-out and every staff clock-in and clock-out is an event; nothing
//! is updated in place. A mistake is fixed by a correction, an event of its own that voids or
//! re-times an earlier one, with a reason and its actor. Events are kept per subject (a child or
//! a staff member) and day, numbered in order (`seq`); a day's events fold into a
//! [`Timeline`] of presence intervals, or are refused with an [`AttendanceError`]. Each event
//! carries an id its client made, so a kiosk replaying its offline queue creates nothing twice.

use time::{Date, Duration, OffsetDateTime};

use crate::audit::Actor;
use crate::child::Note;
use crate::error_code::ErrorCode;
use crate::id::{AttendanceEventId, ChildId, ContactId, RoomId, StaffId};

/// Why an event was refused. Each variant has a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AttendanceError {
    /// A check-in of a child who is checked in.
    #[error("the child is already checked in")]
    AlreadyCheckedIn,
    /// A check-out of a child who is not checked in.
    #[error("the child is not checked in")]
    NotCheckedIn,
    /// A clock-in of staff who are clocked in.
    #[error("already clocked in")]
    AlreadyClockedIn,
    /// A clock-out of staff who are not clocked in.
    #[error("not clocked in")]
    NotClockedIn,
    /// A child movement for staff, or a staff movement for a child.
    #[error("this kind of event is not for this subject")]
    WrongSubject,
    /// An event earlier than the last one of the day.
    #[error("an event is not earlier than the one before it")]
    OutOfOrder,
    /// An event whose time (or corrected time) falls on another day of the centre than its
    /// stream's (checked where the centre's time zone is known).
    #[error("the event's time is not on its day")]
    WrongDay,
    /// A correction of an event the day does not have, or of a correction.
    #[error(
        "a correction amends an earlier check-in, check-out, clock-in or clock-out of the same day"
    )]
    InvalidCorrection,
}

impl AttendanceError {
    /// The stable code.
    pub fn code(self) -> ErrorCode {
        match self {
            AttendanceError::AlreadyCheckedIn => ErrorCode::AttendanceAlreadyCheckedIn,
            AttendanceError::NotCheckedIn => ErrorCode::AttendanceNotCheckedIn,
            AttendanceError::AlreadyClockedIn => ErrorCode::AttendanceAlreadyClockedIn,
            AttendanceError::NotClockedIn => ErrorCode::AttendanceNotClockedIn,
            AttendanceError::WrongSubject => ErrorCode::AttendanceWrongSubject,
            AttendanceError::OutOfOrder => ErrorCode::AttendanceOutOfOrder,
            AttendanceError::WrongDay => ErrorCode::AttendanceWrongDay,
            AttendanceError::InvalidCorrection => ErrorCode::AttendanceInvalidCorrection,
        }
    }
}

/// Whose attendance an event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// A child.
    Child(ChildId),
    /// A staff member.
    Staff(StaffId),
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Child(id) => id.fmt(f),
            Subject::Staff(id) => id.fmt(f),
        }
    }
}

/// What a correction does to the event it amends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amendment {
    /// The event did not happen.
    Void,
    /// The event happened at another time (the same day).
    Retime(OffsetDateTime),
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Movement {
    /// A child arrived in a room, brought by a contact (if recorded).
    CheckIn {
        /// The room.
        room: RoomId,
        /// Who dropped the child off.
        contact: Option<ContactId>,
    },
    /// A child left, collected by a contact who was verified at that moment.
    CheckOut {
        /// Who collected the child.
        contact: ContactId,
        /// Whether the contact's pickup PIN was checked.
        pin_verified: bool,
    },
    /// Staff started working in a room.
    ClockIn {
        /// The room.
        room: RoomId,
    },
    /// Staff stopped working.
    ClockOut,
    /// A fix to an earlier event of the same day.
    Correction {
        /// The event amended.
        amends: AttendanceEventId,
        /// What changes.
        amendment: Amendment,
        /// Why.
        reason: Note,
    },
}

impl Movement {
    /// The wire name of the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Movement::CheckIn { .. } => "check_in",
            Movement::CheckOut { .. } => "check_out",
            Movement::ClockIn { .. } => "clock_in",
            Movement::ClockOut => "clock_out",
            Movement::Correction { .. } => "correction",
        }
    }

    fn fits(&self, subject: Subject) -> bool {
        match self {
            Movement::CheckIn { .. } | Movement::CheckOut { .. } => {
                matches!(subject, Subject::Child(_))
            }
            Movement::ClockIn { .. } | Movement::ClockOut => matches!(subject, Subject::Staff(_)),
            Movement::Correction { .. } => true,
        }
    }
}

/// One attendance event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttendanceEvent {
    /// The id, made by the client.
    pub id: AttendanceEventId,
    /// Whose attendance.
    pub subject: Subject,
    /// The centre's day it belongs to.
    pub day: Date,
    /// Its place in the subject's day, from 1.
    pub seq: u32,
    /// What happened.
    pub movement: Movement,
    /// When it happened.
    pub at: OffsetDateTime,
    /// The room the subject was in (for a check-out or clock-out, the room left; for a
    /// correction, the amended event's room).
    pub room: RoomId,
    /// Who recorded it.
    pub actor: Actor,
    /// When it was recorded.
    pub recorded_at: OffsetDateTime,
}

/// Where a subject is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// Not in.
    Absent,
    /// In `room` since `since`.
    Present {
        /// The room.
        room: RoomId,
        /// Since when.
        since: OffsetDateTime,
    },
}

/// A stretch of presence in a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// The room.
    pub room: RoomId,
    /// From.
    pub from: OffsetDateTime,
    /// To (`None`: still there).
    pub to: Option<OffsetDateTime>,
}

/// A subject's day, folded from its events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    /// Presence stretches, in order, not overlapping; only the last may be open.
    pub intervals: Vec<Interval>,
    /// The next `seq`.
    pub next_seq: u32,
    /// The time of the last effective event, if any.
    pub last_at: Option<OffsetDateTime>,
}

impl Timeline {
    /// Where the subject is at the end of the events.
    pub fn presence(&self) -> Presence {
        match self.intervals.last() {
            Some(Interval {
                room,
                from,
                to: None,
            }) => Presence::Present {
                room: *room,
                since: *from,
            },
            _ => Presence::Absent,
        }
    }

    /// Time present, counting an open stretch up to `until`.
    pub fn time_present(&self, until: OffsetDateTime) -> Duration {
        self.intervals
            .iter()
            .map(|i| (i.to.unwrap_or(until) - i.from).max(Duration::ZERO))
            .sum()
    }

    /// Whether the subject was in `room` at `at`.
    pub fn present_in_at(&self, room: RoomId, at: OffsetDateTime) -> bool {
        self.intervals
            .iter()
            .any(|i| i.room == room && i.from <= at && i.to.is_none_or(|to| at < to))
    }
}

/// Folds one subject's events of one day, in `seq` order, into its timeline.
///
/// # Errors
///
/// The [`AttendanceError`] of the first event the state machine refuses.
pub fn fold(
    subject: Subject,
    day: Date,
    events: &[AttendanceEvent],
) -> Result<Timeline, AttendanceError> {
    // Corrections first: the latest correction of an event stands.
    let mut amendments: Vec<(AttendanceEventId, Amendment)> = Vec::new();
    for (index, event) in events.iter().enumerate() {
        if event.subject != subject || !event.movement.fits(subject) {
            return Err(AttendanceError::WrongSubject);
        }
        if event.day != day {
            return Err(AttendanceError::WrongDay);
        }
        if let Movement::Correction {
            amends, amendment, ..
        } = &event.movement
        {
            let amended = events[..index]
                .iter()
                .find(|e| e.id == *amends)
                .ok_or(AttendanceError::InvalidCorrection)?;
            if matches!(amended.movement, Movement::Correction { .. }) {
                return Err(AttendanceError::InvalidCorrection);
            }
            amendments.retain(|(id, _)| id != amends);
            amendments.push((*amends, *amendment));
        }
    }
    let mut intervals: Vec<Interval> = Vec::new();
    let mut last_at: Option<OffsetDateTime> = None;
    for event in events {
        if matches!(event.movement, Movement::Correction { .. }) {
            continue;
        }
        let at = match amendments.iter().find(|(id, _)| *id == event.id) {
            Some((_, Amendment::Void)) => continue,
            Some((_, Amendment::Retime(at))) => *at,
            None => event.at,
        };
        if last_at.is_some_and(|last| at < last) {
            return Err(AttendanceError::OutOfOrder);
        }
        let open = intervals.last().is_some_and(|i| i.to.is_none());
        match &event.movement {
            Movement::CheckIn { room, .. } | Movement::ClockIn { room } => {
                if open {
                    return Err(match subject {
                        Subject::Child(_) => AttendanceError::AlreadyCheckedIn,
                        Subject::Staff(_) => AttendanceError::AlreadyClockedIn,
                    });
                }
                intervals.push(Interval {
                    room: *room,
                    from: at,
                    to: None,
                });
            }
            Movement::CheckOut { .. } | Movement::ClockOut => {
                let Some(last) = intervals.last_mut().filter(|i| i.to.is_none()) else {
                    return Err(match subject {
                        Subject::Child(_) => AttendanceError::NotCheckedIn,
                        Subject::Staff(_) => AttendanceError::NotClockedIn,
                    });
                };
                last.to = Some(at);
            }
            Movement::Correction { .. } => {}
        }
        last_at = Some(at);
    }
    Ok(Timeline {
        intervals,
        next_seq: u32::try_from(events.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1),
        last_at,
    })
}

/// Whether `event` may follow `events` (a subject's day so far): the timeline with it, or the
/// refusal.
///
/// # Errors
///
/// As [`fold`].
pub fn append(
    events: &[AttendanceEvent],
    event: &AttendanceEvent,
) -> Result<Timeline, AttendanceError> {
    let mut all = events.to_vec();
    all.push(event.clone());
    fold(event.subject, event.day, &all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::UserId;
    use proptest::prelude::*;
    use time::macros::{date, datetime};
    use uuid::Uuid;

    const DAY: Date = date!(2026 - 09 - 01);

    fn child() -> Subject {
        Subject::Child(ChildId::from_uuid(Uuid::from_u128(7)))
    }

    fn room() -> RoomId {
        RoomId::from_uuid(Uuid::from_u128(9))
    }

    fn event(n: u32, movement: Movement, minute: i64) -> AttendanceEvent {
        AttendanceEvent {
            id: AttendanceEventId::from_uuid(Uuid::from_u128(u128::from(n) + 1000)),
            subject: child(),
            day: DAY,
            seq: n,
            movement,
            at: datetime!(2026-09-01 07:00 UTC) + Duration::minutes(minute),
            room: room(),
            actor: Actor::User(UserId::from_uuid(Uuid::from_u128(1))),
            recorded_at: datetime!(2026-09-01 07:00 UTC),
        }
    }

    fn check_in() -> Movement {
        Movement::CheckIn {
            room: room(),
            contact: None,
        }
    }

    fn check_out() -> Movement {
        Movement::CheckOut {
            contact: ContactId::from_uuid(Uuid::from_u128(3)),
            pin_verified: false,
        }
    }

    fn void(event: &AttendanceEvent) -> Movement {
        Movement::Correction {
            amends: event.id,
            amendment: Amendment::Void,
            reason: Note::parse("tapped twice").unwrap(),
        }
    }

    #[test]
    fn a_day_in_and_out_counts_its_time() {
        let events = vec![
            event(1, check_in(), 0),
            event(2, check_out(), 240),
            event(3, check_in(), 300),
        ];
        let timeline = fold(child(), DAY, &events).unwrap();
        assert_eq!(timeline.intervals.len(), 2);
        assert!(matches!(timeline.presence(), Presence::Present { .. }));
        assert_eq!(
            timeline.time_present(datetime!(2026-09-01 13:00 UTC)),
            Duration::hours(5)
        );
        assert_eq!(timeline.next_seq, 4);
    }

    #[test]
    fn the_state_machine_refuses_double_check_in_and_check_out_without_check_in() {
        let first = event(1, check_in(), 0);
        assert_eq!(
            append(std::slice::from_ref(&first), &event(2, check_in(), 5)),
            Err(AttendanceError::AlreadyCheckedIn)
        );
        assert_eq!(
            append(&[], &event(1, check_out(), 5)),
            Err(AttendanceError::NotCheckedIn)
        );
        assert_eq!(
            append(&[first], &event(2, Movement::ClockOut, 5)),
            Err(AttendanceError::WrongSubject)
        );
    }

    #[test]
    fn corrections_void_or_retime_and_are_judged_with_the_whole_day() {
        let check_in_event = event(1, check_in(), 0);
        let out = event(2, check_out(), 60);
        let day = vec![check_in_event.clone(), out.clone()];
        // Voiding the check-in would leave a check-out without a check-in.
        assert_eq!(
            append(&day, &event(3, void(&check_in_event), 61)),
            Err(AttendanceError::NotCheckedIn)
        );
        // Voiding the check-out leaves the child in.
        let timeline = append(&day, &event(3, void(&out), 61)).unwrap();
        assert!(matches!(timeline.presence(), Presence::Present { .. }));
        // Re-timing the check-out to 30 minutes.
        let retime = Movement::Correction {
            amends: out.id,
            amendment: Amendment::Retime(datetime!(2026-09-01 07:30 UTC)),
            reason: Note::parse("left earlier").unwrap(),
        };
        let timeline = append(&day, &event(3, retime, 61)).unwrap();
        assert_eq!(
            timeline.time_present(datetime!(2026-09-01 12:00 UTC)),
            Duration::minutes(30)
        );
        // A correction of a correction, or of an unknown event, is refused.
        let fix = event(3, void(&out), 61);
        let fix_of_fix = event(4, void(&fix), 62);
        assert_eq!(
            append(&[check_in_event.clone(), out.clone(), fix], &fix_of_fix),
            Err(AttendanceError::InvalidCorrection)
        );
        let stray = event(9, check_in(), 0);
        assert_eq!(
            append(&day, &event(3, void(&stray), 61)),
            Err(AttendanceError::InvalidCorrection)
        );
    }

    /// A random event for the property: a kind, a minute, and for corrections which earlier
    /// event (by position) they amend.
    #[derive(Clone, Debug)]
    enum Step {
        In(i64),
        Out(i64),
        Void(usize, i64),
        Retime(usize, i64, i64),
    }

    fn steps() -> impl Strategy<Value = Vec<Step>> {
        proptest::collection::vec(
            prop_oneof![
                (0i64..600).prop_map(Step::In),
                (0i64..600).prop_map(Step::Out),
                (0usize..20, 0i64..600).prop_map(|(i, m)| Step::Void(i, m)),
                (0usize..20, 0i64..600, 0i64..600).prop_map(|(i, m, t)| Step::Retime(i, m, t)),
            ],
            0..20,
        )
    }

    proptest! {
        /// Appending any sequence one event at a time: each event is either accepted, and the
        /// accepted events fold to a valid timeline, or refused with a domain error and the day
        /// stays as it was.
        #[test]
        fn any_sequence_folds_to_a_valid_state_or_is_refused(steps in steps()) {
            let mut accepted: Vec<AttendanceEvent> = Vec::new();
            for (n, step) in steps.into_iter().enumerate() {
                let seq = u32::try_from(accepted.len()).unwrap() + 1;
                let id = u32::try_from(n).unwrap() + 1;
                let target = |i: usize| accepted.get(i % accepted.len().max(1)).map(|e| e.id);
                let candidate = match step {
                    Step::In(m) => event(id, check_in(), m),
                    Step::Out(m) => event(id, check_out(), m),
                    Step::Void(i, m) => match target(i) {
                        Some(amends) => event(id, Movement::Correction { amends, amendment: Amendment::Void, reason: Note::parse("x").unwrap() }, m),
                        None => continue,
                    },
                    Step::Retime(i, m, t) => match target(i) {
                        Some(amends) => event(id, Movement::Correction { amends, amendment: Amendment::Retime(datetime!(2026-09-01 07:00 UTC) + Duration::minutes(t)), reason: Note::parse("x").unwrap() }, m),
                        None => continue,
                    },
                };
                let candidate = AttendanceEvent { seq, ..candidate };
                match append(&accepted, &candidate) {
                    Ok(timeline) => {
                        accepted.push(candidate);
                        // Valid: ordered, non-overlapping, only the last open.
                        for pair in timeline.intervals.windows(2) {
                            prop_assert!(pair[0].to.is_some());
                            prop_assert!(pair[0].to.unwrap() <= pair[1].from);
                        }
                        for interval in &timeline.intervals {
                            prop_assert!(interval.to.is_none_or(|to| interval.from <= to));
                        }
                        prop_assert_eq!(timeline.next_seq, seq + 1);
                        prop_assert_eq!(fold(child(), DAY, &accepted), Ok(timeline));
                    }
                    Err(_) => {
                        prop_assert!(fold(child(), DAY, &accepted).is_ok(), "a refusal leaves the day valid");
                    }
                }
            }
        }
    }
}
