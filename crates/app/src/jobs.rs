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

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cubby_domain::attendance::Interval;
use cubby_domain::time_of_day::{iso_date, parse_iso_date};
use cubby_domain::{
    Breach, ChildId, Enrolment, EnrolmentStatus, FileId, FilePurpose, FileStatus, JobId, JobRecord,
    JobStatus, ObjectKey, Permission, PermissionSet, PersonName, Queue, RoomId, StoredFile,
    Subject,
};
use cubby_ports::{
    BreachQuery, Clock, Delivery, FileRepository, IdGenerator, JobEnvelope, JobQueue, JobRecords,
    ObjectStore, PageRequest, RepoError, RoomQuery, RoomRepository, TenantScope,
};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use tracing::Instrument as _;

use crate::AppError;
use crate::attendance::{Attendance, MAX_DAYS};
use crate::children::{Children, NewChild};
use crate::error::require;

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
/// How long a worker may hold a job before it is delivered to another.
pub const VISIBILITY: Duration = Duration::from_secs(300);
/// The most rows a roster import takes.
pub const MAX_IMPORT_ROWS: usize = 2000;

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
}

impl JobRequest {
    /// The queue it travels on: reminders are `critical`, the rest `bulk`.
    fn queue(&self) -> Queue {
        match self {
            JobRequest::ClosingReminder => Queue::Critical,
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
            JobRequest::UploadRetention => &[],
        };
        needs.iter().copied().collect()
    }

    fn kind(&self) -> &'static str {
        match self {
            JobRequest::AttendanceReport { .. } => "attendance_report",
            JobRequest::RosterImport { .. } => "roster_import",
            JobRequest::UploadRetention => "upload_retention",
            JobRequest::ClosingReminder => "closing_reminder",
        }
    }
}

/// The error of a job whose queue failed when it was started.
pub const NOT_QUEUED: &str = "the job could not be queued; start it again";

/// Whether `record` is a job whose queue failed when it was started.
fn never_queued(record: &JobRecord) -> bool {
    record.status == JobStatus::Failed && record.attempts == 0 && record.errors == [NOT_QUEUED]
}

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
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs").finish_non_exhaustive()
    }
}

fn invalid(field: &'static str, code: &'static str, message: &str) -> AppError {
    AppError::Invalid {
        field,
        code,
        message: message.to_owned(),
    }
}

/// A report's file id, derived from its job: writing the report again writes the same file.
fn report_file(job: JobId) -> FileId {
    FileId::from_uuid(job.uuid())
}

/// An imported child's id, derived from its job and row.
fn imported_child(job: JobId, row: usize) -> ChildId {
    let row = u128::try_from(row).unwrap_or(u128::MAX);
    ChildId::from_uuid(uuid::Uuid::from_u128(job.uuid().as_u128() ^ (row + 1)))
}

impl Jobs {
    /// Starts a job for the caller's centre: 202-style, the record as queued.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `reports:run` (report) or `imports:run` (import);
    /// [`AppError::Invalid`] for a span that is reversed or longer than 62 days, or a file that
    /// is not a stored roster import; [`AppError::NotFound`] for another centre's room or file.
    pub async fn submit(
        &self,
        scope: &TenantScope,
        request: JobRequest,
    ) -> Result<JobRecord, AppError> {
        match &request {
            JobRequest::AttendanceReport { from, to, room } => {
                require(scope, Permission::ReportsRun)?;
                let (from, to) = (parse_iso_date(from), parse_iso_date(to));
                match (from, to) {
                    (Some(from), Some(to)) if from <= to && (to - from).whole_days() < MAX_DAYS => {
                    }
                    _ => {
                        return Err(invalid(
                            "to",
                            "attendance.invalid_span",
                            "a span is 1 to 62 days, `to` not before `from`",
                        ));
                    }
                }
                if let Some(room) = room {
                    let id = room.parse::<RoomId>().map_err(|_| AppError::NotFound)?;
                    self.rooms.get(scope, id).await?;
                }
            }
            JobRequest::UploadRetention | JobRequest::ClosingReminder => {
                require(scope, Permission::TenantManage)?;
            }
            JobRequest::RosterImport { file } => {
                require(scope, Permission::ImportsRun)?;
                let id = file.parse::<FileId>().map_err(|_| AppError::NotFound)?;
                let stored = self.files.get(scope, id).await?;
                if stored.purpose != FilePurpose::RosterImport
                    || stored.status != FileStatus::Stored
                {
                    return Err(invalid(
                        "file",
                        "import.not_a_roster",
                        "name a roster_import file that has been uploaded and confirmed",
                    ));
                }
            }
        }
        self.start(scope, JobId::from_uuid(self.ids.uuid()), &request)
            .await
    }

