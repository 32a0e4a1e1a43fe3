//! Cubby's REST contract, framework-free: routing, request and response shapes, session
//! extraction, errors and headers, on plain `http` types.
//!
//! Both hosts (actix-web in a container, lambda_http on AWS Lambda) turn what they receive
//! into an `http::Request<Bytes>`, call [`Api::handle`], and send back the
//! `http::Response<Bytes>` it returns, so a route exists on both hosts or on neither.
//!
//! **Architecture Invariant:** only this crate knows HTTP and JSON shapes; it knows no web
//! framework, store or driver.

mod context;
pub mod cookies;
mod cors;
mod error;
mod idempotency;
mod metrics;
mod openapi;
mod pipeline;
mod reply;
mod request_id;
mod router;
mod routes;
mod trace;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cubby_app::App;
use http::{HeaderMap, Request, Response};

pub use context::Ctx;
pub use error::ApiError;
pub use reply::Reply;
pub use request_id::RequestId;
pub use router::{Access, RECORD_BODY_LIMIT, RouteSpec};
pub use routes::metrics::{CONTENT_TYPE as METRICS_CONTENT_TYPE, MetricsRenderer};

/// The client's address, as the host saw it; hosts put it in the request's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// How the REST layer behaves.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// The deadline of every request.
    pub request_timeout: Duration,
    /// The key CSRF tokens are signed with.
    pub csrf: cookies::CsrfKey,
    /// The browser origins allowed to send cookie-authenticated and sign-in requests.
    pub allowed_origins: Vec<String>,
    /// Request rate limits; `None` counts nothing.
    pub rate_limits: Option<RateLimits>,
    /// Whether `GET /openapi.json` and Swagger UI (`GET /docs`) are served: everywhere but in
    /// production.
    pub serve_docs: bool,
    /// The share of successful reads whose log line is written (see the pipeline's sampling).
    pub log_sample_rate: f64,
    /// What `GET /metrics` serves on this listener; `None` (the default) leaves the route out.
    /// Set by the host, which holds the recorder, when `CUBBY_METRICS_PUBLIC` is on.
    pub metrics: Option<MetricsRenderer>,
    /// Dev conveniences (`CUBBY_ENV=dev` only): invitation tokens (a new centre's owner's
    /// too) are answered to the inviter as well as e-mailed, and `GET /dev/outbox` lists the
    /// mail of an in-memory outbox.
    pub dev: bool,
}

/// How many requests are answered per window before 429 `rate_limited`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// From one client address (health checks not counted).
    pub per_address: u32,
    /// Of one centre's members, whatever their address.
    pub per_tenant: u32,
    /// The window both count over.
    pub window: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(25),
            csrf: cookies::CsrfKey::random(),
            allowed_origins: Vec::new(),
            rate_limits: None,
            serve_docs: true,
            log_sample_rate: 1.0,
            metrics: None,
            dev: false,
        }
    }
}

impl ApiConfig {
    /// The configuration the settings ask for.
    pub fn from_settings(settings: &cubby_settings::Settings) -> Self {
        Self {
            body_limit: settings.body_limit_bytes,
            request_timeout: settings.request_timeout,
            csrf: settings
                .csrf_secret
                .clone()
                .map_or_else(cookies::CsrfKey::random, cookies::CsrfKey::new),
            allowed_origins: settings.cors_origins.clone(),
            rate_limits: Some(RateLimits {
                per_address: settings.rate_limit_per_address,
                per_tenant: settings.rate_limit_per_tenant,
                window: RATE_WINDOW,
            }),
            serve_docs: settings.env != cubby_settings::Environment::Prod,
            log_sample_rate: settings.log_sample_rate,
            metrics: None,
            dev: settings.env == cubby_settings::Environment::Dev,
        }
    }
}

/// The window request rate limits count over.
pub const RATE_WINDOW: Duration = Duration::from_secs(60);

/// The REST API: every route, over the application.
pub struct Api {
    app: Arc<App>,
    router: router::Router,
    config: ApiConfig,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Api {
    /// The API over `app`.
    pub fn new(app: Arc<App>, config: ApiConfig) -> Self {
        let mut router = routes::all(config.serve_docs);
        if config.metrics.is_some() {
            routes::metrics::register(&mut router);
        }
        // Without an operator key the platform API does not exist: every path of it is 404.
        if app.platform.keys().is_enabled() {
            routes::platform::register(&mut router);
        }
        if app.ports().local_objects.is_some() {
            routes::local_objects::register(&mut router);
        }
        if config.dev && app.ports().outbox.is_some() {
            routes::dev::register(&mut router);
        }
        Self {
            app,
            router,
            config,
        }
    }

    /// The largest body a host should read before giving up with
    /// [`Api::payload_too_large`].
    pub fn body_limit(&self) -> usize {
        self.config.body_limit
    }

    /// The largest body a host should read for a request to `path` before giving up with
    /// [`Api::payload_too_large`]: [`Api::body_limit`], but the dev object endpoint's own cap
    /// on its paths (it takes uploads, which never reach the API otherwise).
    pub fn body_limit_for(&self, path: &str) -> usize {
        self.router
            .object_body_limit(path)
            .unwrap_or(self.config.body_limit)
    }

    /// Every route of the REST contract (the OpenAPI document's operations) with its method,
    /// path template and declared access. The dev object endpoint is not one.
    pub fn routes(&self) -> impl Iterator<Item = &RouteSpec> {
        self.router.specs()
    }

    /// The application behind the API.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Answers one request.
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        pipeline::handle(self, request).await
    }

    /// The 413 answer for a host that stopped reading a body to `path` larger than
    /// [`Api::body_limit_for`] that path, naming that limit.
    pub fn payload_too_large(&self, path: &str, headers: &HeaderMap) -> Response<Bytes> {
        let request_id = RequestId::from_headers(headers);
        pipeline::finish(
            error::too_large(self.body_limit_for(path)).into_response(&request_id),
            &request_id,
        )
    }
}
