//! What every request goes through, in order: request id, route, session, permission, body
//! checks, the handler under a deadline, then the uniform error shape, the security headers
//! and one log line.

use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::FutureExt;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, header};
use tracing::Instrument;

use crate::context::Ctx;
use crate::cookies;
use crate::cors;
use crate::error::{forbidden, too_large, too_many};
use crate::idempotency;
use crate::request_id::{self, RequestId};
use crate::router::{Access, Kind, Lookup, Route};
use crate::trace;
use crate::{Api, ApiError};
use crate::{ApiConfig, ClientAddr};
use cubby_app::auth::parse_refresh_token;
use cubby_app::platform::{Operator, OperatorRefused};
use cubby_app::session::{AuthError, Presented, Session, Sessions};
use cubby_domain::{ErrorCode, SessionId};
use cubby_ports::{GateAnswer, GateReads, LimitKey, Window};

/// What the log line of a request says about its caller and route.
#[derive(Default)]
struct Outline {
    route: Option<&'static str>,
    tenant_id: Option<String>,
    user_id: Option<String>,
}

pub(crate) async fn handle(api: &Api, request: Request<Bytes>) -> Response<Bytes> {
    let started = Instant::now();
    let request_id = RequestId::from_headers(request.headers());
    let method = request.method().clone();
    let (span, trace_id) = trace::request_span(request.headers(), &request_id, &method);
    let mut outline = Outline::default();
    let answer = answer(api, request, &request_id, &mut outline)
        .instrument(span)
        .await;
    let status = answer.status().as_u16();
    let elapsed = started.elapsed();
    let route = outline.route.unwrap_or("unmatched");
    crate::metrics::request(&method, route, status, elapsed);
    let sample_rate = is_hot(&method, status).then_some(api.config.log_sample_rate);
    if sample_rate.is_none_or(|rate| rand::random_bool(rate.clamp(0.0, 1.0))) {
        tracing::info!(
            request_id = %request_id,
            trace_id,
            method = %method,
            route,
            status,
            dur_ms = elapsed.as_secs_f64() * 1000.0,
            tenant_id = outline.tenant_id.as_deref(),
            user_id = outline.user_id.as_deref(),
            sample_rate,
            "request"
        );
    }
    answer
}

/// Whether a request's log line may be sampled: a successful read. Failures, refusals and
/// every change are always written.
fn is_hot(method: &Method, status: u16) -> bool {
    is_safe(method) && status < 400
}

/// The response to a request, with the request id, CORS and security headers.
async fn answer(
    api: &Api,
    request: Request<Bytes>,
    request_id: &RequestId,
    outline: &mut Outline,
) -> Response<Bytes> {
    let method = request.method().clone();
    let origin = cors::allowed_origin(&api.config, request.headers());
    let answer = if cors::is_preflight(&method, request.headers()) {
        outline.route = Some("(CORS preflight)");
        cors::preflight(&api.router, request.uri().path(), origin.as_ref())
    } else {
        // One memo of cache reads per request: the session's entries, read with the rate-limit
        // counters, are there for the handler too.
        cubby_app::cache::remembering(dispatch(api, request, request_id, outline)).await
    };
    let response = match answer {
        Ok(response) => response,
        Err(error) => failed(error, request_id, outline.tenant_id.as_deref()),
    };
    let mut response = finish(response, request_id);
    cors::decorate(&mut response, origin);
    response
}

