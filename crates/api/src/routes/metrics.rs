//! `GET /metrics`: the process's metrics in the Prometheus text format, for a scraper.
//!
//! This crate records metrics through the `metrics` facade but does not know the exporter: the
//! host hands it a [`MetricsRenderer`]. The public listener serves the route only when the
//! host put one in [`crate::ApiConfig::metrics`] (the host does so when `CUBBY_METRICS_PUBLIC`
//! is on); a host's separate metrics listener answers with [`MetricsRenderer::answer`].

use std::sync::Arc;

use bytes::Bytes;
use cubby_domain::ErrorCode;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};

use crate::router::Router;
use crate::{ApiError, Ctx, Reply, RequestId};

/// The route's path.
pub(crate) const PATH: &str = "/metrics";

/// The Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Renders the metrics of the process in the Prometheus text format. Cheap to clone.
#[derive(Clone)]
pub struct MetricsRenderer(Arc<dyn Fn() -> String + Send + Sync>);

impl std::fmt::Debug for MetricsRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsRenderer").finish_non_exhaustive()
    }
}

impl MetricsRenderer {
    /// A renderer calling `render`.
    pub fn new(render: impl Fn() -> String + Send + Sync + 'static) -> Self {
        Self(Arc::new(render))
    }

    /// The metrics, as text.
    pub fn render(&self) -> String {
        (self.0)()
    }

    /// The answer of a listener serving nothing but the metrics: `GET /metrics` is the text,
    /// another method on it 405, any other path 404 (in the error shape, with the security
    /// headers every answer carries).
    pub fn answer(&self, method: &Method, path: &str, headers: &HeaderMap) -> Response<Bytes> {
        let request_id = RequestId::from_headers(headers);
        let response = if path != PATH {
            ApiError::not_found().into_response(&request_id)
        } else if method == Method::GET {
            text(self.render()).into_response()
        } else {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                "this route does not take this method",
            )
            .with_header(header::ALLOW, HeaderValue::from_static("GET"))
            .into_response(&request_id)
        };
        crate::pipeline::finish(response, &request_id)
    }
}

/// Adds `GET /metrics`, public (scrapers carry no session; keep the route off public listeners
/// in production, as the host does).
pub(crate) fn register(router: &mut Router) {
    router.public(Method::GET, PATH, serve);
}

fn text(body: String) -> Reply {
    Reply::bytes(CONTENT_TYPE, Bytes::from(body))
}

/// `GET /metrics`: every metric of this process, in the Prometheus text format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    responses((status = 200, description = "The metrics, in the Prometheus text format \
        (version 0.0.4)", content_type = "text/plain", body = String))
)]
pub(crate) async fn serve(ctx: Ctx) -> Result<Reply, ApiError> {
    let renderer = ctx
        .config()
        .metrics
        .as_ref()
        .ok_or_else(ApiError::not_found)?;
    Ok(text(renderer.render()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renderer() -> MetricsRenderer {
        MetricsRenderer::new(|| "# TYPE up gauge\nup 1\n".to_owned())
    }

    #[test]
    fn the_metrics_listener_answers_only_get_metrics() {
        let headers = HeaderMap::new();
        let ok = renderer().answer(&Method::GET, "/metrics", &headers);
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
        assert_eq!(ok.headers()["x-content-type-options"], "nosniff");
        assert_eq!(ok.body().as_ref(), b"# TYPE up gauge\nup 1\n");
        let other = renderer().answer(&Method::GET, "/v1/rooms", &headers);
        assert_eq!(other.status(), StatusCode::NOT_FOUND);
        let post = renderer().answer(&Method::POST, "/metrics", &headers);
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(post.headers()[header::ALLOW], "GET");
    }
}
