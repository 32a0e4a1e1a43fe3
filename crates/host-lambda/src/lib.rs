//! The Lambda host, three functions on one composition root ([`start`]):
//!
//! - `api`: the shared [`cubby_api::Api`] behind API Gateway (HTTP API, payload v2) through
//!   lambda_http ([`handle`]);
//! - `worker`: the jobs SQS delivers in batches ([`worker`]);
//! - `scheduler`: the ticks of EventBridge Scheduler, or ticks delivered through SQS
//!   ([`scheduler`]).
//!
//! Clients and the application are built once, before the handler loop, and reused by every
//! invocation of the execution environment.
//!
//! **Architecture Invariant:** only the host crates know actix-web or lambda_http; no route,
//! check or error shape is defined here.

pub mod scheduler;
pub mod worker;

use std::sync::Arc;

use bytes::Bytes;
use cubby_api::{Api, ApiConfig};
use cubby_app::App;
use cubby_settings::Settings;
use lambda_http::{Body, Request, Response};

/// What every function does before its handler loop: the hosts' shared start-up
/// ([`cubby_compose::start()`]: the settings read and checked, the JSON logs and exporters, the
/// TLS provider), then the application on the adapters the settings ask for, with pools sized
/// for Lambda, and in dev the demo data set. Indexes are not ensured here, to keep cold starts
/// short: deployments run `cubby admin ensure-indexes`.
///
/// # Errors
///
/// When a setting is missing or not valid, or an adapter cannot be built; the function then
/// fails its initialisation, which Lambda reports and retries.
pub async fn start() -> Result<(Settings, Arc<App>), lambda_http::Error> {
    let cubby_compose::Started {
        settings,
        config,
        telemetry,
    } = cubby_compose::start(cubby_telemetry::Host::Lambda)?;
    let _ = TELEMETRY.set(telemetry);
    let app = cubby_compose::app(&settings, config, cubby_compose::Runtime::Lambda)
        .await
        .map_err(|error| format!("{error:#}"))?;
    let app = Arc::new(app);
    cubby_compose::start::demo_in_dev(&app, &settings).await?;
    Ok((settings, app))
}

/// The telemetry of this execution environment, kept for its whole life.
static TELEMETRY: std::sync::OnceLock<cubby_telemetry::Telemetry> = std::sync::OnceLock::new();

/// Runs one invocation's `work`, then, when traces or error reports are sent out, sends what
/// it made before the answer goes back: Lambda may freeze the execution environment as soon as
/// it has the answer, with spans and reports still waiting for their exporters' next round.
/// Every function's handler runs in it.
pub async fn flushed<T>(work: impl std::future::Future<Output = T>) -> T {
    let answer = work.await;
    if let Some(telemetry) = TELEMETRY.get().filter(|telemetry| telemetry.exports()) {
        // The flush waits for the collector and Sentry: off the runtime's threads.
        let _ = tokio::task::spawn_blocking(move || telemetry.flush()).await;
    }
    answer
}

/// The api the settings ask for.
pub fn api(settings: &Settings, app: Arc<App>) -> Api {
    Api::new(app, ApiConfig::from_settings(settings))
}

/// Answers one API Gateway request with the shared api.
pub async fn handle(api: &Api, request: Request) -> Response<Body> {
    let client = source_ip(&request);
    let (mut parts, body) = request.into_parts();
    if let Some(ip) = client {
        parts.extensions.insert(cubby_api::ClientAddr(ip));
    }
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(binary) => Bytes::from(binary),
        _ => Bytes::new(),
    };
    if bytes.len() > api.body_limit_for(parts.uri.path()) {
        return into_lambda(api.payload_too_large(parts.uri.path(), &parts.headers));
    }
    into_lambda(api.handle(http::Request::from_parts(parts, bytes)).await)
}

/// The client address API Gateway saw (`requestContext.http.sourceIp`).
fn source_ip(request: &Request) -> Option<std::net::IpAddr> {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.as_deref()?.parse().ok(),
        _ => None,
    }
}

/// API Gateway wants text bodies as text; anything else goes base64-encoded.
fn into_lambda(response: http::Response<Bytes>) -> Response<Body> {
    let (parts, bytes) = response.into_parts();
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(error) => Body::Binary(error.into_bytes()),
        }
    };
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use lambda_http::request::LambdaRequest;

    /// API Gateway (payload v2) joins repeated headers with commas; lambda_http hands the joined
    /// value on intact. This pins that behaviour of the dependency, on which the api's refusal of
    /// a comma in `Authorization` relies (the e2e credential cases show the refusal itself).
    #[test]
    fn a_repeated_header_reaches_the_api_as_api_gateway_joined_it() {
        let event = serde_json::json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": "/v1/rooms",
            "rawQueryString": "",
            "headers": { "authorization": "Bearer first,Bearer second" },
            "cookies": ["a=1", "b=2"],
            "requestContext": {
                "accountId": "123456789012", "apiId": "cubby", "domainName": "cubby.example",
                "domainPrefix": "cubby", "requestId": "id", "routeKey": "$default",
                "stage": "$default", "time": "22/Nov/2026:10:00:00 +0000",
                "timeEpoch": 1_795_341_600_000_i64,
                "http": { "method": "GET", "path": "/v1/rooms", "protocol": "HTTP/1.1",
                    "sourceIp": "192.0.2.10", "userAgent": "test" }
            },
            "isBase64Encoded": false
        });
        let request: LambdaRequest = serde_json::from_value(event).unwrap();
        let request = lambda_http::Request::from(request);
        let values: Vec<&str> = request
            .headers()
            .get_all(http::header::AUTHORIZATION)
            .iter()
            .map(|value| value.to_str().unwrap())
            .collect();
        assert_eq!(values, ["Bearer first,Bearer second"]);
        assert_eq!(request.headers()[http::header::COOKIE], "a=1; b=2");
    }
}
