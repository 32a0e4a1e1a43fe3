//! Against the SQS stand-in `scripts/test` starts (moto): the contract suite, and what only SQS
//! shows: names resolved to URLs, unreadable messages, listings past one receive's ten messages,
//! receipts that no longer hold their message, a redrive policy's letters.
//!
//! The stand-in is found through `CUBBY_TEST_SQS_ENDPOINT`: when it is not set the tests that
//! need it are skipped, or fail under `CUBBY_REQUIRE_SERVICES=1`. It takes any keys. Every test
//! creates four queues of its own, under a random prefix.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failed expectation must stop the test"
)]

use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use cubby_domain::{JobId, Queue, TenantId};
use cubby_ports::{JobEnvelope, JobQueue, RepoError};
use secrecy::SecretString;
use uuid::Uuid;

use super::{AwsKeys, SqsJobs, SqsOptions, SqsQueues, client};
use crate::REDRIVE_REASON;

const REGION: &str = "us-east-1";
const LONG: Duration = Duration::from_secs(30);

fn options(endpoint: &str, queues: SqsQueues) -> SqsOptions {
    SqsOptions {
        endpoint: Some(endpoint.to_owned()),
        region: REGION.to_owned(),
        queues,
        keys: Some(AwsKeys {
            access_key_id: "cubby-tests".to_owned(),
            secret_access_key: SecretString::from("cubby-tests-secret".to_owned()),
            session_token: None,
        }),
    }
}

/// Queue names no other test uses.
fn fresh_names() -> SqsQueues {
    // A v7 UUID's last 16 hex digits are random.
    let unique = Uuid::now_v7().simple().to_string();
    SqsQueues::named(&format!("cubby-{}-", &unique[16..]))
}

/// Creates the four queues `queues` names on the stand-in at `endpoint`.
async fn create(endpoint: &str, queues: &SqsQueues) {
    let options = options(endpoint, queues.clone());
    let keys = options.keys.clone().unwrap();
    let admin = client(&options, keys.credentials()).unwrap();
    for (_, name) in queues.roles() {
        admin.create_queue().queue_name(name).send().await.unwrap();
    }
}

/// A queue on four new queues of the stand-in, or `None` when there is none.
async fn fresh() -> Option<SqsJobs> {
    let endpoint = cubby_ports::contract::services::sqs_endpoint()?;
    let queues = fresh_names();
    create(&endpoint, &queues).await;
    Some(SqsJobs::connect(options(&endpoint, queues)).await.unwrap())
}

mod contract {
    cubby_ports::job_queue_contract!(optional super::fresh());
}

fn envelope(kind: &str) -> JobEnvelope {
    JobEnvelope {
        id: JobId::from_uuid(Uuid::now_v7()),
        tenant: TenantId::from_uuid(Uuid::now_v7()),
        kind: kind.to_owned(),
        payload: r#"{"from":"2026-09-01"}"#.to_owned(),
        attempt: 0,
        traceparent: None,
    }
}

/// The error and its sources, as a log would show them.
fn described(error: &RepoError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[tokio::test]
async fn queue_urls_are_taken_as_they_are_and_a_missing_queue_is_named() {
    let Some(endpoint) = cubby_ports::contract::services::sqs_endpoint() else {
        return;
    };
    let queues = fresh_names();
    create(&endpoint, &queues).await;
    let by_name = SqsJobs::connect(options(&endpoint, queues.clone()))
        .await
        .unwrap();
    let by_url = SqsJobs::connect(options(
        &endpoint,
        SqsQueues {
            critical: by_name.critical.live.clone(),
            bulk: by_name.bulk.live.clone(),
            critical_dead: by_name.critical.dead.clone(),
            bulk_dead: by_name.bulk.dead.clone(),
        },
    ))
    .await
    .unwrap();
    let job = envelope("reminder");
    by_url
        .enqueue(Queue::Critical, &job, Duration::ZERO)
        .await
        .unwrap();
    let got = by_name.receive(Queue::Critical, 10, LONG).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].envelope, job);

    let missing = SqsQueues {
        bulk_dead: format!("{}-missing", queues.bulk_dead),
        ..queues
    };
    let error = SqsJobs::connect(options(&endpoint, missing))
        .await
        .unwrap_err();
    assert!(matches!(error, RepoError::Failed(_)), "{error:?}");
    assert!(
        described(&error).contains("bulk-dlq queue does not exist"),
        "{}",
        described(&error)
    );
}

