//! The one typed settings struct, read from `CUBBY_*` environment variables (and, in dev only,
//! a `.env` file) and checked before anything starts.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CUBBY_ENV` | `dev` | `dev`, `staging` or `prod` |
//! | `CUBBY_BIND` | `127.0.0.1:8080` | the address the container host listens on |
//! | `CUBBY_MONGODB_URI` | unset (dev: in memory) | the MongoDB connection string (required outside dev) |
//! | `CUBBY_REDIS_URL` | unset (dev: in memory) | the Redis URL (required outside dev) |
//! | `CUBBY_S3_BUCKET` | unset (dev: in memory) | the bucket files live in (required outside dev) |
//! | `CUBBY_S3_REGION` | `us-east-1` | the bucket's region |
//! | `CUBBY_S3_ENDPOINT` | unset | an S3-compatible endpoint instead of AWS's (path-style) |
//! | `CUBBY_SQS_QUEUE_PREFIX` | unset | job queues on SQS: `{prefix}critical`, `{prefix}bulk` and their `-dlq` queues (else Redis Streams, or memory in dev) |
//! | `CUBBY_SQS_REGION` | `us-east-1` | the queues' region |
//! | `CUBBY_SQS_ENDPOINT` | unset | an SQS-compatible endpoint instead of AWS's |
//! | `CUBBY_SMTP_URL` | unset | mail over SMTP (containers): `smtps://user:pass@host:465`, `smtp://host:587?tls=required` or `smtp://host:25` (a secret) |
//! | `CUBBY_SES_REGION` | unset | mail over Amazon SES v2 in this region (Lambda) |
//! | `CUBBY_MAIL_FROM` | unset | the sender of every mail, a mailbox (`Cubby <no-reply@example.org>`); required with either transport |
//! | `CUBBY_DEMO_PASSWORD` | generated | dev only: the demo users' password |
//! | `CUBBY_DEMO_TOKENS_FILE` | unset | dev only: where to write the demo users' access tokens |
//! | `CUBBY_JWT_ISSUER` | `cubby` | the `iss` of access tokens |
//! | `CUBBY_JWT_AUDIENCE` | `cubby-api` | the `aud` of access tokens |
//! | `CUBBY_JWT_HS256_SECRET` | random per process | dev only: an HS256 secret of at least 32 bytes |
//! | `CUBBY_ACCESS_TOKEN_TTL_MINUTES` | `15` | access token lifetime, 15 to 30 |
//! | `CUBBY_BODY_LIMIT_BYTES` | `1048576` | the largest request body, at most 10 MiB |
//! | `CUBBY_REQUEST_TIMEOUT_MS` | `25000` | the deadline of every request, at most 29000 |
//! | `CUBBY_JWT_KEYS` | unset | the signing and verification key set (JSON, see `cubby_app::tokens`); required outside dev |
//! | `CUBBY_JWT_SIGNING_KID` | unset | the `kid` of the key in `CUBBY_JWT_KEYS` that signs |
//! | `CUBBY_REFRESH_TOKEN_TTL_DAYS` | `30` | a session's absolute lifetime, 1 to 90 days |
//! | `CUBBY_ARGON2_MEMORY_KIB` | `19456` | argon2id memory cost, 8192 to 1048576 KiB |
//! | `CUBBY_ARGON2_ITERATIONS` | `2` | argon2id time cost, 1 to 10 |
//! | `CUBBY_ARGON2_PARALLELISM` | `1` | argon2id lanes, 1 to 8 |
//! | `CUBBY_LOGIN_MAX_FAILURES_PER_ACCOUNT` | `5` | failed sign-ins per account before 429, per window |
//! | `CUBBY_LOGIN_MAX_FAILURES_PER_ADDRESS` | `20` | failed sign-ins per client address before 429, per window |
//! | `CUBBY_LOGIN_FAILURE_WINDOW_SECONDS` | `900` | the throttling window, 60 to 86400 seconds |
//! | `CUBBY_SUPABASE_JWT_SECRET` | unset | the Supabase project's HS256 JWT secret |
//! | `CUBBY_SUPABASE_JWKS_URL` | unset | the Supabase project's JWKS URL (https outside dev) |
//! | `CUBBY_SUPABASE_ISSUER` | unset | the `iss` of Supabase tokens (`https://<ref>.supabase.co/auth/v1`) |
//! | `CUBBY_SUPABASE_AUDIENCE` | `authenticated` | the `aud` of Supabase tokens |
//! | `CUBBY_RATE_LIMIT_PER_ADDRESS` | `600` | requests per minute from one client address before 429 (health checks not counted) |
//! | `CUBBY_RATE_LIMIT_PER_TENANT` | `3000` | requests per minute of one centre's members before 429 |
//! | `CUBBY_CORS_ORIGINS` | unset | the browser origins allowed, comma-separated (`https://app.example`) |
//! | `CUBBY_CSRF_SECRET` | random per process | the key CSRF tokens are signed with (32 bytes or more); required outside dev |
//! | `CUBBY_PLATFORM_KEYS` | unset (dev: `cubby serve` generates one at every start) | the operator API keys of `/platform/v1`: the SHA-256 digests (64 hex) of the keys, comma-separated, each optionally named (`ops_alice:<digest>`); unset outside dev, the platform API is 404 |
//! | `CUBBY_APP_URL` | `http://localhost:3000` in dev | the frontend's base URL, which links in e-mail open (https; required outside dev) |
//! | `CUBBY_LOG` | `info` | the log filter (tracing `EnvFilter` syntax) |
//! | `CUBBY_LOG_SAMPLE_RATE` | `1` in dev, else `0.01` | the share of successful requests on hot routes whose log line is written, 0 to 1 (failures, auth refusals and security events are always written) |
//! | `CUBBY_OTLP_ENDPOINT` | unset | an OpenTelemetry collector's OTLP/HTTP base URL (`http://collector:4318`); unset exports no traces |
//! | `CUBBY_SENTRY_DSN` | unset | where server errors and panics are reported; unset reports nothing |
//! | `CUBBY_METRICS_BIND` | unset | a second listen address serving only `/metrics` (the container host) |
//! | `CUBBY_METRICS_PUBLIC` | `true` in dev, else `false` | whether the public listener also serves `/metrics` |
//! | `CUBBY_SCHEDULE_ROLLUP` | `0 30 2 * * *` | when `cubby scheduler` starts each centre's daily attendance rollup (cron with seconds, UTC) |
//! | `CUBBY_SCHEDULE_RETENTION` | `0 15 * * * *` | when it starts the removal of stale pending uploads |
//! | `CUBBY_SCHEDULE_REMINDER` | `0 */15 * * * *` | when it checks for children still in after closing time |

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// The hard cap on request bodies (API Gateway's payload limit).
pub const HARD_BODY_LIMIT: usize = 10 * 1024 * 1024;

