//! Attendance use cases: recording check-ins, check-outs (with pickup verification), staff
//! clock-ins and clock-outs and corrections; the daily view, a child's days and hours in care;
//! live ratios and the breach log.
//!
//! Events are appended to a subject's day only after the domain state machine accepted the
//! whole day with them ([`cubby_domain::attendance::append`]); two writers racing for the same
//! place in a day are told apart by the log (`attendance.seq`), and the loser judges again on
//! the day as it now stands. An event id seen before is a replay: nothing is stored again.
//!
//! One step a file: `record` (check-ins, check-outs, clock-ins and -outs, corrections, and
//! appending them judged), `pickup` (who may collect a child), `subjects` (whom and where an
//! event is for), `ratios` (live ratios and the breach log) and `views` (a day, a child's days).

mod pickup;
mod ratios;
mod record;
mod subjects;
mod views;

use std::collections::BTreeMap;
use std::sync::Arc;

use cubby_domain::attendance::Timeline;
use cubby_domain::{
    Amendment, AttendanceEvent, AttendanceEventId, ChildId, ContactId, ErrorCode, Note, Pin,
    RatioReport, RoomId, StaffId, Subject,
};
use cubby_ports::{
    AttendanceLog, BreachLog, Clock, IdGenerator, RoomRepository, StaffRepository, TenantDirectory,
    TenantScope,
};
use time::{Date, Duration, OffsetDateTime};

use crate::AppError;
use crate::audit::AuditTrail;
use crate::cache::CachedTenants;
use crate::children::Children;

/// The longest span of days one request reads.
pub const MAX_DAYS: i64 = 62;

/// What to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// A child arrives.
    CheckIn {
        /// The child.
        child: ChildId,
        /// The room (default: the child's room).
        room: Option<RoomId>,
        /// Who brought them.
        contact: Option<ContactId>,
    },
    /// A child is collected.
    CheckOut {
        /// The child.
        child: ChildId,
        /// Who collects them.
        contact: ContactId,
        /// The contact's pickup PIN, needed when they have one.
        pin: Option<Pin>,
    },
    /// Staff start in a room.
    ClockIn {
        /// Whom (default: the caller's own staff record).
        staff: Option<StaffId>,
        /// The room.
        room: RoomId,
    },
    /// Staff stop.
    ClockOut {
        /// Whom (default: the caller's own staff record).
        staff: Option<StaffId>,
    },
}

/// A request to record an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The id the client made (a replay sends the same).
    pub id: AttendanceEventId,
    /// When it happened (default: now).
    pub at: Option<OffsetDateTime>,
    /// What.
    pub record: Record,
}

/// A correction to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correction {
    /// The id the client made.
    pub id: AttendanceEventId,
    /// The event amended.
    pub amends: AttendanceEventId,
    /// Void it, or move it to another time of its day.
    pub amendment: Amendment,
    /// Why.
    pub reason: Note,
}

/// What recording did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The event (for a replay, as first stored).
    pub event: AttendanceEvent,
    /// Whether the event had been recorded before (nothing was stored now).
    pub replayed: bool,
    /// The room's ratio after the event, for check-ins and clock-outs.
    pub ratio: Option<RatioReport>,
}

/// One subject's day in a view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectDay {
    /// Whose.
    pub subject: Subject,
    /// Which day.
    pub day: Date,
    /// The events, in order.
    pub events: Vec<AttendanceEvent>,
    /// The day folded.
    pub timeline: Timeline,
    /// Time present, open stretches counted to now (today) or to the end of the day.
    pub present_for: Duration,
}

/// A room's live ratio.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveRatio {
    /// The room.
    pub room: RoomId,
    /// The centre's day.
    pub day: Date,
    /// When computed.
    pub at: OffsetDateTime,
    /// The rule in force's first day.
    pub rule_effective_from: Date,
    /// The report.
    pub report: RatioReport,
}

/// The attendance use cases.
pub struct Attendance {
    pub(crate) children: Arc<Children>,
    pub(crate) log: Arc<dyn AttendanceLog>,
    pub(crate) breaches: Arc<dyn BreachLog>,
    pub(crate) rooms: Arc<dyn RoomRepository>,
    pub(crate) staff: Arc<dyn StaffRepository>,
    pub(crate) tenants: Arc<CachedTenants>,
    pub(crate) audit: Arc<AuditTrail>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for Attendance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attendance").finish_non_exhaustive()
    }
}

fn rule(code: ErrorCode, message: impl Into<String>) -> AppError {
    AppError::Rule {
        code,
        message: message.into(),
    }
}

fn invalid(field: &'static str, code: ErrorCode, message: &str) -> AppError {
    AppError::Invalid {
        field,
        code,
        message: message.to_owned(),
    }
}

/// The centre's clock: the offset of its time zone at `at`, and its day.
struct Local {
    offset: time::UtcOffset,
    settings: cubby_domain::CentreSettings,
}

impl Local {
    fn day(&self, at: OffsetDateTime) -> Date {
        at.to_offset(self.offset).date()
    }
}

impl Attendance {
    /// The centre's time zone offset now, and its settings.
    async fn local(&self, scope: &TenantScope) -> Result<Local, AppError> {
        let tenant = self.tenants.by_id(scope.tenant_id()).await?;
        Ok(Local {
            offset: tenant.time_zone().offset_at(self.clock.now()),
            settings: tenant.settings(),
        })
    }
}

/// `events` grouped by subject, each in `seq` order.
fn by_subject(events: &[AttendanceEvent]) -> BTreeMap<Subject, Vec<AttendanceEvent>> {
    let mut grouped: BTreeMap<Subject, Vec<AttendanceEvent>> = BTreeMap::new();
    for event in events {
        grouped
            .entry(event.subject)
            .or_default()
            .push(event.clone());
    }
    for stream in grouped.values_mut() {
        stream.sort_by_key(|e| e.seq);
    }
    grouped
}

#[cfg(test)]
mod tests;