    /// A job of the caller's centre.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `jobs:read`; [`AppError::NotFound`].
    pub async fn get(&self, scope: &TenantScope, id: JobId) -> Result<JobRecord, AppError> {
        require(scope, Permission::JobsRead)?;
        Ok(self.records.get(scope, id).await?)
    }

    /// Takes up to ten jobs off `queue` and runs them; answers how many it took.
    ///
    /// # Errors
    ///
    /// Queue failures (a job's own failure is recorded on it, never answered here).
    pub async fn work_once(&self, queue: Queue) -> Result<usize, AppError> {
        let deliveries = self
            .queue
            .receive(queue, 10, VISIBILITY)
            .instrument(crate::trace::poll_span(queue))
            .await?;
        let count = deliveries.len();
        for delivery in deliveries {
            self.run(queue, &delivery)
                .await
                .inspect_err(|_| count_run(&delivery.envelope.kind, "error"))?;
        }
        Ok(count)
    }

    /// Samples every queue's depth into the `job_queue_depth` (waiting), `job_queue_in_flight`
    /// and `job_dead_letters` gauges; a queue that does not answer keeps its last values.
    pub async fn sample_depths(&self) {
        for queue in Queue::ALL {
            match self.queue.depth(queue).await {
                Ok(depth) => {
                    let name = queue.as_str();
                    metrics::gauge!("job_queue_depth", "queue" => name).set(depth.waiting as f64);
                    metrics::gauge!("job_queue_in_flight", "queue" => name)
                        .set(depth.in_flight as f64);
                    metrics::gauge!("job_dead_letters", "queue" => name).set(depth.dead as f64);
                }
                Err(error) => {
                    tracing::debug!(queue = queue.as_str(), error = %error, "queue depth not sampled");
                }
            }
        }
    }

    /// Runs one delivery from `queue` (one [`Jobs::work_once`] took, or one of the Lambda
    /// worker's SQS records): it is acknowledged, retried or dead-lettered, and the answer says
    /// whether it will be delivered again. It runs in its `job` span, in the trace of the work
    /// that enqueued it ([`crate::trace::job_span`]).
    ///
    /// # Errors
    ///
    /// Store and queue failures, after which the delivery is left as it was: it comes back
    /// when its visibility runs out.
    pub async fn run(&self, queue: Queue, delivery: &Delivery) -> Result<Settled, AppError> {
        let span = crate::trace::job_span(queue, &delivery.envelope);
        self.settle(queue, delivery).instrument(span).await
    }

