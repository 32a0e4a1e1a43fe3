//! Attendance events and ratio breaches in memory, partitioned by tenant.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use cubby_domain::{AttendanceEvent, AttendanceEventId, Breach, RoomId, Subject};
use cubby_ports::{Appended, AttendanceLog, BreachLog, BreachQuery, Page, RepoError, TenantScope};
use time::Date;

use crate::partitioned::Partitioned;
use crate::{MemoryStore, paginate, read, write};

/// Every tenant's attendance events, by id, by (subject, day, seq) and by (day, subject, seq).
#[derive(Default)]
pub(crate) struct AttendanceTable {
    tenants: Partitioned<TenantAttendance>,
}

#[derive(Default)]
struct TenantAttendance {
    by_id: HashMap<AttendanceEventId, AttendanceEvent>,
    streams: BTreeMap<(Subject, Date, u32), AttendanceEventId>,
    /// The same entries by day first, then as in `streams`: a day's events are one entry here,
    /// in the streams' order, so reading a day never walks the centre's other days.
    days: BTreeMap<Date, BTreeMap<(Subject, u32), AttendanceEventId>>,
}

/// Every tenant's breaches.
#[derive(Default)]
pub(crate) struct BreachTable {
    tenants: Partitioned<Vec<Breach>>,
}

#[async_trait]
impl AttendanceLog for MemoryStore {
    async fn append(
        &self,
        scope: &TenantScope,
        event: &AttendanceEvent,
    ) -> Result<Appended, RepoError> {
        let mut table = write(&self.attendance);
        let tenant = table.tenants.writing(scope);
        if let Some(stored) = tenant.by_id.get(&event.id) {
            return Ok(Appended::Replayed(stored.clone()));
        }
        let key = (event.subject, event.day, event.seq);
        if tenant.streams.contains_key(&key) {
            return Err(RepoError::Conflict("attendance.seq"));
        }
        tenant.streams.insert(key, event.id);
        tenant
            .days
            .entry(event.day)
            .or_default()
            .insert((event.subject, event.seq), event.id);
        tenant.by_id.insert(event.id, event.clone());
        Ok(Appended::Stored)
    }

    async fn get(
        &self,
        scope: &TenantScope,
        id: AttendanceEventId,
    ) -> Result<AttendanceEvent, RepoError> {
        read(&self.attendance)
            .tenants
            .of(scope)
            .and_then(|tenant| tenant.by_id.get(&id))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn of_subject(
        &self,
        scope: &TenantScope,
        subject: Subject,
        from: Date,
        to: Date,
    ) -> Result<Vec<AttendanceEvent>, RepoError> {
        let table = read(&self.attendance);
        let Some(tenant) = table.tenants.of(scope) else {
            return Ok(Vec::new());
        };
        if from > to {
            return Ok(Vec::new());
        }
        Ok(tenant
            .streams
            .range((subject, from, 0)..=(subject, to, u32::MAX))
            .filter_map(|(_, id)| tenant.by_id.get(id).cloned())
            .collect())
    }

    async fn day(
        &self,
        scope: &TenantScope,
        day: Date,
        room: Option<RoomId>,
    ) -> Result<Vec<AttendanceEvent>, RepoError> {
        let table = read(&self.attendance);
        let Some(tenant) = table.tenants.of(scope) else {
            return Ok(Vec::new());
        };
        Ok(tenant
            .days
            .get(&day)
            .into_iter()
            .flat_map(BTreeMap::values)
            .filter_map(|id| tenant.by_id.get(id))
            .filter(|event| room.is_none_or(|room| event.room == room))
            .cloned()
            .collect())
    }
}

#[async_trait]
impl BreachLog for MemoryStore {
    async fn record(&self, scope: &TenantScope, breach: &Breach) -> Result<(), RepoError> {
        write(&self.breaches)
            .tenants
            .writing(scope)
            .push(breach.clone());
        Ok(())
    }

    async fn breaches(
        &self,
        scope: &TenantScope,
        query: &BreachQuery,
    ) -> Result<Page<Breach>, RepoError> {
        let table = read(&self.breaches);
        let Some(breaches) = table.tenants.of(scope) else {
            return Ok(Page::empty());
        };
        let mut matching: Vec<&Breach> = breaches
            .iter()
            .filter(|b| query.room.is_none_or(|room| b.room == room))
            .filter(|b| query.from.is_none_or(|from| b.day >= from))
            .filter(|b| query.to.is_none_or(|to| b.day <= to))
            .collect();
        matching.sort_by(|a, b| query.direction.apply(a.at.cmp(&b.at).then(a.id.cmp(&b.id))));
        Ok(paginate(matching, query.page))
    }
}

#[cfg(test)]
mod tests {
    use cubby_domain::{ChildId, Movement, StaffId};
    use cubby_ports::contract::{at, fresh_scope};
    use proptest::prelude::*;
    use time::Duration;
    use time::macros::date;
    use uuid::Uuid;

    use super::*;

    cubby_ports::attendance_log_contract!(async { MemoryStore::default() });
    cubby_ports::breach_log_contract!(async { MemoryStore::default() });

    fn room(n: u128) -> RoomId {
        RoomId::from_uuid(Uuid::from_u128(n))
    }

    proptest! {
        /// Through any appends over several days, a day read from the day index is the one
        /// picking that day's events out of every stream (ordered by subject, then seq).
        #[test]
        fn an_indexed_day_is_the_day_picked_from_every_stream(
            appends in prop::collection::vec((0u128..4, 0i64..3, 1u32..4, 1u128..=2), 0..40),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime.block_on(async {
                let store = MemoryStore::default();
                let scope = fresh_scope();
                let first = date!(2026 - 09 - 01);
                // Every event stored.
                let mut model: Vec<AttendanceEvent> = Vec::new();
                for (n, (who, day, seq, room_n)) in appends.into_iter().enumerate() {
                    let uuid = Uuid::from_u128(who + 1);
                    let subject = if who % 2 == 0 {
                        Subject::Child(ChildId::from_uuid(uuid))
                    } else {
                        Subject::Staff(StaffId::from_uuid(uuid))
                    };
                    let event = AttendanceEvent {
                        id: AttendanceEventId::from_uuid(Uuid::from_u128(n as u128 + 1)),
                        subject,
                        day: first + Duration::days(day),
                        seq,
                        movement: Movement::ClockOut,
                        at: at(0),
                        room: room(room_n),
                        actor: scope.actor().clone(),
                        recorded_at: at(0),
                    };
                    let taken = model
                        .iter()
                        .any(|e| (e.subject, e.day, e.seq) == (subject, event.day, seq));
                    match store.append(&scope, &event).await {
                        Ok(Appended::Stored) if !taken => model.push(event),
                        Err(RepoError::Conflict("attendance.seq")) if taken => {}
                        other => prop_assert!(false, "{:?} (taken: {})", other, taken),
                    }
                }
                model.sort_by_key(|e| (e.subject, e.day, e.seq));
                for day in (0..4).map(|d| first + Duration::days(d)) {
                    for room in [None, Some(room(1)), Some(room(2))] {
                        let expected: Vec<AttendanceEvent> = model
                            .iter()
                            .filter(|e| e.day == day && room.is_none_or(|r| e.room == r))
                            .cloned()
                            .collect();
                        prop_assert_eq!(store.day(&scope, day, room).await.unwrap(), expected);
                    }
                }
                Ok(())
            })?;
        }
    }
}
