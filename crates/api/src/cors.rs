//! CORS, for the browser origins the settings allow (`CUBBY_CORS_ORIGINS`) and no other.
//!
//! A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an allowed
//! origin is answered 204 with the path's methods, the request headers the API reads, and a
//! ten-minute cache; from another origin it is refused (403 `cors.origin_not_allowed`), and a
//! path that does not exist is 404 as for any request. Every answer to an allowed origin carries
//! `Access-Control-Allow-Origin` (that origin, never `*`) with credentials allowed, and exposes
//! the headers clients read; answers to other origins carry no CORS header, so browsers keep
//! them from the page. Every answer says `Vary: Origin`.

use bytes::Bytes;
use cubby_domain::ErrorCode;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};

use crate::router::{Lookup, Router};
use crate::{ApiConfig, ApiError};

/// The request headers the API reads, which browsers may send.
const ALLOWED_HEADERS: &str =
    "authorization, content-type, idempotency-key, if-match, x-csrf-token, x-request-id";
/// The response headers clients read.
const EXPOSED_HEADERS: &str = "etag, location, retry-after, x-request-id";
/// How long a browser may keep a preflight's answer, in seconds.
const MAX_AGE: &str = "600";

/// The request's `Origin` when the settings allow it.
pub(crate) fn allowed_origin(config: &ApiConfig, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let text = origin.to_str().ok()?.trim_end_matches('/');
    config
        .allowed_origins
        .iter()
        .any(|allowed| allowed == text)
        .then(|| origin.clone())
}

/// Whether a request is a CORS preflight.
pub(crate) fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS
        && headers.contains_key(header::ORIGIN)
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight for `path` from `origin` (the allowed origin, if it is one).
pub(crate) fn preflight(
    router: &Router,
    path: &str,
    origin: Option<&HeaderValue>,
) -> Result<Response<Bytes>, ApiError> {
    let methods = match router.at(&Method::OPTIONS, path) {
        Lookup::NotFound => return Err(ApiError::not_found()),
        Lookup::MethodNotAllowed(methods) => methods,
        Lookup::Found(..) => vec![Method::OPTIONS],
    };
    if origin.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::CorsOriginNotAllowed,
            "requests from this origin are not allowed",
        ));
    }
    let methods = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    if let Ok(methods) = HeaderValue::from_str(&methods) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
    }
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE),
    );
    Ok(response)
}

/// Adds the CORS headers of an answer to `origin` (the allowed origin, if it is one).
pub(crate) fn decorate(response: &mut Response<Bytes>, origin: Option<HeaderValue>) {
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
}
