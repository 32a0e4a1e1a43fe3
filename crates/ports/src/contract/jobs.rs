//! The contracts of [`JobQueue`] and [`JobRecords`].

use std::time::Duration;

use cubby_domain::{JobId, JobRecord, JobStatus, Queue, TenantId};
use uuid::Uuid;

use super::{at, fresh_scope};
use crate::{JobEnvelope, JobQueue, JobRecords, RepoError};

/// Runs every job queue case against the queue `$make` resolves to (a queue of its own).
#[macro_export]
macro_rules! job_queue_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!(
            $crate::contract::jobs,
            $($make)+,
            [
                a_job_is_delivered_once_and_never_after_its_ack,
                a_delayed_job_waits_for_its_delay,
                a_delivery_not_finished_in_time_is_delivered_again,
                a_retry_comes_back_later_with_one_more_attempt,
                a_dead_letter_leaves_the_queue_and_is_listed,
                the_queues_are_separate_and_counted,
            ]
        );
    };
}

/// Runs every job record case against the store `$make` resolves to.
#[macro_export]
macro_rules! job_records_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!(
            $crate::contract::jobs,
            $($make)+,
            [
                a_job_record_reads_back_and_changes_in_its_tenant_only,
                an_effect_is_claimed_exactly_once,
            ]
        );
    };
}

fn envelope(kind: &str) -> JobEnvelope {
    JobEnvelope {
        id: JobId::from_uuid(Uuid::now_v7()),
        tenant: TenantId::from_uuid(Uuid::now_v7()),
        kind: kind.to_owned(),
        payload: r#"{"from":"2026-09-01"}"#.to_owned(),
        attempt: 0,
        traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
    }
}

const SHORT: Duration = Duration::from_millis(300);
const LONG: Duration = Duration::from_secs(30);

/// A job comes out as it went in, once; acknowledged, it never comes back.
pub async fn a_job_is_delivered_once_and_never_after_its_ack(queue: &dyn JobQueue) {
    let job = envelope("attendance_report");
    queue
        .enqueue(Queue::Bulk, &job, Duration::ZERO)
        .await
        .unwrap();
    let got = queue.receive(Queue::Bulk, 10, LONG).await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].envelope, job);
    assert!(
        queue
            .receive(Queue::Bulk, 10, LONG)
            .await
            .unwrap()
            .is_empty(),
        "hidden while in flight"
    );
    queue.ack(Queue::Bulk, &got[0]).await.unwrap();
    assert_eq!(queue.depth(Queue::Bulk).await.unwrap().in_flight, 0);
    assert!(
        queue
            .receive(Queue::Bulk, 10, SHORT)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A job with a delay is not delivered before it.
pub async fn a_delayed_job_waits_for_its_delay(queue: &dyn JobQueue) {
    let job = envelope("roster_import");
    queue
        .enqueue(Queue::Bulk, &job, Duration::from_millis(1200))
        .await
        .unwrap();
    assert!(
        queue
            .receive(Queue::Bulk, 10, LONG)
            .await
            .unwrap()
            .is_empty()
    );
    tokio::time::sleep(Duration::from_millis(1400)).await;
    let got = queue.receive(Queue::Bulk, 10, LONG).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].envelope.id, job.id);
}

