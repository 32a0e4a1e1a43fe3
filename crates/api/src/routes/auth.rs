//! `/v1/auth/*`, `/v1/me/context` and `/.well-known/jwks.json`: signing in and out, and the
//! keys that verify access tokens.
//!
//! Two client modes. API clients (`"mode": "bearer"`, the default) receive the access and
//! refresh tokens in the body and send `Authorization: Bearer`. Browsers (`"mode": "cookie"`)
//! receive `__Host-` cookies and a CSRF token, and never see the tokens.

use cubby_app::auth::{Credentials, LiveSession, SignInError, SignedIn, parse_refresh_token};
use cubby_domain::{ErrorCode, SessionId, Tenant};
use http::{HeaderValue, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use super::navigation::Navigation;
use crate::cookies::{self, SameSite};
use crate::openapi::schemas::{self as doc, with};
use crate::pipeline::{bearer, check_csrf, check_origin, cookies_agree};
use crate::{ApiError, Ctx, Reply};

/// How the client wants its session: `bearer` (tokens in the body, the default) or `cookie`
/// (`__Host-` cookies and a CSRF token, for browsers).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Mode {
    /// Tokens in the body.
    #[default]
    Bearer,
    /// `__Host-` cookies and a CSRF token.
    Cookie,
}

/// The body of `POST /v1/auth/login`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginIn {
    /// The centre's code (`sunny-days`); without it, the account's only centre.
    tenant_code: Option<String>,
    email: String,
    #[schema(format = Password)]
    password: String,
    #[serde(default)]
    mode: Mode,
}

/// The body of `POST /v1/auth/exchange`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ExchangeIn {
    /// A Supabase access token.
    supabase_access_token: String,
    /// The centre, for a user of several.
    tenant_code: Option<String>,
    #[serde(default)]
    mode: Mode,
}

/// The body of `POST /v1/auth/refresh` (none in cookie mode).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RefreshIn {
    refresh_token: String,
}

/// The centre a session is in.
#[derive(Serialize, ToSchema)]
#[schema(as = SessionTenant)]
pub(crate) struct TenantOut {
    #[schema(value_type = doc::Tenant)]
    id: String,
    code: String,
    name: String,
    /// An IANA time zone (`Europe/London`).
    time_zone: String,
}

impl From<&Tenant> for TenantOut {
    fn from(tenant: &Tenant) -> Self {
        Self {
            id: tenant.id().to_string(),
            code: tenant.code().to_string(),
            name: tenant.name().as_str().to_owned(),
            time_zone: tenant.time_zone().name().to_owned(),
        }
    }
}

/// Whole seconds from now until `at`, rounded to the nearest (a token minted a moment ago for
/// 900 s says 900, not 899).
fn seconds_until(at: OffsetDateTime) -> i64 {
    ((at - OffsetDateTime::now_utc()).as_seconds_f64().round() as i64).max(0)
}

fn sign_in_error(error: SignInError, refused_code: ErrorCode) -> ApiError {
    match error {
        SignInError::Refused if refused_code == ErrorCode::AuthInvalidCredentials => {
            ApiError::unauthenticated(
                refused_code,
                "the centre, e-mail address or password is not right",
            )
        }
        SignInError::Refused => ApiError::unauthenticated(refused_code, "the token is not valid"),
        SignInError::Throttled { retry_after } => crate::error::too_many(
            ErrorCode::AuthThrottled,
            "too many failed sign-ins; try again later",
            retry_after,
        ),
        SignInError::TenantRequired { centres } => super::centres::tenant_required(&centres),
        SignInError::NotConfigured => ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            ErrorCode::AuthExchangeDisabled,
            "signing in with Supabase is not configured",
        ),
        SignInError::Failed(error) => error.into(),
    }
}

/// `Bearer`.
#[derive(Serialize, ToSchema)]
enum BearerType {
    /// Tokens in the body.
    Bearer,
}

/// `cookie`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum CookieType {
    /// Tokens in `__Host-` cookies.
    Cookie,
}

/// A session opened in bearer mode: the tokens are in the body.
#[derive(Serialize, ToSchema)]
#[schema(as = BearerSession)]
pub(crate) struct BearerSessionOut {
    token_type: BearerType,
    /// The access token (a JWT), for `Authorization: Bearer`.
    access_token: String,
    /// Seconds until the access token expires.
    #[schema(minimum = 0)]
    expires_in: i64,
    /// The refresh token: send it to `POST /v1/auth/refresh`.
    refresh_token: String,
    /// Seconds until the session ends, however often it is refreshed.
    #[schema(minimum = 0)]
    refresh_expires_in: i64,
    #[schema(value_type = doc::Session)]
    session_id: String,
    tenant: TenantOut,
}

