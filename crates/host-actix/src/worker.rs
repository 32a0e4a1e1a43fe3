//! The worker loop: takes jobs off both queues and runs them, until told to stop.

use std::sync::Arc;
use std::time::Duration;

use cubby_app::App;
use cubby_domain::Queue;

/// How long the loop rests when both queues were empty.
const IDLE: Duration = Duration::from_millis(500);
/// How long the loop rests after the queue itself failed.
const QUEUE_DOWN: Duration = Duration::from_secs(2);

/// Works the queues until `stop` resolves; a job in hand is finished first.
pub async fn run(app: Arc<App>, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
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