    /// [`Jobs::run`], inside the job's span.
    async fn settle(&self, queue: Queue, delivery: &Delivery) -> Result<Settled, AppError> {
        let envelope = &delivery.envelope;
        let request = serde_json::from_str::<JobRequest>(&envelope.payload);
        let permissions = request
            .as_ref()
            .map_or(PermissionSet::EMPTY, JobRequest::permissions);
        let scope = TenantScope::for_job(delivery, permissions);
        let mut record = match self.records.get(&scope, envelope.id).await {
            Ok(record) => record,
            Err(RepoError::NotFound) => {
                tracing::warn!(job_id = %envelope.id, "a job without its record; dropped");
                self.queue.ack(queue, delivery).await?;
                count_run(&envelope.kind, "orphaned");
                return Ok(Settled::Done);
            }
            Err(other) => return Err(other.into()),
        };
        if record.status.is_final() {
            // Delivered again after it finished: nothing to do.
            self.queue.ack(queue, delivery).await?;
            count_run(&envelope.kind, "skipped");
            return Ok(Settled::Done);
        }
        if envelope.attempt == 0 && record.status == JobStatus::Queued {
            // Queued when last updated: the lag of a first run (retries wait on purpose).
            let lag = (self.clock.now() - record.updated_at).as_seconds_f64();
            metrics::histogram!(JOB_LAG, "queue" => queue.as_str()).record(lag.max(0.0));
        }
        record.status = JobStatus::Running;
        record.attempts = envelope.attempt + 1;
        record.updated_at = self.clock.now();
        self.records.update(&scope, &record).await?;
        let outcome = match request {
            Ok(JobRequest::AttendanceReport { from, to, room }) => {
                self.attendance_report(&scope, &mut record, &from, &to, room.as_deref())
                    .await
            }
            Ok(JobRequest::RosterImport { file }) => {
                self.roster_import(&scope, &mut record, &file).await
            }
            Ok(JobRequest::UploadRetention) => self.upload_retention(&scope, &mut record).await,
            Ok(JobRequest::ClosingReminder) => self.closing_reminder(&scope, &mut record).await,
            Err(_) => Err(RunError::Rule(vec![
                "the job's parameters are not valid".to_owned(),
            ])),
        };
        record.updated_at = self.clock.now();
        match outcome {
            Ok(()) => {
                record.status = JobStatus::Succeeded;
                record.errors.clear();
                self.records.update(&scope, &record).await?;
                self.queue.ack(queue, delivery).await?;
                count_run(&envelope.kind, "succeeded");
                Ok(Settled::Done)
            }
            Err(RunError::Rule(errors)) => {
                record.status = JobStatus::Failed;
                record.errors = errors;
                self.records.update(&scope, &record).await?;
                self.queue.ack(queue, delivery).await?;
                count_run(&envelope.kind, "failed");
                Ok(Settled::Done)
            }
            Err(RunError::Transient(error)) if record.attempts < self.retry.max_attempts => {
                tracing::warn!(job_id = %record.id, attempt = record.attempts, error = %error, "job failed; retrying");
                record.status = JobStatus::Queued;
                record.errors = vec![error];
                self.records.update(&scope, &record).await?;
                let delay = cubby_domain::job::backoff(
                    record.attempts,
                    self.retry.base,
                    self.retry.cap,
                    rand::random::<f64>(),
                );
                let delay = Duration::try_from(delay).unwrap_or(Duration::from_secs(2));
                self.queue.retry(queue, delivery, delay).await?;
                count_run(&envelope.kind, "retried");
                Ok(Settled::Later)
            }
            Err(RunError::Transient(error)) => {
                tracing::error!(job_id = %record.id, attempts = record.attempts, error = %error, "job failed for the last time; dead-lettered");
                record.status = JobStatus::Dead;
                record.errors = vec![error.clone()];
                self.records.update(&scope, &record).await?;
                self.queue.dead_letter(queue, delivery, &error).await?;
                count_run(&envelope.kind, "dead_lettered");
                Ok(Settled::Done)
            }
        }
    }

