//! Attendance use cases: recording check-ins, check-outs (with pickup verification), staff
//! clock-ins and clock-outs and corrections; the daily view, a child's days and hours in care;
//! live ratios and the breach log.
//!
//! Events are appended to a subject's day only after the domain state machine accepted the
//! whole day with them ([`cubby_domain::attendance::append`]); two writers racing for the same
//! place in a day are told apart by the log (`attendance.seq`), and the loser judges again on
//! the day as it now stands. An event id seen before is a replay: nothing is stored again.

use std::collections::BTreeMap;
use std::sync::Arc;

use cubby_domain::attendance::{Timeline, append, fold};
use cubby_domain::{
    Amendment, AttendanceEvent, AttendanceEventId, AuditAction, Breach, BreachId, ChildId,
    ContactId, Movement, Note, Permission, PickupError, Pin, Presence, RatioEnforcement,
    RatioReport, Room, RoomId, StaffId, Subject,
};
use cubby_ports::{
    Appended, AttendanceLog, BreachLog, BreachQuery, ChildQuery, ChildSet, Clock, IdGenerator,
    MAX_LIMIT, Page, PageRequest, RepoError, RoomRepository, StaffRepository, TenantDirectory,
    TenantScope,
};
use time::{Date, Duration, OffsetDateTime};

use crate::AppError;
use crate::audit::AuditTrail;
use crate::cache::CachedTenants;
use crate::children::{Access, Children};
use crate::error::require;

/// How far ahead of the server's clock a client's event time may be.
const CLOCK_SKEW: Duration = Duration::minutes(5);
/// How old an event an offline kiosk may still deliver.
const OLDEST: Duration = Duration::days(7);
/// How often a writer judges again after losing a race for a place in a day.
const ATTEMPTS: usize = 5;
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

fn rule(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Rule {
        code,
        message: message.into(),
    }
}

