//! `/v1/invitations`: inviting people to join a centre, and accepting.

use cubby_app::auth::AcceptError;
use cubby_app::members::InvitationSent;
use cubby_domain::{ErrorCode, Invitation, InvitationError, InvitationId, InvitationStatus};
use cubby_ports::{InvitationQuery, SortDirection};
use http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use utoipa::openapi::Object;
use utoipa::{IntoParams, ToSchema};

use super::auth::{Mode, signed_in};
use super::fields::{self, Fields};
use super::page::Page;
use crate::context::{SortKeys, page};
use crate::error::FieldError;
use crate::openapi::schemas::{self as doc, IfMatch, with};
use crate::pipeline::check_origin;
use crate::{ApiError, Ctx, Reply};

/// An invitation on the wire. `status` is `expired` for a pending one past its expiry.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Invitation)]
struct InvitationOut {
    #[schema(value_type = doc::Invitation)]
    id: String,
    /// The address invited, lowercase.
    email: String,
    /// The member it created, `invited` until accepted.
    #[schema(value_type = doc::Membership)]
    membership_id: String,
    #[schema(schema_with = with::roles)]
    roles: Vec<String>,
    #[schema(schema_with = with::entitlements)]
    entitlements: Vec<&'static str>,
    #[schema(value_type = InvitationState)]
    status: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    /// A user id, or `system:<job>`.
    created_by: String,
    #[schema(minimum = 1)]
    version: u64,
    /// The token: in dev only, in the answers to `POST /v1/invitations` and `.../resend`
    /// (elsewhere it reaches the invitee by e-mail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    token: Option<String>,
    /// In the answers to `POST /v1/invitations` and `.../resend`: the id of the e-mail that
    /// carries the token to the invitee; absent when it could not be queued (send it again).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    mail_id: Option<String>,
}

/// Where an invitation stands.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[expect(dead_code, reason = "a schema only; never built")]
enum InvitationState {
    /// Waiting to be accepted.
    Pending,
    /// Accepted: the member joined.
    Accepted,
    /// Withdrawn.
    Revoked,
    /// Pending, but past its expiry.
    Expired,
}

/// The statuses invitations are filtered by.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[expect(dead_code, reason = "a schema only; never built")]
enum InvitationFilter {
    /// Waiting to be accepted (expired ones included).
    Pending,
    /// Accepted.
    Accepted,
    /// Withdrawn.
    Revoked,
}

impl InvitationOut {
    fn of(invitation: &Invitation, token: Option<&SecretString>) -> Self {
        let status = match invitation.status() {
            InvitationStatus::Pending if invitation.expires_at() <= OffsetDateTime::now_utc() => {
                "expired"
            }
            other => other.as_str(),
        };
        Self {
            id: invitation.id().to_string(),
            email: invitation.email().as_str().to_owned(),
            membership_id: invitation.membership_id().to_string(),
            roles: invitation.roles().iter().map(ToString::to_string).collect(),
            entitlements: invitation
                .entitlements()
                .iter()
                .map(|e| e.as_str())
                .collect(),
            status,
            expires_at: invitation.expires_at(),
            created_at: invitation.audit().created_at(),
            created_by: invitation.audit().created_by().to_string(),
            version: invitation.version().get(),
            token: token.map(|t| t.expose_secret().to_owned()),
            mail_id: None,
        }
    }

    /// An invitation just sent: the token only in dev, and its e-mail's id.
    fn sent(ctx: &Ctx, sent: &InvitationSent) -> Self {
        let token = ctx.config().dev.then_some(&sent.token);
        Self {
            mail_id: sent.mail.map(|id| id.to_string()),
            ..Self::of(&sent.invitation, token)
        }
    }
}

/// The body of `POST /v1/invitations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InvitationIn {
    #[schema(schema_with = with::email_address)]
    email: String,
    /// Built-in role names and custom role ids (at least one), none beyond the caller's.
    #[schema(schema_with = with::granted_roles)]
    roles: Vec<String>,
    /// By default, the caller's.
    #[schema(schema_with = with::entitlements_or_null)]
    entitlements: Option<Vec<String>>,
    /// How long the invitation works (default 168).
    #[schema(minimum = 1, maximum = 720)]
    expires_in_hours: Option<i64>,
}

/// How invitations sort.
const INVITATION_SORT: SortKeys<()> = SortKeys(&[("created_at", ())]);

fn invitation_sort() -> Object {
    with::sort(&INVITATION_SORT)
}