async fn dispatch(
    api: &Api,
    request: Request<Bytes>,
    request_id: &RequestId,
    outline: &mut Outline,
) -> Result<Response<Bytes>, ApiError> {
    let (parts, body) = request.into_parts();
    let (route, params) = match api.router.at(&parts.method, parts.uri.path()) {
        Lookup::Found(route, params) => (route, params),
        Lookup::NotFound => return Err(ApiError::not_found()),
        Lookup::MethodNotAllowed(allowed) => return Err(method_not_allowed(&allowed)),
    };
    outline.route = Some(route.spec.path);

    let client = parts.extensions.get::<ClientAddr>().map(|addr| addr.0);
    let session = admit(api, route, client, &parts.method, &parts.headers, outline).await?;
    let operator = match route.spec.access {
        Access::Operator => Some(operator(api, &parts.headers, client).await?),
        Access::Public | Access::Session | Access::Permission(_) => None,
    };

    if route.kind == Kind::ObjectEndpoint {
        // Objects of any type, up to the endpoint's own cap (the store checks each grant's).
        if body.len() > route.spec.body_limit {
            return Err(too_large(route.spec.body_limit));
        }
    } else if !body.is_empty() {
        if !is_json(&parts.headers) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::RequestUnsupportedMediaType,
                "request bodies must be JSON (Content-Type: application/json)",
            ));
        }
        let limit = route.spec.body_limit.min(api.config.body_limit);
        if body.len() > limit {
            return Err(too_large(limit));
        }
    }

    // The body is hashed only for a request that can claim its key: one with a session, on a
    // route whose answers may be kept.
    let claim = match (
        idempotency::key(&parts.method, &parts.headers)?,
        session.as_ref(),
    ) {
        (Some(key), Some(session)) if crate::routes::keeps_answers(route.spec.path) => Some((
            key,
            session.scope.clone(),
            idempotency::fingerprint(&parts.method, &parts.uri, &body),
        )),
        _ => None,
    };
    let ctx = Ctx {
        app: api.app.clone(),
        config: api.config.clone(),
        session,
        operator,
        client,
        params,
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
        request_id: request_id.clone(),
    };
    let execute = execute(api, route, ctx, request_id, outline.tenant_id.as_deref());
    match claim {
        Some((key, scope, fingerprint)) => {
            let store = api.app.ports().idempotency.as_ref();
            let wait = api.config.request_timeout.min(IDEMPOTENT_WAIT);
            idempotency::run(store, &scope, &key, fingerprint, wait, execute).await
        }
        None => Ok(execute.await),
    }
}

/// Counts the request against its rate limits and opens its session, with one call to the
/// gate: the per-address counter (every route but the health checks), and for a route with a
/// session the per-centre counter, the blocklist and the cached session entries of the token.
/// Refusals come in this order: 429 for the address, 401 (also on a public route, for several
/// credentials; or 503 when the gate or a store does not answer: sessions fail closed), 403
/// for a browser request's origin or CSRF token, 429 for the centre, 403 for the permission. The centre's counter counts every request whose token
/// is signed for it, refused or not. A gate that does not answer counts nothing on a public
/// route, which is served.
async fn admit(
    api: &Api,
    route: &Route,
    client: Option<std::net::IpAddr>,
    method: &Method,
    headers: &HeaderMap,
    outline: &mut Outline,
) -> Result<Option<Session>, ApiError> {
    let limits = api.config.rate_limits.as_ref();
    let mut reads = GateReads::default();
    let per_address = match (limits, client) {
        (Some(limits), Some(address)) if !crate::routes::is_health_check(route.spec.path) => {
            reads
                .hits
                .push((LimitKey::requests_from(address), limits.window));
            Some(limits.per_address)
        }
        _ => None,
    };
    // A public route reads no credential, but refuses several all the same: whatever sits in
    // front must not be able to judge one copy while another is served.
    let (presented, public) = match route.spec.access {
        // An operator key is checked after the address's counter (below, in `operator`); it is
        // never a session's token, so none is presented here.
        Access::Public | Access::Operator => (None, one_authorization(headers)),
        Access::Session | Access::Permission(_) => (Some(present(api, headers)), Ok(())),
    };
    // A token signed for a centre counts on that centre's counter, and opening its session
    // reads the blocklist and the cached entries, in the same call.
    let mut per_tenant = None;
    if let Some(Ok((presented, _))) = &presented {
        if let Some(limits) = limits {
            let key = LimitKey::requests_of(presented.tenant_id());
            reads.hits.push((key, limits.window));
            per_tenant = Some(limits.per_tenant);
        }
        api.app.sessions.reads(presented, &mut reads);
    }
    let mut answer = if reads.hits.is_empty() && reads.blocked.is_none() {
        Ok(GateAnswer::default())
    } else {
        api.app.gate.admit(&reads).await
    };
    let windows = match &mut answer {
        Ok(answer) => std::mem::take(&mut answer.windows),
        Err(error) => {
            tracing::warn!(error = %error, "the rate limit counters did not answer; not counted");
            Vec::new()
        }
    };
    // The windows come in the order the hits were asked: the address's, then the centre's.
    let mut windows = windows.into_iter();
    let address = per_address.and_then(|max| Some((windows.next()?, max)));
    let tenant = per_tenant.and_then(|max| Some((windows.next()?, max)));
    if let Some((window, max)) = address {
        over(window, max)?;
    }
    public?;
    let Some(presented) = presented else {
        return Ok(None);
    };
    let (presented, credential) = presented?;
    let answer = answer.map_err(|error| AuthError::Unavailable(Box::new(error)))?;
    let checks_browser = credential == Credential::Cookie && !is_safe(method);
    if checks_browser {
        check_origin(&api.config, headers)?;
    }
    let session = api.app.sessions.open(presented, &answer).await?;
    if checks_browser {
        check_csrf(&api.config, headers, session.session_id)?;
    }
    outline.tenant_id = Some(session.scope.tenant_id().to_string());
    if let Some((window, max)) = tenant {
        over(window, max)?;
    }
    outline.user_id = session.scope.user_id().map(|id| id.to_string());
    if let Access::Permission(permission) = route.spec.access
        && !session.scope.has(permission)
    {
        return Err(forbidden(permission));
    }
    Ok(Some(session))
}