/// Which kind of deployment this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    /// A developer's machine: in-memory defaults, demo data, HS256 allowed.
    Dev,
    /// A production-like deployment.
    Staging,
    /// Production.
    Prod,
}

impl Environment {
    /// The name used in `CUBBY_ENV`.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Dev => "dev",
            Environment::Staging => "staging",
            Environment::Prod => "prod",
        }
    }
}

/// One operator API key of the platform API, as `CUBBY_PLATFORM_KEYS` gives it: never the key,
/// only its SHA-256 digest, and the id the audit log names its holder by.
#[derive(Clone, PartialEq, Eq)]
pub struct PlatformKey {
    /// The name given with the digest (`ops_alice:<digest>`), else the digest's first 8 hex
    /// characters: lowercase letters, digits and `_`, at most 32.
    pub id: String,
    /// The SHA-256 digest of the key.
    pub digest: [u8; 32],
}

impl fmt::Debug for PlatformKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The id is what the logs and the audit log know a key by; the digest stays out.
        f.debug_struct("PlatformKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl PlatformKey {
    /// Parses one entry: a digest of 64 hex characters, optionally after `name:`.
    ///
    /// # Errors
    ///
    /// The problem, naming neither the entry nor its digest.
    fn parse(entry: &str) -> Result<Self, String> {
        let (name, hex) = match entry.split_once(':') {
            Some((name, hex)) => (Some(name.trim()), hex.trim()),
            None => (None, entry.trim()),
        };
        let digest = decode_digest(hex).ok_or_else(|| {
            "each key is the SHA-256 digest of an operator key, 64 hex characters \
             (`printf %s \"$KEY\" | sha256sum`), optionally named (`ops_alice:<digest>`)"
                .to_owned()
        })?;
        let id = match name {
            Some(name) => {
                let valid = (1..=32).contains(&name.len())
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !valid {
                    return Err(
                        "a key's name is 1 to 32 lowercase letters, digits or `_`".to_owned()
                    );
                }
                name.to_owned()
            }
            None => hex[..8].to_ascii_lowercase(),
        };
        Ok(Self { id, digest })
    }

    /// Parses the comma-separated list, refusing two keys with one id or one digest.
    ///
    /// # Errors
    ///
    /// The first problem found.
    fn parse_list(raw: &str) -> Result<Vec<Self>, String> {
        let mut keys: Vec<Self> = Vec::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let key = Self::parse(entry)?;
            if keys
                .iter()
                .any(|k| k.id == key.id || k.digest == key.digest)
            {
                return Err("two keys have the same name or digest".to_owned());
            }
            keys.push(key);
        }
        Ok(keys)
    }
}

/// The 32 bytes written as 64 hex characters, if `hex` is that.
fn decode_digest(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut digest = [0_u8; 32];
    for (byte, pair) in digest.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(digest)
}

