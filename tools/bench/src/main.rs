//! `cubby-bench`: the server the load benchmarks (`scripts/bench load`, `scale`, `mongo`) drive.
//!
//! ```text
//! cubby-bench --out DIR [--tenants N] [--children N] [--staff N] [--days N] [--sample N]
//! ```
//!
//! It builds the application the way `cubby serve` does (the adapters `CUBBY_*` settings ask
//! for, the MongoDB indexes, the Prometheus recorder, actix-web), seeds a synthetic data set
//! in-process through the application's use cases and ports (not over HTTP), writes what the
//! load scripts need to `DIR`, then serves on `CUBBY_BIND` until stopped. `DIR/address` is
//! written last, once the server listens: the scripts wait for it.
//!
//! One difference from `cubby serve`: the per-address request limit is raised past what the
//! settings accept (every request of a load generator comes from 127.0.0.1); the limiter still
//! counts every request, as in production.

mod fixture;
mod seed;
mod seed_days;

/// The allocator of the `cubby` binary (see its `main.rs`), so that the benchmark measures it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use cubby_api::{Api, ApiConfig};
use cubby_app::AppConfig;
use cubby_compose::Runtime;
use cubby_host_actix::{Server, metrics, worker};
use cubby_settings::{Environment, Settings};

const USAGE: &str =
    "usage: cubby-bench --out DIR [--tenants N] [--children N] [--staff N] [--days N] [--sample N]

Seeds N tenants (default 1000), each with --children children (100), --staff staff (10) and
--days past days of attendance (30), writes the load scripts' fixture for --sample tenants
(default: all) to DIR, then serves on CUBBY_BIND. Settings come from CUBBY_* variables.";

/// The command line.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    /// Where the fixture files go.
    pub(crate) out: PathBuf,
    /// How many tenants.
    pub(crate) tenants: usize,
    /// Children per tenant.
    pub(crate) children: usize,
    /// Staff per tenant.
    pub(crate) staff: usize,
    /// Past days of attendance events.
    pub(crate) days: u32,
    /// How many tenants the fixture lists (the first ones).
    pub(crate) sample: usize,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = Self {
            out: PathBuf::new(),
            tenants: 1000,
            children: 100,
            staff: 10,
            days: 30,
            sample: usize::MAX,
        };
        let mut words = args.iter();
        while let Some(flag) = words.next() {
            let value = words
                .next()
                .ok_or_else(|| format!("{flag} needs a value"))?;
            let number = || {
                value
                    .parse::<usize>()
                    .map_err(|_| format!("{flag} needs a number"))
            };
            match flag.as_str() {
                "--out" => options.out = PathBuf::from(value),
                "--tenants" => options.tenants = number()?.max(1),
                "--children" => options.children = number()?.max(1),
                "--staff" => options.staff = number()?.max(1),
                "--days" => {
                    options.days = u32::try_from(number()?).map_err(|_| "--days is too large")?;
                }
                "--sample" => options.sample = number()?.max(1),
                other => return Err(format!("unknown option `{other}`")),
            }
        }
        if options.out.as_os_str().is_empty() {
            return Err("--out is required".to_owned());
        }
        options.sample = options.sample.min(options.tenants);
        Ok(options)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if matches!(args.first().map(String::as_str), Some("-h" | "--help")) {
        eprintln!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match Options::parse(&args) {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("cubby-bench: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cubby-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the settings, starts telemetry and the runtime, and serves.
fn run(options: Options) -> anyhow::Result<()> {
    let settings = Settings::from_env().map_err(|e| anyhow::anyhow!("{e}"))?;
    let config = cubby_compose::config(&settings).map_err(|e| anyhow::anyhow!("{e}"))?;
    let _telemetry = cubby_telemetry::init(&settings, cubby_telemetry::Host::Container)
        .map_err(|problem| anyhow::anyhow!("{problem}"))?;
    cubby_compose::install_default_tls_provider();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(serve(settings, config, options))
}

/// `cubby serve` with the data set seeded before binding.
async fn serve(settings: Settings, config: AppConfig, options: Options) -> anyhow::Result<()> {
    let (ports, mongo) = cubby_compose::adapters(&settings, Runtime::Container).await?;
    if let Some(mongo) = &mongo {
        mongo
            .ensure_indexes()
            .await
            .context("ensuring the MongoDB indexes")?;
    }
    let app = Arc::new(cubby_app::App::new(ports, config)?);
    let started = std::time::Instant::now();
    let seeded = seed::seed(&app, &options).await?;
    let seconds = started.elapsed().as_secs_f64();
    fixture::write(&options, &seeded, seconds).context("writing the fixture")?;
    let mut api_config = ApiConfig::from_settings(&settings);
    api_config.metrics = metrics::public_renderer(&settings);
    if let Some(limits) = &mut api_config.rate_limits {
        limits.per_address = u32::MAX;
    }
    let api = Arc::new(Api::new(app.clone(), api_config));
    let server =
        Server::bind(api, settings.bind).with_context(|| format!("binding {}", settings.bind))?;
    if settings.env == Environment::Dev {
        // As `cubby serve` in dev: the in-memory queue's jobs run in this process.
        tokio::spawn(worker::run(app, std::future::pending()));
    }
    fixture::ready(&options.out, server.address()).context("writing the address")?;
    eprintln!(
        "cubby-bench: seeded in {seconds:.1} s, serving on {}",
        server.address()
    );
    server.run_until_stopped().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Options;

    fn parse(args: &[&str]) -> Result<Options, String> {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        Options::parse(&args)
    }

    #[test]
    fn the_defaults_are_the_issues_data_set() -> Result<(), String> {
        let options = parse(&["--out", "bench-out"])?;
        assert_eq!(
            (
                options.tenants,
                options.children,
                options.staff,
                options.days
            ),
            (1000, 100, 10, 30)
        );
        assert_eq!(options.sample, 1000, "every tenant is sampled by default");
        Ok(())
    }

    #[test]
    fn sizes_come_from_flags_and_the_sample_is_capped() -> Result<(), String> {
        let options = parse(&[
            "--tenants",
            "3",
            "--children",
            "7",
            "--staff",
            "2",
            "--days",
            "0",
            "--sample",
            "9",
            "--out",
            "d",
        ])?;
        assert_eq!(
            (
                options.tenants,
                options.children,
                options.staff,
                options.days,
                options.sample
            ),
            (3, 7, 2, 0, 3)
        );
        Ok(())
    }

    #[test]
    fn mistakes_are_refused() {
        assert!(parse(&["--tenants", "3"]).is_err(), "--out is required");
        assert!(parse(&["--out", "d", "--bogus", "1"]).is_err());
        assert!(parse(&["--out", "d", "--children", "many"]).is_err());
        assert!(parse(&["--out"]).is_err());
    }
}
