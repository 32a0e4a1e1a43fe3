//! The scheduler function: ticks in, the scheduled jobs they started out.

use lambda_http::Error;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (settings, app) = cubby_host_lambda::start().await?;
    let schedules = cubby_app::jobs::schedules(&settings)?;
    let (app, schedules) = (&app, &schedules);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        cubby_host_lambda::flushed(cubby_host_lambda::scheduler::handle(
            app,
            schedules,
            event.payload,
        ))
        .await
        .map_err(Error::from)
    }))
    .await
}
