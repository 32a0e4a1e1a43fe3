//! The worker: takes deliveries off a queue, runs each in the job's own scope, and settles it
//! (acknowledged, retried after its backoff, or dead-lettered).

use std::time::Duration;

use cubby_domain::{JobRecord, JobStatus, PermissionSet, Queue};
use cubby_ports::{Delivery, RepoError, TenantScope};
use tracing::Instrument as _;

use super::{JOB_LAG, JobRequest, Jobs, RunError, Settled, count_run};
use crate::AppError;

/// How long a worker may hold a job before it is delivered to another.
pub const VISIBILITY: Duration = Duration::from_secs(300);

impl Jobs {
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
        let Some(mut record) = self.begin(queue, delivery, &scope).await? else {
            return Ok(Settled::Done);
        };
        let outcome = match request {
            Ok(request) => self.handle(&scope, &mut record, request).await,
            Err(_) => Err(RunError::Rule(vec![
                "the job's parameters are not valid".to_owned(),
            ])),
        };
        record.touch(self.clock.now());
        self.conclude(queue, delivery, &scope, record, outcome)
            .await
    }

    /// The job's record, marked running for this attempt; `None` (the delivery acknowledged)
    /// when there is nothing to run: no record, or a job that finished before.
    async fn begin(
        &self,
        queue: Queue,
        delivery: &Delivery,
        scope: &TenantScope,
    ) -> Result<Option<JobRecord>, AppError> {
        let envelope = &delivery.envelope;
        let mut record = match self.records.get(scope, envelope.id).await {
            Ok(record) => record,
            Err(RepoError::NotFound) => {
                tracing::warn!(job_id = %envelope.id, "a job without its record; dropped");
                self.queue.ack(queue, delivery).await?;
                count_run(&envelope.kind, "orphaned");
                return Ok(None);
            }
            Err(other) => return Err(other.into()),
        };
        if record.status().is_final() {
            // Delivered again after it finished: nothing to do.
            self.queue.ack(queue, delivery).await?;
            count_run(&envelope.kind, "skipped");
            return Ok(None);
        }
        if envelope.attempt == 0 && record.status() == JobStatus::Queued {
            // Queued when last updated: the lag of a first run (retries wait on purpose).
            let lag = (self.clock.now() - record.updated_at()).as_seconds_f64();
            metrics::histogram!(JOB_LAG, "queue" => queue.as_str()).record(lag.max(0.0));
        }
        record.start(envelope.attempt + 1, self.clock.now())?;
        self.records.update(scope, &record).await?;
        Ok(Some(record))
    }

    /// Runs the handler of the job's kind.
    async fn handle(
        &self,
        scope: &TenantScope,
        record: &mut JobRecord,
        request: JobRequest,
    ) -> Result<(), RunError> {
        match request {
            JobRequest::AttendanceReport { from, to, room } => {
                self.attendance_report(scope, record, &from, &to, room.as_deref())
                    .await
            }
            JobRequest::RosterImport { file } => self.roster_import(scope, record, &file).await,
            JobRequest::UploadRetention => self.upload_retention(scope, record).await,
            JobRequest::ClosingReminder => self.closing_reminder(scope, record).await,
            JobRequest::SendMail { mail } => self.send_mail(scope, record, mail).await,
        }
    }

    /// Records how the run went and settles the delivery: acknowledged when it succeeded or
    /// failed for good, retried after its backoff while attempts remain, else dead-lettered.
    async fn conclude(
        &self,
        queue: Queue,
        delivery: &Delivery,
        scope: &TenantScope,
        mut record: JobRecord,
        outcome: Result<(), RunError>,
    ) -> Result<Settled, AppError> {
        let envelope = &delivery.envelope;
        match outcome {
            Ok(()) => {
                record.succeed(self.clock.now())?;
                self.records.update(scope, &record).await?;
                self.queue.ack(queue, delivery).await?;
                count_run(&envelope.kind, "succeeded");
                Ok(Settled::Done)
            }
            Err(RunError::Rule(errors)) => {
                record.fail(errors, self.clock.now())?;
                self.records.update(scope, &record).await?;
                self.queue.ack(queue, delivery).await?;
                count_run(&envelope.kind, "failed");
                Ok(Settled::Done)
            }
            Err(RunError::Transient(error)) if record.attempts() < self.retry.max_attempts => {
                tracing::warn!(job_id = %record.id(), attempt = record.attempts(), error = %error, "job failed; retrying");
                record.requeue(Some(error), self.clock.now())?;
                self.records.update(scope, &record).await?;
                let delay = cubby_domain::job::backoff(
                    record.attempts(),
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
                tracing::error!(job_id = %record.id(), attempts = record.attempts(), error = %error, "job failed for the last time; dead-lettered");
                record.bury(error.clone(), self.clock.now())?;
                self.records.update(scope, &record).await?;
                self.queue.dead_letter(queue, delivery, &error).await?;
                count_run(&envelope.kind, "dead_lettered");
                Ok(Settled::Done)
            }
        }
    }
}
