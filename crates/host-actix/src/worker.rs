//! The worker loop, which takes jobs off both queues and runs them, and the scheduler loop,
//! which starts scheduled jobs; each until told to stop.

use std::sync::Arc;
use std::time::Duration;

use cubby_app::App;
use cubby_domain::Queue;

/// How long the loop rests when both queues were empty.
const IDLE: Duration = Duration::from_millis(500);
/// How long the loop rests after the queue itself failed.
const QUEUE_DOWN: Duration = Duration::from_secs(2);
/// How often the queues' depths are sampled, when the process keeps metrics.
const DEPTH_EVERY: Duration = Duration::from_secs(15);

/// Works the queues until `stop` resolves; a job in hand is finished first.
pub async fn run(app: Arc<App>, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    let metered = cubby_telemetry::metrics::installed().is_some();
    let mut sampled: Option<std::time::Instant> = None;
    loop {
        if metered && sampled.is_none_or(|at| at.elapsed() >= DEPTH_EVERY) {
            app.jobs.sample_depths().await;
            sampled = Some(std::time::Instant::now());
        }
        // Told to stop between batches too, not only when the queues are empty.
        tokio::select! {
            biased;
            () = &mut stop => return,
            () = std::future::ready(()) => {}
        }
        let mut took = 0;
        for queue in Queue::ALL {
            match app.jobs.work_once(queue).await {
                Ok(count) => took += count,
                Err(error) => {
                    tracing::error!(queue = queue.as_str(), error = %error, "the job queue failed; retrying shortly");
                    tokio::time::sleep(QUEUE_DOWN).await;
                }
            }
        }
        if took == 0 {
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(IDLE) => {}
            }
        }
    }
}

/// How often the scheduler looks for due runs.
const TICK: Duration = Duration::from_secs(15);

/// Starts the runs of `schedules` as they come due, until `stop` resolves.
pub async fn schedule(
    app: Arc<App>,
    schedules: Vec<cubby_app::jobs::Schedule>,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut since = time::OffsetDateTime::now_utc() - cubby_app::jobs::CATCH_UP;
    loop {
        let now = time::OffsetDateTime::now_utc();
        match app.jobs.fire_due(&schedules, since, now).await {
            Ok(started) => {
                if started > 0 {
                    tracing::info!(started, "scheduled jobs started");
                }
                since = now;
            }
            Err(error) => {
                tracing::error!(error = %error, "scheduled jobs not started; trying again at the next tick");
            }
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(TICK) => {}
        }
    }
}
