//! Background jobs: what a centre asked for (a report, an import) or a schedule started, where
//! each stands, and the retry rule.

use time::{Duration, OffsetDateTime};

use crate::audit::Actor;
use crate::id::{FileId, JobId};

/// The queues: `critical` for what people wait on soon (notifications, reminders), `bulk` for
/// reports and imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Queue {
    /// Short, urgent work.
    Critical,
    /// Long work.
    Bulk,
}

impl Queue {
    /// Both queues.
    pub const ALL: [Queue; 2] = [Queue::Critical, Queue::Bulk];

    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Critical => "critical",
            Queue::Bulk => "bulk",
        }
    }

    /// Parses the wire form.
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.as_str() == input)
    }
}

/// Where a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for a worker.
    Queued,
    /// A worker has it.
    Running,
    /// Done.
    Succeeded,
    /// Failed for good (a rule refused it, such as an invalid import); not retried.
    Failed,
    /// Failed every attempt; in the dead-letter queue for operators.
    Dead,
}

impl JobStatus {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Dead => "dead",
        }
    }

    /// Parses the wire form.
    pub fn parse(input: &str) -> Option<Self> {
        [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Dead,
        ]
        .into_iter()
        .find(|s| s.as_str() == input)
    }

    /// Whether nothing more will happen to the job.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Dead
        )
    }
}

/// Every part of a stored job record, already parsed; used to rebuild a [`JobRecord`] read
/// from storage.
#[derive(Clone, Debug)]
pub struct JobRecordParts {
    /// The id.
    pub id: JobId,
    /// What it does.
    pub kind: String,
    /// Where it stands.
    pub status: JobStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// Units done.
    pub done: u64,
    /// Units in all, once known.
    pub total: Option<u64>,
    /// What went wrong, for the centre.
    pub errors: Vec<String>,
    /// The file it produced (a report).
    pub result_file: Option<FileId>,
    /// Who asked for it.
    pub requested_by: Actor,
    /// When.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// What a centre sees of a job.
///
/// Its status moves only through the state machine ([`JobRecord::start`],
/// [`JobRecord::succeed`], [`JobRecord::fail`], [`JobRecord::requeue`], [`JobRecord::bury`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRecord {
    id: JobId,
    kind: String,
    status: JobStatus,
    attempts: u32,
    done: u64,
    total: Option<u64>,
    errors: Vec<String>,
    result_file: Option<FileId>,
    requested_by: Actor,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

/// A job record was asked to move where its state machine does not go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a {from} job cannot become {to}", from = from.as_str(), to = to.as_str())]
pub struct JobTransitionError {
    /// Where it stood.
    pub from: JobStatus,
    /// Where it was asked to go.
    pub to: JobStatus,
}

impl JobRecord {
    /// A job of `kind` asked for by `requested_by` at `at`, queued and not yet attempted.
    pub fn queued(id: JobId, kind: String, requested_by: Actor, at: OffsetDateTime) -> Self {
        Self {
            id,
            kind,
            status: JobStatus::Queued,
            attempts: 0,
            done: 0,
            total: None,
            errors: Vec::new(),
            result_file: None,
            requested_by,
            created_at: at,
            updated_at: at,
        }
    }

    /// A job record read back from storage.
    pub fn restore(parts: JobRecordParts) -> Self {
        Self {
            id: parts.id,
            kind: parts.kind,
            status: parts.status,
            attempts: parts.attempts,
            done: parts.done,
            total: parts.total,
            errors: parts.errors,
            result_file: parts.result_file,
            requested_by: parts.requested_by,
            created_at: parts.created_at,
            updated_at: parts.updated_at,
        }
    }

