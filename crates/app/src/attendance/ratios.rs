//! Ratios: who is in a room against its rule, live or with an event applied, and the log of
//! recorded breaches.

use cubby_domain::attendance::fold;
use cubby_domain::{
    AttendanceEvent, Breach, ChildId, ErrorCode, Permission, Presence, RatioReport, Room, RoomId,
    Subject,
};
use cubby_ports::{BreachQuery, ChildQuery, ChildSet, MAX_LIMIT, Page, PageRequest, TenantScope};
use time::Date;

use super::{Attendance, LiveRatio, by_subject, invalid};
use crate::AppError;
use crate::error::require;

impl Attendance {
    /// The ratio of `event`'s room on its day with `event` applied.
    pub(super) async fn ratio_with(
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
                    ErrorCode::RatioRoomRequired,
                    "name one of your rooms",
                ));
            }
        }
        Ok(self.breaches.breaches(scope, query).await?)
    }
}
