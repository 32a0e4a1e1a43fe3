//! The attendance log and breach log ports.

use async_trait::async_trait;
use cubby_domain::{AttendanceEvent, AttendanceEventId, Breach, RoomId, Subject};
use time::Date;

use crate::{Page, PageRequest, RepoError, SortDirection, TenantScope};

/// What [`AttendanceLog::append`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Appended {
    /// The event was stored.
    Stored,
    /// The tenant already had an event with this id (a replay): nothing was stored, and this
    /// is the event stored earlier.
    Replayed(AttendanceEvent),
}

/// Where a tenant's attendance events are kept: append-only, never changed in place.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait AttendanceLog: Send + Sync {
    /// Appends `event` to its subject's day.
    ///
    /// # Errors
    ///
    /// - MUST store nothing and answer `Ok(`[`Appended::Replayed`]`)` with the stored event
    ///   when the tenant already has an event with this id, even under concurrent appends of
    ///   the same id (exactly one of them is [`Appended::Stored`]). Ids of other tenants never
    ///   collide.
    /// - MUST return [`RepoError::Conflict`]`("attendance.seq")` and store nothing when the
    ///   subject's day already has an event with this `seq` (another writer got there first).
    async fn append(
        &self,
        scope: &TenantScope,
        event: &AttendanceEvent,
    ) -> Result<Appended, RepoError>;

    /// The event with this id.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has none.
    async fn get(
        &self,
        scope: &TenantScope,
        id: AttendanceEventId,
    ) -> Result<AttendanceEvent, RepoError>;

    /// The subject's events from `from` to `to` (both included), by day then `seq`.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn of_subject(
        &self,
        scope: &TenantScope,
        subject: Subject,
        from: Date,
        to: Date,
    ) -> Result<Vec<AttendanceEvent>, RepoError>;

    /// Every event of `day` (only those recorded in `room`, if given), by subject then `seq`.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn day(
        &self,
        scope: &TenantScope,
        day: Date,
        room: Option<RoomId>,
    ) -> Result<Vec<AttendanceEvent>, RepoError>;
}

/// Which breaches to list: by time (`at`), newest first unless `direction` says otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreachQuery {
    /// Only this room's.
    pub room: Option<RoomId>,
    /// From this day.
    pub from: Option<Date>,
    /// Up to this day.
    pub to: Option<Date>,
    /// The order by time (`at`), ties broken by id the same way.
    pub direction: SortDirection,
    /// The page.
    pub page: PageRequest,
}

impl Default for BreachQuery {
    fn default() -> Self {
        Self {
            room: None,
            from: None,
            to: None,
            direction: SortDirection::Descending,
            page: PageRequest::default(),
        }
    }
}

/// Where a tenant's ratio breaches are recorded, for inspections.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait BreachLog: Send + Sync {
    /// Records a breach.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn record(&self, scope: &TenantScope, breach: &Breach) -> Result<(), RepoError>;

    /// A page of the tenant's breaches matching `query`, in `query.direction` by time, and how
    /// many match.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn breaches(
        &self,
        scope: &TenantScope,
        query: &BreachQuery,
    ) -> Result<Page<Breach>, RepoError>;
}
