//! The shapes of answers the handlers build as JSON values rather than from wire types:
//! sessions, the caller's context, the centre, health, keys and the list of roles. Each
//! mirrors the `json!` of its handler field for field; a field without a value is left out of
//! the answer (never `null`), so it is optional and not nullable.

#![expect(
    dead_code,
    reason = "these types only describe answers; they are never built"
)]

use utoipa::ToSchema;

use super::schemas::{self, with};
use crate::routes::auth::TenantOut;
use crate::routes::navigation::Navigation;
use crate::routes::roles::RoleOut;

/// `Bearer`.
#[derive(ToSchema)]
pub(crate) enum BearerType {
    /// Tokens in the body.
    Bearer,
}

/// `cookie`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(crate) enum CookieType {
    /// Tokens in `__Host-` cookies.
    Cookie,
}

/// A session opened in bearer mode: the tokens are in the body.
#[derive(ToSchema)]
pub(crate) struct BearerSession {
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
    #[schema(value_type = schemas::Session)]
    session_id: String,
    tenant: TenantOut,
}

/// A session opened in cookie mode: the tokens are in `__Host-` cookies, never in the body.
#[derive(ToSchema)]
pub(crate) struct CookieSession {
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
    #[schema(value_type = schemas::Session)]
    session_id: String,
    tenant: TenantOut,
}

/// A new session, in the mode the client asked for.
#[derive(ToSchema)]
#[serde(untagged)]
pub(crate) enum SignedIn {
    /// Bearer mode (the default).
    Bearer(BearerSession),
    /// Cookie mode.
    Cookie(CookieSession),
}

/// The caller's user.
#[derive(ToSchema)]
pub(crate) struct ContextUser {
    #[schema(value_type = schemas::User)]
    id: String,
    /// An e-mail address, lowercase.
    email: String,
    email_verified: bool,
}

/// The caller's membership of the centre.
#[derive(ToSchema)]
pub(crate) struct ContextMembership {
    #[schema(value_type = schemas::Membership)]
    id: String,
    #[schema(schema_with = with::roles)]
    roles: Vec<String>,
    #[schema(schema_with = with::membership_status)]
    status: String,
    #[schema(schema_with = with::entitlements)]
    entitlements: Vec<String>,
    entitlements_version: u64,
}

/// The caller's session.
#[derive(ToSchema)]
pub(crate) struct ContextSession {
    /// Absent for a session without an id.
    #[schema(value_type = schemas::Session, required = false)]
    id: Option<String>,
    #[schema(schema_with = with::time, required = false)]
    expires_at: Option<String>,
}

/// Who the caller is, in which centre, with what they may do and what to draw.
#[derive(ToSchema)]
pub(crate) struct Context {
    user: ContextUser,
    tenant: TenantOut,
    membership: ContextMembership,
    /// What the caller may do now.
    #[schema(schema_with = with::permissions)]
    permissions: Vec<String>,
    navigation: Navigation,
    session: ContextSession,
}

/// How a centre answers a check-in that breaks its ratio.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(crate) enum RatioEnforcement {
    /// Accept it with a warning.
    Warn,
    /// Refuse it (409 `ratio.would_breach`).
    Refuse,
}

/// A centre's settings.
#[derive(ToSchema)]
pub(crate) struct CentreSettings {
    ratio_enforcement: RatioEnforcement,
    /// When the centre closes (`HH:MM`); absent when not set.
    #[schema(schema_with = with::clock_time, required = false)]
    closing_time: Option<String>,
}

/// The caller's centre.
#[derive(ToSchema)]
pub(crate) struct Centre {
    #[schema(value_type = schemas::Tenant)]
    id: String,
    code: String,
    name: String,
    /// An IANA time zone (`Europe/London`).
    time_zone: String,
    settings: CentreSettings,
    #[schema(minimum = 1)]
    version: u64,
}

/// `ok`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(crate) enum LiveStatus {
    /// The process runs.
    Ok,
}

/// The process is up.
#[derive(ToSchema)]
pub(crate) struct Live {
    status: LiveStatus,
}

/// `ready`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(crate) enum ReadyStatus {
    /// Every dependency answers.
    Ready,
}

/// Whether a dependency answers.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(crate) enum CheckStatus {
    /// It answers.
    Up,
    /// It does not (then the answer is 503, with this report in `details.checks`).
    Down,
}

/// One dependency's check.
#[derive(ToSchema)]
pub(crate) struct Check {
    status: CheckStatus,
    /// Why it is down.
    #[schema(nullable = false)]
    error: Option<String>,
}

/// Every dependency answers.
#[derive(ToSchema)]
pub(crate) struct Ready {
    status: ReadyStatus,
    /// Each dependency's check, by name.
    checks: std::collections::BTreeMap<String, Check>,
}

/// A public key that verifies access tokens (RFC 7517).
#[derive(ToSchema)]
pub(crate) struct Jwk {
    /// `OKP` or `RSA`.
    kty: String,
    /// The curve, for `OKP`.
    #[schema(nullable = false)]
    crv: Option<String>,
    /// The public key, for `OKP`.
    #[schema(nullable = false)]
    x: Option<String>,
    /// The modulus, for `RSA`.
    #[schema(nullable = false)]
    n: Option<String>,
    /// The exponent, for `RSA`.
    #[schema(nullable = false)]
    e: Option<String>,
    kid: String,
    alg: String,
    #[serde(rename = "use")]
    usage: String,
}

/// The public keys that verify access tokens.
#[derive(ToSchema)]
pub(crate) struct Jwks {
    keys: Vec<Jwk>,
}

/// A page of the roles of the centre: the built-in ones, then its own (unless sorted by name).
#[derive(ToSchema)]
pub(crate) struct RoleList {
    items: Vec<RoleOut>,
    total: u64,
    limit: u32,
    offset: u64,
}