    /// Every part of a job record, for storage adapters writing it and fixtures rebuilding it with
    /// [`JobRecord::restore`].
    pub fn into_parts(self) -> JobRecordParts {
        JobRecordParts {
            id: self.id,
            kind: self.kind,
            status: self.status,
            attempts: self.attempts,
            done: self.done,
            total: self.total,
            errors: self.errors,
            result_file: self.result_file,
            requested_by: self.requested_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// The id.
    pub fn id(&self) -> JobId {
        self.id
    }

    /// What it does (`attendance_report`, `roster_import`, ...).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Where it stands.
    pub fn status(&self) -> JobStatus {
        self.status
    }

    /// Attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Units done.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// Units in all, once known.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// What went wrong, for the centre (never secrets or personal data): the latest attempt's
    /// error, or an import's errors by row and column.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// The file it produced (a report).
    pub fn result_file(&self) -> Option<FileId> {
        self.result_file
    }

    /// Who asked for it.
    pub fn requested_by(&self) -> &Actor {
        &self.requested_by
    }

    /// When it was asked for.
    pub fn created_at(&self) -> OffsetDateTime {
        self.created_at
    }

    /// When it last changed.
    pub fn updated_at(&self) -> OffsetDateTime {
        self.updated_at
    }

    /// Records how many units the run has in all, once known.
    pub fn set_total(&mut self, total: u64) {
        self.total = Some(total);
    }

    /// Records that `done` units are done.
    pub fn set_done(&mut self, done: u64) {
        self.done = done;
    }

    /// Records one more unit done.
    pub fn count_done(&mut self) {
        self.done += 1;
    }

    /// Records the file the run produced.
    pub fn set_result_file(&mut self, file: FileId) {
        self.result_file = Some(file);
    }

    /// Stamps the record as changed at `at` (progress a centre can see).
    pub fn touch(&mut self, at: OffsetDateTime) {
        self.updated_at = at;
    }

    /// Moves the record to `to` at `at`, as the state machine allows: a queued job runs or fails
    /// before it ever ran (it could not be queued); a running job (or one delivered again while
    /// it ran) runs again, succeeds, fails for good, is queued for a retry or dies; a job that
    /// failed may be queued again (a schedule's run that could not be queued the first time).
    /// Succeeded and dead jobs stay as they are.
    fn go(&mut self, to: JobStatus, at: OffsetDateTime) -> Result<(), JobTransitionError> {
        use JobStatus::{Dead, Failed, Queued, Running, Succeeded};
        let allowed = matches!(
            (self.status, to),
            (Queued, Running | Failed)
                | (Running, Running | Succeeded | Failed | Queued | Dead)
                | (Failed, Queued)
        );
        if !allowed {
            return Err(JobTransitionError {
                from: self.status,
                to,
            });
        }
        self.status = to;
        self.updated_at = at;
        Ok(())
    }

    /// A worker starts attempt `attempt` (1 for the first).
    ///
    /// # Errors
    ///
    /// [`JobTransitionError`] for a job that is not queued or running.
    pub fn start(&mut self, attempt: u32, at: OffsetDateTime) -> Result<(), JobTransitionError> {
        self.go(JobStatus::Running, at)?;
        self.attempts = attempt;
        Ok(())
    }

    /// The run succeeded; earlier attempts' errors are cleared.
    ///
    /// # Errors
    ///
    /// [`JobTransitionError`] for a job that is not running.
    pub fn succeed(&mut self, at: OffsetDateTime) -> Result<(), JobTransitionError> {
        self.go(JobStatus::Succeeded, at)?;
        self.errors.clear();
        Ok(())
    }

    /// The job failed for good, for `errors` (a rule refused it, or it could not be queued).
    ///
    /// # Errors
    ///
    /// [`JobTransitionError`] for a job that succeeded, died or failed already.
    pub fn fail(
        &mut self,
        errors: Vec<String>,
        at: OffsetDateTime,
    ) -> Result<(), JobTransitionError> {
        self.go(JobStatus::Failed, at)?;
        self.errors = errors;
        Ok(())
    }

    /// The job waits for a worker again: a retry after `error`, or (with none) a run queued anew.
    ///
    /// # Errors
    ///
    /// [`JobTransitionError`] for a job that is not running or failed.
    pub fn requeue(
        &mut self,
        error: Option<String>,
        at: OffsetDateTime,
    ) -> Result<(), JobTransitionError> {
        self.go(JobStatus::Queued, at)?;
        self.errors = error.into_iter().collect();
        Ok(())
    }

    /// Every attempt failed, the last with `error`: the job is dead-lettered.
    ///
    /// # Errors
    ///
    /// [`JobTransitionError`] for a job that is not running.
    pub fn bury(&mut self, error: String, at: OffsetDateTime) -> Result<(), JobTransitionError> {
        self.go(JobStatus::Dead, at)?;
        self.errors = vec![error];
        Ok(())
    }
}

/// The delay before attempt `attempt` (1-based: the delay after the first failure is
/// `backoff(1, ..)`): exponential from `base`, capped at `cap`, with full jitter from `jitter`
/// in `0.0..=1.0` (a random draw the caller makes).
pub fn backoff(attempt: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(20);
    let ceiling = (base * 2_f64.powi(i32::try_from(exponent).unwrap_or(20))).min(cap);
    let jitter = jitter.clamp(0.0, 1.0);
    // At least half the ceiling, so retries never bunch at zero.
    ceiling * (0.5 + jitter / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn backoff_grows_within_its_cap(attempt in 1u32..40, jitter in 0.0f64..=1.0) {
            let base = Duration::seconds(1);
            let cap = Duration::minutes(10);
            let delay = backoff(attempt, base, cap, jitter);
            prop_assert!(delay <= cap);
            prop_assert!(delay >= base / 2);
            let next = backoff(attempt + 1, base, cap, 1.0);
            prop_assert!(next >= backoff(attempt, base, cap, 1.0));
        }
    }

    #[test]
    fn statuses_round_trip() {
        for status in [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Dead,
        ] {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
        }
        assert!(JobStatus::Dead.is_final() && !JobStatus::Running.is_final());
        assert_eq!(Queue::parse("bulk"), Some(Queue::Bulk));
    }

    fn queued() -> JobRecord {
        JobRecord::queued(
            JobId::from_uuid(uuid::Uuid::now_v7()),
            "attendance_report".to_owned(),
            Actor::System(crate::audit::JobName::known("test")),
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn a_job_runs_retries_and_ends_once() {
        let at = OffsetDateTime::UNIX_EPOCH + Duration::seconds(5);
        let mut job = queued();
        job.start(1, at).unwrap();
        assert_eq!(
            (job.status, job.attempts, job.updated_at),
            (JobStatus::Running, 1, at)
        );
        job.requeue(Some("timed out".to_owned()), at).unwrap();
        assert_eq!(job.errors, ["timed out"]);
        job.start(2, at).unwrap();
        job.succeed(at).unwrap();
        assert!(job.errors.is_empty());
        let refused = job.start(3, at).unwrap_err();
        assert_eq!(refused.to_string(), "a succeeded job cannot become running");
        assert_eq!((job.status, job.attempts), (JobStatus::Succeeded, 2));
    }

    #[test]
    fn a_job_that_could_not_be_queued_fails_and_may_be_queued_again() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let mut job = queued();
        job.fail(vec!["not queued".to_owned()], at).unwrap();
        job.requeue(None, at).unwrap();
        assert_eq!((job.status, job.errors.len()), (JobStatus::Queued, 0));
        assert!(job.succeed(at).is_err(), "a queued job has not run");
        assert!(job.bury("x".to_owned(), at).is_err());
    }

    proptest! {
        #[test]
        fn nothing_moves_a_succeeded_or_dead_job(steps in proptest::collection::vec(0u8..5, 0..12)) {
            let at = OffsetDateTime::UNIX_EPOCH;
            for end in [JobStatus::Succeeded, JobStatus::Dead] {
                let mut job = queued();
                job.start(1, at).unwrap();
                if end == JobStatus::Succeeded { job.succeed(at).unwrap(); } else { job.bury("x".to_owned(), at).unwrap(); }
                let before = job.clone();
                for step in &steps {
                    let moved = match step {
                        0 => job.start(2, at),
                        1 => job.succeed(at),
                        2 => job.fail(vec![], at),
                        3 => job.requeue(None, at),
                        _ => job.bury("y".to_owned(), at),
                    };
                    prop_assert!(moved.is_err());
                }
                prop_assert_eq!(&job, &before);
            }
        }
    }

    fn step(job: &mut JobRecord, step: u8, at: OffsetDateTime) -> Result<(), JobTransitionError> {
        match step {
            0 => job.start(job.attempts + 1, at),
            1 => job.succeed(at),
            2 => job.fail(vec!["refused".to_owned()], at),
            3 => job.requeue(Some("retry".to_owned()), at),
            _ => job.bury("dead".to_owned(), at),
        }
    }

    proptest! {
        #[test]
        fn once_succeeded_or_dead_a_job_stays_so(steps in proptest::collection::vec(0u8..5, 0..30)) {
            let mut job = queued();
            let mut ended: Option<JobRecord> = None;
            for (n, kind) in steps.iter().enumerate() {
                let at = OffsetDateTime::UNIX_EPOCH + Duration::seconds(i64::try_from(n).unwrap() + 1);
                let before = job.clone();
                let moved = step(&mut job, *kind, at);
                if moved.is_err() {
                    prop_assert_eq!(&job, &before, "a refused move changes nothing");
                } else {
                    prop_assert_eq!(job.updated_at(), at);
                }
                if let Some(end) = &ended {
                    prop_assert!(moved.is_err());
                    prop_assert_eq!(&job, end);
                } else if matches!(job.status(), JobStatus::Succeeded | JobStatus::Dead) {
                    ended = Some(job.clone());
                }
            }
        }
    }

    #[test]
    fn a_restored_record_reads_its_parts_back() {
        let at = OffsetDateTime::UNIX_EPOCH + Duration::seconds(9);
        let parts = JobRecordParts {
            id: JobId::from_uuid(uuid::Uuid::now_v7()),
            kind: "roster_import".to_owned(),
            status: JobStatus::Failed,
            attempts: 3,
            done: 40,
            total: Some(50),
            errors: vec!["row 2: name".to_owned()],
            result_file: Some(FileId::from_uuid(uuid::Uuid::now_v7())),
            requested_by: Actor::System(crate::audit::JobName::known("scheduler")),
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: at,
        };
        let job = JobRecord::restore(parts.clone());
        assert_eq!(job.id(), parts.id);
        assert_eq!(job.kind(), "roster_import");
        assert_eq!((job.status(), job.attempts()), (JobStatus::Failed, 3));
        assert_eq!((job.done(), job.total()), (40, Some(50)));
        assert_eq!(job.errors(), parts.errors.as_slice());
        assert_eq!(job.result_file(), parts.result_file);
        assert_eq!(job.requested_by(), &parts.requested_by);
        assert_eq!(
            (job.created_at(), job.updated_at()),
            (OffsetDateTime::UNIX_EPOCH, at)
        );
    }

    #[test]
    fn progress_is_recorded_without_moving_the_status() {
        let at = OffsetDateTime::UNIX_EPOCH + Duration::seconds(3);
        let mut job = queued();
        job.start(1, OffsetDateTime::UNIX_EPOCH).unwrap();
        job.set_total(3);
        job.set_done(1);
        job.count_done();
        job.touch(at);
        let file = FileId::from_uuid(uuid::Uuid::now_v7());
        job.set_result_file(file);
        assert_eq!((job.done(), job.total()), (2, Some(3)));
        assert_eq!((job.status(), job.updated_at()), (JobStatus::Running, at));
        assert_eq!(job.result_file(), Some(file));
    }
}