    async fn attendance_report(
        &self,
        scope: &TenantScope,
        record: &mut JobRecord,
        from: &str,
        to: &str,
        room: Option<&str>,
    ) -> Result<(), RunError> {
        let bad = || RunError::Rule(vec!["the job's parameters are not valid".to_owned()]);
        let (from, to) = (
            parse_iso_date(from).ok_or_else(bad)?,
            parse_iso_date(to).ok_or_else(bad)?,
        );
        let room = room
            .map(|r| r.parse::<RoomId>().map_err(|_| bad()))
            .transpose()?;
        let days: Vec<Date> = std::iter::successors(Some(from), |d| d.next_day())
            .take_while(|d| *d <= to)
            .collect();
        record.total = Some(days.len() as u64);
        let mut csv = csv::Writer::from_writer(Vec::new());
        let header = [
            "record", "date", "subject", "name", "room_id", "from", "to", "minutes", "detail",
        ];
        csv.write_record(header)
            .map_err(|e| RunError::Transient(e.to_string()))?;
        let names = self.child_names(scope).await?;
        for (done, day) in days.iter().enumerate() {
            for subject in self.attendance.day_view(scope, *day, room).await? {
                let (kind, id, name) = match subject.subject {
                    Subject::Child(child) => (
                        "child",
                        child.to_string(),
                        names
                            .iter()
                            .find(|(id, _)| *id == child)
                            .map(|(_, n)| format!("{} {}", n.given(), n.family()))
                            .unwrap_or_default(),
                    ),
                    Subject::Staff(staff) => ("staff", staff.to_string(), String::new()),
                };
                for Interval { room, from, to } in &subject.timeline.intervals {
                    let minutes = (to.unwrap_or(*from) - *from).whole_minutes();
                    let row = [
                        "presence".to_owned(),
                        iso_date(*day),
                        format!("{kind}:{id}"),
                        name.clone(),
                        room.to_string(),
                        rfc3339(*from),
                        to.map(rfc3339).unwrap_or_default(),
                        if to.is_some() {
                            minutes.to_string()
                        } else {
                            String::new()
                        },
                        String::new(),
                    ];
                    csv.write_record(&row)
                        .map_err(|e| RunError::Transient(e.to_string()))?;
                }
            }
            record.done = done as u64 + 1;
            record.updated_at = self.clock.now();
            self.records.update(scope, record).await?;
        }
        for breach in self.breaches(scope, from, to, room).await? {
            let row = [
                "breach".to_owned(),
                iso_date(breach.day),
                format!("event:{}", breach.event),
                String::new(),
                breach.room.to_string(),
                rfc3339(breach.at),
                String::new(),
                String::new(),
                format!(
                    "children={} staff={} staff_needed={} over_group_size={} refused={}",
                    breach.children,
                    breach.staff,
                    breach.staff_needed,
                    breach.over_group_size,
                    breach.refused
                ),
            ];
            csv.write_record(&row)
                .map_err(|e| RunError::Transient(e.to_string()))?;
        }
        let body = csv
            .into_inner()
            .map_err(|e| RunError::Transient(e.to_string()))?;
        let id = report_file(record.id);
        let key = ObjectKey::new(scope.tenant_id(), FilePurpose::Report, id);
        self.objects
            .put(scope, &key, "text/csv", Bytes::from(body.clone()))
            .await?;
        let file = StoredFile {
            id,
            purpose: FilePurpose::Report,
            child_id: None,
            key,
            content_type: "text/csv".to_owned(),
            size: Some(body.len() as u64),
            status: FileStatus::Stored,
            owner: record.requested_by.clone(),
            created_at: record.created_at,
            stored_at: Some(self.clock.now()),
        };
        match self.files.get(scope, id).await {
            Ok(_) => self.files.update(scope, &file).await?,
            Err(RepoError::NotFound) => self.files.insert(scope, &file).await?,
            Err(other) => return Err(other.into()),
        }
        record.result_file = Some(id);
        Ok(())
    }