/// The query of `GET /v1/invitations`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct InvitationListQuery {
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
    /// The order (default `-created_at`).
    #[param(schema_with = invitation_sort)]
    sort: Option<String>,
    /// Invitations of this status.
    #[param(value_type = Option<InvitationFilter>, inline)]
    status: Option<String>,
}

/// The body of `POST /v1/invitations/accept`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AcceptIn {
    /// The centre's code.
    tenant_code: String,
    /// The invitation's token.
    token: String,
    /// The password: a new user chooses one of 10 characters or more, someone whose account
    /// has one presents it (an account signing in with Supabase only joins without one).
    #[schema(format = Password)]
    password: Option<String>,
    #[serde(default)]
    mode: Mode,
}

/// `POST /v1/invitations`: invites an address with roles (and entitlements, by default the
/// sender's) for `expires_in_hours` (default 168, at most 720). The token is e-mailed to the
/// invitee (a link to the frontend's accept page); the answer holds the e-mail's id, and the
/// token itself in dev only.
#[utoipa::path(
    post,
    path = "/v1/invitations",
    tag = "invitations",
    request_body = InvitationIn,
    responses(
        (status = 201, description = "The invitation, its e-mail's id (and in dev its token)",
            body = InvitationOut, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Roles or entitlements beyond the caller's \
            (`members.beyond_your_permissions`), or the session lacks the permission"),
        (status = 409, description = "The address is already a member of the centre \
            (`invitations.already_member`)"),
    )
)]
pub(crate) async fn create(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: InvitationIn = ctx.json()?;
    let mut check = Fields::default();
    let email = check.check("email", fields::email(&body.email));
    let roles = check.check("roles", fields::roles(&body.roles));
    let entitlements = match &body.entitlements {
        Some(names) => check
            .check("entitlements", fields::entitlements(names))
            .map(Some),
        None => Some(None),
    };
    let lifetime = body.expires_in_hours.map(Duration::hours);
    let (email, (roles, entitlements)) = check.finish(email.zip(roles.zip(entitlements)))?;
    let new = cubby_app::members::NewInvitation {
        email,
        roles,
        entitlements,
        lifetime,
    };
    let sent = ctx.app().members.invite(ctx.scope()?, new).await?;
    let location = format!("/v1/invitations/{}", sent.invitation.id());
    Ok(
        Reply::json(StatusCode::CREATED, &InvitationOut::sent(&ctx, &sent))?
            .with_etag(sent.invitation.version())
            .with_location(&location),
    )
}

/// `POST /v1/invitations/{id}/resend`: sends a pending invitation again with a new token (the
/// old one stops working) valid for 7 days from now; needs `If-Match`.
#[utoipa::path(
    post,
    path = "/v1/invitations/{id}/resend",
    tag = "invitations",
    params(("id" = doc::Invitation, Path, description = "The invitation"), IfMatch),
    responses(
        (status = 200, description = "The invitation, its new e-mail's id (and in dev its token)",
            body = InvitationOut, headers(("ETag" = String))),
        (status = 409, description = "The invitation is no longer pending \
            (`invitations.not_pending`)"),
    )
)]
pub(crate) async fn resend(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: InvitationId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let sent = ctx
        .app()
        .members
        .resend_invitation(ctx.scope()?, id, expected)
        .await?;
    Ok(Reply::ok(&InvitationOut::sent(&ctx, &sent))?.with_etag(sent.invitation.version()))
}

/// `GET /v1/invitations`: a page of invitations, newest first; `status` filters; `sort` is
/// `created_at` or `-created_at` (the default).
#[utoipa::path(
    get,
    path = "/v1/invitations",
    tag = "invitations",
    params(InvitationListQuery),
    responses((status = 200, description = "A page of invitations", body = Page<InvitationOut>))
)]
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: InvitationListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let direction = INVITATION_SORT.direction(query.sort.as_deref(), SortDirection::Descending)?;
    let status = match &query.status {
        Some(status) => Some(InvitationStatus::parse(status).ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::RequestInvalidQuery,
                format!("`{status}` is not pending, accepted or revoked"),
            )
        })?),
        None => None,
    };
    let found = ctx
        .app()
        .members
        .invitations(
            ctx.scope()?,
            &InvitationQuery {
                status,
                direction,
                page,
            },
        )
        .await?;
    Reply::ok(&Page::of(&found, page, |i| InvitationOut::of(i, None)))
}

