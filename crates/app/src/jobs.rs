//! Background jobs: what a centre asks for (an attendance report, a roster import), the worker
//! that runs them, and where each stands.
//!
//! A job is a record (what `GET /v1/jobs/{id}` shows) and an envelope on a queue. The worker
//! makes the job's scope from the delivery (the envelope's tenant, only the permissions the
//! job's kind needs), runs the handler, and acknowledges the
//! delivery, retries it later (exponential backoff with jitter) or, after [`MAX_ATTEMPTS`],
//! dead-letters it (see [`RetryPolicy`]). Handlers are idempotent: a report is written under an id derived from its
//! job, imported children get ids derived from their job and row, so running a job again
//! (a retry after a crash, a redelivery) never does anything twice.
//!
//! One use case a file: `submit` starts a job, `worker` runs a delivery and settles it,
//! `schedules` starts the scheduled ones; the handlers are `report` (the attendance report),
//! `roster` (the roster import), `upkeep` (upload retention, the closing reminder) and `mail`
//! (a message handed to the mailer).

mod mail;
mod report;
mod roster;
mod schedules;
mod submit;
mod upkeep;
mod worker;

use std::sync::Arc;

use cubby_domain::{JobId, JobRecord, Permission, PermissionSet, Queue};
use cubby_ports::{
    Clock, FileRepository, IdGenerator, JobQueue, JobRecords, ObjectStore, RepoError,
    RoomRepository, TenantScope,
};
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::attendance::Attendance;
use crate::children::Children;
use crate::error::require;

pub use mail::{MAIL, MAYBE_SENT, MailPayload};
pub use roster::{MAX_IMPORT_ROWS, ROSTER_COLUMNS, parse_roster};
pub use schedules::{CATCH_UP, Schedule, Task, schedules};
pub use worker::VISIBILITY;

/// How failed jobs are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before a job goes to the dead-letter queue.
    pub max_attempts: u32,
    /// The delay after the first failure (doubling after each, with jitter).
    pub base: time::Duration,
    /// The longest delay.
    pub cap: time::Duration,
}

impl Default for RetryPolicy {
    /// Five attempts, the second 15 to 30 seconds after the first failure, then twice as far
    /// apart each time (the fifth 2 to 4 minutes after the fourth): a job rides out a store
    /// outage of 4 to 7 minutes before it is dead-lettered.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base: time::Duration::seconds(30),
            cap: time::Duration::minutes(10),
        }
    }
}

/// What a job does, with its parameters (the envelope's payload, as JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobRequest {
    /// A CSV of attendance (presence, minutes in care, breaches) for a span and a room.
    AttendanceReport {
        /// The first day (`YYYY-MM-DD`).
        from: String,
        /// The last day.
        to: String,
        /// One room, or all.
        room: Option<String>,
    },
    /// Children from a CSV uploaded as a `roster_import` file: all rows or none.
    RosterImport {
        /// The file.
        file: String,
    },
    /// Removes uploads presigned more than a day ago and never confirmed, and their objects.
    UploadRetention,
    /// Reminds the centre of children still checked in after its closing time.
    ClosingReminder,
    /// Sends a rendered message (queued by [`crate::mail::Mail`], never by a centre).
    SendMail {
        /// The message.
        mail: MailPayload,
    },
}

impl JobRequest {
    /// The queue it travels on: reminders and mail are `critical`, the rest `bulk`.
    fn queue(&self) -> Queue {
        match self {
            JobRequest::ClosingReminder | JobRequest::SendMail { .. } => Queue::Critical,
            _ => Queue::Bulk,
        }
    }

    /// What its work needs, and so all its scope may do: the use cases it goes through check
    /// these again.
    fn permissions(&self) -> PermissionSet {
        let needs: &[Permission] = match self {
            JobRequest::AttendanceReport { .. } | JobRequest::ClosingReminder => {
                &[Permission::AttendanceRead, Permission::CentreAllRooms]
            }
            JobRequest::RosterImport { .. } => {
                &[Permission::ChildrenWrite, Permission::CentreAllRooms]
            }
            JobRequest::UploadRetention | JobRequest::SendMail { .. } => &[],
        };
        needs.iter().copied().collect()
    }

