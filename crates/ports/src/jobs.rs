//! The job queue and job record ports.

use std::time::Duration;

use async_trait::async_trait;
use cubby_domain::{JobId, JobRecord, Queue, TenantId};

use crate::{RepoError, TenantScope};

/// A job as it travels on a queue: who it is for and what to do. The payload is the job's
/// parameters as JSON, written and read by the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobEnvelope {
    /// The job.
    pub id: JobId,
    /// The tenant it works for (the worker's scope is made from it: [`TenantScope::for_job`]).
    pub tenant: TenantId,
    /// What it does.
    pub kind: String,
    /// Its parameters, JSON.
    pub payload: String,
    /// Attempts made before this delivery (0 on the first).
    pub attempt: u32,
    /// The W3C trace context (`traceparent`) of the work that enqueued it, which the job's span
    /// continues; `None` outside a trace, and in messages queued before it was carried.
    pub traceparent: Option<String>,
}

/// A job handed to a worker, until it is acknowledged, retried or dead-lettered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The job.
    pub envelope: JobEnvelope,
    /// The queue's handle for this delivery.
    pub receipt: String,
}

/// A job that failed every attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    /// The job.
    pub envelope: JobEnvelope,
    /// The last error (no personal data).
    pub reason: String,
}

/// How many jobs a queue holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// Ready or waiting for their delay.
    pub waiting: u64,
    /// Handed to a worker and not finished.
    pub in_flight: u64,
    /// In the dead-letter queue.
    pub dead: u64,
}

/// The queues background work travels on. Platform-level: every job names its tenant.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Puts a job on `queue`, deliverable after `delay`.
    ///
    /// # Errors
    ///
    /// Only queue failures.
    async fn enqueue(
        &self,
        queue: Queue,
        job: &JobEnvelope,
        delay: Duration,
    ) -> Result<(), RepoError>;

    /// Up to `max` deliverable jobs of `queue`, each hidden from other receivers for
    /// `visibility`; a job not acknowledged, retried or dead-lettered within it (its worker
    /// died) is delivered again.
    ///
    /// # Errors
    ///
    /// Only queue failures.
    async fn receive(
        &self,
        queue: Queue,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Delivery>, RepoError>;

    /// The job is done: it is never delivered again.
    ///
    /// # Errors
    ///
    /// Only queue failures.
    async fn ack(&self, queue: Queue, delivery: &Delivery) -> Result<(), RepoError>;

    /// The job failed and is tried again after `delay`, its attempt count one higher.
    ///
    /// # Errors
    ///
    /// Only queue failures.
    async fn retry(
        &self,
        queue: Queue,
        delivery: &Delivery,
        delay: Duration,
    ) -> Result<(), RepoError>;

    /// The job failed for the last time: it moves to the dead-letter queue with `reason`.
    ///
    /// # Errors
    ///
    /// Only queue failures.
    async fn dead_letter(
        &self,
        queue: Queue,
        delivery: &Delivery,
        reason: &str,
    ) -> Result<(), RepoError>;

    /// Up to `max` jobs of `queue`'s dead-letter queue, oldest first.
    ///
    /// # Errors
    ///
    /// Only queue failures.
    async fn dead_letters(&self, queue: Queue, max: usize) -> Result<Vec<DeadLetter>, RepoError>;

    /// How many jobs `queue` holds.
    ///
    /// # Errors
    ///
    /// Only queue failures.
    async fn depth(&self, queue: Queue) -> Result<QueueDepth, RepoError>;
}

/// Where a tenant's job records are kept, and the marks that make job effects happen once.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait JobRecords: Send + Sync {
    /// Stores a new job record.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn insert(&self, scope: &TenantScope, record: &JobRecord) -> Result<(), RepoError>;

    /// The job record with this id.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has none.
    async fn get(&self, scope: &TenantScope, id: JobId) -> Result<JobRecord, RepoError>;

    /// Replaces a job record (status, progress, errors).
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has none.
    async fn update(&self, scope: &TenantScope, record: &JobRecord) -> Result<(), RepoError>;

    /// Marks `effect` of `job` as done: `true` the first time, `false` ever after, even under
    /// concurrent calls (exactly one caller gets `true`). A handler does an effect only when
    /// it gets `true`, so running a job again never does it twice.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn claim_effect(
        &self,
        scope: &TenantScope,
        job: JobId,
        effect: &str,
    ) -> Result<bool, RepoError>;
}