/// The platform operator whose key the request sends in `Authorization: Bearer` (one
/// `Authorization` header, checked by [`admit`]). A centre's access token is a wrong key like
/// any other text; session cookies are not read.
///
/// # Errors
///
/// 401 `platform.key_required` or `platform.invalid_key`; 429 `platform.throttled` for an
/// address that sent too many wrong keys; 503 when the counters do not answer.
async fn operator(
    api: &Api,
    headers: &HeaderMap,
    client: Option<std::net::IpAddr>,
) -> Result<Operator, ApiError> {
    let key = headers
        .get(header::AUTHORIZATION)
        .map(|value| bearer_credential(value).ok_or_else(invalid_key))
        .transpose()?;
    api.app
        .platform
        .authenticate(key, client)
        .await
        .map_err(|refused| match refused {
            OperatorRefused::Missing => ApiError::unauthenticated(
                ErrorCode::PlatformKeyRequired,
                "this route needs an operator key (Authorization: Bearer <key>)",
            ),
            OperatorRefused::Invalid => invalid_key(),
            OperatorRefused::Throttled { retry_after } => too_many(
                ErrorCode::PlatformThrottled,
                "too many wrong operator keys; try again later",
                retry_after,
            ),
            OperatorRefused::Failed(error) => error.into(),
        })
}

/// The refusal of a key that is not an operator key.
fn invalid_key() -> ApiError {
    ApiError::unauthenticated(
        ErrorCode::PlatformInvalidKey,
        "the operator key is not valid",
    )
}

/// 429 `rate_limited`, with the time left, once a counter is past `max` in its window.
fn over(window: Window, max: u32) -> Result<(), ApiError> {
    if window.count > max {
        Err(too_many(
            ErrorCode::RateLimited,
            "too many requests; try again later",
            window.resets_in,
        ))
    } else {
        Ok(())
    }
}

/// How long a duplicate request waits for the answer of the one it duplicates.
const IDEMPOTENT_WAIT: Duration = Duration::from_secs(10);

