//! `Idempotency-Key`: the first response to a request with a key is kept for 24 hours and
//! replayed to a retry with the same key and the same request; the same key with another
//! request is refused (422); of concurrent duplicates one runs and the others wait for its
//! answer. Keys are per tenant and per user. Responses of 5xx are not kept, so a retry runs
//! again.

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cubby_domain::ErrorCode;
use cubby_ports::{
    Claim, Fingerprint, IdempotencyKey, IdempotencyStore, StoredResponse, TenantScope,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode, Uri, header};
use sha2::{Digest, Sha256};

use crate::ApiError;

/// The request header.
pub(crate) const HEADER: &str = "idempotency-key";
/// The header marking a replayed response.
const REPLAYED: &str = "idempotent-replayed";
/// How long a response is kept.
const KEEP: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a claim lasts if its request neither completes nor fails (the process died).
const IN_FLIGHT: Duration = Duration::from_secs(60);
/// How often a duplicate looks again for the answer of the request it waits on.
const POLL: Duration = Duration::from_millis(50);
/// The headers kept with a response.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::ETAG, header::LOCATION];

/// The key of a request that may carry one, if it does.
///
/// # Errors
///
/// `400 idempotency.invalid_key` when the header is not 1 to 255 visible ASCII characters.
pub(crate) fn key(
    method: &Method,
    headers: &HeaderMap,
) -> Result<Option<IdempotencyKey>, ApiError> {
    if ![Method::POST, Method::PUT, Method::PATCH, Method::DELETE].contains(method) {
        return Ok(None);
    }
    let Some(raw) = headers.get(HEADER) else {
        return Ok(None);
    };
    raw.to_str()
        .ok()
        .and_then(IdempotencyKey::parse)
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::IdempotencyInvalidKey,
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
        })
}

/// What the request asks for: method, path with query, and body.
pub(crate) fn fingerprint(method: &Method, uri: &Uri, body: &[u8]) -> Fingerprint {
    let mut hasher = Sha256::new();
    hasher.update(method.as_str().as_bytes());
    hasher.update(b"\n");
    hasher.update(
        uri.path_and_query()
            .map_or(uri.path(), |pq| pq.as_str())
            .as_bytes(),
    );
    hasher.update(b"\n");
    hasher.update(body);
    Fingerprint(hasher.finalize().into())
}

/// Runs `execute` at most once for `key`, replaying its kept response to duplicates.
pub(crate) async fn run<F>(
    store: &dyn IdempotencyStore,
    scope: &TenantScope,
    key: &IdempotencyKey,
    fingerprint: Fingerprint,
    wait: Duration,
    execute: F,
) -> Result<Response<Bytes>, ApiError>
where
    F: Future<Output = Response<Bytes>>,
{
    let started = Instant::now();
    loop {
        match store
            .claim(scope, key, fingerprint, IN_FLIGHT)
            .await
            .map_err(ApiError::from_repo)?
        {
            Claim::Claimed => return finish(store, scope, key, fingerprint, execute.await).await,
            Claim::Completed {
                fingerprint: kept,
                response,
            } => {
                return if kept == fingerprint {
                    Ok(replay(response))
                } else {
                    Err(reused())
                };
            }
            Claim::InFlight {
                fingerprint: running,
            } if running != fingerprint => return Err(reused()),
            Claim::InFlight { .. } if started.elapsed() >= wait => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    ErrorCode::IdempotencyInProgress,
                    "a request with this Idempotency-Key is still running; retry shortly",
                )
                .with_header(header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            Claim::InFlight { .. } => tokio::time::sleep(POLL).await,
        }
    }
}

fn reused() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::IdempotencyKeyReused,
        "this Idempotency-Key was used for another request; use a new key for a new request",
    )
}

/// Keeps the response of a claimed key, or frees the key when the response is a 5xx.
async fn finish(
    store: &dyn IdempotencyStore,
    scope: &TenantScope,
    key: &IdempotencyKey,
    fingerprint: Fingerprint,
    response: Response<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let outcome = if response.status().is_server_error() {
        store.release(scope, key).await
    } else {
        store
            .complete(scope, key, fingerprint, &kept(&response), KEEP)
            .await
    };
    if let Err(error) = outcome {
        // The effect happened: answer it, and let the claim lapse.
        tracing::warn!(error = %error, "idempotency record not saved");
    }
    Ok(response)
}

fn kept(response: &Response<Bytes>) -> StoredResponse {
    StoredResponse {
        status: response.status().as_u16(),
        headers: KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                let value = response.headers().get(name)?.to_str().ok()?;
                Some((name.as_str().to_owned(), value.to_owned()))
            })
            .collect(),
        body: response.body().to_vec(),
    }
}

fn replay(stored: StoredResponse) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(stored.body));
    *response.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}
