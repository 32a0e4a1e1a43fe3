//! The scheduler function: each tick starts the scheduled jobs (`CUBBY_SCHEDULE_*`) that came
//! due in the hour before it, once per schedule, period and centre however many ticks arrive.
//!
//! A tick is an EventBridge event (`{"detail-type": "Scheduled Event", "time": "…", …}`, what
//! an EventBridge rule sends and what the deployment's EventBridge Scheduler schedule writes as
//! its input) or, when schedules are delivered through SQS, an SQS batch of such events. Its
//! `time` is the scheduled time (never later than now: a tick does not fire the future); a tick
//! without one is now. The cron expressions live in the settings, not in the schedule, so the
//! container's `cubby scheduler` and this function fire the same runs, and a missed or extra
//! tick is harmless.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use cubby_app::App;
use cubby_app::jobs::{CATCH_UP, Schedule};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// What a tick did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Fired {
    /// How many jobs it started.
    pub started: usize,
}

/// Answers one invocation: an EventBridge tick with [`Fired`], an SQS batch of ticks with the
/// ticks to deliver again.
///
/// # Errors
///
/// An event that is neither (nothing is started), or (EventBridge) a store or queue failure,
/// which the caller retries.
pub async fn handle(app: &App, schedules: &[Schedule], event: Value) -> Result<Value, String> {
    let answer = if event.get("Records").is_some() {
        let batch: SqsEvent = serde_json::from_value(event)
            .map_err(|_| "an SQS event whose records are not SQS messages".to_owned())?;
        serde_json::to_value(batch_of_ticks(app, schedules, batch).await)
    } else {
        let when = tick_time(event)?;
        let started = fire(app, schedules, when)
            .await
            .map_err(|error| format!("scheduled jobs not started: {error}"))?;
        serde_json::to_value(Fired { started })
    };
    answer.map_err(|error| error.to_string())
}

async fn batch_of_ticks(app: &App, schedules: &[Schedule], batch: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in batch.records {
        let id = record.message_id.clone().unwrap_or_default();
        let tick = serde_json::from_str::<Value>(record.body.as_deref().unwrap_or_default())
            .map_err(|_| "a tick whose body is not JSON".to_owned())
            .and_then(tick_time);
        let outcome = match tick {
            Ok(when) => fire(app, schedules, when)
                .await
                .map_err(|error| error.to_string()),
            Err(problem) => Err(problem),
        };
        if let Err(problem) = outcome {
            tracing::error!(message_id = %id, problem = %problem, "a tick failed; it will be delivered again");
            response.add_failure(id);
        }
    }
    response
}

/// The scheduled time of a tick: its `time`, at most now.
fn tick_time(event: Value) -> Result<OffsetDateTime, String> {
    let now = OffsetDateTime::now_utc();
    let tick: EventBridgeEvent<Value> =
        serde_json::from_value(event).map_err(|_| "not an EventBridge event".to_owned())?;
    let Some(time) = tick.time else {
        return Ok(now);
    };
    let when = OffsetDateTime::from_unix_timestamp(time.timestamp())
        .map_err(|_| "a tick time out of range".to_owned())?;
    Ok(when.min(now))
}

async fn fire(
    app: &App,
    schedules: &[Schedule],
    when: OffsetDateTime,
) -> Result<usize, cubby_app::AppError> {
    let started = app.jobs.fire_due(schedules, when - CATCH_UP, when).await?;
    tracing::info!(started, "scheduled jobs started");
    Ok(started)
}
