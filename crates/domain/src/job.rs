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

/// What a centre sees of a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRecord {
    /// The id.
    pub id: JobId,
    /// What it does (`attendance_report`, `roster_import`, ...).
    pub kind: String,
    /// Where it stands.
    pub status: JobStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// Units done.
    pub done: u64,
    /// Units in all, once known.
    pub total: Option<u64>,
    /// What went wrong, for the centre (never secrets or personal data): the latest attempt's
    /// error, or an import's errors by row and column.
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
}
