//! The worker and scheduler functions, called in-process the way the Lambda runtime calls
//! them: with the event fixtures in `tests/fixtures/sqs` and `tests/fixtures/scheduled`, and
//! with SQS batches received from the SQS stand-in (which does not call Lambda itself).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use cubby_adapters_sqs::{AwsKeys, SqsJobs, SqsOptions, SqsQueues};
use cubby_app::jobs::{Schedule, Task};
use cubby_domain::Queue;
use cubby_host_lambda::{scheduler, worker};
use cubby_tests::objects::FailingObjects;
use cubby_tests::world::{test_api_config, test_config};
use cubby_tests::{Call, Host, LambdaHost, World};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

fn fixture(path: &str) -> Value {
    let path = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn failures(response: &Value) -> BTreeSet<String> {
    response["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|failure| failure["itemIdentifier"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_worker_fixture_reports_the_unreadable_record_and_the_foreign_queue() {
    let world = World::in_memory().await;
    // The queues the fixture's records come from.
    let queues = SqsQueues::named("cubby-dev-");
    let event = serde_json::from_value(fixture("sqs/worker-batch.json")).unwrap();
    let response = worker::handle(world.app(), &queues, event).await;
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        fixture("sqs/expected-worker-batch.json"),
        "a job without a record is settled (dropped, its message acknowledged); the other two come back"
    );
}

/// Every ten minutes, so that an hour's window holds six runs.
fn every_ten_minutes() -> Vec<Schedule> {
    vec![Schedule::new("upload_retention", Task::UploadRetention, "0 */10 * * * *").unwrap()]
}

#[tokio::test]
async fn scheduler_ticks_start_each_run_of_the_hour_before_once_whichever_tick() {
    let world = World::in_memory().await;
    let (app, schedules) = (world.app(), every_ten_minutes());
    let centres = world.centres().await;

    // 06:00: 05:10 to 06:00, six runs per centre.
    let answer = scheduler::handle(
        app,
        &schedules,
        fixture("scheduled/eventbridge-scheduler.json"),
    )
    .await
    .unwrap();
    assert_eq!(answer, json!({ "started": 6 * centres }));

    // An EventBridge rule's tick at 06:05 covers the same runs: nothing new.
    let answer = scheduler::handle(app, &schedules, fixture("scheduled/eventbridge-rule.json"))
        .await
        .unwrap();
    assert_eq!(answer, json!({ "started": 0 }));

    // Ticks through SQS: 06:10 is new; the unreadable tick comes back.
    let answer = scheduler::handle(app, &schedules, fixture("scheduled/sqs-ticks.json"))
        .await
        .unwrap();
    assert_eq!(
        failures(&answer),
        BTreeSet::from(["5c0ffee0-0002-4b2a-8c3d-000000000002".to_owned()])
    );
    let depth = app.ports().jobs.depth(Queue::Bulk).await.unwrap();
    assert_eq!(
        depth.waiting as usize,
        7 * centres,
        "retention is bulk work"
    );

    // A tick from the future fires nothing beyond now; an event that is no tick is refused.
    let future = json!({ "source": "cubby.scheduler", "detail-type": "Scheduled Event", "time": "2999-01-01T00:00:00Z", "detail": {} });
    scheduler::handle(app, &schedules, future).await.unwrap();
    let depth = app.ports().jobs.depth(Queue::Bulk).await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    let recent = schedules[0]
        .periods(now - cubby_app::jobs::CATCH_UP, now)
        .len();
    assert_eq!(depth.waiting as usize, (7 + recent) * centres);
    assert!(
        scheduler::handle(app, &schedules, json!({ "hello": "world" }))
            .await
            .is_err()
    );
}

/// The SQS stand-in, spoken to as the AWS SDKs do (JSON protocol).
struct StandIn {
    endpoint: String,
    client: reqwest::Client,
}

impl StandIn {
    async fn call(&self, action: &str, body: Value) -> Value {
        let reply = self
            .client
            .post(&self.endpoint)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("AmazonSQS.{action}"))
            // The stand-in tells services apart by the credential scope; it checks no signature.
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=cubby-tests/20261204/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00",
            )
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(reply.status().is_success(), "{action}: {}", reply.status());
        reply.json().await.unwrap()
    }

    async fn create(&self, name: &str) -> String {
        let created = self.call("CreateQueue", json!({ "QueueName": name })).await;
        created["QueueUrl"].as_str().unwrap().to_owned()
    }

    /// What Lambda's event source mapping would hand the worker: up to ten messages of the
    /// queue `name`, as an SQS event.
    async fn event(&self, url: &str, name: &str) -> Value {
        let received = self
            .call(
                "ReceiveMessage",
                json!({ "QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 60, "MessageSystemAttributeNames": ["All"] }),
            )
            .await;
        let records: Vec<Value> = received["Messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|message| {
                json!({
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": message["Attributes"],
                    "messageAttributes": {},
                    "md5OfBody": message["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": format!("arn:aws:sqs:us-east-1:123456789012:{name}"),
                    "awsRegion": "us-east-1",
                })
            })
            .collect();
        json!({ "Records": records })
    }
}

/// The message ids of `event`'s records whose job is one of `jobs`.
fn records_of(event: &Value, jobs: &[String]) -> BTreeSet<String> {
    event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|record| {
            let body: Value = serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
            jobs.iter().any(|job| body["id"] == job.as_str())
        })
        .map(|record| record["messageId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_batch_of_five_where_two_fail_reports_those_two_and_never_redoes_the_others() {
    let Some(endpoint) = cubby_ports::contract::services::sqs_endpoint() else {
        return;
    };
    cubby_compose::install_default_tls_provider();
    let stand_in = StandIn {
        endpoint: endpoint.clone(),
        client: reqwest::Client::builder().no_proxy().build().unwrap(),
    };
    let unique = Uuid::now_v7().simple().to_string();
    let queues = SqsQueues::named(&format!("cubby-{}-", &unique[16..]));
    let mut bulk = String::new();
    for name in [
        &queues.critical,
        &queues.bulk,
        &queues.critical_dead,
        &queues.bulk_dead,
    ] {
        let url = stand_in.create(name).await;
        if name == &queues.bulk {
            bulk = url;
        }
    }
    let mut ports = cubby_adapters_memory::embedded_ports();
    SqsJobs::connect(SqsOptions {
        endpoint: Some(endpoint),
        region: "us-east-1".to_owned(),
        queues: queues.clone(),
        keys: Some(AwsKeys {
            access_key_id: "cubby-tests".to_owned(),
            secret_access_key: SecretString::from("cubby-tests-secret".to_owned()),
            session_token: None,
        }),
    })
    .await
    .unwrap()
    .install(&mut ports);
    // The object store refuses the reports of the jobs in `down`.
    let down: Arc<Mutex<Vec<String>>> = Arc::default();
    let refused = down.clone();
    let objects = Arc::new(FailingObjects::new(ports.objects.clone(), move |key| {
        refused
            .lock()
            .unwrap()
            .iter()
            .any(|part| key.as_str().contains(part.as_str()))
    }));
    ports.objects = objects.clone();
    let world = World::on(ports, test_config(), test_api_config()).await;
    let host = LambdaHost::start(&world);
    let token = &world.a.director;

    let mut jobs = Vec::new();
    for day in 1..=5 {
        let day = format!("2026-11-0{day}");
        let reply = host.send(crate::jobs::report_of(&day).bearer(token)).await;
        reply.expect(202);
        jobs.push(reply.json()["id"].as_str().unwrap().to_owned());
    }
    // A report's file id is its job's: its key holds the job id's suffix.
    let suffix = |job: &String| job.trim_start_matches("job_").to_owned();
    let failing = vec![jobs[1].clone(), jobs[3].clone()];
    *down.lock().unwrap() = failing.iter().map(suffix).collect();

    let first = stand_in.event(&bulk, &queues.bulk).await;
    assert_eq!(first["Records"].as_array().unwrap().len(), 5, "{first}");
    let answer = worker::handle(
        world.app(),
        &queues,
        serde_json::from_value(first.clone()).unwrap(),
    )
    .await;
    let answer = serde_json::to_value(&answer).unwrap();
    assert_eq!(failures(&answer), records_of(&first, &failing), "{answer}");

    let status = |job: String| {
        let host = &host;
        async move {
            let reply = host
                .send(Call::get(&format!("/v1/jobs/{job}")).bearer(token))
                .await;
            let json = reply.json();
            (
                json["status"].as_str().unwrap().to_owned(),
                json["attempts"].as_u64().unwrap(),
            )
        }
    };
    for job in &jobs {
        let expected = if failing.contains(job) {
            ("queued".to_owned(), 1)
        } else {
            ("succeeded".to_owned(), 1)
        };
        assert_eq!(status(job.clone()).await, expected, "{job}");
    }

    // The store is back. SQS delivers again only the two reported (their backoff was under a
    // second), as their second attempt.
    down.lock().unwrap().clear();
    let second = stand_in.event(&bulk, &queues.bulk).await;
    assert_eq!(
        records_of(&second, &jobs),
        failures(&answer),
        "only the reported records come back: {second}"
    );
    let again = worker::handle(
        world.app(),
        &queues,
        serde_json::from_value(second).unwrap(),
    )
    .await;
    assert!(again.batch_item_failures.is_empty());

    // A duplicate delivery of the whole first batch (SQS delivers at least once) redoes nothing.
    let replay = worker::handle(world.app(), &queues, serde_json::from_value(first).unwrap()).await;
    assert!(replay.batch_item_failures.is_empty());

    for job in &jobs {
        let attempts = if failing.contains(job) { 2 } else { 1 };
        assert_eq!(
            status(job.clone()).await,
            ("succeeded".to_owned(), attempts),
            "{job}"
        );
        assert_eq!(
            objects.writes(&suffix(job)),
            1,
            "each report is written once"
        );
    }
    let depth = world.app().ports().jobs.depth(Queue::Bulk).await.unwrap();
    assert_eq!((depth.waiting, depth.in_flight, depth.dead), (0, 0, 0));
}