/// A delivery whose worker neither acknowledged nor retried it in time is delivered again.
pub async fn a_delivery_not_finished_in_time_is_delivered_again(queue: &dyn JobQueue) {
    let job = envelope("attendance_report");
    queue
        .enqueue(Queue::Bulk, &job, Duration::ZERO)
        .await
        .unwrap();
    let first = queue
        .receive(Queue::Bulk, 1, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let again = queue.receive(Queue::Bulk, 1, LONG).await.unwrap();
    assert_eq!(again.len(), 1, "re-claimed after the visibility timeout");
    assert_eq!(again[0].envelope.id, job.id);
    queue.ack(Queue::Bulk, &again[0]).await.unwrap();
    assert!(
        queue
            .receive(Queue::Bulk, 1, SHORT)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A retried job comes back after its delay with its attempt count one higher.
pub async fn a_retry_comes_back_later_with_one_more_attempt(queue: &dyn JobQueue) {
    let job = envelope("roster_import");
    queue
        .enqueue(Queue::Bulk, &job, Duration::ZERO)
        .await
        .unwrap();
    let got = queue.receive(Queue::Bulk, 1, LONG).await.unwrap();
    queue
        .retry(Queue::Bulk, &got[0], Duration::from_millis(1000))
        .await
        .unwrap();
    assert!(
        queue
            .receive(Queue::Bulk, 1, LONG)
            .await
            .unwrap()
            .is_empty()
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let again = queue.receive(Queue::Bulk, 1, LONG).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].envelope.attempt, 1);
    assert_eq!(again[0].envelope.id, job.id);
    assert_eq!(again[0].envelope.payload, job.payload);
    assert_eq!(
        again[0].envelope.traceparent, job.traceparent,
        "a retry stays in its trace"
    );
}

/// A dead-lettered job is never delivered again and is listed with its reason.
pub async fn a_dead_letter_leaves_the_queue_and_is_listed(queue: &dyn JobQueue) {
    let job = envelope("attendance_report");
    queue
        .enqueue(Queue::Critical, &job, Duration::ZERO)
        .await
        .unwrap();
    let got = queue
        .receive(Queue::Critical, 1, Duration::from_secs(1))
        .await
        .unwrap();
    queue
        .dead_letter(Queue::Critical, &got[0], "store unavailable")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(
        queue
            .receive(Queue::Critical, 1, LONG)
            .await
            .unwrap()
            .is_empty()
    );
    let dead = queue.dead_letters(Queue::Critical, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].envelope.id, job.id);
    assert_eq!(dead[0].reason, "store unavailable");
    assert_eq!(dead[0].envelope.traceparent, job.traceparent);
    assert_eq!(queue.depth(Queue::Critical).await.unwrap().dead, 1);
}

/// What goes on one queue never comes off the other; depths count each.
pub async fn the_queues_are_separate_and_counted(queue: &dyn JobQueue) {
    for _ in 0..3 {
        queue
            .enqueue(Queue::Bulk, &envelope("report"), Duration::ZERO)
            .await
            .unwrap();
    }
    queue
        .enqueue(Queue::Critical, &envelope("reminder"), Duration::ZERO)
        .await
        .unwrap();
    let depth = queue.depth(Queue::Bulk).await.unwrap();
    assert_eq!((depth.waiting, depth.in_flight), (3, 0));
    let critical = queue.receive(Queue::Critical, 10, LONG).await.unwrap();
    assert_eq!(critical.len(), 1);
    assert_eq!(critical[0].envelope.kind, "reminder");
    let bulk = queue.receive(Queue::Bulk, 2, LONG).await.unwrap();
    assert_eq!(bulk.len(), 2);
    let depth = queue.depth(Queue::Bulk).await.unwrap();
    assert_eq!((depth.waiting, depth.in_flight), (1, 2));
}

fn record(scope: &crate::TenantScope) -> JobRecord {
    JobRecord::restore(cubby_domain::JobRecordParts {
        id: JobId::from_uuid(Uuid::now_v7()),
        kind: "attendance_report".to_owned(),
        status: JobStatus::Queued,
        attempts: 0,
        done: 0,
        total: None,
        errors: Vec::new(),
        result_file: None,
        requested_by: scope.actor().clone(),
        created_at: at(0),
        updated_at: at(0),
    })
}

/// A record reads back as stored and changes; another tenant neither reads nor changes it.
pub async fn a_job_record_reads_back_and_changes_in_its_tenant_only(store: &dyn JobRecords) {
    let scope = fresh_scope();
    let job = record(&scope);
    store.insert(&scope, &job).await.unwrap();
    assert_eq!(store.get(&scope, job.id()).await.unwrap(), job);
    let done = JobRecord::restore(cubby_domain::JobRecordParts {
        status: JobStatus::Failed,
        attempts: 2,
        done: 40,
        total: Some(41),
        errors: vec!["row 3, date_of_birth: not a date".to_owned()],
        result_file: Some(cubby_domain::FileId::from_uuid(Uuid::now_v7())),
        updated_at: at(5),
        ..job.clone().into_parts()
    });
    store.update(&scope, &done).await.unwrap();
    assert_eq!(store.get(&scope, job.id()).await.unwrap(), done);
    let other = fresh_scope();
    assert!(matches!(
        store.get(&other, job.id()).await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        store.update(&other, &job).await,
        Err(RepoError::NotFound)
    ));
    assert_eq!(store.get(&scope, job.id()).await.unwrap(), done);
}

/// Of many concurrent claims of one effect, exactly one wins; other effects and other jobs
/// are their own.
pub async fn an_effect_is_claimed_exactly_once(store: &dyn JobRecords) {
    let scope = fresh_scope();
    let job = JobId::from_uuid(Uuid::now_v7());
    let claims =
        futures::future::join_all((0..10).map(|_| store.claim_effect(&scope, job, "row:3"))).await;
    assert_eq!(
        claims.iter().filter(|c| matches!(c, Ok(true))).count(),
        1,
        "{claims:?}"
    );
    assert!(claims.iter().all(Result::is_ok));
    assert!(store.claim_effect(&scope, job, "row:4").await.unwrap());
    assert!(
        store
            .claim_effect(&scope, JobId::from_uuid(Uuid::now_v7()), "row:3")
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_effect(&fresh_scope(), job, "row:3")
            .await
            .unwrap()
    );
    assert!(!store.claim_effect(&scope, job, "row:3").await.unwrap());
}