#[tokio::test]
async fn an_unreadable_message_is_corrupt_and_the_readable_ones_come_back_at_once() {
    let Some(queue) = fresh().await else {
        return;
    };
    let job = envelope("report");
    queue
        .enqueue(Queue::Bulk, &job, Duration::ZERO)
        .await
        .unwrap();
    queue
        .client()
        .send_message()
        .queue_url(&queue.bulk.live)
        .message_body(r#"{"id":"secret"}"#)
        .send()
        .await
        .unwrap();
    let error = queue.receive(Queue::Bulk, 10, LONG).await.unwrap_err();
    assert!(matches!(error, RepoError::Corrupt(_)), "{error:?}");
    let text = described(&error);
    assert!(text.contains("id") && !text.contains("secret"), "{text}");
    // The readable job was given back; the unreadable message stays hidden for its timeout.
    // SQS counted the receive that gave it back, so it comes as the next attempt.
    let again = queue.receive(Queue::Bulk, 10, LONG).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].envelope, JobEnvelope { attempt: 1, ..job });
}

#[tokio::test]
async fn dead_letters_are_listed_past_ten_oldest_first_and_stay_listed() {
    let Some(queue) = fresh().await else {
        return;
    };
    let jobs: Vec<JobEnvelope> = (0..12).map(|_| envelope("report")).collect();
    for job in &jobs {
        queue
            .enqueue(Queue::Bulk, job, Duration::ZERO)
            .await
            .unwrap();
    }
    let mut deliveries = Vec::new();
    while deliveries.len() < jobs.len() {
        let got = queue.receive(Queue::Bulk, 10, LONG).await.unwrap();
        assert!(!got.is_empty(), "every job is delivered");
        deliveries.extend(got);
    }
    // Dead-lettered in the order the jobs were enqueued, a few milliseconds apart.
    for job in &jobs {
        let delivery = deliveries.iter().find(|d| d.envelope.id == job.id).unwrap();
        queue
            .dead_letter(Queue::Bulk, delivery, &format!("failed: {}", job.id))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let dead = queue.dead_letters(Queue::Bulk, 100).await.unwrap();
    let ids: Vec<JobId> = dead.iter().map(|d| d.envelope.id).collect();
    let wanted: Vec<JobId> = jobs.iter().map(|j| j.id).collect();
    assert_eq!(ids, wanted);
    assert!(
        dead.iter()
            .all(|d| d.reason == format!("failed: {}", d.envelope.id))
    );
    assert_eq!(queue.dead_letters(Queue::Bulk, 5).await.unwrap().len(), 5);
    let depth = queue.depth(Queue::Bulk).await.unwrap();
    assert_eq!((depth.waiting, depth.in_flight, depth.dead), (0, 0, 12));
    assert_eq!(
        queue.dead_letters(Queue::Bulk, 100).await.unwrap().len(),
        12
    );
    assert!(
        queue
            .dead_letters(Queue::Critical, 100)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_receipt_that_no_longer_holds_its_message_changes_nothing() {
    let Some(queue) = fresh().await else {
        return;
    };
    queue
        .enqueue(Queue::Critical, &envelope("reminder"), Duration::ZERO)
        .await
        .unwrap();
    let got = queue.receive(Queue::Critical, 1, LONG).await.unwrap();
    queue.ack(Queue::Critical, &got[0]).await.unwrap();
    queue.ack(Queue::Critical, &got[0]).await.unwrap();
    queue
        .retry(Queue::Critical, &got[0], Duration::ZERO)
        .await
        .unwrap();
    queue
        .dead_letter(Queue::Critical, &got[0], "late")
        .await
        .unwrap();
    let depth = queue.depth(Queue::Critical).await.unwrap();
    assert_eq!((depth.waiting, depth.in_flight, depth.dead), (0, 0, 0));
}

#[tokio::test]
async fn a_delay_past_fifteen_minutes_is_capped_to_sqs_limit() {
    let Some(queue) = fresh().await else {
        return;
    };
    queue
        .enqueue(Queue::Bulk, &envelope("report"), Duration::from_secs(3600))
        .await
        .unwrap();
    assert!(
        queue
            .receive(Queue::Bulk, 10, LONG)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(queue.depth(Queue::Bulk).await.unwrap().waiting, 1);
}

#[tokio::test]
async fn a_letter_moved_by_a_redrive_policy_is_listed_with_the_redrive_reason() {
    let Some(queue) = fresh().await else {
        return;
    };
    let client = queue.client();
    let attributes = client
        .get_queue_attributes()
        .queue_url(&queue.critical.dead)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let arn = attributes
        .attributes()
        .and_then(|all| all.get(&QueueAttributeName::QueueArn))
        .unwrap();
    client
        .set_queue_attributes()
        .queue_url(&queue.critical.live)
        .attributes(
            QueueAttributeName::RedrivePolicy,
            format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":"1"}}"#),
        )
        .send()
        .await
        .unwrap();
    let job = envelope("reminder");
    queue
        .enqueue(Queue::Critical, &job, Duration::ZERO)
        .await
        .unwrap();
    // The worker dies: the delivery is never finished.
    let first = queue
        .receive(Queue::Critical, 1, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(
        queue
            .receive(Queue::Critical, 1, LONG)
            .await
            .unwrap()
            .is_empty()
    );
    let dead = queue.dead_letters(Queue::Critical, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].envelope, job);
    assert_eq!(dead[0].reason, REDRIVE_REASON);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_unavailable_and_the_keys_stay_secret() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let url = |name: &str| format!("{endpoint}/123456789012/{name}");
    let queue = SqsJobs::connect(options(
        &endpoint,
        SqsQueues {
            critical: url("critical"),
            bulk: url("bulk"),
            critical_dead: url("critical-dlq"),
            bulk_dead: url("bulk-dlq"),
        },
    ))
    .await
    .unwrap();
    let error = queue
        .enqueue(Queue::Bulk, &envelope("report"), Duration::ZERO)
        .await
        .unwrap_err();
    assert!(matches!(error, RepoError::Unavailable(_)), "{error:?}");
    let text = described(&error);
    assert!(text.contains("SendMessage"), "{text}");
    assert!(
        !text.contains("cubby-tests-secret") && !text.contains("123456789012"),
        "{text}"
    );
}

#[tokio::test]
async fn options_that_cannot_work_are_refused_before_any_call() {
    let queues = SqsQueues::named("cubby-");
    let mut no_region = options("http://127.0.0.1:1", queues.clone());
    no_region.region = " ".to_owned();
    assert!(matches!(
        SqsJobs::connect(no_region).await,
        Err(RepoError::Failed(_))
    ));
    let not_http = options("ftp://127.0.0.1:1", queues.clone());
    assert!(matches!(
        SqsJobs::connect(not_http).await,
        Err(RepoError::Failed(_))
    ));
    let unset = options(
        "http://127.0.0.1:1",
        SqsQueues {
            bulk: String::new(),
            ..queues
        },
    );
    let error = SqsJobs::connect(unset).await.unwrap_err();
    assert!(described(&error).contains("bulk queue is not set"));
}

#[test]
fn keys_never_show_their_secrets() {
    let keys = AwsKeys {
        access_key_id: "AKIDEXAMPLE".to_owned(),
        secret_access_key: SecretString::from("the-secret".to_owned()),
        session_token: Some(SecretString::from("the-token".to_owned())),
    };
    let shown = format!("{keys:?}");
    assert!(shown.contains("AKIDEXAMPLE"), "{shown}");
    assert!(
        !shown.contains("the-secret") && !shown.contains("the-token"),
        "{shown}"
    );
}

#[test]
fn a_queue_is_known_by_its_name_url_or_arn() {
    let queues = SqsQueues::named("cubby-prod-");
    let named = |name| queues.queue_named(name);
    assert_eq!(named("cubby-prod-bulk"), Some(Queue::Bulk));
    assert_eq!(
        named("arn:aws:sqs:eu-north-1:123456789012:cubby-prod-critical"),
        Some(Queue::Critical)
    );
    assert_eq!(
        named("https://sqs.eu-north-1.amazonaws.com/123456789012/cubby-prod-bulk"),
        Some(Queue::Bulk)
    );
    assert_eq!(named("cubby-prod-bulk-dlq"), None);
    assert_eq!(
        named("arn:aws:sqs:eu-north-1:123456789012:other-bulk"),
        None
    );
}
