//! The start-up both hosts run before serving anything: the `cubby` binary (every command but
//! `health`) and each Lambda function call [`start`], then build the application on the
//! adapters the settings ask for ([`crate::app`] or [`crate::adapters`]) and, in dev, the demo
//! data set ([`demo_in_dev`]).
//!
//! What stays in the hosts: the container's exit codes and async runtime, its index check and
//! banner; the Lambda functions' handler loops and the telemetry they keep per execution
//! environment.

use cubby_app::{App, AppConfig, AppError};
use cubby_settings::{Environment, Settings, SettingsError};
use cubby_telemetry::{Host, Telemetry};

use crate::demo::{self, Demo};

/// What start-up gives a host: its checked settings, the application's configuration, and the
/// telemetry guard to keep for the life of the process.
#[derive(Debug)]
pub struct Started {
    /// The settings, read from the environment and checked.
    pub settings: Settings,
    /// The application's configuration, with the Supabase verifier ([`crate::config`]).
    pub config: AppConfig,
    /// Logs, traces, metrics and error reports, installed; dropping it stops the exporters.
    pub telemetry: Telemetry,
}

/// Why start-up stopped. Its message names the variable at fault, never its value.
#[derive(Debug)]
pub enum StartError {
    /// A setting is missing or not valid (every problem, one line each).
    Settings(SettingsError),
    /// A telemetry setting cannot be used.
    Telemetry(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Settings(error) => error.fmt(f),
            StartError::Telemetry(problem) => f.write_str(problem),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Settings(error) => Some(error),
            StartError::Telemetry(_) => None,
        }
    }
}

/// Reads and checks the settings (`CUBBY_*`, and `.env` in dev), loads the application's
/// configuration (the key sets), installs the JSON logs and the exporters the settings ask for
/// on `host`, installs the process's TLS provider, and warns, by name only, of every unknown
/// `CUBBY_` variable.
///
/// # Errors
///
/// [`StartError`]: the host stops (the container with status 78; a Lambda function fails its
/// initialisation).
pub fn start(host: Host) -> Result<Started, StartError> {
    let settings = Settings::from_env().map_err(StartError::Settings)?;
    let config = crate::config(&settings).map_err(StartError::Settings)?;
    let telemetry = cubby_telemetry::init(&settings, host).map_err(StartError::Telemetry)?;
    install_default_tls_provider();
    for key in &settings.unknown_keys {
        tracing::warn!(setting = %key, "unknown CUBBY_ setting ignored; check its spelling");
    }
    Ok(Started {
        settings,
        config,
        telemetry,
    })
}

/// Makes rustls's `ring` provider the process-wide default, if no default is installed yet.
///
/// The workspace's reqwest has no TLS provider of its own (`rustls-no-provider`: enabling its
/// `aws-lc-rs` provider next to the `ring` one that mongodb and redis use would leave rustls
/// without a default), so a reqwest client built with the default TLS settings (the error
/// reporter's, a test's) panics unless a default is installed first. The adapters that speak
/// TLS name their provider themselves; [`start`] calls this, and so do tests and tools that
/// build a reqwest client without it.
pub fn install_default_tls_provider() {
    // An error only says that a default is installed already.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
}

/// In dev, the demo data set ([`demo::prepare`]); elsewhere nothing.
///
/// # Errors
///
/// As [`demo::prepare`].
pub async fn demo_in_dev(app: &App, settings: &Settings) -> Result<Option<Demo>, AppError> {
    match settings.env {
        Environment::Dev => Ok(Some(demo::prepare(app, settings).await?)),
        Environment::Staging | Environment::Prod => Ok(None),
    }
}
