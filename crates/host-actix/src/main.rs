//! `cubby`: the container host.
//!
//! ```text
//! cubby [serve]     serve the API (the default)
//! cubby help        this text
//! ```

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use cubby_api::{Api, ApiConfig};
use cubby_app::{Environment, Settings};
use cubby_host_actix::{Server, compose, demo, telemetry};

const USAGE: &str = "usage: cubby [serve | help]\n\nSettings come from CUBBY_* environment variables; see docs/OPERATIONS.md.";

fn main() -> ExitCode {
    let command = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "serve".to_owned());
    match command.as_str() {
        "serve" => serve(),
        "help" | "--help" | "-h" => {
            eprintln!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("cubby: unknown command `{other}`\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn serve() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("cubby: {error}");
            return ExitCode::from(78);
        }
    };
    telemetry::init(&settings.log_filter);
    for key in &settings.unknown_keys {
        tracing::warn!(setting = %key, "unknown CUBBY_ setting ignored; check its spelling");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cubby: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error.message = %error, error.cause_chain = ?error, "cubby stopped on an error");
            eprintln!("cubby: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    let app = Arc::new(compose::app(&settings));
    let demo_tokens = match settings.env {
        Environment::Dev => Some(
            cubby_app::demo::prepare(&app, &settings)
                .await
                .context("preparing the demo data set")?,
        ),
        Environment::Staging | Environment::Prod => None,
    };
    let api = Arc::new(Api::new(app, ApiConfig::from_settings(&settings)));
    let server = Server::bind(api, settings.bind).with_context(|| {
        format!(
            "binding {} (set CUBBY_BIND to use another address)",
            settings.bind
        )
    })?;
    tracing::info!(address = %server.address(), env = settings.env.as_str(), "cubby is serving");
    if let Some(tokens) = &demo_tokens {
        demo::print_banner(server.address(), tokens);
    }
    server.run_until_stopped().await?;
    tracing::info!("cubby stopped");
    Ok(())
}