/// A session opened in cookie mode: the tokens are in `__Host-` cookies, never in the body.
#[derive(Serialize, ToSchema)]
#[schema(as = CookieSession)]
pub(crate) struct CookieSessionOut {
    token_type: CookieType,
    /// Seconds until the access cookie expires.
    #[schema(minimum = 0)]
    expires_in: i64,
    /// Seconds until the session ends.
    #[schema(minimum = 0)]
    refresh_expires_in: i64,
    /// The CSRF token (also in the `__Host-cubby_csrf` cookie): send it in `X-CSRF-Token` on
    /// every `POST`, `PUT`, `PATCH` and `DELETE`.
    csrf_token: String,
    #[schema(value_type = doc::Session)]
    session_id: String,
    tenant: TenantOut,
}

/// A new session, in the mode the client asked for.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = SignedIn)]
pub(crate) enum SignedInOut {
    /// Bearer mode (the default).
    Bearer(BearerSessionOut),
    /// Cookie mode.
    Cookie(CookieSessionOut),
}

/// The caller's user.
#[derive(Serialize, ToSchema)]
#[schema(as = ContextUser)]
struct ContextUserOut {
    #[schema(value_type = doc::User)]
    id: String,
    /// An e-mail address, lowercase.
    email: String,
    email_verified: bool,
}

/// The caller's membership of the centre.
#[derive(Serialize, ToSchema)]
#[schema(as = ContextMembership)]
struct ContextMembershipOut {
    #[schema(value_type = doc::Membership)]
    id: String,
    #[schema(schema_with = with::roles)]
    roles: Vec<String>,
    #[schema(schema_with = with::membership_status)]
    status: &'static str,
    #[schema(schema_with = with::entitlements)]
    entitlements: Vec<&'static str>,
    entitlements_version: u64,
}

/// The caller's session.
#[derive(Serialize, ToSchema)]
#[schema(as = ContextSession)]
struct ContextSessionOut {
    /// Absent for a session without an id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = doc::Session, required = false)]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::time, required = false)]
    expires_at: Option<String>,
}

/// Who the caller is, in which centre, with what they may do and what to draw.
#[derive(Serialize, ToSchema)]
#[schema(as = Context)]
struct ContextOut {
    user: ContextUserOut,
    tenant: TenantOut,
    membership: ContextMembershipOut,
    /// What the caller may do now.
    #[schema(schema_with = with::permissions)]
    permissions: Vec<&'static str>,
    navigation: Navigation,
    session: ContextSessionOut,
}

/// The answer to a sign-in or refresh, in the client's mode.
pub(crate) fn signed_in(ctx: &Ctx, mode: Mode, session: SignedIn) -> Result<Reply, ApiError> {
    let tenant = TenantOut::from(&session.tenant);
    let expires_in = seconds_until(session.access.expires_at);
    let refresh_expires_in = seconds_until(session.session.expires_at);
    match mode {
        Mode::Bearer => Reply::ok(&SignedInOut::Bearer(BearerSessionOut {
            token_type: BearerType::Bearer,
            access_token: session.access.token,
            expires_in,
            refresh_token: session.refresh_token.expose_secret().to_owned(),
            refresh_expires_in,
            session_id: session.session.id.to_string(),
            tenant,
        })),
        Mode::Cookie => {
            let csrf = ctx.config().csrf.issue(session.session.id);
            let reply = Reply::ok(&SignedInOut::Cookie(CookieSessionOut {
                token_type: CookieType::Cookie,
                expires_in,
                refresh_expires_in,
                csrf_token: csrf.clone(),
                session_id: session.session.id.to_string(),
                tenant,
            }))?;
            Ok(with_cookies(
                reply,
                &[
                    cookies::set(
                        cookies::ACCESS,
                        &session.access.token,
                        expires_in,
                        true,
                        SameSite::Lax,
                    ),
                    cookies::set(
                        cookies::REFRESH,
                        session.refresh_token.expose_secret(),
                        refresh_expires_in,
                        true,
                        SameSite::Strict,
                    ),
                    cookies::set(
                        cookies::CSRF,
                        &csrf,
                        refresh_expires_in,
                        false,
                        SameSite::Strict,
                    ),
                ],
            ))
        }
    }
}

