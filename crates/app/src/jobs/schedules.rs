//! Cron schedules: which tasks come due when, and firing them once per centre and period
//! however many schedulers run.

use cubby_domain::time_of_day::iso_date;
use cubby_domain::{JobId, JobRecord, JobStatus, Tenant, TenantId};
use cubby_ports::{RepoError, TenantScope};
use time::OffsetDateTime;
use tracing::Instrument as _;

use super::{JobRequest, Jobs, NOT_QUEUED};
use crate::AppError;

/// What a schedule starts, in every centre.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// The attendance report of the centre's yesterday (the daily rollup).
    AttendanceRollup,
    /// The removal of stale pending uploads.
    UploadRetention,
    /// The reminder of children still checked in after closing time.
    ClosingReminder,
}

/// A named cron schedule of a task.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// Its name (part of each run's identity).
    pub name: &'static str,
    /// What it starts.
    pub task: Task,
    cron: cron::Schedule,
}

/// How far back a scheduler looks when it starts, or a Lambda tick looks, to fire what came due
/// while none ran (runs already started are not started again).
pub const CATCH_UP: time::Duration = time::Duration::hours(1);

/// The most periods one tick fires per schedule (a scheduler back after a long stop catches up
/// only so far).
const MAX_PERIODS: usize = 24;

impl Schedule {
    /// A schedule from a cron expression with seconds (`sec min hour day month weekday`, UTC).
    ///
    /// # Errors
    ///
    /// The cron crate's message when the expression is not valid.
    pub fn new(name: &'static str, task: Task, expression: &str) -> Result<Self, String> {
        let cron = expression
            .parse::<cron::Schedule>()
            .map_err(|e| e.to_string())?;
        Ok(Self { name, task, cron })
    }

    /// The instants after `since` up to `now` the schedule fires at.
    pub fn periods(&self, since: OffsetDateTime, now: OffsetDateTime) -> Vec<OffsetDateTime> {
        let Some(since) = chrono_time(since) else {
            return Vec::new();
        };
        self.cron
            .after(&since)
            .map(|at| at.timestamp())
            .take_while(|at| *at <= now.unix_timestamp())
            .take(MAX_PERIODS)
            .filter_map(|at| OffsetDateTime::from_unix_timestamp(at).ok())
            .collect()
    }
}

/// The schedules the settings ask for.
///
/// # Errors
///
/// The expression's problem (settings have already checked them).
pub fn schedules(settings: &cubby_settings::Settings) -> Result<Vec<Schedule>, String> {
    Ok(vec![
        Schedule::new(
            "daily_attendance_rollup",
            Task::AttendanceRollup,
            &settings.schedule_rollup,
        )?,
        Schedule::new(
            "upload_retention",
            Task::UploadRetention,
            &settings.schedule_retention,
        )?,
        Schedule::new(
            "closing_reminder",
            Task::ClosingReminder,
            &settings.schedule_reminder,
        )?,
    ])
}

fn chrono_time(at: OffsetDateTime) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp(at.unix_timestamp(), 0)
}

/// The one job id of a schedule's run for a centre.
pub(super) fn scheduled_job(name: &str, period: OffsetDateTime, tenant: TenantId) -> JobId {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{name}|{}|{tenant}", period.unix_timestamp()));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    JobId::from_uuid(uuid::Uuid::from_bytes(bytes))
}

/// Whether `record` is a job whose queue failed when it was started.
fn never_queued(record: &JobRecord) -> bool {
    record.status() == JobStatus::Failed
        && record.attempts() == 0
        && record.errors() == [NOT_QUEUED]
}

/// The job `task` starts in `tenant` for the run of `period`.
fn scheduled_request(task: Task, period: OffsetDateTime, tenant: &Tenant) -> JobRequest {
    match task {
        Task::AttendanceRollup => {
            let local = period
                .to_offset(tenant.time_zone().offset_at(period))
                .date();
            let yesterday = iso_date(local.previous_day().unwrap_or(local));
            JobRequest::AttendanceReport {
                from: yesterday.clone(),
                to: yesterday,
                room: None,
            }
        }
        Task::UploadRetention => JobRequest::UploadRetention,
        Task::ClosingReminder => JobRequest::ClosingReminder,
    }
}

impl Jobs {
    /// Starts the jobs `schedules` had due after `since` and up to `now`, once per centre and
    /// period however many schedulers run: each (schedule, period, centre) has one job id, and
    /// only the first scheduler to claim it enqueues it. Answers how many jobs it started.
    ///
    /// # Errors
    ///
    /// Store and queue failures (a later tick fires what this one could not).
    pub async fn fire_due(
        &self,
        schedules: &[Schedule],
        since: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<usize, AppError> {
        let mut started = 0;
        for schedule in schedules {
            for period in schedule.periods(since, now) {
                let mut after = None;
                loop {
                    let tenants = self.tenants.tenant_ids(after, 100).await?;
                    let Some(last) = tenants.last().copied() else {
                        break;
                    };
                    for tenant in tenants {
                        let span = crate::trace::schedule_span(schedule.name, tenant);
                        if self.fire(schedule, period, tenant).instrument(span).await? {
                            started += 1;
                        }
                    }
                    after = Some(last);
                }
            }
        }
        Ok(started)
    }

    /// Starts the run of `schedule` for `period` in `tenant`, unless another scheduler did
    /// (a run whose queue failed is started again); answers whether this one did.
    async fn fire(
        &self,
        schedule: &Schedule,
        period: OffsetDateTime,
        tenant: TenantId,
    ) -> Result<bool, AppError> {
        let scope = TenantScope::for_schedule(tenant);
        let found = self.tenants.by_id(tenant).await?;
        if found.status() != cubby_domain::TenantStatus::Active {
            return Ok(false);
        }
        let id = scheduled_job(schedule.name, period, tenant);
        let claimed = self.records.claim_effect(&scope, id, "scheduled").await?;
        let unqueued = if claimed {
            None
        } else {
            // Claimed before: started, unless that start failed halfway.
            match self.records.get(&scope, id).await {
                Err(RepoError::NotFound) => None,
                Ok(record) if never_queued(&record) => Some(record),
                Ok(_) => return Ok(false),
                Err(other) => return Err(other.into()),
            }
        };
        let request = scheduled_request(schedule.task, period, &found);
        match unqueued {
            Some(mut record) => {
                record.requeue(None, self.clock.now())?;
                self.records.update(&scope, &record).await?;
                self.send(&scope, record, &request).await?;
            }
            None => match self.start(&scope, id, &request).await {
                Ok(_) => {}
                // Another scheduler repaired the same run first.
                Err(AppError::Conflict { .. }) if !claimed => return Ok(false),
                Err(other) => return Err(other),
            },
        }
        Ok(true)
    }
}