/// Runs the handler under the deadline, panics caught, and answers its result.
async fn execute(
    api: &Api,
    route: &Route,
    ctx: Ctx,
    request_id: &RequestId,
    tenant_id: Option<&str>,
) -> Response<Bytes> {
    let call = AssertUnwindSafe(route.call(ctx)).catch_unwind();
    let result = match tokio::time::timeout(api.config.request_timeout, call).await {
        Ok(Ok(result)) => result,
        Ok(Err(_panic)) => Err(ApiError::internal("the handler panicked".into())),
        Err(_elapsed) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::RequestTimeout,
            "the request took too long; try again shortly",
        )),
    };
    match result {
        Ok(reply) => reply.into_response(),
        Err(error) => failed(error, request_id, tenant_id),
    }
}

/// The response of a failure, logged once.
fn failed(error: ApiError, request_id: &RequestId, tenant_id: Option<&str>) -> Response<Bytes> {
    log_error(&error, request_id, tenant_id);
    error.into_response(request_id)
}

/// Where a request's access token came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Credential {
    Bearer,
    Cookie,
}

/// The access token of a request, checked by itself (no store read): from `Authorization:
/// Bearer`, or else from the access cookie, in which case an unsafe method must also carry the
/// CSRF token and come from an allowed origin (checked once the session is open). One
/// credential per request: cookies sent with a bearer token must be of the bearer's session
/// ([`cookies_agree`]).
fn present(api: &Api, headers: &HeaderMap) -> Result<(Presented, Credential), ApiError> {
    if let Some(token) = bearer(headers)? {
        let presented = api.app.sessions.present(token)?;
        cookies_agree(&api.app.sessions, &presented, token, headers)?;
        return Ok((presented, Credential::Bearer));
    }
    if cookies::repeated(headers, cookies::ACCESS) {
        return Err(several_credentials());
    }
    let token = cookies::read(headers, cookies::ACCESS).ok_or_else(|| {
        ApiError::unauthenticated(ErrorCode::AuthRequired, "this route needs an access token")
    })?;
    Ok((api.app.sessions.present(token)?, Credential::Cookie))
}

/// The bearer token of a request, if it sends `Authorization`. A request may send one
/// credential: more than one `Authorization` header, or one whose value holds several (API
/// Gateway joins repeated headers with commas, which no bearer token contains), is refused
/// rather than served as one copy says, since a gateway in front may have judged another.
///
/// # Errors
///
/// `401 auth.invalid_token` for several credentials, or one that is not a bearer token.
pub(crate) fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    one_authorization(headers)?;
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    bearer_credential(value).map(Some).ok_or_else(|| {
        ApiError::unauthenticated(ErrorCode::AuthInvalidToken, "the access token is not valid")
    })
}

/// The credential of an `Authorization: Bearer <credential>` value; `None` for another scheme,
/// an empty credential or a value that is not text.
fn bearer_credential(value: &http::HeaderValue) -> Option<&str> {
    value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|credential| !credential.is_empty())
}

/// At most one `Authorization` header, holding one credential: a comma (how API Gateway joins
/// repeated headers) counts as several.
///
/// # Errors
///
/// `401 auth.invalid_token` otherwise.
fn one_authorization(headers: &HeaderMap) -> Result<(), ApiError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let several = match (values.next(), values.next()) {
        (Some(_), Some(_)) => true,
        (Some(value), None) => value.as_bytes().contains(&b','),
        (None, _) => false,
    };
    if several {
        Err(several_credentials())
    } else {
        Ok(())
    }
}

/// The refusal of a request that presents more than one credential, or credentials of
/// different sessions.
fn several_credentials() -> ApiError {
    ApiError::unauthenticated(
        ErrorCode::AuthInvalidToken,
        "send one credential: one Authorization header, and cookies of the same session only",
    )
}