fn with_cookies(mut reply: Reply, values: &[String]) -> Reply {
    for value in values {
        if let Ok(value) = HeaderValue::from_str(value) {
            reply = reply.with_header(header::SET_COOKIE, value);
        }
    }
    reply
}

/// `POST /v1/auth/login`: a session for `{tenant_code?, email, password}`. Any mistake is the
/// same 401; repeated failures of an account or an address are 429 with `Retry-After`. Without
/// a centre, the account's only one; an account of several, once its password was verified,
/// gets 400 with the list to choose from.
#[utoipa::path(
    post,
    path = "/v1/auth/login",
    tag = "auth",
    request_body = LoginIn,
    responses(
        (status = 200, description = "The session, in the mode asked for; in cookie mode with \
            the `__Host-cubby_access`, `__Host-cubby_refresh` and `__Host-cubby_csrf` cookies",
            body = SignedInOut, headers(("Set-Cookie" = String, description = "The session's cookies, in cookie mode"))),
        (status = 400, description = "No `tenant_code`, the password was right and the account \
            belongs to several centres (`auth.tenant_required`, its centres in `details.centres`, \
            each a `CentreChoice`), or the body cannot be read"),
        (status = 401, description = "The centre, address or password is not right, or the \
            account cannot sign in (`auth.invalid_credentials`), with `WWW-Authenticate: Bearer`"),
        (status = 403, description = "Cookie mode from an origin that is not allowed \
            (`auth.origin_not_allowed`)"),
        (status = 429, description = "Too many failed sign-ins (`auth.throttled`) or requests \
            (`rate_limited`), with Retry-After", headers(("Retry-After" = String))),
    )
)]
pub(crate) async fn login(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: LoginIn = ctx.json()?;
    if body.mode == Mode::Cookie {
        check_origin(ctx.config(), ctx.headers())?;
    }
    let credentials = Credentials {
        tenant_code: body.tenant_code,
        email: body.email,
        password: SecretString::from(body.password),
        client: ctx.client(),
    };
    let session = ctx
        .app()
        .auth
        .login(credentials)
        .await
        .map_err(|e| sign_in_error(e, ErrorCode::AuthInvalidCredentials))?;
    signed_in(&ctx, body.mode, session)
}

/// `POST /v1/auth/exchange`: a session for a verified Supabase access token.
#[utoipa::path(
    post,
    path = "/v1/auth/exchange",
    tag = "auth",
    request_body = ExchangeIn,
    responses(
        (status = 200, description = "The session, in the mode asked for", body = SignedInOut,
            headers(("Set-Cookie" = String, description = "The session's cookies, in cookie mode"))),
        (status = 400, description = "The user belongs to several centres: send `tenant_code` \
            (`auth.tenant_required`, their centres in `details.centres`, each a \
            `CentreChoice`), or the body cannot be read"),
        (status = 401, description = "The token is not valid, or its user has no account or \
            membership (`auth.invalid_token`)"),
        (status = 403, description = "Cookie mode from an origin that is not allowed \
            (`auth.origin_not_allowed`)"),
        (status = 429, description = "Too many attempts or requests, with Retry-After",
            headers(("Retry-After" = String))),
        (status = 501, description = "Signing in with Supabase is not configured \
            (`auth.exchange_disabled`)"),
    )
)]
pub(crate) async fn exchange(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: ExchangeIn = ctx.json()?;
    if body.mode == Mode::Cookie {
        check_origin(ctx.config(), ctx.headers())?;
    }
    let session = ctx
        .app()
        .auth
        .exchange(&body.supabase_access_token, body.tenant_code.as_deref())
        .await
        .map_err(|e| sign_in_error(e, ErrorCode::AuthInvalidToken))?;
    signed_in(&ctx, body.mode, session)
}