fn invalid(field: &'static str, code: &'static str, message: &str) -> AppError {
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
    async fn local(&self, scope: &TenantScope) -> Result<Local, AppError> {
        let tenant = self.tenants.by_id(scope.tenant_id()).await?;
        Ok(Local {
            offset: tenant.time_zone.offset_at(self.clock.now()),
            settings: tenant.settings,
        })
    }

    /// Records a check-in, check-out, clock-in or clock-out.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `attendance:check_in`; [`AppError::NotFound`] for a
    /// child or staff member the caller does not reach; [`AppError::Denied`] for a refused
    /// pickup (`pickup.not_authorized`, `pickup.restricted`, `pickup.unknown_contact`,
    /// `pickup.pin_required`, `pickup.wrong_pin`: each refusal is audited);
    /// [`AppError::Rule`] for the state machine (`attendance.already_checked_in`, ...), a
    /// check-in that would breach the room's ratio where the centre refuses those
    /// (`ratio.would_breach`), or a child not enrolled that day (`attendance.not_enrolled`);
    /// [`AppError::Invalid`] for times and rooms.
    pub async fn record(
        &self,
        scope: &TenantScope,
        request: Request,
    ) -> Result<Recorded, AppError> {
        require(scope, Permission::AttendanceCheckIn)?;
        if let Some(stored) = self.replayed(scope, request.id).await? {
            return Ok(stored);
        }
        let local = self.local(scope).await?;
        let now = self.clock.now();
        let at = request.at.unwrap_or(now);
        if at > now + CLOCK_SKEW {
            return Err(invalid(
                "at",
                "attendance.in_the_future",
                "an event cannot be recorded before it happens",
            ));
        }
        if at < now - OLDEST {
            return Err(invalid(
                "at",
                "attendance.too_old",
                "events older than 7 days are recorded as corrections by a director",
            ));
        }
        let day = local.day(at);
        let (subject, movement, room) = match request.record {
            Record::CheckIn {
                child,
                room,
                contact,
            } => {
                let found = self.children.as_staff(scope, child, day).await?;
                if found.is_archived() {
                    return Err(rule("child.archived", "the child is archived"));
                }
                if !found.enrolment.attends_on(day) {
                    return Err(rule(
                        "attendance.not_enrolled",
                        "the child is not enrolled on this day",
                    ));
                }
                let room = room.or(found.room_id).ok_or_else(|| {
                    invalid(
                        "room_id",
                        "attendance.room_required",
                        "the child has no room; name one",
                    )
                })?;
                self.active_room(scope, room).await?;
                if let Some(contact) = contact
                    && found.contact(contact).is_none()
                {
                    return Err(invalid(
                        "contact_id",
                        "contact.unknown",
                        "not a contact of this child",
                    ));
                }
                (
                    Subject::Child(child),
                    Movement::CheckIn { room, contact },
                    room,
                )
            }
            Record::CheckOut {
                child,
                contact,
                pin,
            } => {
                let found = self.children.as_staff(scope, child, day).await?;
                let pin_verified = self
                    .verify_pickup(scope, &found, contact, pin.as_ref(), day)
                    .await?;
                let room = self.present_room(scope, Subject::Child(child), day).await?;
                let room = room.ok_or_else(|| {
                    rule(
                        cubby_domain::AttendanceError::NotCheckedIn.code(),
                        cubby_domain::AttendanceError::NotCheckedIn.to_string(),
                    )
                })?;
                (
                    Subject::Child(child),
                    Movement::CheckOut {
                        contact,
                        pin_verified,
                    },
                    room,
                )
            }
            Record::ClockIn { staff, room } => {
                let staff = self.staff_subject(scope, staff).await?;
                self.active_room(scope, room).await?;
                (Subject::Staff(staff), Movement::ClockIn { room }, room)
            }
            Record::ClockOut { staff } => {
                let staff = self.staff_subject(scope, staff).await?;
                let room = self.present_room(scope, Subject::Staff(staff), day).await?;
                let room = room.ok_or_else(|| {
                    rule(
                        cubby_domain::AttendanceError::NotClockedIn.code(),
                        cubby_domain::AttendanceError::NotClockedIn.to_string(),
                    )
                })?;
                (Subject::Staff(staff), Movement::ClockOut, room)
            }
        };
        let event = AttendanceEvent {
            id: request.id,
            subject,
            day,
            seq: 0,
            movement,
            at,
            room,
            actor: scope.actor().clone(),
            recorded_at: now,
        };
        self.append_judged(scope, event, &local).await
    }

    /// Records a correction of an earlier event: it voids it, or moves it to another time of
    /// its day. The whole day must still make sense with it.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `attendance:correct`; [`AppError::NotFound`];
    /// [`AppError::Rule`] (`attendance.invalid_correction`, and the state machine's codes for a
    /// day the correction would break); [`AppError::Invalid`] (`attendance.wrong_day`).
    pub async fn correct(
        &self,
        scope: &TenantScope,
        correction: Correction,
    ) -> Result<Recorded, AppError> {
        require(scope, Permission::AttendanceCorrect)?;
        if let Some(stored) = self.replayed(scope, correction.id).await? {
            return Ok(stored);
        }
        let local = self.local(scope).await?;
        let amended = self.log.get(scope, correction.amends).await?;
        self.reach_subject(scope, amended.subject, amended.day)
            .await?;
        if let Amendment::Retime(at) = correction.amendment
            && local.day(at) != amended.day
        {
            return Err(invalid(
                "at",
                "attendance.wrong_day",
                "a corrected time stays on the event's day",
            ));
        }
        let event = AttendanceEvent {
            id: correction.id,
            subject: amended.subject,
            day: amended.day,
            seq: 0,
            movement: Movement::Correction {
                amends: amended.id,
                amendment: correction.amendment,
                reason: correction.reason,
            },
            at: self.clock.now(),
            room: amended.room,
            actor: scope.actor().clone(),
            recorded_at: self.clock.now(),
        };
        self.append_judged(scope, event, &local).await
    }

    /// The stored event with this id, as a replay, if the tenant has one.
    async fn replayed(
        &self,
        scope: &TenantScope,
        id: AttendanceEventId,
    ) -> Result<Option<Recorded>, AppError> {
        match self.log.get(scope, id).await {
            Ok(event) => Ok(Some(Recorded {
                event,
                replayed: true,
                ratio: None,
            })),
            Err(RepoError::NotFound) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// Judges `event` on its day as stored, checks the ratio, appends; on losing a race for
    /// the place, judges again.
    async fn append_judged(
        &self,
        scope: &TenantScope,
        mut event: AttendanceEvent,
        local: &Local,
    ) -> Result<Recorded, AppError> {
        for _ in 0..ATTEMPTS {
            let day = self
                .log
                .of_subject(scope, event.subject, event.day, event.day)
                .await?;
            if let Some(stored) = day.iter().find(|e| e.id == event.id) {
                return Ok(Recorded {
                    event: stored.clone(),
                    replayed: true,
                    ratio: None,
                });
            }
            event.seq = u32::try_from(day.len())
                .unwrap_or(u32::MAX)
                .saturating_add(1);
            append(&day, &event).map_err(|e| rule(e.code(), e.to_string()))?;
            let ratio = match event.movement {
                Movement::CheckIn { .. } | Movement::ClockOut => {
                    Some(self.ratio_with(scope, &event).await?)
                }
                _ => None,
            };
            let breach = ratio
                .as_ref()
                .filter(|r| !r.complies())
                .map(|report| self.breach(&event, report, local.settings.ratio_enforcement));
            if let (Some(breach), Some(report)) = (&breach, &ratio)
                && breach.refused
            {
                self.breaches.record(scope, breach).await?;
                return Err(rule(
                    "ratio.would_breach",
                    format!(
                        "this check-in would take the room out of ratio: {} children need {} staff, {} present{}",
                        report.children,
                        report.staff_needed,
                        report.staff,
                        if report.over_group_size > 0 {
                            format!(", {} over the group size", report.over_group_size)
                        } else {
                            String::new()
                        }
                    ),
                ));
            }
            match self.log.append(scope, &event).await {
                Ok(Appended::Stored) => {
                    if let Some(breach) = &breach {
                        self.breaches.record(scope, breach).await?;
                    }
                    return Ok(Recorded {
                        event,
                        replayed: false,
                        ratio,
                    });
                }
                Ok(Appended::Replayed(stored)) => {
                    return Ok(Recorded {
                        event: stored,
                        replayed: true,
                        ratio: None,
                    });
                }
                Err(RepoError::Conflict("attendance.seq")) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::Conflict {
            code: "attendance.busy",
            message: "too many events for this subject at once; try again".to_owned(),
        })
    }

    fn breach(
        &self,
        event: &AttendanceEvent,
        report: &RatioReport,
        enforcement: RatioEnforcement,
    ) -> Breach {
        Breach {
            id: BreachId::from_uuid(self.ids.uuid()),
            room: event.room,
            day: event.day,
            at: event.at,
            event: event.id,
            refused: enforcement == RatioEnforcement::Refuse
                && matches!(event.movement, Movement::CheckIn { .. }),
            children: report.children,
            staff: report.staff,
            staff_needed: report.staff_needed,
            over_group_size: report.over_group_size,
            actor: event.actor.clone(),
        }
    }

    /// Checks that `contact` may collect `child` on `day`, with their PIN if they have one;
    /// a refusal is audited. Answers whether a PIN was checked.
    async fn verify_pickup(
        &self,
        scope: &TenantScope,
        child: &cubby_domain::Child,
        contact: ContactId,
        pin: Option<&Pin>,
        day: Date,
    ) -> Result<bool, AppError> {
        let refusal = match child.may_pick_up(contact, day) {
            Err(error) => Some((error.code(), error.to_string())),
            Ok(found) => match (&found.pickup_pin, pin) {
                (None, _) => return Ok(false),
                (Some(_), None) => Some((
                    "pickup.pin_required",
                    "this contact has a pickup PIN; it is needed to collect the child".to_owned(),
                )),
                (Some(_), Some(pin)) => {
                    if self.children.pin_matches(found, pin).await? {
                        return Ok(true);
                    }
                    Some(("pickup.wrong_pin", "the pickup PIN is not right".to_owned()))
                }
            },
        };
        let (code, message) = refusal.unwrap_or((
            PickupError::NotAllowed.code(),
            PickupError::NotAllowed.to_string(),
        ));
        self.audit
            .record(
                scope,
                AuditAction::PickupRefused,
                Some(child.id.to_string()),
                &[("contact", contact.to_string()), ("code", code.to_owned())],
            )
            .await;
        Err(AppError::Denied { code, message })
    }

    /// The staff member an event is for: the one named (with `centre:all_rooms`, or the
    /// caller's own), else the caller's own record.
    async fn staff_subject(
        &self,
        scope: &TenantScope,
        named: Option<StaffId>,
    ) -> Result<StaffId, AppError> {
        let own = match scope.user_id() {
            Some(user) => self.staff.by_user(scope, user).await?,
            None => None,
        };
        match named {
            Some(id) if own.as_ref().is_some_and(|m| m.id == id) => Ok(id),
            Some(id) if scope.has(Permission::CentreAllRooms) => {
                let member = self.staff.get(scope, id).await?;
                if member.is_archived() {
                    return Err(AppError::NotFound);
                }
                Ok(id)
            }
            Some(_) => Err(AppError::NotFound),
            None => own.map(|m| m.id).ok_or_else(|| {
                invalid(
                    "staff_id",
                    "attendance.not_staff",
                    "the caller has no staff record; name the staff member",
                )
            }),
        }
    }

    /// Whether the caller may see or amend `subject`'s attendance on `day`.
    async fn reach_subject(
        &self,
        scope: &TenantScope,
        subject: Subject,
        day: Date,
    ) -> Result<(), AppError> {
        match subject {
            Subject::Child(child) => self.children.as_staff(scope, child, day).await.map(|_| ()),
            Subject::Staff(staff) => self.staff_subject(scope, Some(staff)).await.map(|_| ()),
        }
    }

    async fn active_room(&self, scope: &TenantScope, room: RoomId) -> Result<Room, AppError> {
        match self.rooms.get(scope, room).await {
            Ok(found) if !found.is_archived() => Ok(found),
            Ok(_) | Err(RepoError::NotFound) => Err(invalid(
                "room_id",
                "attendance.unknown_room",
                "the centre has no active room with this id",
            )),
            Err(other) => Err(other.into()),
        }
    }

    /// The room `subject` is in at the end of `day`'s events, if any.
    async fn present_room(
        &self,
        scope: &TenantScope,
        subject: Subject,
        day: Date,
    ) -> Result<Option<RoomId>, AppError> {
        let events = self.log.of_subject(scope, subject, day, day).await?;
        let timeline = fold(subject, day, &events).map_err(|e| rule(e.code(), e.to_string()))?;
        Ok(match timeline.presence() {
            Presence::Present { room, .. } => Some(room),
            Presence::Absent => None,
        })
    }

    /// The ratio of `event`'s room on its day with `event` applied.
    async fn ratio_with(
        &self,
        scope: &TenantScope,
        event: &AttendanceEvent,
    ) -> Result<RatioReport, AppError> {
        let room = self.rooms.get(scope, event.room).await?;
        let mut events = self.log.day(scope, event.day, Some(event.room)).await?;
        events.push(event.clone());
        Ok(self.judge(scope, &room, event.day, &events).await?.report)
    }

    /// Who is in `room` after `events` (the room's events of `day`), against its rule.
    async fn judge(
        &self,
        scope: &TenantScope,
        room: &Room,
        day: Date,
        events: &[AttendanceEvent],
    ) -> Result<LiveRatio, AppError> {
        let mut children: Vec<ChildId> = Vec::new();
        let mut staff = 0u32;
        for (subject, stream) in by_subject(events) {
            let Ok(timeline) = fold(subject, day, &stream) else {
                tracing::warn!(tenant_id = %scope.tenant_id(), subject = %subject, "an attendance day does not fold; left out of the ratio");
                continue;
            };
            if matches!(timeline.presence(), Presence::Present { room: r, .. } if r == room.id()) {
                match subject {
                    Subject::Child(child) => children.push(child),
                    Subject::Staff(_) => staff += 1,
                }
            }
        }
        let ages = self.ages(scope, &children, day).await?;
        let rule = room.rule_on(day);
        Ok(LiveRatio {
            room: room.id(),
            day,
            at: self.clock.now(),
            rule_effective_from: rule.effective_from(),
            report: rule.judge(&ages, staff),
        })
    }

    /// The ages in months on `day` of `children`.
    async fn ages(
        &self,
        scope: &TenantScope,
        children: &[ChildId],
        day: Date,
    ) -> Result<Vec<u16>, AppError> {
        let mut ages = Vec::with_capacity(children.len());
        for chunk in children.chunks(MAX_LIMIT as usize) {
            let query = ChildQuery {
                within: Some(ChildSet {
                    rooms: Vec::new(),
                    children: chunk.to_vec(),
                }),
                include_archived: true,
                page: PageRequest::new(MAX_LIMIT, 0).map_err(|e| AppError::Internal(e.into()))?,
                ..ChildQuery::default()
            };
            let found = self.children.children.list(scope, &query).await?;
            ages.extend(found.items.iter().map(|c| c.age_in_months(day)));
        }
        Ok(ages)
    }

    /// A room's ratio now.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `ratios:read`; [`AppError::NotFound`] for a room the
    /// caller does not work in (without `centre:all_rooms`).
    pub async fn live_ratio(
        &self,
        scope: &TenantScope,
        room: RoomId,
    ) -> Result<LiveRatio, AppError> {
        require(scope, Permission::RatiosRead)?;
        self.reach_room(scope, room).await?;
        let local = self.local(scope).await?;
        let day = local.day(self.clock.now());
        let found = self.rooms.get(scope, room).await?;
        let events = self.log.day(scope, day, Some(room)).await?;
        self.judge(scope, &found, day, &events).await
    }

    async fn reach_room(&self, scope: &TenantScope, room: RoomId) -> Result<(), AppError> {
        if scope.has(Permission::CentreAllRooms) || scope.user_id().is_none() {
            return Ok(());
        }
        if self.children.staff_rooms(scope).await?.contains(&room) {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The day's attendance of a room, or of every room the caller reaches; a caller who is
    /// not staff sees the children they reach with the guardian or daily feed capability.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `attendance:read`; [`AppError::NotFound`] for a room
    /// the caller does not work in.
    pub async fn day_view(
        &self,
        scope: &TenantScope,
        day: Date,
        room: Option<RoomId>,
    ) -> Result<Vec<SubjectDay>, AppError> {
        require(scope, Permission::AttendanceRead)?;
        if let Some(room) = room {
            // Another centre's room is not found, as every id of another centre.
            self.rooms.get(scope, room).await?;
        }
        let local = self.local(scope).await?;
        let all_rooms = scope.has(Permission::CentreAllRooms) || scope.user_id().is_none();
        let events = if all_rooms {
            self.log.day(scope, day, room).await?
        } else {
            let mine = self.children.staff_rooms(scope).await?;
            match room {
                Some(room) if mine.contains(&room) => self.log.day(scope, day, Some(room)).await?,
                Some(_) => return Err(AppError::NotFound),
                None if !mine.is_empty() => {
                    let mut events = self.log.day(scope, day, None).await?;
                    events.retain(|e| mine.contains(&e.room));
                    events
                }
                None => self.guardian_events(scope, day).await?,
            }
        };
        Ok(by_subject(&events)
            .into_iter()
            .filter_map(|(subject, stream)| self.subject_day(&local, subject, day, stream))
            .collect())
    }

    /// The events of `day` of the children the caller reaches as a guardian who sees
    /// attendance.
    async fn guardian_events(
        &self,
        scope: &TenantScope,
        day: Date,
    ) -> Result<Vec<AttendanceEvent>, AppError> {
        let Some(user) = scope.user_id() else {
            return Ok(Vec::new());
        };
        let query = ChildQuery {
            linked_user: Some(user),
            page: PageRequest::new(MAX_LIMIT, 0).map_err(|e| AppError::Internal(e.into()))?,
            ..ChildQuery::default()
        };
        let mut events = Vec::new();
        for child in self.children.children.list(scope, &query).await?.items {
            if child
                .guardian_view(user, day)
                .is_some_and(|view| view.sees_attendance())
            {
                events.extend(
                    self.log
                        .of_subject(scope, Subject::Child(child.id), day, day)
                        .await?,
                );
            }
        }
        Ok(events)
    }

    /// A child's days from `from` to `to` (at most [`MAX_DAYS`]), with time in care.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `attendance:read`; [`AppError::NotFound`] when the
    /// caller does not reach the child, or reaches it as a contact without the guardian or
    /// daily feed capability; [`AppError::Invalid`] for a reversed or too long span.
    pub async fn child_days(
        &self,
        scope: &TenantScope,
        child: ChildId,
        from: Date,
        to: Date,
    ) -> Result<Vec<SubjectDay>, AppError> {
        require(scope, Permission::AttendanceRead)?;
        if to < from || (to - from).whole_days() >= MAX_DAYS {
            return Err(invalid(
                "to",
                "attendance.invalid_span",
                "a span is 1 to 62 days, `to` not before `from`",
            ));
        }
        let local = self.local(scope).await?;
        let seen = self.children.get(scope, child).await?;
        if let Access::Guardian(view) = seen.access
            && !view.sees_attendance()
        {
            return Err(AppError::NotFound);
        }
        let events = self
            .log
            .of_subject(scope, Subject::Child(child), from, to)
            .await?;
        let mut days: BTreeMap<Date, Vec<AttendanceEvent>> = BTreeMap::new();
        for event in events {
            days.entry(event.day).or_default().push(event);
        }
        Ok(days
            .into_iter()
            .filter_map(|(day, stream)| {
                self.subject_day(&local, Subject::Child(child), day, stream)
            })
            .collect())
    }

    fn subject_day(
        &self,
        local: &Local,
        subject: Subject,
        day: Date,
        events: Vec<AttendanceEvent>,
    ) -> Option<SubjectDay> {
        let timeline = fold(subject, day, &events).ok()?;
        let now = self.clock.now();
        let end_of_day = day
            .next_day()
            .map(|next| next.midnight().assume_offset(local.offset))
            .unwrap_or(now);
        let until = now.min(end_of_day);
        Some(SubjectDay {
            subject,
            day,
            present_for: timeline.time_present(until),
            events,
            timeline,
        })
    }

    /// A page of the recorded breaches, newest first.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `ratios:read`; [`AppError::NotFound`] for a room the
    /// caller does not work in; [`AppError::Invalid`] (`ratio.room_required`) when a caller
    /// without `centre:all_rooms` names no room.
    pub async fn breaches(
        &self,
        scope: &TenantScope,
        query: &BreachQuery,
    ) -> Result<Page<Breach>, AppError> {
        require(scope, Permission::RatiosRead)?;
        match query.room {
            Some(room) => {
                self.rooms.get(scope, room).await?;
                self.reach_room(scope, room).await?;
            }
            None if scope.has(Permission::CentreAllRooms) => {}
            None => {
                return Err(invalid(
                    "room",
                    "ratio.room_required",
                    "name one of your rooms",
                ));
            }
        }
        Ok(self.breaches.breaches(scope, query).await?)
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
