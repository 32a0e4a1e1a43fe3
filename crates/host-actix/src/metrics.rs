//! Metrics: the renderer of the recorder [`cubby_telemetry::metrics`] installed, for the public
//! listener (`CUBBY_METRICS_PUBLIC`), and the metrics listener (`CUBBY_METRICS_BIND`): a second,
//! small server next to the API's, answering `GET /metrics` and nothing else, for a scraper on
//! a private network.

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::Server as ActixServer;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use cubby_api::MetricsRenderer;
use cubby_settings::Settings;

use crate::glue;

/// The renderer of this process's recorder, if one is installed.
pub fn renderer() -> Option<MetricsRenderer> {
    let metrics = cubby_telemetry::metrics::installed()?;
    Some(MetricsRenderer::new(move || metrics.render()))
}

/// What the public listener serves at `/metrics`: the renderer when `CUBBY_METRICS_PUBLIC` is
/// on and a recorder is installed, else nothing (the route answers 404).
pub fn public_renderer(settings: &Settings) -> Option<MetricsRenderer> {
    settings.metrics_public.then(renderer).flatten()
}

/// A bound, not yet running, metrics listener.
pub struct MetricsServer {
    server: ActixServer,
    address: SocketAddr,
}

impl std::fmt::Debug for MetricsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsServer")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl MetricsServer {
    /// Binds `address` to serve what `renderer` renders. The server stops with the process
    /// (it does not handle signals itself: the API's server or the worker does).
    ///
    /// # Errors
    ///
    /// When the address cannot be bound.
    pub fn bind(renderer: MetricsRenderer, address: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address)?;
        let address = listener.local_addr()?;
        let data = web::Data::new(renderer);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(answer))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
        Ok(Self { server, address })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until the process ends.
    ///
    /// # Errors
    ///
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Binds the metrics listener `CUBBY_METRICS_BIND` names, when it names one and a recorder is
/// installed, and serves it in the background; answers the address bound.
///
/// # Errors
///
/// When the address cannot be bound.
pub fn spawn(settings: &Settings) -> std::io::Result<Option<SocketAddr>> {
    let (Some(address), Some(renderer)) = (settings.metrics_bind, renderer()) else {
        return Ok(None);
    };
    let server = MetricsServer::bind(renderer, address)?;
    let bound = server.address();
    tokio::spawn(async move {
        if let Err(error) = server.run_until_stopped().await {
            tracing::error!(error = %error, "the metrics listener stopped");
        }
    });
    Ok(Some(bound))
}

/// The one handler: `GET /metrics`, or the 404 or 405 the api answers.
async fn answer(request: HttpRequest, renderer: web::Data<MetricsRenderer>) -> HttpResponse {
    let method = http::Method::from_bytes(request.method().as_str().as_bytes())
        .unwrap_or(http::Method::OPTIONS);
    let mut headers = http::HeaderMap::new();
    if let Some(id) = request.headers().get("x-request-id")
        && let Ok(value) = http::HeaderValue::from_bytes(id.as_bytes())
    {
        headers.insert("x-request-id", value);
    }
    glue::respond(renderer.answer(&method, request.path(), &headers))
}