/// Everything configurable, parsed and checked.
#[derive(Clone)]
pub struct Settings {
    /// `CUBBY_ENV`.
    pub env: Environment,
    /// `CUBBY_BIND`.
    pub bind: SocketAddr,
    /// `CUBBY_MONGODB_URI`.
    pub mongodb_uri: Option<SecretString>,
    /// `CUBBY_REDIS_URL`.
    pub redis_url: Option<SecretString>,
    /// `CUBBY_S3_BUCKET`.
    pub s3_bucket: Option<String>,
    /// `CUBBY_S3_REGION`.
    pub s3_region: String,
    /// `CUBBY_S3_ENDPOINT`.
    pub s3_endpoint: Option<String>,
    /// `CUBBY_SQS_QUEUE_PREFIX`.
    pub sqs_queue_prefix: Option<String>,
    /// `CUBBY_SQS_REGION`.
    pub sqs_region: String,
    /// `CUBBY_SQS_ENDPOINT`.
    pub sqs_endpoint: Option<String>,
    /// `CUBBY_SMTP_URL` (it may hold a password).
    pub smtp_url: Option<SecretString>,
    /// `CUBBY_SES_REGION`.
    pub ses_region: Option<String>,
    /// `CUBBY_MAIL_FROM`.
    pub mail_from: Option<String>,
    /// `CUBBY_DEMO_PASSWORD`.
    pub demo_password: Option<SecretString>,
    /// `CUBBY_DEMO_TOKENS_FILE`.
    pub demo_tokens_file: Option<PathBuf>,
    /// `CUBBY_JWT_ISSUER`.
    pub jwt_issuer: String,
    /// `CUBBY_JWT_AUDIENCE`.
    pub jwt_audience: String,
    /// `CUBBY_JWT_HS256_SECRET`.
    pub jwt_hs256_secret: Option<SecretString>,
    /// `CUBBY_ACCESS_TOKEN_TTL_MINUTES`.
    pub access_token_ttl_minutes: u8,
    /// `CUBBY_BODY_LIMIT_BYTES`.
    pub body_limit_bytes: usize,
    /// `CUBBY_REQUEST_TIMEOUT_MS`.
    pub request_timeout: Duration,
    /// `CUBBY_JWT_KEYS`.
    pub jwt_keys: Option<SecretString>,
    /// `CUBBY_JWT_SIGNING_KID`.
    pub jwt_signing_kid: Option<String>,
    /// `CUBBY_REFRESH_TOKEN_TTL_DAYS`.
    pub refresh_token_ttl_days: u16,
    /// `CUBBY_ARGON2_MEMORY_KIB`.
    pub argon2_memory_kib: u32,
    /// `CUBBY_ARGON2_ITERATIONS`.
    pub argon2_iterations: u32,
    /// `CUBBY_ARGON2_PARALLELISM`.
    pub argon2_parallelism: u32,
    /// `CUBBY_LOGIN_MAX_FAILURES_PER_ACCOUNT`.
    pub login_max_failures_per_account: u32,
    /// `CUBBY_LOGIN_MAX_FAILURES_PER_ADDRESS`.
    pub login_max_failures_per_address: u32,
    /// `CUBBY_RATE_LIMIT_PER_ADDRESS`.
    pub rate_limit_per_address: u32,
    /// `CUBBY_RATE_LIMIT_PER_TENANT`.
    pub rate_limit_per_tenant: u32,
    /// `CUBBY_LOGIN_FAILURE_WINDOW_SECONDS`.
    pub login_failure_window: Duration,
    /// `CUBBY_SUPABASE_JWT_SECRET`.
    pub supabase_jwt_secret: Option<SecretString>,
    /// `CUBBY_SUPABASE_JWKS_URL`.
    pub supabase_jwks_url: Option<String>,
    /// `CUBBY_SUPABASE_ISSUER`.
    pub supabase_issuer: Option<String>,
    /// `CUBBY_SUPABASE_AUDIENCE`.
    pub supabase_audience: String,
    /// `CUBBY_CORS_ORIGINS`.
    pub cors_origins: Vec<String>,
    /// `CUBBY_CSRF_SECRET`.
    pub csrf_secret: Option<SecretString>,
    /// `CUBBY_PLATFORM_KEYS`: the operator keys' digests; empty turns the platform API off
    /// (in dev, `cubby serve` then generates one).
    pub platform_keys: Vec<PlatformKey>,
    /// `CUBBY_APP_URL`, without a trailing `/` (`None` outside dev when unset, which is refused).
    pub app_url: Option<String>,
    /// `CUBBY_LOG`.
    pub log_filter: String,
    /// `CUBBY_LOG_SAMPLE_RATE`.
    pub log_sample_rate: f64,
    /// `CUBBY_OTLP_ENDPOINT`.
    pub otlp_endpoint: Option<String>,
    /// `CUBBY_SENTRY_DSN` (it holds a key).
    pub sentry_dsn: Option<SecretString>,
    /// `CUBBY_METRICS_BIND`.
    pub metrics_bind: Option<SocketAddr>,
    /// `CUBBY_METRICS_PUBLIC`.
    pub metrics_public: bool,
    /// `CUBBY_SCHEDULE_ROLLUP`.
    pub schedule_rollup: String,
    /// `CUBBY_SCHEDULE_RETENTION`.
    pub schedule_retention: String,
    /// `CUBBY_SCHEDULE_REMINDER`.
    pub schedule_reminder: String,
    /// `CUBBY_*` variables that were set but mean nothing (likely typos), by name only.
    pub unknown_keys: Vec<String>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets print as whether they are set, never as their value.
        let set = |value: &Option<SecretString>| if value.is_some() { "[set]" } else { "[unset]" };
        f.debug_struct("Settings")
            .field("env", &self.env)
            .field("bind", &self.bind)
            .field("mongodb_uri", &set(&self.mongodb_uri))
            .field("redis_url", &set(&self.redis_url))
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_region", &self.s3_region)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("sqs_endpoint", &self.sqs_endpoint)
            .field("smtp_url", &set(&self.smtp_url))
            .field("ses_region", &self.ses_region)
            .field("mail_from", &self.mail_from.as_ref().map(|_| "[set]"))
            .field("demo_password", &set(&self.demo_password))
            .field("demo_tokens_file", &self.demo_tokens_file)
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .field("jwt_hs256_secret", &set(&self.jwt_hs256_secret))
            .field("access_token_ttl_minutes", &self.access_token_ttl_minutes)
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("request_timeout", &self.request_timeout)
            .field("jwt_keys", &set(&self.jwt_keys))
            .field("jwt_signing_kid", &self.jwt_signing_kid)
            .field("refresh_token_ttl_days", &self.refresh_token_ttl_days)
            .field("argon2_memory_kib", &self.argon2_memory_kib)
            .field("argon2_iterations", &self.argon2_iterations)
            .field("argon2_parallelism", &self.argon2_parallelism)
            .field(
                "login_max_failures_per_account",
                &self.login_max_failures_per_account,
            )
            .field(
                "login_max_failures_per_address",
                &self.login_max_failures_per_address,
            )
            .field("login_failure_window", &self.login_failure_window)
            .field("rate_limit_per_address", &self.rate_limit_per_address)
            .field("rate_limit_per_tenant", &self.rate_limit_per_tenant)
            .field("supabase_jwt_secret", &set(&self.supabase_jwt_secret))
            .field("supabase_jwks_url", &self.supabase_jwks_url)
            .field("supabase_issuer", &self.supabase_issuer)
            .field("supabase_audience", &self.supabase_audience)
            .field("cors_origins", &self.cors_origins)
            .field("csrf_secret", &set(&self.csrf_secret))
            .field("platform_keys", &self.platform_keys)
            .field("app_url", &self.app_url)
            .field("log_filter", &self.log_filter)
            .field("log_sample_rate", &self.log_sample_rate)
            .field("otlp_endpoint", &self.otlp_endpoint)
            .field("sentry_dsn", &set(&self.sentry_dsn))
            .field("metrics_bind", &self.metrics_bind)
            .field("metrics_public", &self.metrics_public)
            .finish()
    }
}

