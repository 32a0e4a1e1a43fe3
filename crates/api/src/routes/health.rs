//! Liveness and readiness.

use std::time::Duration;

use cubby_domain::ErrorCode;
use futures::future::join_all;
use http::StatusCode;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::json;
use utoipa::ToSchema;

use crate::{ApiError, Ctx, Reply};

/// How long one dependency may take to answer a readiness probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// `ok`.
#[derive(serde::Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum LiveStatus {
    /// The process runs.
    Ok,
}

/// The process is up.
#[derive(serde::Serialize, ToSchema)]
#[schema(as = Live)]
struct LiveOut {
    status: LiveStatus,
}

/// `ready`.
#[derive(serde::Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum ReadyStatus {
    /// Every dependency answers.
    Ready,
}

/// Whether a dependency answers.
#[derive(serde::Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum CheckStatus {
    /// It answers.
    Up,
    /// It does not (then the answer is 503, with this report in `details.checks`).
    Down,
}

/// One dependency's check.
#[derive(serde::Serialize, ToSchema)]
#[schema(as = Check)]
struct CheckOut {
    status: CheckStatus,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    error: Option<String>,
}

/// Each dependency's check by name, in the order the probes are listed.
struct Checks(Vec<(&'static str, CheckOut)>);

impl Serialize for Checks {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, check) in &self.0 {
            map.serialize_entry(name, check)?;
        }
        map.end()
    }
}

/// Every dependency answers.
#[derive(serde::Serialize, ToSchema)]
#[schema(as = Ready)]
struct ReadyOut {
    status: ReadyStatus,
    /// Each dependency's check, by name.
    #[schema(value_type = std::collections::BTreeMap<String, CheckOut>)]
    checks: Checks,
}

/// `GET /healthz`, `GET /health/live`: the process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "The process runs", body = LiveOut))
)]
pub(crate) async fn live(_ctx: Ctx) -> Result<Reply, ApiError> {
    Reply::ok(&LiveOut {
        status: LiveStatus::Ok,
    })
}

/// `GET /readyz`, `GET /health/ready`: every dependency answers. Each is reported by name;
/// 503 in the error shape, with the same report in `details`, when any is down.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Every dependency answers", body = ReadyOut),
        (status = 503, description = "A dependency is down (`not_ready`, with the report in \
            `details.checks`), or the check ran past the request's deadline"),
    )
)]
pub(crate) async fn ready(ctx: Ctx) -> Result<Reply, ApiError> {
    let probes = &ctx.app().probes;
    let results = join_all(probes.iter().map(|probe| async move {
        let outcome = tokio::time::timeout(PROBE_TIMEOUT, probe.check()).await;
        let check = match outcome {
            Ok(Ok(())) => CheckOut {
                status: CheckStatus::Up,
                error: None,
            },
            Ok(Err(error)) => CheckOut {
                status: CheckStatus::Down,
                error: Some(error.0),
            },
            Err(_) => CheckOut {
                status: CheckStatus::Down,
                error: Some("no answer in time".to_owned()),
            },
        };
        (probe.name(), check)
    }))
    .await;
    let all_up = results
        .iter()
        .all(|(_, check)| check.status == CheckStatus::Up);
    let checks = Checks(results);
    if all_up {
        Reply::ok(&ReadyOut {
            status: ReadyStatus::Ready,
            checks,
        })
    } else {
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::NotReady,
            "a dependency is down",
        )
        .with_details(json!({ "checks": checks })))
    }
}
