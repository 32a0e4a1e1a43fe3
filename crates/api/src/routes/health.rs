//! Liveness and readiness.

use std::time::Duration;

use cubby_domain::ErrorCode;
use futures::future::join_all;
use http::StatusCode;
use serde_json::{Map, Value, json};

use crate::{ApiError, Ctx, Reply};

/// How long one dependency may take to answer a readiness probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /healthz`, `GET /health/live`: the process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "The process runs", body = crate::openapi::shapes::Live))
)]
pub(crate) async fn live(_ctx: Ctx) -> Result<Reply, ApiError> {
    Reply::ok(&json!({ "status": "ok" }))
}

/// `GET /readyz`, `GET /health/ready`: every dependency answers. Each is reported by name;
/// 503 in the error shape, with the same report in `details`, when any is down.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Every dependency answers", body = crate::openapi::shapes::Ready),
        (status = 503, description = "A dependency is down (`not_ready`, with the report in \
            `details.checks`), or the check ran past the request's deadline"),
    )
)]
pub(crate) async fn ready(ctx: Ctx) -> Result<Reply, ApiError> {
    let probes = &ctx.app().probes;
    let results = join_all(probes.iter().map(|probe| async move {
        let outcome = tokio::time::timeout(PROBE_TIMEOUT, probe.check()).await;
        let status = match outcome {
            Ok(Ok(())) => json!({ "status": "up" }),
            Ok(Err(error)) => json!({ "status": "down", "error": error.0 }),
            Err(_) => json!({ "status": "down", "error": "no answer in time" }),
        };
        (probe.name(), status)
    }))
    .await;
    let all_up = results.iter().all(|(_, status)| status["status"] == "up");
    let checks: Map<String, Value> = results
        .into_iter()
        .map(|(name, status)| (name.to_owned(), status))
        .collect();
    if all_up {
        Reply::ok(&json!({ "status": "ready", "checks": checks }))
    } else {
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::NotReady,
            "a dependency is down",
        )
        .with_details(json!({ "checks": checks })))
    }
}
