//! Whom and where an event is for: the staff member named or the caller, a subject the caller
//! reaches, an active room, and the room a subject is in.

use cubby_domain::attendance::fold;
use cubby_domain::{ErrorCode, Permission, Presence, Room, RoomId, StaffId, Subject};
use cubby_ports::{RepoError, TenantScope};
use time::Date;

use super::{Attendance, invalid, rule};
use crate::AppError;

impl Attendance {
    /// The staff member an event is for: the one named (with `centre:all_rooms`, or the
    /// caller's own), else the caller's own record.
    pub(super) async fn staff_subject(
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
                    ErrorCode::AttendanceNotStaff,
                    "the caller has no staff record; name the staff member",
                )
            }),
        }
    }

    /// Whether the caller may see or amend `subject`'s attendance on `day`.
    pub(super) async fn reach_subject(
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

    pub(super) async fn active_room(
        &self,
        scope: &TenantScope,
        room: RoomId,
    ) -> Result<Room, AppError> {
        match self.rooms.get(scope, room).await {
            Ok(found) if !found.is_archived() => Ok(found),
            Ok(_) | Err(RepoError::NotFound) => Err(invalid(
                "room_id",
                ErrorCode::AttendanceUnknownRoom,
                "the centre has no active room with this id",
            )),
            Err(other) => Err(other.into()),
        }
    }

    /// The room `subject` is in at the end of `day`'s events, if any.
    pub(super) async fn present_room(
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
}
