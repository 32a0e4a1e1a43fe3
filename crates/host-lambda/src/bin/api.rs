//! The API function: API Gateway HTTP API events in, the shared api's responses out.

use std::sync::Arc;

use cubby_app::{AppConfig, Environment, Settings};
use lambda_http::{Error, Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = Settings::from_env()?;
    let config = AppConfig::from_settings(&settings)?;
    cubby_host_lambda::init_logs(&settings.log_filter);
    cubby_app::identity::install_default_tls_provider();
    let app = Arc::new(cubby_host_lambda::app(&settings, config).await?);
    if settings.env == Environment::Dev {
        cubby_app::demo::prepare(&app, &settings).await?;
    }
    let api = Arc::new(cubby_host_lambda::api(&settings, app));
    let api = &api;
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(cubby_host_lambda::handle(api, request).await)
    }))
    .await
}
