//! `cubby`: the container host.
//!
//! ```text
//! cubby [serve]                  serve the API (the default; in dev it also runs the jobs)
//! cubby worker                   run background jobs from the queues until stopped
//! cubby scheduler                start scheduled jobs (CUBBY_SCHEDULE_*) until stopped
//! cubby health                   exit 0 if the server on CUBBY_BIND answers /health/live with 200
//! cubby admin ensure-indexes     create the MongoDB indexes that are missing, then exit
//! cubby admin jobs               the queues' depths and their dead letters
//! cubby admin job CENTRE JOB_ID  a job's status, progress and errors
//! cubby admin centre create --code C --name N --time-zone TZ --owner-email E
//!                                a new centre, its owner invited
//! cubby admin centre list        the centres (--code-prefix, --status)
//! cubby admin centre suspend|resume CODE
//!                                suspend or resume a centre
//! cubby help [COMMAND]           usage (also `--help` on every command)
//! ```

use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: a page of 25 children cost 26 % less CPU, and a burst
/// of sign-ins leaves no argon2 blocks resident (each is 19 MiB; glibc kept them in per-thread
/// arenas). Measured in docs/benchmarks.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use cubby_api::{Api, ApiConfig};
use cubby_app::AppConfig;
use cubby_compose::{Runtime, Started};
use cubby_host_actix::{Server, centres, demo, metrics, worker};
use cubby_settings::{Environment, Settings};

/// Cubby, the daycare backend: the REST API, its job worker and scheduler, and admin commands.
#[derive(Debug, Parser)]
#[command(
    name = "cubby",
    after_help = "Settings come from CUBBY_* environment variables; see docs/OPERATIONS.md."
)]
struct Cli {
    /// What to run; `serve` when none is given.
    #[command(subcommand)]
    command: Option<Command>,
}

/// What the command line asks for.
#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API on CUBBY_BIND (the default; in dev it also runs the jobs)
    Serve,
    /// Run background jobs from the queues until SIGINT or SIGTERM
    Worker,
    /// Start scheduled jobs (CUBBY_SCHEDULE_*) until SIGINT or SIGTERM
    Scheduler,
    /// Exit 0 if the server on CUBBY_BIND answers /health/live with 200 (for health checks)
    Health,
    /// Operator commands, run with the service's settings
    #[command(subcommand)]
    Admin(Admin),
}

/// `cubby admin ...`.
#[derive(Debug, Subcommand)]
enum Admin {
    /// Create the MongoDB indexes that are missing, list them, then exit
    EnsureIndexes,
    /// Each queue's depth and its dead letters
    Jobs,
    /// A job's status, progress, result file and errors
    Job {
        /// The centre's code (`admin jobs` shows tenant ids)
        #[arg(value_name = "CENTRE")]
        centre: String,
        /// The job's id (job_...)
        #[arg(value_name = "JOB_ID")]
        job: String,
    },
    /// Create, list, suspend and resume centres (the platform API's work)
    #[command(subcommand)]
    Centre(centres::CentreCommand),
}

/// A command that runs on the application: every one but `health`.
enum Run {
    Serve,
    Worker,
    Scheduler,
    Admin(Admin),
}

