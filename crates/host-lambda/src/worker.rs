//! The worker function: SQS delivers jobs from the `critical` and `bulk` queues in batches, and
//! the answer names the jobs to deliver again (`batchItemFailures`, with the event source
//! mapping's `ReportBatchItemFailures`).
//!
//! Each record is run as the container's worker runs a job ([`cubby_app::jobs::Jobs::run`]):
//! a job that succeeds, fails for good or is dead-lettered is settled, and Lambda deletes its
//! message; a job that fails for now has its message hidden for its backoff delay and is
//! reported, so that Lambda leaves it on the queue and SQS delivers it again after the delay,
//! as the next attempt. A record that cannot be run (an unreadable body, a queue this function
//! does not serve, a store down) is reported too and comes back when its visibility runs out;
//! the queue's redrive policy moves one that never runs to the dead-letter queue. A job
//! delivered again after it finished is not run again (its record is final).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use cubby_adapters_sqs::SqsQueues;
use cubby_app::App;
use cubby_app::jobs::Settled;
use cubby_settings::Settings;

/// The queues this worker serves: `CUBBY_SQS_QUEUE_PREFIX`'s. The records it receives come from
/// SQS, so its job queue must be SQS too, in dev as well (the SQS stand-in).
///
/// # Errors
///
/// When no prefix is set.
pub fn queues(settings: &Settings) -> Result<SqsQueues, &'static str> {
    settings
        .sqs_queue_prefix
        .as_deref()
        .map(SqsQueues::named)
        .ok_or("the worker needs its queues: set CUBBY_SQS_QUEUE_PREFIX")
}

/// Runs the jobs of `event` one after the other; answers those to deliver again.
pub async fn handle(app: &App, queues: &SqsQueues, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        match run(app, queues, &record).await {
            Ok(Settled::Done) => {}
            Ok(Settled::Later) => response.add_failure(id),
            Err(problem) => {
                tracing::error!(message_id = %id, problem = %problem, "a job could not be run; it will be delivered again");
                response.add_failure(id);
            }
        }
    }
    response
}

async fn run(app: &App, queues: &SqsQueues, record: &SqsMessage) -> Result<Settled, String> {
    let source = record.event_source_arn.as_deref().unwrap_or_default();
    let queue = queues
        .queue_named(source)
        .ok_or("the record comes from a queue this worker does not serve")?;
    let delivery = cubby_adapters_sqs::delivery_of(
        record.body.as_deref().unwrap_or_default(),
        record.receipt_handle.as_deref().unwrap_or_default(),
        record
            .attributes
            .get("ApproximateReceiveCount")
            .map(String::as_str),
    )
    .map_err(|error| error.to_string())?;
    app.jobs
        .run(queue, &delivery)
        .await
        .map_err(|error| error.to_string())
}
