//! Views: the day's attendance of a room (or of every room, or a guardian's children), and a
//! child's days with their time in care.

use std::collections::BTreeMap;

use cubby_domain::attendance::fold;
use cubby_domain::{AttendanceEvent, ChildId, ErrorCode, Permission, RoomId, Subject};
use cubby_ports::{ChildQuery, MAX_LIMIT, PageRequest, TenantScope};
use time::Date;

use super::{Attendance, Local, MAX_DAYS, SubjectDay, by_subject, invalid};
use crate::AppError;
use crate::children::Access;
use crate::error::require;

impl Attendance {
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
                        .of_subject(scope, Subject::Child(child.id()), day, day)
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
                ErrorCode::AttendanceInvalidSpan,
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
}