/// `POST /v1/auth/refresh`: rotates the refresh token (from the body, or from the cookie with
/// the CSRF token) and answers a new access token. A refresh token used twice ends its session.
#[utoipa::path(
    post,
    path = "/v1/auth/refresh",
    tag = "auth",
    params(("X-CSRF-Token" = Option<String>, Header,
        description = "In cookie mode (an empty body), the session's CSRF token")),
    request_body(content = Option<RefreshIn>, description = "The refresh token in bearer mode; \
        no body in cookie mode, where the `__Host-cubby_refresh` cookie is read"),
    responses(
        (status = 200, description = "A new access token and a new refresh token, in the mode \
            of the refresh", body = SignedInOut,
            headers(("Set-Cookie" = String, description = "The session's cookies, in cookie mode"))),
        (status = 401, description = "No refresh token (`auth.required`), or one that is not \
            valid, expired or already used (`auth.invalid_token`)"),
        (status = 403, description = "Cookie mode without the CSRF token (`auth.csrf`) or from \
            an origin that is not allowed (`auth.origin_not_allowed`)"),
    )
)]
pub(crate) async fn refresh(ctx: Ctx) -> Result<Reply, ApiError> {
    let (token, mode) = if ctx.body.is_empty() {
        let token = cookies::read(ctx.headers(), cookies::REFRESH)
            .ok_or_else(|| {
                ApiError::unauthenticated(ErrorCode::AuthRequired, "send the refresh token")
            })?
            .to_owned();
        check_origin(ctx.config(), ctx.headers())?;
        let session: Option<SessionId> = parse_refresh_token(&token).map(|(id, _)| id);
        check_csrf(ctx.config(), ctx.headers(), session)?;
        (token, Mode::Cookie)
    } else {
        (ctx.json::<RefreshIn>()?.refresh_token, Mode::Bearer)
    };
    let session = ctx
        .app()
        .auth
        .refresh(&token)
        .await
        .map_err(|e| sign_in_error(e, ErrorCode::AuthInvalidToken))?;
    signed_in(&ctx, mode, session)
}

/// A fresh CSRF token for the caller's cookie session.
#[derive(Serialize, ToSchema)]
#[schema(as = CsrfToken)]
pub(crate) struct CsrfOut {
    /// The CSRF token (also in the `__Host-cubby_csrf` cookie): send it in `X-CSRF-Token` on
    /// every `POST`, `PUT`, `PATCH` and `DELETE`.
    csrf_token: String,
}

/// `GET /v1/auth/csrf`: the CSRF token of the caller's cookie session again, for a page that
/// was reloaded and lost it. The session is the access cookie's, or, when that is absent or
/// no longer valid, the refresh cookie's (which is not rotated); the answer sets the CSRF cookie
/// again.
#[utoipa::path(
    get,
    path = "/v1/auth/csrf",
    tag = "auth",
    responses(
        (status = 200, description = "A CSRF token of the session the cookies name, never \
            stored by caches", body = CsrfOut, headers(
                ("Set-Cookie" = String, description = "The `__Host-cubby_csrf` cookie"),
                ("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, description = "No session cookie (`auth.required`); cookies that open no \
            session, a refresh cookie that was rotated away, or credentials of different \
            sessions (`auth.invalid_token`), with `WWW-Authenticate: Bearer`"),
        (status = 403, description = "From an origin that is not allowed \
            (`auth.origin_not_allowed`)"),
    )
)]
pub(crate) async fn csrf(ctx: Ctx) -> Result<Reply, ApiError> {
    check_origin(ctx.config(), ctx.headers())?;
    let session = cookie_session(&ctx).await?;
    let token = ctx.config().csrf.issue(session.id);
    let cookie = cookies::set(
        cookies::CSRF,
        &token,
        seconds_until(session.expires_at),
        false,
        SameSite::Strict,
    );
    let reply = Reply::ok(&CsrfOut { csrf_token: token })?
        .with_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(with_cookies(reply, &[cookie]))
}

/// The session the request's cookies name: the access cookie's when it opens a session (and
/// the session has not ended), else the refresh cookie's current token's. Both cookies, and a
/// bearer token if one is sent, must name the same session.
async fn cookie_session(ctx: &Ctx) -> Result<LiveSession, ApiError> {
    let invalid = || {
        ApiError::unauthenticated(
            ErrorCode::AuthInvalidToken,
            "the session cookies are not valid",
        )
    };
    let headers = ctx.headers();
    let sessions = &ctx.app().sessions;
    if let Some(token) = bearer(headers)? {
        let presented = sessions.present(token)?;
        cookies_agree(sessions, &presented, token, headers)?;
    }
    if cookies::repeated(headers, cookies::ACCESS) || cookies::repeated(headers, cookies::REFRESH) {
        return Err(invalid());
    }
    let refresh = cookies::read(headers, cookies::REFRESH);
    let refresh_session = refresh.map(|token| parse_refresh_token(token).map(|(id, _)| id));
    if let Some(access) = cookies::read(headers, cookies::ACCESS) {
        match sessions.verify(access).await {
            Ok(session) => {
                let id = session.session_id.ok_or_else(invalid)?;
                if refresh_session.is_some_and(|named| named != Some(id)) {
                    return Err(invalid());
                }
                return ctx.app().auth.live_session(id).await?.ok_or_else(invalid);
            }
            // An expired access cookie leaves the refresh cookie to speak.
            Err(cubby_app::AuthError::Invalid(_)) if refresh.is_some() => {}
            Err(error) => return Err(error.into()),
        }
    }
    let refresh = refresh.ok_or_else(|| {
        ApiError::unauthenticated(ErrorCode::AuthRequired, "send the session's cookies")
    })?;
    ctx.app()
        .auth
        .session_of_refresh_token(refresh)
        .await
        .map_err(|e| sign_in_error(e, ErrorCode::AuthInvalidToken))
}

/// `POST /v1/auth/logout`: ends the session; the access token is refused from now on and the
/// refresh token never works again. Browser cookies are cleared.
#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    tag = "auth",
    responses((status = 204, description = "Signed out; in cookie mode the cookies are cleared",
        headers(("Set-Cookie" = String, description = "Cleared cookies, in cookie mode"))))
)]
pub(crate) async fn logout(ctx: Ctx) -> Result<Reply, ApiError> {
    ctx.app().auth.logout(ctx.session()?).await?;
    let reply = Reply::no_content();
    if cookies::read(ctx.headers(), cookies::ACCESS).is_none() {
        return Ok(reply);
    }
    Ok(with_cookies(
        reply,
        &[
            cookies::set(cookies::ACCESS, "", 0, true, SameSite::Lax),
            cookies::set(cookies::REFRESH, "", 0, true, SameSite::Strict),
            cookies::set(cookies::CSRF, "", 0, false, SameSite::Strict),
        ],
    ))
}