/// `GET /v1/invitations/{id}`: one invitation (without its token).
#[utoipa::path(
    get,
    path = "/v1/invitations/{id}",
    tag = "invitations",
    params(("id" = doc::Invitation, Path, description = "The invitation")),
    responses((status = 200, description = "The invitation", body = InvitationOut,
        headers(("ETag" = String))))
)]
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: InvitationId = ctx.param("id")?;
    let invitation = ctx.app().members.invitation(ctx.scope()?, id).await?;
    Ok(Reply::ok(&InvitationOut::of(&invitation, None))?.with_etag(invitation.version()))
}

/// `DELETE /v1/invitations/{id}`: withdraws a pending invitation; needs `If-Match`.
#[utoipa::path(
    delete,
    path = "/v1/invitations/{id}",
    tag = "invitations",
    params(("id" = doc::Invitation, Path, description = "The invitation"), IfMatch),
    responses(
        (status = 200, description = "The withdrawn invitation", body = InvitationOut,
            headers(("ETag" = String))),
        (status = 409, description = "The invitation is no longer pending"),
    )
)]
pub(crate) async fn revoke(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: InvitationId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let invitation = ctx
        .app()
        .members
        .revoke_invitation(ctx.scope()?, id, expected)
        .await?;
    Ok(Reply::ok(&InvitationOut::of(&invitation, None))?.with_etag(invitation.version()))
}

/// `POST /v1/invitations/accept`: accepts an invitation with its token and the centre's code,
/// and signs the new member in (in the client's mode). A new user sets a password of 10
/// characters or more; someone whose account has a password presents it, checked and
/// throttled as a sign-in is, and a refusal leaves the invitation pending.
#[utoipa::path(
    post,
    path = "/v1/invitations/accept",
    tag = "invitations",
    request_body = AcceptIn,
    responses(
        (status = 200, description = "The new member's session, in the mode asked for",
            body = super::auth::SignedInOut,
            headers(("Set-Cookie" = String, description = "The session's cookies, in cookie mode"))),
        (status = 403, description = "Cookie mode from an origin that is not allowed \
            (`auth.origin_not_allowed`)"),
        (status = 401, description = "The password is not the account's \
            (`invitation.wrong_password`), with `WWW-Authenticate: Bearer`"),
        (status = 404, description = "No such invitation for this centre (`invitation.not_found`)"),
        (status = 410, description = "The invitation was used, withdrawn or has expired \
            (`invitation.used`, `invitation.revoked`, `invitation.expired`)"),
        (status = 422, description = "No password, or a new user's shorter than 10 characters \
            (`invitation.password_required`)"),
        (status = 429, description = "Too many failed sign-ins of the account or the address \
            (`auth.throttled`), with Retry-After", headers(("Retry-After" = String))),
    )
)]
pub(crate) async fn accept(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: AcceptIn = ctx.json()?;
    if body.mode == Mode::Cookie {
        check_origin(ctx.config(), ctx.headers())?;
    }
    let password = body.password.map(SecretString::from);
    let session = ctx
        .app()
        .auth
        .accept_invitation(&body.tenant_code, &body.token, password, ctx.client())
        .await
        .map_err(|error| match error {
            AcceptError::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::InvitationNotFound,
                "no such invitation for this centre",
            ),
            AcceptError::Unusable(reason) => {
                let code = match reason {
                    InvitationError::Used => ErrorCode::InvitationUsed,
                    InvitationError::Revoked => ErrorCode::InvitationRevoked,
                    InvitationError::Expired | InvitationError::WrongToken => {
                        ErrorCode::InvitationExpired
                    }
                };
                ApiError::new(StatusCode::GONE, code, reason.to_string())
            }
            AcceptError::PasswordRequired => ApiError::validation(vec![FieldError {
                field: "password".to_owned(),
                code: ErrorCode::InvitationPasswordRequired,
                message: "send the account's password, or choose one of 10 characters or more"
                    .to_owned(),
            }]),
            AcceptError::WrongPassword => ApiError::unauthenticated(
                ErrorCode::InvitationWrongPassword,
                "the password is not the account's",
            ),
            AcceptError::Throttled { retry_after } => crate::error::too_many(
                ErrorCode::AuthThrottled,
                "too many failed sign-ins; try again later",
                retry_after,
            ),
            AcceptError::Failed(error) => error.into(),
        })?;
    signed_in(&ctx, body.mode, session)
}