/// Session cookies sent with a bearer token must be of the bearer's session: an access cookie
/// that is the same token or a valid token of the same session, a refresh cookie of the same
/// session. A cookie of another session, one that is not valid, or a cookie sent twice with
/// different values is refused, so no part of the stack can act on another credential than the
/// one judged here.
///
/// # Errors
///
/// `401 auth.invalid_token`.
pub(crate) fn cookies_agree(
    sessions: &Sessions,
    presented: &Presented,
    token: &str,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    if cookies::repeated(headers, cookies::ACCESS) || cookies::repeated(headers, cookies::REFRESH) {
        return Err(several_credentials());
    }
    let session = presented.session_id();
    if let Some(cookie) = cookies::read(headers, cookies::ACCESS)
        && !cookies::same(cookie, token)
    {
        let other = sessions
            .present(cookie)
            .map_err(|_| several_credentials())?;
        if session.is_none() || other.session_id() != session {
            return Err(several_credentials());
        }
    }
    if let Some(cookie) = cookies::read(headers, cookies::REFRESH) {
        let other = parse_refresh_token(cookie).map(|(id, _)| id);
        if session.is_none() || other != session {
            return Err(several_credentials());
        }
    }
    Ok(())
}

/// Whether a method changes nothing (CSRF does not apply to it).
fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A browser request's `Origin`, when sent, must be an allowed one.
pub(crate) fn check_origin(config: &ApiConfig, headers: &HeaderMap) -> Result<(), ApiError> {
    if !headers.contains_key(header::ORIGIN) || cors::allowed_origin(config, headers).is_some() {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::AuthOriginNotAllowed,
            "requests from this origin are not allowed",
        ))
    }
}

/// An unsafe cookie-authenticated request must echo the CSRF cookie in `X-CSRF-Token`, and the
/// token must be signed for this session.
pub(crate) fn check_csrf(
    config: &ApiConfig,
    headers: &HeaderMap,
    session: Option<SessionId>,
) -> Result<(), ApiError> {
    let refused = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::AuthCsrf,
            "send the CSRF token in X-CSRF-Token",
        )
    };
    let cookie = cookies::read(headers, cookies::CSRF).ok_or_else(refused)?;
    let echoed = headers
        .get(cookies::CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(refused)?;
    let session = session.ok_or_else(refused)?;
    if cookies::same(cookie, echoed) && config.csrf.verify(echoed, session) {
        Ok(())
    } else {
        Err(refused())
    }
}

/// Whether the body is declared as JSON (`application/json` or `application/*+json`).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|media| {
            media == "application/json"
                || (media.starts_with("application/") && media.ends_with("+json"))
        })
}

fn method_not_allowed(allowed: &[Method]) -> ApiError {
    let list = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let error = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "this route does not take this method",
    );
    match HeaderValue::from_str(&list) {
        Ok(value) => error.with_header(header::ALLOW, value),
        Err(_) => error,
    }
}

/// Logs a failure once, here at the boundary: 5xx with their cause chain (an error event, which
/// error reporting picks up with the request and tenant ids), the rest briefly.
fn log_error(error: &ApiError, request_id: &RequestId, tenant_id: Option<&str>) {
    if error.status().is_server_error() {
        let chain = error.source().map(|source| cause_chain(source.as_ref()));
        tracing::error!(
            request_id = %request_id,
            tenant_id,
            code = error.code().as_str(),
            error.cause_chain = chain.as_deref(),
            "request failed"
        );
    } else {
        tracing::debug!(request_id = %request_id, code = error.code().as_str(), "request refused");
    }
}

fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}

/// Adds the request id and the security headers every response carries.
pub(crate) fn finish(mut response: Response<Bytes>, request_id: &RequestId) -> Response<Bytes> {
    let headers = response.headers_mut();
    // The headers below, CORS's and a handler's own, without growing the map on the way.
    headers.reserve(16);
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        headers.insert(request_id::HEADER, value);
    }
    // Names as constants: a `&str` name is parsed again on every insert.
    const CROSS_ORIGIN_RESOURCE_POLICY: HeaderName =
        HeaderName::from_static("cross-origin-resource-policy");
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        ),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // The dev object endpoint lets other origins embed its objects, as S3 does.
    headers
        .entry(CROSS_ORIGIN_RESOURCE_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    // A handler may set its own policy (the API docs page loads its scripts and styles).
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
