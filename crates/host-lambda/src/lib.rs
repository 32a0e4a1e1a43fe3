//! The Lambda host: the shared [`cubby_api::Api`] behind API Gateway (HTTP API, payload v2)
//! through lambda_http.
//!
//! Clients and the application are built once, before the handler loop, and reused by every
//! invocation of the execution environment.
//!
//! **Architecture Invariant:** only the host crates know actix-web or lambda_http; no route,
//! check or error shape is defined here.

use std::sync::Arc;

use bytes::Bytes;
use cubby_adapters_mongo::Mongo;
use cubby_adapters_redis::Redis;
use cubby_api::{Api, ApiConfig};
use cubby_app::{App, AppConfig, Settings};
use lambda_http::{Body, Request, Response};
use secrecy::ExposeSecret;

/// The namespace of every Redis key this deployment writes (the same as the container's, so
/// both hosts can share a Redis).
const REDIS_NAMESPACE: &str = "cubby";

/// The application the settings ask for: MongoDB for the repositories when
/// `CUBBY_MONGODB_URI` is set, Redis for the cache, idempotency records, session state and
/// counters when `CUBBY_REDIS_URL` is set, S3 for files when `CUBBY_S3_BUCKET` is set, SQS for
/// jobs when `CUBBY_SQS_QUEUE_PREFIX` is set, memory for the rest (settings refuse memory outside
/// dev). Indexes are not ensured here, to keep cold starts short: deployments run
/// `cubby admin ensure-indexes`.
///
/// # Errors
///
/// When a connection string is not valid, or the password hashing costs are not.
pub async fn app(settings: &Settings, config: AppConfig) -> Result<App, lambda_http::Error> {
    let mut ports = cubby_adapters_memory::embedded_ports();
    if let Some(uri) = &settings.mongodb_uri {
        Mongo::connect(uri.expose_secret())
            .await?
            .install(&mut ports);
    }
    if let Some(url) = &settings.redis_url {
        Redis::connect(url.expose_secret(), REDIS_NAMESPACE)?.install(&mut ports);
    }
    if let Some(bucket) = &settings.s3_bucket {
        // Lambda's execution role credentials arrive in AWS_ACCESS_KEY_ID and friends.
        cubby_adapters_s3::S3Objects::new(cubby_adapters_s3::S3Options {
            endpoint: settings.s3_endpoint.clone(),
            region: settings.s3_region.clone(),
            bucket: bucket.clone(),
            keys: None,
        })?
        .install(&mut ports);
    }
    if let Some(prefix) = &settings.sqs_queue_prefix {
        cubby_adapters_sqs::SqsJobs::connect(cubby_adapters_sqs::SqsOptions {
            endpoint: settings.sqs_endpoint.clone(),
            region: settings.sqs_region.clone(),
            queues: cubby_adapters_sqs::SqsQueues::named(prefix),
            keys: None,
        })
        .await?
        .install(&mut ports);
    }
    Ok(App::new(ports, config)?)
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
    if bytes.len() > api.body_limit() {
        return into_lambda(api.payload_too_large(&parts.headers));
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

/// Installs the global JSON log subscriber, filtered by `CUBBY_LOG`.
pub fn init_logs(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .without_time()
        .with_env_filter(filter)
        .try_init();
}