    async fn child_names(
        &self,
        scope: &TenantScope,
    ) -> Result<Vec<(ChildId, PersonName)>, RunError> {
        let mut names = Vec::new();
        let mut offset = 0;
        loop {
            let query = cubby_ports::ChildQuery {
                include_archived: true,
                page: PageRequest::new(100, offset)
                    .map_err(|e| RunError::Transient(e.to_string()))?,
                ..cubby_ports::ChildQuery::default()
            };
            let page = self.children.children.list(scope, &query).await?;
            let count = page.items.len() as u64;
            names.extend(page.items.into_iter().map(|c| (c.id, c.name)));
            offset += count;
            if count < 100 || offset >= page.total {
                return Ok(names);
            }
        }
    }

    async fn breaches(
        &self,
        scope: &TenantScope,
        from: Date,
        to: Date,
        room: Option<RoomId>,
    ) -> Result<Vec<Breach>, RunError> {
        let mut all = Vec::new();
        let mut offset = 0;
        loop {
            let query = BreachQuery {
                room,
                from: Some(from),
                to: Some(to),
                page: PageRequest::new(100, offset)
                    .map_err(|e| RunError::Transient(e.to_string()))?,
            };
            let page = self.attendance.breaches.breaches(scope, &query).await?;
            let count = page.items.len() as u64;
            all.extend(page.items);
            offset += count;
            if count < 100 || offset >= page.total {
                all.reverse();
                return Ok(all);
            }
        }
    }

    async fn roster_import(
        &self,
        scope: &TenantScope,
        record: &mut JobRecord,
        file: &str,
    ) -> Result<(), RunError> {
        let id = file
            .parse::<FileId>()
            .map_err(|_| RunError::Rule(vec!["the file is not valid".to_owned()]))?;
        let stored = self.files.get(scope, id).await?;
        let bytes = self
            .objects
            .get(scope, &stored.key, FilePurpose::RosterImport.max_bytes())
            .await?;
        let rooms = self.room_names(scope).await?;
        let today = self.children.today(scope).await?;
        let rows = parse_roster(&bytes, &rooms, today).map_err(RunError::Rule)?;
        record.total = Some(rows.len() as u64);
        for (index, new) in rows.into_iter().enumerate() {
            // An id derived from the job and the row: a second run finds it taken.
            self.children
                .create_with_id(scope, imported_child(record.id, index), new)
                .await?;
            record.done = index as u64 + 1;
            if record.done.is_multiple_of(50) {
                // Progress shows while a large import runs.
                record.updated_at = self.clock.now();
                self.records.update(scope, record).await?;
            }
        }
        Ok(())
    }

    async fn upload_retention(
        &self,
        scope: &TenantScope,
        record: &mut JobRecord,
    ) -> Result<(), RunError> {
        let before = self.clock.now() - time::Duration::days(1);
        loop {
            let stale = self.files.pending_before(scope, before, 100).await?;
            if stale.is_empty() {
                return Ok(());
            }
            for file in stale {
                self.objects.delete(scope, &file.key).await?;
                self.files.remove(scope, file.id).await?;
                record.done += 1;
            }
        }
    }

    /// After the centre's closing time, records one reminder per room and day of the children
    /// still checked in (an `attendance.still_in_after_closing` audit event, with the room and
    /// the count: no names).
    async fn closing_reminder(
        &self,
        scope: &TenantScope,
        record: &mut JobRecord,
    ) -> Result<(), RunError> {
        let tenant = self.tenants.by_id(scope.tenant_id()).await?;
        let Some(closing) = tenant.settings.closing_time else {
            return Ok(());
        };
        let now = self.clock.now();
        let local = now.to_offset(tenant.time_zone.offset_at(now));
        if local.time() < closing {
            return Ok(());
        }
        let day = local.date();
        let mut rooms: Vec<(RoomId, u32)> = Vec::new();
        for subject in self.attendance.day_view(scope, day, None).await? {
            if let (Subject::Child(_), Some(Interval { room, to: None, .. })) =
                (subject.subject, subject.timeline.intervals.last())
            {
                match rooms.iter_mut().find(|(r, _)| r == room) {
                    Some((_, count)) => *count += 1,
                    None => rooms.push((*room, 1)),
                }
            }
        }
        // Once per room and day, whichever run of the schedule gets there first.
        let reminder = scheduled_job("closing_reminder", day.midnight().assume_utc(), tenant.id);
        for (room, count) in rooms {
            if self
                .records
                .claim_effect(scope, reminder, &format!("room:{room}"))
                .await?
            {
                self.attendance
                    .audit
                    .record(
                        scope,
                        cubby_domain::AuditAction::StillInAfterClosing,
                        Some(room.to_string()),
                        &[("children", count.to_string()), ("day", iso_date(day))],
                    )
                    .await;
                tracing::warn!(tenant_id = %tenant.id, room_id = %room, children = count, "children still checked in after closing time");
                record.done += 1;
            }
        }
        Ok(())
    }

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