/// Every problem found in the settings, each naming its variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// `(variable, problem)` pairs.
    pub problems: Vec<(String, String)>,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid settings:")?;
        for (key, problem) in &self.problems {
            writeln!(f, "  {key}: {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SettingsError {}

/// The frontend's base URL in dev when `CUBBY_APP_URL` is unset.
pub const DEV_APP_URL: &str = "http://localhost:3000";

const KNOWN: &[&str] = &[
    "CUBBY_ENV",
    "CUBBY_BIND",
    "CUBBY_MONGODB_URI",
    "CUBBY_REDIS_URL",
    "CUBBY_S3_ENDPOINT",
    "CUBBY_S3_BUCKET",
    "CUBBY_S3_REGION",
    "CUBBY_SCHEDULE_ROLLUP",
    "CUBBY_SCHEDULE_RETENTION",
    "CUBBY_SCHEDULE_REMINDER",
    "CUBBY_SQS_ENDPOINT",
    "CUBBY_SQS_QUEUE_PREFIX",
    "CUBBY_SQS_REGION",
    "CUBBY_SMTP_URL",
    "CUBBY_SES_REGION",
    "CUBBY_MAIL_FROM",
    "CUBBY_DEMO_PASSWORD",
    "CUBBY_DEMO_TOKENS_FILE",
    "CUBBY_JWT_ISSUER",
    "CUBBY_JWT_AUDIENCE",
    "CUBBY_JWT_HS256_SECRET",
    "CUBBY_ACCESS_TOKEN_TTL_MINUTES",
    "CUBBY_BODY_LIMIT_BYTES",
    "CUBBY_REQUEST_TIMEOUT_MS",
    "CUBBY_JWT_KEYS",
    "CUBBY_JWT_SIGNING_KID",
    "CUBBY_REFRESH_TOKEN_TTL_DAYS",
    "CUBBY_ARGON2_MEMORY_KIB",
    "CUBBY_ARGON2_ITERATIONS",
    "CUBBY_ARGON2_PARALLELISM",
    "CUBBY_LOGIN_MAX_FAILURES_PER_ACCOUNT",
    "CUBBY_LOGIN_MAX_FAILURES_PER_ADDRESS",
    "CUBBY_LOGIN_FAILURE_WINDOW_SECONDS",
    "CUBBY_RATE_LIMIT_PER_ADDRESS",
    "CUBBY_RATE_LIMIT_PER_TENANT",
    "CUBBY_SUPABASE_JWT_SECRET",
    "CUBBY_SUPABASE_JWKS_URL",
    "CUBBY_SUPABASE_ISSUER",
    "CUBBY_SUPABASE_AUDIENCE",
    "CUBBY_CORS_ORIGINS",
    "CUBBY_CSRF_SECRET",
    "CUBBY_PLATFORM_KEYS",
    "CUBBY_APP_URL",
    "CUBBY_LOG",
    "CUBBY_LOG_SAMPLE_RATE",
    "CUBBY_OTLP_ENDPOINT",
    "CUBBY_SENTRY_DSN",
    "CUBBY_METRICS_BIND",
    "CUBBY_METRICS_PUBLIC",
];

/// Reads values out of the variables, collecting problems instead of stopping at the first.
struct Reader {
    vars: BTreeMap<String, String>,
    problems: Vec<(String, String)>,
}

impl Reader {
    fn text(&self, key: &str) -> Option<String> {
        self.vars.get(key).filter(|v| !v.trim().is_empty()).cloned()
    }

    fn parsed<T>(
        &mut self,
        key: &str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> T {
        match self.text(key) {
            None => default,
            Some(raw) => parse(raw.trim()).unwrap_or_else(|problem| {
                self.problems.push((key.to_owned(), problem));
                default
            }),
        }
    }

    fn problem(&mut self, key: &str, problem: &str) {
        self.problems.push((key.to_owned(), problem.to_owned()));
    }

    /// A cron expression (with seconds), or `default`.
    fn cron(&mut self, key: &str, default: &str) -> String {
        let Some(text) = self.text(key) else {
            return default.to_owned();
        };
        if let Err(error) = text.parse::<cron::Schedule>() {
            self.problem(
                key,
                &format!("is not a cron expression with seconds (sec min hour day month weekday): {error}"),
            );
        }
        text
    }
}

fn ranged<T: std::str::FromStr + PartialOrd + fmt::Display>(
    low: T,
    high: T,
) -> impl FnOnce(&str) -> Result<T, String> {
    move |raw| match raw.parse::<T>() {
        Ok(value) if value >= low && value <= high => Ok(value),
        _ => Err(format!("must be a number from {low} to {high}")),
    }
}

impl Settings {
    /// Reads the settings from the process environment and, in dev only, from a `.env` file in
    /// the working directory (the process environment wins).
    ///
    /// # Errors
    ///
    /// [`SettingsError`] listing every problem.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::load(std::env::vars(), Path::new(".env"))
    }

    /// Reads the settings from `process` and, unless `process` sets a `CUBBY_ENV` other than
    /// `dev`, from the dotenv file at `dotenv` if it exists. The file may not select another
    /// environment: it is a developer's convenience, never a deployment's configuration.
    ///
    /// # Errors
    ///
    /// [`SettingsError`] listing every problem.
    pub fn load(
        process: impl IntoIterator<Item = (String, String)>,
        dotenv: &Path,
    ) -> Result<Self, SettingsError> {
        let process: BTreeMap<String, String> = process.into_iter().collect();
        let dev = process
            .get("CUBBY_ENV")
            .is_none_or(|env| env.trim() == "dev" || env.trim().is_empty());
        let mut vars = BTreeMap::new();
        if dev && dotenv.is_file() {
            let fail = |problem: String| SettingsError {
                problems: vec![(".env".to_owned(), problem)],
            };
            let items = dotenvy::from_path_iter(dotenv).map_err(|e| fail(e.to_string()))?;
            for item in items {
                let (key, value) = item.map_err(|e| fail(e.to_string()))?;
                vars.insert(key, value);
            }
            if vars.get("CUBBY_ENV").is_some_and(|env| env.trim() != "dev") {
                return Err(fail(
                    "a .env file may only configure dev; set CUBBY_ENV in the environment"
                        .to_owned(),
                ));
            }
        }
        vars.extend(process);
        Self::from_vars(vars)
    }

    /// Reads the settings from `vars`; variables not starting with `CUBBY_` are ignored.
    ///
    /// # Errors
    ///
    /// [`SettingsError`] listing every problem.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let vars: BTreeMap<String, String> = vars
            .into_iter()
            .filter(|(k, _)| k.starts_with("CUBBY_"))
            .collect();
        let unknown_keys = vars
            .keys()
            .filter(|k| {
                !KNOWN.contains(&k.as_str())
                    && !k.starts_with("CUBBY_TEST_")
                    && k.as_str() != "CUBBY_REQUIRE_SERVICES"
            })
            .cloned()
            .collect();
        let mut read = Reader {
            vars,
            problems: Vec::new(),
        };

        let env = read.parsed("CUBBY_ENV", Environment::Dev, |raw| match raw {
            "dev" => Ok(Environment::Dev),
            "staging" => Ok(Environment::Staging),
            "prod" => Ok(Environment::Prod),
            _ => Err("must be dev, staging or prod".to_owned()),
        });
        let default_bind = SocketAddr::from(([127, 0, 0, 1], 8080));
        let bind = read.parsed("CUBBY_BIND", default_bind, |raw| {
            raw.parse()
                .map_err(|_| "must be an address and port, such as 0.0.0.0:8080".to_owned())
        });
        let secret = |read: &Reader, key: &str| read.text(key).map(SecretString::from);
        // A developer sees every request; deployments write 1 % of successful reads.
        let default_sample_rate = if env == Environment::Dev { 1.0 } else { 0.01 };
        let settings = Settings {
            env,
            bind,
            mongodb_uri: secret(&read, "CUBBY_MONGODB_URI"),
            redis_url: secret(&read, "CUBBY_REDIS_URL"),
            s3_bucket: read.text("CUBBY_S3_BUCKET"),
            s3_region: read
                .text("CUBBY_S3_REGION")
                .unwrap_or_else(|| "us-east-1".to_owned()),
            s3_endpoint: read.text("CUBBY_S3_ENDPOINT"),
            sqs_queue_prefix: read.text("CUBBY_SQS_QUEUE_PREFIX"),
            sqs_region: read
                .text("CUBBY_SQS_REGION")
                .unwrap_or_else(|| "us-east-1".to_owned()),
            sqs_endpoint: read.text("CUBBY_SQS_ENDPOINT"),
            smtp_url: secret(&read, "CUBBY_SMTP_URL"),
            ses_region: read
                .text("CUBBY_SES_REGION")
                .map(|region| region.trim().to_owned()),
            mail_from: read
                .text("CUBBY_MAIL_FROM")
                .map(|from| from.trim().to_owned()),
            demo_password: secret(&read, "CUBBY_DEMO_PASSWORD"),
            demo_tokens_file: read.text("CUBBY_DEMO_TOKENS_FILE").map(PathBuf::from),
            jwt_issuer: read
                .text("CUBBY_JWT_ISSUER")
                .unwrap_or_else(|| "cubby".to_owned()),
            jwt_audience: read
                .text("CUBBY_JWT_AUDIENCE")
                .unwrap_or_else(|| "cubby-api".to_owned()),
            jwt_hs256_secret: secret(&read, "CUBBY_JWT_HS256_SECRET"),
            access_token_ttl_minutes: read.parsed(
                "CUBBY_ACCESS_TOKEN_TTL_MINUTES",
                15,
                ranged(15, 30),
            ),
            body_limit_bytes: read.parsed(
                "CUBBY_BODY_LIMIT_BYTES",
                1024 * 1024,
                ranged(1024, HARD_BODY_LIMIT),
            ),
            request_timeout: Duration::from_millis(read.parsed(
                "CUBBY_REQUEST_TIMEOUT_MS",
                25_000,
                ranged(100, 29_000),
            )),
            jwt_keys: secret(&read, "CUBBY_JWT_KEYS"),
            jwt_signing_kid: read.text("CUBBY_JWT_SIGNING_KID"),
            refresh_token_ttl_days: read.parsed("CUBBY_REFRESH_TOKEN_TTL_DAYS", 30, ranged(1, 90)),
            argon2_memory_kib: read.parsed(
                "CUBBY_ARGON2_MEMORY_KIB",
                19_456,
                ranged(8_192, 1_048_576),
            ),
            argon2_iterations: read.parsed("CUBBY_ARGON2_ITERATIONS", 2, ranged(1, 10)),
            argon2_parallelism: read.parsed("CUBBY_ARGON2_PARALLELISM", 1, ranged(1, 8)),
            login_max_failures_per_account: read.parsed(
                "CUBBY_LOGIN_MAX_FAILURES_PER_ACCOUNT",
                5,
                ranged(1, 1000),
            ),
            login_max_failures_per_address: read.parsed(
                "CUBBY_LOGIN_MAX_FAILURES_PER_ADDRESS",
                20,
                ranged(1, 100_000),
            ),
            rate_limit_per_address: read.parsed(
                "CUBBY_RATE_LIMIT_PER_ADDRESS",
                600,
                ranged(1, 1_000_000),
            ),
            rate_limit_per_tenant: read.parsed(
                "CUBBY_RATE_LIMIT_PER_TENANT",
                3000,
                ranged(1, 10_000_000),
            ),
            login_failure_window: Duration::from_secs(read.parsed(
                "CUBBY_LOGIN_FAILURE_WINDOW_SECONDS",
                900,
                ranged(60, 86_400),
            )),
            supabase_jwt_secret: secret(&read, "CUBBY_SUPABASE_JWT_SECRET"),
            supabase_jwks_url: read.text("CUBBY_SUPABASE_JWKS_URL"),
            supabase_issuer: read.text("CUBBY_SUPABASE_ISSUER"),
            supabase_audience: read
                .text("CUBBY_SUPABASE_AUDIENCE")
                .unwrap_or_else(|| "authenticated".to_owned()),
            cors_origins: read
                .text("CUBBY_CORS_ORIGINS")
                .map(|raw| {
                    raw.split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            csrf_secret: secret(&read, "CUBBY_CSRF_SECRET"),
            platform_keys: read.parsed("CUBBY_PLATFORM_KEYS", Vec::new(), PlatformKey::parse_list),
            app_url: read
                .text("CUBBY_APP_URL")
                .map(|url| url.trim_end_matches('/').to_owned())
                .or_else(|| (env == Environment::Dev).then(|| DEV_APP_URL.to_owned())),
            log_filter: read.text("CUBBY_LOG").unwrap_or_else(|| "info".to_owned()),
            log_sample_rate: read.parsed("CUBBY_LOG_SAMPLE_RATE", default_sample_rate, |raw| {
                raw.parse::<f64>()
                    .ok()
                    .filter(|rate| (0.0..=1.0).contains(rate))
                    .ok_or_else(|| "must be a number from 0 to 1, such as 0.01".to_owned())
            }),
            otlp_endpoint: read
                .text("CUBBY_OTLP_ENDPOINT")
                .map(|url| url.trim_end_matches('/').to_owned()),
            sentry_dsn: secret(&read, "CUBBY_SENTRY_DSN"),
            metrics_bind: read.parsed("CUBBY_METRICS_BIND", None, |raw| {
                raw.parse()
                    .map(Some)
                    .map_err(|_| "must be an address and port, such as 0.0.0.0:9090".to_owned())
            }),
            metrics_public: read.parsed("CUBBY_METRICS_PUBLIC", env == Environment::Dev, |raw| {
                match raw {
                    "true" => Ok(true),
                    "false" => Ok(false),
                    _ => Err("must be true or false".to_owned()),
                }
            }),
            schedule_rollup: read.cron("CUBBY_SCHEDULE_ROLLUP", "0 30 2 * * *"),
            schedule_retention: read.cron("CUBBY_SCHEDULE_RETENTION", "0 15 * * * *"),
            schedule_reminder: read.cron("CUBBY_SCHEDULE_REMINDER", "0 */15 * * * *"),
            unknown_keys,
        };
        settings.check(&mut read);
        if read.problems.is_empty() {
            Ok(settings)
        } else {
            Err(SettingsError {
                problems: read.problems,
            })
        }
    }

    /// The rules that tie variables together.
    fn check(&self, read: &mut Reader) {
        let short = |secret: &Option<SecretString>| {
            secret
                .as_ref()
                .is_some_and(|s| s.expose_secret().len() < 32)
        };
        if short(&self.jwt_hs256_secret) {
            read.problem("CUBBY_JWT_HS256_SECRET", "must be at least 32 bytes");
        }
        if short(&self.csrf_secret) {
            read.problem("CUBBY_CSRF_SECRET", "must be at least 32 bytes");
        }
        if self.jwt_keys.is_some() != self.jwt_signing_kid.is_some() {
            read.problem(
                "CUBBY_JWT_SIGNING_KID",
                "CUBBY_JWT_KEYS and CUBBY_JWT_SIGNING_KID go together",
            );
        }
        if self.jwt_keys.is_some() && self.jwt_hs256_secret.is_some() {
            read.problem(
                "CUBBY_JWT_HS256_SECRET",
                "set either CUBBY_JWT_KEYS or CUBBY_JWT_HS256_SECRET, not both",
            );
        }
        if (self.supabase_jwks_url.is_some() || self.supabase_jwt_secret.is_some())
            && self.supabase_issuer.is_none()
        {
            read.problem(
                "CUBBY_SUPABASE_ISSUER",
                "is required to accept Supabase sessions",
            );
        }
        for origin in &self.cors_origins {
            let scheme_ok = origin.starts_with("https://")
                || (self.env == Environment::Dev && origin.starts_with("http://"));
            if origin.contains('*') || !scheme_ok || origin.matches('/').count() != 2 {
                read.problem("CUBBY_CORS_ORIGINS", &format!("`{origin}` is not an origin such as https://app.example (no wildcard, no path)"));
            }
        }
        if let Some(url) = &self.app_url {
            let scheme_ok = url.starts_with("https://")
                || (self.env == Environment::Dev && url.starts_with("http://"));
            let host = url.split_once("://").map_or("", |(_, rest)| rest);
            if !scheme_ok || host.is_empty() || url.contains(['?', '#', ' ']) {
                read.problem(
                    "CUBBY_APP_URL",
                    &format!("`{url}` is not a base URL such as https://app.example (dev: also http://), without query or fragment"),
                );
            }
        }
        self.check_mail(read);
        if self.env == Environment::Dev {
            return;
        }
        let env = self.env.as_str();
        let required = [
            ("CUBBY_MONGODB_URI", self.mongodb_uri.is_some()),
            ("CUBBY_REDIS_URL", self.redis_url.is_some()),
            ("CUBBY_S3_BUCKET", self.s3_bucket.is_some()),
            ("CUBBY_JWT_KEYS", self.jwt_keys.is_some()),
            ("CUBBY_CSRF_SECRET", self.csrf_secret.is_some()),
            ("CUBBY_APP_URL", self.app_url.is_some()),
        ];
        for (key, present) in required {
            if !present {
                read.problem(key, &format!("is required in {env}"));
            }
        }
        if self.jwt_hs256_secret.is_some() {
            read.problem(
                "CUBBY_JWT_HS256_SECRET",
                &format!("HS256 is for dev only; {env} signs with an EdDSA or RS256 key"),
            );
        }
        if self
            .supabase_jwks_url
            .as_deref()
            .is_some_and(|url| !url.starts_with("https://"))
        {
            read.problem(
                "CUBBY_SUPABASE_JWKS_URL",
                &format!("must be https in {env}"),
            );
        }
        if self.smtp_url.is_none() && self.ses_region.is_none() {
            read.problem(
                "CUBBY_SMTP_URL",
                &format!(
                    "a mail transport is required in {env}: CUBBY_SMTP_URL (containers) or CUBBY_SES_REGION (Lambda)"
                ),
            );
        }
        for key in ["CUBBY_DEMO_PASSWORD", "CUBBY_DEMO_TOKENS_FILE"] {
            if read.text(key).is_some() {
                read.problem(
                    key,
                    &format!("the demo data set exists only in dev, not in {env}"),
                );
            }
        }
    }
}

impl Settings {
    /// The mail settings: one transport at most, each with a sender that is a mailbox. Their
    /// values are never repeated (the URL may hold a password, the sender is an address).
    fn check_mail(&self, read: &mut Reader) {
        if self.smtp_url.is_some() && self.ses_region.is_some() {
            read.problem(
                "CUBBY_SES_REGION",
                "set either CUBBY_SMTP_URL or CUBBY_SES_REGION, not both",
            );
        }
        if self.smtp_url.as_ref().is_some_and(|url| {
            let url = url.expose_secret().trim();
            !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        }) {
            read.problem(
                "CUBBY_SMTP_URL",
                "must be an smtp:// or smtps:// URL, such as smtps://user:pass@host:465",
            );
        }
        match &self.mail_from {
            Some(from) if !is_mailbox(from) => read.problem(
                "CUBBY_MAIL_FROM",
                "must be a mailbox, such as no-reply@example.org or Cubby <no-reply@example.org>",
            ),
            None if self.smtp_url.is_some() || self.ses_region.is_some() => read.problem(
                "CUBBY_MAIL_FROM",
                "is required to send mail (with CUBBY_SMTP_URL or CUBBY_SES_REGION)",
            ),
            _ => {}
        }
    }
}

/// Whether `text` is a mailbox: an address (`no-reply@example.org`), or a display name and an
/// address in angle brackets (`Cubby <no-reply@example.org>`, the name quoted if it holds
/// special characters). The address has one `@`, a local part and a dotted domain, and no
/// space or control character; the transports parse it again, fully.
fn is_mailbox(text: &str) -> bool {
    let address = match text.strip_suffix('>') {
        Some(rest) => match rest.rsplit_once('<') {
            Some((name, address)) => {
                let name = name.trim();
                let quoted = name.len() >= 2 && name.starts_with('"') && name.ends_with('"');
                let plain = !name.contains(['<', '>', '"', '@', ',', ';', ':']);
                if !(quoted || plain) || name.chars().any(char::is_control) {
                    return false;
                }
                address
            }
            None => return false,
        },
        None => text,
    };
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    let clean = |part: &str| {
        !part.is_empty()
            && !part
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:@\"".contains(c))
    };
    clean(local)
        && clean(domain)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `CUBBY_*` names in `text`: the first cell of each table row, or, with `rows` false,
    /// every whole name it mentions (a `CUBBY_SCHEDULE_*` pattern is not a name).
    fn names_in(text: &str, rows: bool) -> std::collections::BTreeSet<String> {
        if rows {
            return text
                .lines()
                .filter_map(|line| line.trim_start_matches("//! ").strip_prefix("| `"))
                .filter_map(|cell| cell.split('`').next())
                .filter(|name| name.starts_with("CUBBY_"))
                .map(str::to_owned)
                .collect();
        }
        let mut names = std::collections::BTreeSet::new();
        let mut rest = text;
        while let Some(at) = rest.find("CUBBY_") {
            let name: String = rest[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            let pattern = rest[at + name.len()..].starts_with('*');
            if !pattern && !name.starts_with("CUBBY_TEST_") && name != "CUBBY_REQUIRE_SERVICES" {
                names.insert(name.clone());
            }
            rest = &rest[at + name.len()..];
        }
        names
    }

    fn repository_file(path: &str) -> String {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn every_table_and_example_names_the_settings_the_code_reads_and_no_other() {
        let known: std::collections::BTreeSet<String> =
            KNOWN.iter().map(|name| (*name).to_owned()).collect();
        // This module's table and OPERATIONS.md's list every setting; README.md's the common ones.
        let here = names_in(include_str!("lib.rs"), true);
        assert_eq!(here, known, "the table at the top of this file");
        let operations = names_in(&repository_file("docs/OPERATIONS.md"), true);
        assert_eq!(operations, known, "docs/OPERATIONS.md's settings table");
        let readme = names_in(&repository_file("README.md"), true);
        assert!(readme.len() >= 10, "README.md's table is gone?");
        assert!(
            readme.is_subset(&known),
            "README.md names {:?}",
            &readme - &known
        );
        // The deployment examples mention no setting that does not exist.
        for path in [
            "deploy/env/dev.env",
            "deploy/env/prod.env.example",
            "deploy/env/staging.env.example",
            "deploy/template.yaml",
        ] {
            let named = names_in(&repository_file(path), false);
            assert!(
                named.is_subset(&known),
                "{path} names {:?}",
                &named - &known
            );
        }
    }

    #[test]
    fn every_known_setting_is_read() {
        // A name in KNOWN that nothing reads would be accepted and silently ignored.
        let code = include_str!("lib.rs");
        let body =
            &code[code.find("pub fn from_vars").unwrap()..code.find("#[cfg(test)]").unwrap()];
        for name in KNOWN {
            assert!(
                body.contains(&format!("\"{name}\"")),
                "{name} is known but never read"
            );
        }
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn no_settings_at_all_is_dev_on_the_defaults() {
        let settings = Settings::from_vars(vars(&[("HOME", "/home/x")])).unwrap();
        assert_eq!(settings.env, Environment::Dev);
        assert_eq!(settings.bind.to_string(), "127.0.0.1:8080");
        assert!(settings.mongodb_uri.is_none());
        assert_eq!(settings.access_token_ttl_minutes, 15);
        assert_eq!(settings.body_limit_bytes, 1024 * 1024);
    }

    #[test]
    fn every_problem_is_reported_with_its_variable() {
        let error = Settings::from_vars(vars(&[
            ("CUBBY_ENV", "production"),
            ("CUBBY_BIND", "localhost"),
            ("CUBBY_ACCESS_TOKEN_TTL_MINUTES", "60"),
            ("CUBBY_BODY_LIMIT_BYTES", "20000000"),
            ("CUBBY_JWT_HS256_SECRET", "short"),
        ]))
        .unwrap_err();
        let keys: Vec<&str> = error.problems.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "CUBBY_ENV",
                "CUBBY_BIND",
                "CUBBY_ACCESS_TOKEN_TTL_MINUTES",
                "CUBBY_BODY_LIMIT_BYTES",
                "CUBBY_JWT_HS256_SECRET"
            ]
        );
    }

    #[test]
    fn a_wildcard_or_a_path_is_never_a_cors_origin_and_plain_http_only_in_dev() {
        let refused = |env: &str, origins: &str| {
            Settings::from_vars(vars(&[("CUBBY_ENV", env), ("CUBBY_CORS_ORIGINS", origins)]))
                .err()
                .is_some_and(|error| {
                    error
                        .problems
                        .iter()
                        .any(|(k, _)| k == "CUBBY_CORS_ORIGINS")
                })
        };
        for origin in [
            "*",
            "https://*.example",
            "https://app.example/path",
            "app.example",
        ] {
            assert!(refused("dev", origin), "dev accepted {origin}");
            assert!(refused("prod", origin), "prod accepted {origin}");
        }
        assert!(refused("staging", "http://app.example"));
        assert!(!refused(
            "dev",
            "http://localhost:5173, https://app.example/"
        ));
        assert!(!refused("prod", "https://app.example"));
        let listed = Settings::from_vars(vars(&[("CUBBY_CORS_ORIGINS", "https://app.example/")]));
        assert_eq!(
            listed.map(|s| s.cors_origins).ok(),
            Some(vec!["https://app.example".to_owned()])
        );
    }

    #[test]
    fn prod_refuses_in_memory_stores_shared_secrets_and_demo_data() {
        let error = Settings::from_vars(vars(&[
            ("CUBBY_ENV", "prod"),
            ("CUBBY_JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef"),
            ("CUBBY_DEMO_PASSWORD", "hunter2hunter2"),
        ]))
        .unwrap_err();
        let keys: Vec<&str> = error.problems.iter().map(|(k, _)| k.as_str()).collect();
        for key in [
            "CUBBY_MONGODB_URI",
            "CUBBY_REDIS_URL",
            "CUBBY_JWT_HS256_SECRET",
            "CUBBY_DEMO_PASSWORD",
        ] {
            assert!(keys.contains(&key), "{key} not reported in {keys:?}");
        }
    }

    #[test]
    fn the_app_url_defaults_in_dev_only_and_is_https_outside_it() {
        let dev = Settings::from_vars(vars(&[])).unwrap();
        assert_eq!(dev.app_url.as_deref(), Some(DEV_APP_URL));
        let set = Settings::from_vars(vars(&[("CUBBY_APP_URL", "http://localhost:5173/app/")]));
        assert_eq!(
            set.unwrap().app_url.as_deref(),
            Some("http://localhost:5173/app")
        );
        for (env, url) in [
            ("dev", "ftp://app.example"),
            ("dev", "https://app.example/?next=1"),
            ("prod", "http://app.example"),
        ] {
            let error = Settings::from_vars(vars(&[("CUBBY_ENV", env), ("CUBBY_APP_URL", url)]))
                .unwrap_err();
            assert!(
                error.problems.iter().any(|(key, _)| key == "CUBBY_APP_URL"),
                "{env} {url}: {error:?}"
            );
        }
        let missing = Settings::from_vars(vars(&[("CUBBY_ENV", "prod")])).unwrap_err();
        assert!(
            missing
                .problems
                .iter()
                .any(|(key, problem)| key == "CUBBY_APP_URL" && problem.contains("required")),
            "{missing:?}"
        );
    }

    #[test]
    fn secrets_never_show_in_debug_or_errors() {
        let settings = Settings::from_vars(vars(&[
            ("CUBBY_MONGODB_URI", "mongodb://user:pa55word@db"),
            (
                "CUBBY_JWT_HS256_SECRET",
                "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t",
            ),
        ]))
        .unwrap();
        let printed = format!("{settings:?}");
        assert!(
            !printed.contains("pa55word") && !printed.contains("s3cr3t"),
            "{printed}"
        );
        let error =
            Settings::from_vars(vars(&[("CUBBY_JWT_HS256_SECRET", "tiny-s3cr3t")])).unwrap_err();
        assert!(!error.to_string().contains("tiny-s3cr3t"));
    }

    fn problems(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        Settings::from_vars(vars(pairs))
            .err()
            .map(|error| error.problems)
            .unwrap_or_default()
    }

    #[test]
    fn mail_goes_through_one_transport_from_a_mailbox_and_one_is_required_outside_dev() {
        // Dev sends to the outbox; a transport needs a sender.
        assert!(problems(&[]).is_empty());
        let from = ("CUBBY_MAIL_FROM", "Cubby <no-reply@example.org>");
        let settings =
            Settings::from_vars(vars(&[("CUBBY_SES_REGION", " eu-west-1 "), from])).unwrap();
        assert_eq!(settings.ses_region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            settings.mail_from.as_deref(),
            Some("Cubby <no-reply@example.org>")
        );
        assert!(problems(&[("CUBBY_SMTP_URL", "smtp://127.0.0.1:25"), from]).is_empty());
        assert_eq!(
            problems(&[("CUBBY_SMTP_URL", "smtp://127.0.0.1:25")])[0].0,
            "CUBBY_MAIL_FROM"
        );
        let both = problems(&[
            ("CUBBY_SMTP_URL", "smtps://mail.example.org"),
            ("CUBBY_SES_REGION", "eu-west-1"),
            from,
        ]);
        assert_eq!(both[0].0, "CUBBY_SES_REGION");
        let keys: Vec<String> = problems(&[("CUBBY_ENV", "prod")])
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        assert!(keys.contains(&"CUBBY_SMTP_URL".to_owned()), "{keys:?}");
    }

    #[test]
    fn the_sender_must_be_a_mailbox() {
        for good in [
            "no-reply@example.org",
            "Cubby <no-reply@example.org>",
            "\"Cubby, Maple Grove\" <no-reply@mail.example.org>",
            "Crèche Érable <bonjour@example.fr>",
        ] {
            assert!(is_mailbox(good), "{good} refused");
        }
        for bad in [
            "no-reply",
            "no-reply@localhost",
            "@example.org",
            "no reply@example.org",
            "Cubby no-reply@example.org",
            "Cubby <no-reply@example.org",
            "Cubby, Inc <no-reply@example.org>",
            "<no-reply@example.org>>",
            "a@b@example.org",
            "no-reply@example.org.",
        ] {
            assert!(!is_mailbox(bad), "{bad} accepted");
        }
    }

    #[test]
    fn the_smtp_url_and_the_sender_are_never_repeated() {
        let settings = Settings::from_vars(vars(&[
            ("CUBBY_SMTP_URL", "smtps://user:pa55word@mail.example.org"),
            ("CUBBY_MAIL_FROM", "hello@private.example.org"),
        ]))
        .unwrap();
        let printed = format!("{settings:?}");
        assert!(
            !printed.contains("pa55word") && !printed.contains("private.example"),
            "{printed}"
        );
        let error = Settings::from_vars(vars(&[
            ("CUBBY_SMTP_URL", "https://user:pa55word@mail.example.org"),
            ("CUBBY_MAIL_FROM", "not a sender at private.example.org"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(error.contains("CUBBY_SMTP_URL") && error.contains("CUBBY_MAIL_FROM"));
        assert!(
            !error.contains("pa55word") && !error.contains("private.example"),
            "{error}"
        );
    }

    fn dotenv(contents: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("cubby-dotenv-{}", uuid::Uuid::now_v7()));
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn a_dotenv_file_fills_in_dev_and_the_environment_wins() {
        let file = dotenv("CUBBY_BIND=127.0.0.1:9000\nCUBBY_LOG=debug\n");
        let settings = Settings::load(vars(&[("CUBBY_LOG", "warn")]), &file).unwrap();
        assert_eq!(settings.bind.to_string(), "127.0.0.1:9000");
        assert_eq!(settings.log_filter, "warn");
        std::fs::remove_file(file).unwrap();
    }

    #[test]
    fn a_dotenv_file_is_ignored_outside_dev_and_cannot_leave_dev() {
        let file = dotenv("CUBBY_BIND=not-an-address\n");
        let error = Settings::load(vars(&[("CUBBY_ENV", "prod")]), &file).unwrap_err();
        assert!(
            error.problems.iter().all(|(key, _)| key != "CUBBY_BIND"),
            "{error}"
        );
        std::fs::remove_file(file).unwrap();

        let file = dotenv("CUBBY_ENV=prod\n");
        let error = Settings::load(vars(&[]), &file).unwrap_err();
        assert_eq!(error.problems[0].0, ".env");
        std::fs::remove_file(file).unwrap();
    }

    #[test]
    fn platform_keys_are_digests_named_or_known_by_their_first_characters() {
        let a = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let b = "60303AE22B998861BCE3B28F33EEC1BE758A213C86C93C076DBE9F558C11C752";
        let settings = Settings::from_vars(vars(&[(
            "CUBBY_PLATFORM_KEYS",
            &format!("{a}, ops_alice:{b}"),
        )]))
        .unwrap();
        let ids: Vec<&str> = settings
            .platform_keys
            .iter()
            .map(|k| k.id.as_str())
            .collect();
        assert_eq!(ids, ["9f86d081", "ops_alice"]);
        assert_eq!(settings.platform_keys[0].digest[..2], [0x9f, 0x86]);
        assert_eq!(settings.platform_keys[1].digest[..2], [0x60, 0x30]);
        assert!(!format!("{settings:?}").contains(&a[8..]));
        assert!(
            Settings::from_vars(vars(&[]))
                .unwrap()
                .platform_keys
                .is_empty()
        );
    }

    #[test]
    fn a_platform_key_that_is_not_a_digest_stops_start_up_without_being_shown() {
        let good = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        for raw in [
            "my-plain-secret-key".to_owned(),
            format!("{good}0"),
            good.replace('9', "g"),
            format!("Bad-Name:{good}"),
            format!("{good},ops:{good}"),
            format!("ops:{good},ops:{}", good.replace('9', "8")),
        ] {
            let error = Settings::from_vars(vars(&[("CUBBY_PLATFORM_KEYS", &raw)])).unwrap_err();
            assert_eq!(error.problems[0].0, "CUBBY_PLATFORM_KEYS", "{raw}");
            assert!(!error.to_string().contains(&good[8..]), "{error}");
            assert!(!error.to_string().contains("my-plain"), "{error}");
        }
    }

    #[test]
    fn unknown_cubby_variables_are_named_for_a_warning() {
        let settings = Settings::from_vars(vars(&[
            ("CUBBY_MONGO_URI", "x"),
            ("CUBBY_TEST_MONGODB_URI", "y"),
        ]))
        .unwrap();
        assert_eq!(settings.unknown_keys, ["CUBBY_MONGO_URI"]);
    }
}