/// `GET /v1/me/context`: who the caller is, in which centre, with which roles.
#[utoipa::path(
    get,
    path = "/v1/me/context",
    tag = "auth",
    responses((status = 200, description = "The caller's context", body = ContextOut))
)]
pub(crate) async fn context(ctx: Ctx) -> Result<Reply, ApiError> {
    let session = ctx.session()?;
    let (user, tenant, membership) = ctx.app().auth.context(&session.scope).await?;
    Reply::ok(&ContextOut {
        user: ContextUserOut {
            id: user.id().to_string(),
            email: user.email().as_str().to_owned(),
            email_verified: user.email_verified(),
        },
        tenant: TenantOut::from(&tenant),
        membership: ContextMembershipOut {
            id: membership.id().to_string(),
            roles: membership.roles().iter().map(ToString::to_string).collect(),
            status: membership.status().as_str(),
            entitlements: membership
                .entitlements()
                .iter()
                .map(|e| e.as_str())
                .collect(),
            entitlements_version: session.scope.entitlements_version(),
        },
        permissions: session
            .scope
            .permissions()
            .iter()
            .map(|p| p.as_str())
            .collect(),
        navigation: Navigation::of(session.scope.permissions()),
        session: ContextSessionOut {
            id: session.session_id.map(|id| id.to_string()),
            expires_at: session.expires_at.format(&Rfc3339).ok(),
        },
    })
}

/// A public key that verifies access tokens (RFC 7517).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Jwk)]
struct JwkOut {
    /// `OKP` or `RSA`.
    kty: String,
    /// The curve, for `OKP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    crv: Option<String>,
    /// The public key, for `OKP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    x: Option<String>,
    /// The modulus, for `RSA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    n: Option<String>,
    /// The exponent, for `RSA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    e: Option<String>,
    kid: String,
    alg: String,
    #[serde(rename = "use")]
    usage: String,
}

/// The public keys that verify access tokens.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Jwks)]
struct JwksOut {
    keys: Vec<JwkOut>,
}

/// `GET /.well-known/jwks.json`: the public keys that verify Cubby's access tokens.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "auth",
    responses((status = 200, description = "The public keys (none when a shared secret signs)",
        body = JwksOut, headers(("Cache-Control" = String))))
)]
pub(crate) async fn jwks(ctx: Ctx) -> Result<Reply, ApiError> {
    // The application publishes the set in RFC 7517's form; reading it into the wire type
    // keeps the answer to what the document says (a member it does not know is an error).
    let keys: JwksOut = serde_json::from_value(ctx.app().sessions.jwks())
        .map_err(|error| ApiError::internal(Box::new(error)))?;
    Ok(Reply::ok(&keys)?.with_header(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    ))
}