fn main() -> ExitCode {
    let command = match Cli::try_parse() {
        Ok(cli) => cli.command.unwrap_or(Command::Serve),
        Err(error) => {
            // Help goes to stdout with status 0; a wrong command or flag to stderr with 2.
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    // `health` only asks the server: it starts nothing and writes no logs.
    let run = match command {
        Command::Health => return health(),
        Command::Serve => Run::Serve,
        Command::Worker => Run::Worker,
        Command::Scheduler => Run::Scheduler,
        Command::Admin(admin) => Run::Admin(admin),
    };
    let Started {
        settings,
        config,
        telemetry: _telemetry,
    } = match cubby_compose::start(cubby_telemetry::Host::Container) {
        Ok(started) => started,
        Err(error) => {
            eprintln!("cubby: {error}");
            return ExitCode::from(78);
        }
    };
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
    let outcome = match run {
        Run::Serve => runtime.block_on(serve(settings, config)),
        Run::Worker => runtime.block_on(work(settings, config)),
        Run::Scheduler => runtime.block_on(schedule(settings, config)),
        Run::Admin(Admin::EnsureIndexes) => runtime.block_on(ensure_indexes(settings)),
        Run::Admin(Admin::Jobs) => runtime.block_on(admin_jobs(settings, config)),
        Run::Admin(Admin::Job { centre, job }) => {
            runtime.block_on(admin_job(settings, config, &centre, &job))
        }
        Run::Admin(Admin::Centre(command)) => {
            runtime.block_on(admin_centre(settings, config, command))
        }
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

/// `cubby health`: whether the server on `CUBBY_BIND` is alive, quietly (no logs), for
/// container health checks. Reads the settings only: no telemetry, no application.
fn health() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("cubby: {error}");
            return ExitCode::from(78);
        }
    };
    match cubby_host_actix::health::check(settings.bind) {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("cubby: unhealthy: {problem}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings, mut config: AppConfig) -> anyhow::Result<()> {
    if settings.env == Environment::Dev && !config.operators.is_enabled() {
        // A developer gets a platform operator key of this process, shown in the banner and
        // the demo tokens file (the Lambda functions take keys from the settings only).
        config.operators = cubby_app::platform::OperatorKeys::generate();
    }
    let (ports, mongo) = cubby_compose::adapters(&settings, Runtime::Container).await?;
    if let Some(mongo) = &mongo {
        let report = mongo
            .ensure_indexes()
            .await
            .context("ensuring the MongoDB indexes")?;
        tracing::info!(indexes = report.ensured.len(), "MongoDB indexes ensured");
    }
    let app = Arc::new(cubby_app::App::new(ports, config)?);
    let demo = cubby_compose::start::demo_in_dev(&app, &settings)
        .await
        .context("preparing the demo data set")?;
    let worker_app = app.clone();
    let mut api_config = ApiConfig::from_settings(&settings);
    api_config.metrics = metrics::public_renderer(&settings);
    let api = Arc::new(Api::new(app, api_config));
    let server = Server::bind(api, settings.bind).with_context(|| {
        format!(
            "binding {} (set CUBBY_BIND to use another address)",
            settings.bind
        )
    })?;
    serve_metrics(&settings)?;
    tracing::info!(listen = %server.address(), env = settings.env.as_str(), "cubby is serving");
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

/// Serves `/metrics` on `CUBBY_METRICS_BIND`, when set, in the background.
fn serve_metrics(settings: &Settings) -> anyhow::Result<()> {
    let bound = metrics::spawn(settings).with_context(|| {
        format!(
            "binding the metrics listener (CUBBY_METRICS_BIND) on {}",
            settings
                .metrics_bind
                .map(|a| a.to_string())
                .unwrap_or_default()
        )
    })?;
    if let Some(address) = bound {
        tracing::info!(listen = %address, "metrics are served on their own listener");
    }
    Ok(())
}

/// `cubby worker`: runs jobs until SIGINT or SIGTERM, finishing the job in hand.
async fn work(settings: Settings, config: AppConfig) -> anyhow::Result<()> {
    let app = Arc::new(cubby_compose::app(&settings, config, Runtime::Container).await?);
    serve_metrics(&settings)?;
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
    let app = Arc::new(cubby_compose::app(&settings, config, Runtime::Container).await?);
    serve_metrics(&settings)?;
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
    let (_, mongo) = cubby_compose::adapters(&settings, Runtime::Container).await?;
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

/// `cubby admin centre ...`, on the stores the settings configure.
async fn admin_centre(
    settings: Settings,
    config: AppConfig,
    command: centres::CentreCommand,
) -> anyhow::Result<()> {
    let app = cubby_compose::app(&settings, config, Runtime::Container).await?;
    centres::run(&app, settings.env == Environment::Dev, command).await
}

#[expect(
    clippy::print_stdout,
    reason = "an admin command reports to its operator"
)]
async fn admin_jobs(settings: Settings, config: AppConfig) -> anyhow::Result<()> {
    let app = cubby_compose::app(&settings, config, Runtime::Container).await?;
    for queue in cubby_domain::Queue::ALL {
        let depth = app.ports().jobs.depth(queue).await?;
        println!(
            "{}: {} waiting, {} in flight, {} dead",
            queue.as_str(),
            depth.waiting,
            depth.in_flight,
            depth.dead
        );
        for letter in app.ports().jobs.dead_letters(queue, 100).await? {
            println!(
                "  dead {} {} centre {} after {} attempts: {}",
                letter.envelope.id,
                letter.envelope.kind,
                letter.envelope.tenant,
                letter.envelope.attempt + 1,
                letter.reason
            );
        }
    }
    Ok(())
}

#[expect(
    clippy::print_stdout,
    reason = "an admin command reports to its operator"
)]
async fn admin_job(
    settings: Settings,
    config: AppConfig,
    centre: &str,
    job: &str,
) -> anyhow::Result<()> {
    use cubby_ports::TenantDirectory;
    let app = cubby_compose::app(&settings, config, Runtime::Container).await?;
    let code = cubby_domain::TenantCode::parse(centre).context("CENTRE is a centre's code")?;
    let tenant = app.tenants.by_code(&code).await.context("no such centre")?;
    let id: cubby_domain::JobId = job.parse().context("JOB_ID is a job id (job_...)")?;
    let scope = cubby_ports::TenantScope::for_operator(
        tenant.id(),
        cubby_app::platform::Operator::command_line().id(),
    );
    let record = app
        .ports()
        .job_records
        .get(&scope, id)
        .await
        .context("no such job")?;
    let total = record
        .total()
        .map_or_else(|| "?".to_owned(), |total| total.to_string());
    println!(
        "{} {}: {} after {} attempts, {}/{} done",
        record.id(),
        record.kind(),
        record.status().as_str(),
        record.attempts(),
        record.done(),
        total
    );
    if let Some(file) = record.result_file() {
        println!("  result file {file}");
    }
    for error in record.errors() {
        println!("  error: {error}");
    }
    Ok(())
}
