//! Recording: check-ins, check-outs, clock-ins and clock-outs, and corrections, each appended
//! only once the whole day makes sense with it and the room's ratio has been judged.

use cubby_domain::attendance::append;
use cubby_domain::{
    Amendment, AttendanceEvent, AttendanceEventId, Breach, BreachId, ChildId, ContactId, ErrorCode,
    Movement, Permission, Pin, RatioEnforcement, RatioReport, RoomId, StaffId, Subject,
};
use cubby_ports::{Appended, RepoError, TenantScope};
use time::{Date, Duration, OffsetDateTime};

use super::{Attendance, Correction, Local, Record, Recorded, Request, invalid, rule};
use crate::AppError;
use crate::error::require;

/// How far ahead of the server's clock a client's event time may be.
const CLOCK_SKEW: Duration = Duration::minutes(5);
/// How old an event an offline kiosk may still deliver.
const OLDEST: Duration = Duration::days(7);
/// How often a writer judges again after losing a race for a place in a day.
const ATTEMPTS: usize = 5;

/// Refuses an event time in the future (beyond the clock skew allowed) or older than a kiosk
/// may deliver.
fn check_time(at: OffsetDateTime, now: OffsetDateTime) -> Result<(), AppError> {
    if at > now + CLOCK_SKEW {
        return Err(invalid(
            "at",
            ErrorCode::AttendanceInTheFuture,
            "an event cannot be recorded before it happens",
        ));
    }
    if at < now - OLDEST {
        return Err(invalid(
            "at",
            ErrorCode::AttendanceTooOld,
            "events older than 7 days are recorded as corrections by a director",
        ));
    }
    Ok(())
}

/// The refusal of a check-in that would take the room out of ratio.
fn would_breach(report: &RatioReport) -> AppError {
    rule(
        ErrorCode::RatioWouldBreach,
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
    )
}

impl Attendance {
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
        check_time(at, now)?;
        let day = local.day(at);
        let (subject, movement, room) = self.movement(scope, request.record, day).await?;
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

    /// Whom `record` is for, what it does and in which room, once checked.
    async fn movement(
        &self,
        scope: &TenantScope,
        record: Record,
        day: Date,
    ) -> Result<(Subject, Movement, RoomId), AppError> {
        match record {
            Record::CheckIn {
                child,
                room,
                contact,
            } => self.check_in(scope, child, room, contact, day).await,
            Record::CheckOut {
                child,
                contact,
                pin,
            } => {
                self.check_out(scope, child, contact, pin.as_ref(), day)
                    .await
            }
            Record::ClockIn { staff, room } => {
                let staff = self.staff_subject(scope, staff).await?;
                self.active_room(scope, room).await?;
                Ok((Subject::Staff(staff), Movement::ClockIn { room }, room))
            }
            Record::ClockOut { staff } => self.clock_out(scope, staff, day).await,
        }
    }

    /// A child's check-in: the child is reached, not archived and enrolled that day, the room
    /// (by default the child's) is active, and the contact who brought them is theirs.
    async fn check_in(
        &self,
        scope: &TenantScope,
        child: ChildId,
        room: Option<RoomId>,
        contact: Option<ContactId>,
        day: Date,
    ) -> Result<(Subject, Movement, RoomId), AppError> {
        let found = self.children.as_staff(scope, child, day).await?;
        if found.is_archived() {
            return Err(rule(ErrorCode::ChildArchived, "the child is archived"));
        }
        if !found.enrolment().attends_on(day) {
            return Err(rule(
                ErrorCode::AttendanceNotEnrolled,
                "the child is not enrolled on this day",
            ));
        }
        let room = room.or(found.room_id()).ok_or_else(|| {
            invalid(
                "room_id",
                ErrorCode::AttendanceRoomRequired,
                "the child has no room; name one",
            )
        })?;
        self.active_room(scope, room).await?;
        if let Some(contact) = contact
            && found.contact(contact).is_none()
        {
            return Err(invalid(
                "contact_id",
                ErrorCode::ContactUnknown,
                "not a contact of this child",
            ));
        }
        Ok((
            Subject::Child(child),
            Movement::CheckIn { room, contact },
            room,
        ))
    }

    /// A child's check-out: the contact may collect them (with their PIN if they have one),
    /// from the room the child is in.
    async fn check_out(
        &self,
        scope: &TenantScope,
        child: ChildId,
        contact: ContactId,
        pin: Option<&Pin>,
        day: Date,
    ) -> Result<(Subject, Movement, RoomId), AppError> {
        let found = self.children.as_staff(scope, child, day).await?;
        let pin_verified = self.verify_pickup(scope, &found, contact, pin, day).await?;
        let room = self.present_room(scope, Subject::Child(child), day).await?;
        let room = room.ok_or_else(|| {
            rule(
                cubby_domain::AttendanceError::NotCheckedIn.code(),
                cubby_domain::AttendanceError::NotCheckedIn.to_string(),
            )
        })?;
        Ok((
            Subject::Child(child),
            Movement::CheckOut {
                contact,
                pin_verified,
            },
            room,
        ))
    }

    /// A staff member's clock-out, from the room they are in.
    async fn clock_out(
        &self,
        scope: &TenantScope,
        staff: Option<StaffId>,
        day: Date,
    ) -> Result<(Subject, Movement, RoomId), AppError> {
        let staff = self.staff_subject(scope, staff).await?;
        let room = self.present_room(scope, Subject::Staff(staff), day).await?;
        let room = room.ok_or_else(|| {
            rule(
                cubby_domain::AttendanceError::NotClockedIn.code(),
                cubby_domain::AttendanceError::NotClockedIn.to_string(),
            )
        })?;
        Ok((Subject::Staff(staff), Movement::ClockOut, room))
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
                ErrorCode::AttendanceWrongDay,
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
            let (ratio, breach) = self.ratio_and_breach(scope, &event, local).await?;
            if let (Some(breach), Some(report)) = (&breach, &ratio)
                && breach.refused
            {
                self.breaches.record(scope, breach).await?;
                return Err(would_breach(report));
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
            code: ErrorCode::AttendanceBusy,
            message: "too many events for this subject at once; try again".to_owned(),
        })
    }

    /// The room's ratio with `event` applied (for check-ins and clock-outs, which can take a
    /// room out of ratio), and the breach to record when it does not comply.
    async fn ratio_and_breach(
        &self,
        scope: &TenantScope,
        event: &AttendanceEvent,
        local: &Local,
    ) -> Result<(Option<RatioReport>, Option<Breach>), AppError> {
        let ratio = match event.movement {
            Movement::CheckIn { .. } | Movement::ClockOut => {
                Some(self.ratio_with(scope, event).await?)
            }
            _ => None,
        };
        let breach = ratio
            .as_ref()
            .filter(|r| !r.complies())
            .map(|report| self.breach(event, report, local.settings.ratio_enforcement));
        Ok((ratio, breach))
    }

    /// The breach of `event`'s room, refused when the centre refuses check-ins out of ratio.
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
}