    async fn fire(
        &self,
        schedule: &Schedule,
        period: OffsetDateTime,
        tenant: cubby_domain::TenantId,
    ) -> Result<bool, AppError> {
        let scope = TenantScope::for_schedule(tenant);
        let found = self.tenants.by_id(tenant).await?;
        if found.status != cubby_domain::TenantStatus::Active {
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
        let request = match schedule.task {
            Task::AttendanceRollup => {
                let local = period.to_offset(found.time_zone.offset_at(period)).date();
                let yesterday = iso_date(local.previous_day().unwrap_or(local));
                JobRequest::AttendanceReport {
                    from: yesterday.clone(),
                    to: yesterday,
                    room: None,
                }
            }
            Task::UploadRetention => JobRequest::UploadRetention,
            Task::ClosingReminder => JobRequest::ClosingReminder,
        };
        match unqueued {
            Some(mut record) => {
                record.status = JobStatus::Queued;
                record.errors.clear();
                record.updated_at = self.clock.now();
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

    /// Records job `id` as queued and puts it on its queue.
    async fn start(
        &self,
        scope: &TenantScope,
        id: JobId,
        request: &JobRequest,
    ) -> Result<JobRecord, AppError> {
        let now = self.clock.now();
        let record = JobRecord {
            id,
            kind: request.kind().to_owned(),
            status: JobStatus::Queued,
            attempts: 0,
            done: 0,
            total: None,
            errors: Vec::new(),
            result_file: None,
            requested_by: scope.actor().clone(),
            created_at: now,
            updated_at: now,
        };
        self.records.insert(scope, &record).await?;
        self.send(scope, record, request).await
    }

    /// Puts the job of `record` on its queue. When the queue fails, the record is marked failed
    /// with [`NOT_QUEUED`] (as best it can), so that it never waits for a run that will not
    /// come: a centre starts it again, a scheduler's next tick does it itself.
    async fn send(
        &self,
        scope: &TenantScope,
        mut record: JobRecord,
        request: &JobRequest,
    ) -> Result<JobRecord, AppError> {
        let envelope = JobEnvelope {
            id: record.id,
            tenant: scope.tenant_id(),
            kind: record.kind.clone(),
            payload: serde_json::to_string(request).map_err(|e| AppError::Internal(Box::new(e)))?,
            attempt: 0,
            traceparent: crate::trace::current().map(|parent| parent.to_string()),
        };
        if let Err(error) = self
            .queue
            .enqueue(request.queue(), &envelope, Duration::ZERO)
            .await
        {
            record.status = JobStatus::Failed;
            record.errors = vec![NOT_QUEUED.to_owned()];
            record.updated_at = self.clock.now();
            if let Err(also) = self.records.update(scope, &record).await {
                tracing::error!(job_id = %record.id, error = %also, "a job that could not be queued could not be marked failed either");
            }
            return Err(error.into());
        }
        Ok(record)
    }

    async fn room_names(&self, scope: &TenantScope) -> Result<Vec<(String, RoomId)>, RunError> {
        let query = RoomQuery {
            page: PageRequest::new(100, 0).map_err(|e| RunError::Transient(e.to_string()))?,
            ..RoomQuery::default()
        };
        Ok(self
            .rooms
            .list(scope, &query)
            .await?
            .items
            .into_iter()
            .map(|room| (room.name().key(), room.id()))
            .collect())
    }
}

/// The counter of job runs by kind and outcome: `succeeded`, `failed` (for good), `retried`,
/// `dead_lettered`, `skipped` (delivered again after it finished), `orphaned` (no record) or
/// `error` (a store or the queue failed; the delivery comes back).
pub const JOBS: &str = "jobs_total";
/// The histogram of the time from a job's enqueue to the start of its first run, by queue.
pub const JOB_LAG: &str = "job_lag_seconds";

/// The kinds of job, as labels.
const KINDS: [&str; 4] = [
    "attendance_report",
    "roster_import",
    "upload_retention",
    "closing_reminder",
];

/// Counts a run of a job of `kind` in [`JOBS`] (a kind this version does not know as `unknown`,
/// so that the label stays one of a few).
fn count_run(kind: &str, outcome: &'static str) {
    let kind = KINDS.into_iter().find(|k| *k == kind).unwrap_or("unknown");
    metrics::counter!(JOBS, "kind" => kind, "outcome" => outcome).increment(1);
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

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
fn scheduled_job(name: &str, period: OffsetDateTime, tenant: cubby_domain::TenantId) -> JobId {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{name}|{}|{tenant}", period.unix_timestamp()));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    JobId::from_uuid(uuid::Uuid::from_bytes(bytes))
}

/// The columns of a roster, in order.
pub const ROSTER_COLUMNS: [&str; 7] = [
    "given_name",
    "family_name",
    "date_of_birth",
    "room",
    "enrolment_status",
    "starts_on",
    "photo_consent",
];

/// Parses and checks every row of a roster: the children to add, or every error, by row
/// (counting the header as row 1) and column. Nothing is added unless every row is right.
///
/// # Errors
///
/// The list of problems (a header that is not [`ROSTER_COLUMNS`], too many rows, each bad
/// value); they name rows and columns, never the values, which are personal data.
pub fn parse_roster(
    bytes: &[u8],
    rooms: &[(String, RoomId)],
    today: Date,
) -> Result<Vec<NewChild>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header: Vec<String> = match reader.headers() {
        Ok(header) => header.iter().map(str::to_owned).collect(),
        Err(_) => return Err(vec!["row 1: the file is not CSV".to_owned()]),
    };
    if header != ROSTER_COLUMNS {
        return Err(vec![format!(
            "row 1: the columns must be {}",
            ROSTER_COLUMNS.join(",")
        )]);
    }
    let mut children = Vec::new();
    let mut errors = Vec::new();
    for (index, row) in reader.records().enumerate() {
        let line = index + 2;
        if index >= MAX_IMPORT_ROWS {
            errors.push(format!(
                "row {line}: at most {MAX_IMPORT_ROWS} children per file"
            ));
            break;
        }
        let Ok(row) = row else {
            errors.push(format!(
                "row {line}: not a row of {} columns",
                ROSTER_COLUMNS.len()
            ));
            continue;
        };
        let field = |n: usize| row.get(n).unwrap_or_default();
        let mut problem = |column: &str, message: &str| {
            errors.push(format!("row {line}, {column}: {message}"));
        };
        let name = PersonName::parse(field(0), field(1));
        if let Err(error) = &name {
            problem(
                if field(0).is_empty() {
                    "given_name"
                } else {
                    "family_name"
                },
                &error.to_string(),
            );
        }
        let born = parse_iso_date(field(2));
        match born {
            None => problem("date_of_birth", "not a date (YYYY-MM-DD)"),
            Some(day) => {
                if let Err(error) = cubby_domain::child::check_date_of_birth(day, today) {
                    problem("date_of_birth", &error.to_string());
                }
            }
        }
        let room = if field(3).is_empty() {
            Some(None)
        } else {
            let key = field(3).to_lowercase();
            let found = rooms
                .iter()
                .find(|(name, _)| *name == key)
                .map(|(_, id)| Some(*id));
            if found.is_none() {
                problem("room", "no active room has this name");
            }
            found
        };
        let status = EnrolmentStatus::parse(field(4));
        if status.is_none() {
            problem("enrolment_status", "waitlisted, enrolled or withdrawn");
        }
        let starts = parse_iso_date(field(5));
        if starts.is_none() {
            problem("starts_on", "not a date (YYYY-MM-DD)");
        }
        let consent = match field(6) {
            "yes" | "true" => Some(true),
            "no" | "false" | "" => Some(false),
            _ => {
                problem("photo_consent", "yes or no");
                None
            }
        };
        if let (Ok(name), Some(born), Some(room), Some(status), Some(starts), Some(consent)) =
            (name, born, room, status, starts, consent)
        {
            match Enrolment::new(status, starts, None) {
                Ok(enrolment) => children.push(NewChild {
                    name,
                    date_of_birth: born,
                    room_id: room,
                    enrolment,
                    photo_consent: consent,
                }),
                Err(error) => problem("starts_on", &error.to_string()),
            }
        }
    }
    if errors.is_empty() {
        Ok(children)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;
    use uuid::Uuid;

    #[test]
    fn a_roster_with_one_bad_row_yields_every_error_and_no_child() {
        let koalas = RoomId::from_uuid(Uuid::now_v7());
        let rooms = vec![("koalas".to_owned(), koalas)];
        let good = "given_name,family_name,date_of_birth,room,enrolment_status,starts_on,photo_consent\n\
                    Aino,Virtanen,2024-03-31,Koalas,enrolled,2025-08-01,yes\n\
                    Eero,Korhonen,2023-11-02,,waitlisted,2026-01-10,no\n";
        let children = parse_roster(good.as_bytes(), &rooms, date!(2026 - 12 - 01)).unwrap();
        assert_eq!(children.len(), 2);
        assert_eq!(children[0].room_id, Some(koalas));
        assert!(children[0].photo_consent && !children[1].photo_consent);

        let bad = format!("{good}Mia,,2099-01-01,Wombats,maybe,soon,perhaps\n");
        let errors = parse_roster(bad.as_bytes(), &rooms, date!(2026 - 12 - 01)).unwrap_err();
        for column in [
            "family_name",
            "date_of_birth",
            "room",
            "enrolment_status",
            "starts_on",
            "photo_consent",
        ] {
            assert!(
                errors
                    .iter()
                    .any(|e| e.starts_with(&format!("row 4, {column}:"))),
                "{column}: {errors:?}"
            );
        }
        assert!(
            !errors
                .iter()
                .any(|e| e.contains("Mia") || e.contains("Wombats")),
            "no values: {errors:?}"
        );
        let wrong_header = parse_roster(
            b"name,born\nAino,2024-01-01\n",
            &rooms,
            date!(2026 - 12 - 01),
        );
        assert!(wrong_header.unwrap_err()[0].starts_with("row 1:"));
    }

    #[test]
    fn derived_ids_differ_by_row_and_job_and_repeat_for_the_same() {
        let job = JobId::from_uuid(Uuid::now_v7());
        assert_eq!(imported_child(job, 3), imported_child(job, 3));
        assert_ne!(imported_child(job, 3), imported_child(job, 4));
        assert_ne!(
            imported_child(job, 3),
            imported_child(JobId::from_uuid(Uuid::now_v7()), 3)
        );
    }
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
        ];
        let kinds: Vec<&str> = requests.iter().map(JobRequest::kind).collect();
        assert_eq!(kinds, KINDS);
    }
}
