//! `cubby`: the container host.
//!
//! ```text
//! cubby [serve]                  serve the API (the default; in dev it also runs the jobs)
//! cubby worker                   run background jobs from the queues until stopped
//! cubby scheduler                start scheduled jobs (CUBBY_SCHEDULE_*) until stopped
//! cubby admin ensure-indexes     create the MongoDB indexes that are missing, then exit
//! cubby help                     this text
//! ```

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use cubby_api::{Api, ApiConfig};
use cubby_app::{AppConfig, Environment, Settings};
use cubby_host_actix::{Server, compose, demo, telemetry, worker};

const USAGE: &str = "usage: cubby [serve | worker | scheduler | admin ensure-indexes | help]

Settings come from CUBBY_* environment variables; see docs/OPERATIONS.md.";

/// What the command line asks for.
enum Command {
    Serve,
    Worker,
    Scheduler,
    EnsureIndexes,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let command = match words.as_slice() {
        [] | ["serve"] => Command::Serve,
        ["worker"] => Command::Worker,
        ["scheduler"] => Command::Scheduler,
        ["admin", "ensure-indexes"] => Command::EnsureIndexes,
        ["help" | "--help" | "-h"] => {
            eprintln!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("cubby: unknown command `{}`\n{USAGE}", words.join(" "));
            return ExitCode::from(2);
        }
    };
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("cubby: {error}");
            return ExitCode::from(78);
        }
    };
    let config = match AppConfig::from_settings(&settings) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("cubby: {error}");
            return ExitCode::from(78);
        }
    };
    telemetry::init(&settings.log_filter);
    cubby_app::identity::install_default_tls_provider();
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
    let outcome = match command {
        Command::Serve => runtime.block_on(serve(settings, config)),
        Command::Worker => runtime.block_on(work(settings, config)),
        Command::Scheduler => runtime.block_on(schedule(settings, config)),
        Command::EnsureIndexes => runtime.block_on(ensure_indexes(settings)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error.message = %error, error.cause_chain = ?error, "cubby stopped on an error");
            eprintln!("cubby: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings, config: AppConfig) -> anyhow::Result<()> {
    let (ports, mongo) = compose::adapters(&settings).await?;
    if let Some(mongo) = &mongo {
        let report = mongo
            .ensure_indexes()
            .await
            .context("ensuring the MongoDB indexes")?;
        tracing::info!(indexes = report.ensured.len(), "MongoDB indexes ensured");
    }
    let app = Arc::new(compose::app(config, ports)?);
    let demo = match settings.env {
        Environment::Dev => Some(
            cubby_app::demo::prepare(&app, &settings)
                .await
                .context("preparing the demo data set")?,
        ),
        Environment::Staging | Environment::Prod => None,
    };
    let worker_app = app.clone();
    let api = Arc::new(Api::new(app, ApiConfig::from_settings(&settings)));
    let server = Server::bind(api, settings.bind).with_context(|| {
        format!(
            "binding {} (set CUBBY_BIND to use another address)",
            settings.bind
        )
    })?;
    tracing::info!(address = %server.address(), env = settings.env.as_str(), "cubby is serving");
    if let Some(demo) = &demo {
        demo::print_banner(server.address(), demo, settings.mongodb_uri.is_some());
    }
    if settings.env == Environment::Dev {
        // In dev the jobs run in this process (the in-memory queue can only be read here).
        tokio::spawn(worker::run(worker_app, std::future::pending()));
    }
    server.run_until_stopped().await?;
    tracing::info!("cubby stopped");
    Ok(())
}

/// `cubby worker`: runs jobs until SIGINT or SIGTERM, finishing the job in hand.
async fn work(settings: Settings, config: AppConfig) -> anyhow::Result<()> {
    let (ports, _) = compose::adapters(&settings).await?;
    let app = Arc::new(compose::app(config, ports)?);
    tracing::info!(env = settings.env.as_str(), "cubby worker is running");
    worker::run(app, stopped()).await;
    tracing::info!("cubby worker stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn stopped() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// `cubby scheduler`: starts scheduled jobs until SIGINT or SIGTERM. Several may run: each
/// run of a schedule for a centre is claimed once.
async fn schedule(settings: Settings, config: AppConfig) -> anyhow::Result<()> {
    let schedules = cubby_app::jobs::schedules(&settings).map_err(anyhow::Error::msg)?;
    let (ports, _) = compose::adapters(&settings).await?;
    let app = Arc::new(compose::app(config, ports)?);
    tracing::info!(
        env = settings.env.as_str(),
        schedules = schedules.len(),
        "cubby scheduler is running"
    );
    worker::schedule(app, schedules, stopped()).await;
    tracing::info!("cubby scheduler stopped");
    Ok(())
}

#[expect(
    clippy::print_stdout,
    reason = "an admin command reports to its operator"
)]
async fn ensure_indexes(settings: Settings) -> anyhow::Result<()> {
    let (_, mongo) = compose::adapters(&settings).await?;
    let mongo = mongo.context("CUBBY_MONGODB_URI is not set: there is no MongoDB to index")?;
    let report = mongo
        .ensure_indexes()
        .await
        .context("ensuring the MongoDB indexes")?;
    for (collection, index) in &report.ensured {
        println!("{collection}: {index}");
    }
    println!("{} indexes in place", report.ensured.len());
    Ok(())
}
