//! Attendance events and ratio breaches in memory, partitioned by tenant.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use cubby_domain::{AttendanceEvent, AttendanceEventId, Breach, RoomId, Subject, TenantId};
use cubby_ports::{Appended, AttendanceLog, BreachLog, BreachQuery, Page, RepoError, TenantScope};
use time::Date;

use crate::{MemoryStore, paginate, read, write};

/// Every tenant's attendance events, by id and by (subject, day, seq).
#[derive(Default)]
pub(crate) struct AttendanceTable {
    tenants: HashMap<TenantId, TenantAttendance>,
}

#[derive(Default)]
struct TenantAttendance {
    by_id: HashMap<AttendanceEventId, AttendanceEvent>,
    streams: BTreeMap<(Subject, Date, u32), AttendanceEventId>,
}

/// Every tenant's breaches.
#[derive(Default)]
pub(crate) struct BreachTable {
    tenants: HashMap<TenantId, Vec<Breach>>,
}

#[async_trait]
impl AttendanceLog for MemoryStore {
    async fn append(
        &self,
        scope: &TenantScope,
        event: &AttendanceEvent,
    ) -> Result<Appended, RepoError> {
        let mut table = write(&self.attendance);
        let tenant = table.tenants.entry(scope.tenant_id()).or_default();
        if let Some(stored) = tenant.by_id.get(&event.id) {
            return Ok(Appended::Replayed(stored.clone()));
        }
        let key = (event.subject, event.day, event.seq);
        if tenant.streams.contains_key(&key) {
            return Err(RepoError::Conflict("attendance.seq"));
        }
        tenant.streams.insert(key, event.id);
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
            .get(&scope.tenant_id())
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
        let Some(tenant) = table.tenants.get(&scope.tenant_id()) else {
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
        let Some(tenant) = table.tenants.get(&scope.tenant_id()) else {
            return Ok(Vec::new());
        };
        // The streams are ordered by subject first; a day's events are picked out of them.
        Ok(tenant
            .streams
            .iter()
            .filter(|((_, event_day, _), _)| *event_day == day)
            .filter_map(|(_, id)| tenant.by_id.get(id))
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
            .entry(scope.tenant_id())
            .or_default()
            .push(breach.clone());
        Ok(())
    }

    async fn breaches(
        &self,
        scope: &TenantScope,
        query: &BreachQuery,
    ) -> Result<Page<Breach>, RepoError> {
        let table = read(&self.breaches);
        let Some(breaches) = table.tenants.get(&scope.tenant_id()) else {
            return Ok(Page::empty());
        };
        let mut matching: Vec<&Breach> = breaches
            .iter()
            .filter(|b| query.room.is_none_or(|room| b.room == room))
            .filter(|b| query.from.is_none_or(|from| b.day >= from))
            .filter(|b| query.to.is_none_or(|to| b.day <= to))
            .collect();
        matching.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
        Ok(paginate(matching, query.page))
    }
}

#[cfg(test)]
mod tests {
    use crate::MemoryStore;

    cubby_ports::attendance_log_contract!(async { MemoryStore::default() });
    cubby_ports::breach_log_contract!(async { MemoryStore::default() });
}
