//! The API function: API Gateway HTTP API events in, the shared api's responses out.

use lambda_http::{Error, Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (settings, app) = cubby_host_lambda::start().await?;
    let api = cubby_host_lambda::api(&settings, app);
    let api = &api;
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(cubby_host_lambda::flushed(cubby_host_lambda::handle(api, request)).await)
    }))
    .await
}
