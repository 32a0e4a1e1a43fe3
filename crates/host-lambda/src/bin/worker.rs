//! The worker function: SQS batches of jobs in, the jobs to deliver again out.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_http::Error;
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (settings, app) = cubby_host_lambda::start().await?;
    let queues = cubby_host_lambda::worker::queues(&settings)?;
    let (app, queues) = (&app, &queues);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(
            cubby_host_lambda::flushed(cubby_host_lambda::worker::handle(
                app,
                queues,
                event.payload,
            ))
            .await,
        )
    }))
    .await
}