    fn kind(&self) -> &'static str {
        match self {
            JobRequest::AttendanceReport { .. } => "attendance_report",
            JobRequest::RosterImport { .. } => "roster_import",
            JobRequest::UploadRetention => "upload_retention",
            JobRequest::ClosingReminder => "closing_reminder",
            JobRequest::SendMail { .. } => "send_mail",
        }
    }
}

/// The error of a job whose queue failed when it was started.
pub const NOT_QUEUED: &str = "the job could not be queued; start it again";

/// Where a delivered job stands after a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// Finished one way or another (succeeded, failed for good, dead-lettered, or finished
    /// before): it is not delivered again.
    Done,
    /// Failed for now: the queue delivers it again after its backoff delay.
    Later,
}

/// Why a run failed.
#[derive(Debug)]
enum RunError {
    /// For good: the centre must fix something (listed, no personal data).
    Rule(Vec<String>),
    /// For now: try again later.
    Transient(String),
}

impl From<RepoError> for RunError {
    fn from(error: RepoError) -> Self {
        RunError::Transient(match error {
            RepoError::Unavailable(_) => "a store was unavailable".to_owned(),
            other => other.to_string(),
        })
    }
}

impl From<AppError> for RunError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Unavailable(_) => RunError::Transient("a store was unavailable".to_owned()),
            AppError::Internal(_) => RunError::Transient("an internal error".to_owned()),
            other => RunError::Rule(vec![other.to_string()]),
        }
    }
}

/// The job use cases and the worker.
pub struct Jobs {
    pub(crate) records: Arc<dyn JobRecords>,
    pub(crate) queue: Arc<dyn JobQueue>,
    pub(crate) files: Arc<dyn FileRepository>,
    pub(crate) objects: Arc<dyn ObjectStore>,
    pub(crate) rooms: Arc<dyn RoomRepository>,
    pub(crate) children: Arc<Children>,
    pub(crate) attendance: Arc<Attendance>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
    pub(crate) retry: RetryPolicy,
    pub(crate) tenants: Arc<dyn cubby_ports::TenantDirectory>,
    pub(crate) mailer: Arc<dyn cubby_ports::Mailer>,
    pub(crate) links: crate::mail::Links,
    pub(crate) users: Arc<dyn cubby_ports::UserDirectory>,
    pub(crate) memberships: Arc<dyn cubby_ports::MembershipRepository>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs").finish_non_exhaustive()
    }
}

impl Jobs {
    /// A job of the caller's centre.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `jobs:read`; [`AppError::NotFound`].
    pub async fn get(&self, scope: &TenantScope, id: JobId) -> Result<JobRecord, AppError> {
        require(scope, Permission::JobsRead)?;
        Ok(self.records.get(scope, id).await?)
    }
}

/// The counter of job runs by kind and outcome: `succeeded`, `failed` (for good), `retried`,
/// `dead_lettered`, `skipped` (delivered again after it finished), `orphaned` (no record) or
/// `error` (a store or the queue failed; the delivery comes back).
pub const JOBS: &str = "jobs_total";
/// The histogram of the time from a job's enqueue to the start of its first run, by queue.
pub const JOB_LAG: &str = "job_lag_seconds";

/// The kinds of job, as labels.
const KINDS: [&str; 5] = [
    "attendance_report",
    "roster_import",
    "upload_retention",
    "closing_reminder",
    "send_mail",
];

/// Counts a run of a job of `kind` in [`JOBS`] (a kind this version does not know as `unknown`,
/// so that the label stays one of a few).
fn count_run(kind: &str, outcome: &'static str) {
    let kind = KINDS.into_iter().find(|k| *k == kind).unwrap_or("unknown");
    metrics::counter!(JOBS, "kind" => kind, "outcome" => outcome).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{World, corrupt, timed_out};
    use cubby_domain::JobStatus;
    use cubby_ports::mocks::{MockIdGenerator, MockJobQueue, MockJobRecords};

    #[test]
    fn every_kind_of_job_has_its_own_label() {
        let requests = [
            JobRequest::AttendanceReport {
                from: "2026-01-01".to_owned(),
                to: "2026-01-01".to_owned(),
                room: None,
            },
            JobRequest::RosterImport {
                file: "file".to_owned(),
            },
            JobRequest::UploadRetention,
            JobRequest::ClosingReminder,
            JobRequest::SendMail {
                mail: MailPayload {
                    to: "a@example.org".to_owned(),
                    subject: String::new(),
                    text: String::new(),
                    html: String::new(),
                },
            },
        ];
        let kinds: Vec<&str> = requests.iter().map(JobRequest::kind).collect();
        assert_eq!(kinds, KINDS);
    }

    fn report_of_today() -> JobRequest {
        let today = crate::testing::today().to_string();
        JobRequest::AttendanceReport {
            from: today.clone(),
            to: today,
            room: None,
        }
    }

    async fn queued(world: &World) -> JobRecord {
        let request = report_of_today();
        world.app.jobs.submit(&world.scope, request).await.unwrap()
    }

    #[tokio::test]
    async fn a_report_submitted_is_queued_then_run_by_the_worker() {
        let world = World::new().await;
        let jobs = &world.app.jobs;
        let record = queued(&world).await;
        assert_eq!(record.status(), JobStatus::Queued);
        assert_eq!(jobs.get(&world.scope, record.id()).await.unwrap(), record);
        assert_eq!(jobs.work_once(Queue::Bulk).await.unwrap(), 1);
        let done = jobs.get(&world.scope, record.id()).await.unwrap();
        assert_eq!((done.status(), done.attempts()), (JobStatus::Succeeded, 1));
        assert!(done.result_file().is_some());
    }

    #[tokio::test]
    async fn a_queue_timing_out_marks_the_recorded_job_failed() {
        let world = World::new().await;
        let id = uuid::Uuid::now_v7();
        let mut ids = MockIdGenerator::new();
        ids.expect_uuid().return_const(id);
        let mut queue = MockJobQueue::new();
        queue
            .expect_enqueue()
            .times(1)
            .returning(|_, _, _| Err(timed_out()));
        let app = world.with(|ports| {
            ports.ids = Arc::new(ids);
            ports.jobs = Arc::new(queue);
        });
        let answer = app.jobs.submit(&world.scope, report_of_today()).await;
        assert!(
            matches!(answer, Err(AppError::Unavailable(_))),
            "{answer:?}"
        );
        let recorded = world
            .app
            .jobs
            .get(&world.scope, JobId::from_uuid(id))
            .await
            .unwrap();
        assert_eq!(recorded.status(), JobStatus::Failed);
        assert_eq!(recorded.errors(), [NOT_QUEUED]);
    }

    #[tokio::test]
    async fn records_timing_out_on_the_insert_queue_nothing() {
        let world = World::new().await;
        let mut records = MockJobRecords::new();
        records
            .expect_insert()
            .times(1)
            .returning(|_, _| Err(timed_out()));
        let mut queue = MockJobQueue::new();
        queue.expect_enqueue().never();
        let app = world.with(|ports| {
            ports.job_records = Arc::new(records);
            ports.jobs = Arc::new(queue);
        });
        let answer = app.jobs.submit(&world.scope, report_of_today()).await;
        assert!(
            matches!(answer, Err(AppError::Unavailable(_))),
            "{answer:?}"
        );
    }

    #[tokio::test]
    async fn records_timing_out_when_the_worker_begins_leave_the_job_queued() {
        let world = World::new().await;
        let record = queued(&world).await;
        let mut records = MockJobRecords::new();
        records
            .expect_get()
            .times(1)
            .returning(|_, _| Err(timed_out()));
        records.expect_update().never();
        records.expect_claim_effect().never();
        let app = world.with(|ports| ports.job_records = Arc::new(records));
        let answer = app.jobs.work_once(Queue::Bulk).await;
        assert!(
            matches!(answer, Err(AppError::Unavailable(_))),
            "{answer:?}"
        );
        let kept = world.app.jobs.get(&world.scope, record.id()).await.unwrap();
        assert_eq!(kept, record);
    }

    #[tokio::test]
    async fn a_corrupt_job_record_is_an_internal_error() {
        let world = World::new().await;
        let mut records = MockJobRecords::new();
        records
            .expect_get()
            .times(1)
            .returning(|_, _| Err(corrupt()));
        let app = world.with(|ports| ports.job_records = Arc::new(records));
        let id = JobId::from_uuid(uuid::Uuid::now_v7());
        let answer = app.jobs.get(&world.scope, id).await;
        assert!(matches!(answer, Err(AppError::Internal(_))), "{answer:?}");
    }
}
