//! `/v1/invitations`: inviting people to join a centre, and accepting.

use cubby_app::auth::AcceptError;
use cubby_domain::{Invitation, InvitationError, InvitationId, InvitationStatus};
use cubby_ports::InvitationQuery;
use http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::auth::{Mode, signed_in};
use super::fields::{self, Fields};
use crate::context::page;
use crate::error::FieldError;
use crate::pipeline::check_origin;
use crate::{ApiError, Ctx, Reply};

/// An invitation on the wire. `status` is `expired` for a pending one past its expiry.
#[derive(Debug, Serialize)]
struct InvitationOut {
    id: String,
    email: String,
    membership_id: String,
    roles: Vec<String>,
    entitlements: Vec<&'static str>,
    status: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    created_by: String,
    version: u64,
    /// The token, in the answer to `POST` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

impl InvitationOut {
    fn of(invitation: &Invitation, token: Option<&SecretString>) -> Self {
        let status = match invitation.status {
            InvitationStatus::Pending if invitation.expires_at <= OffsetDateTime::now_utc() => {
                "expired"
            }
            other => other.as_str(),
        };
        Self {
            id: invitation.id.to_string(),
            email: invitation.email.as_str().to_owned(),
            membership_id: invitation.membership_id.to_string(),
            roles: invitation.roles.iter().map(ToString::to_string).collect(),
            entitlements: invitation.entitlements.iter().map(|e| e.as_str()).collect(),
            status,
            expires_at: invitation.expires_at,
            created_at: invitation.audit.created_at(),
            created_by: invitation.audit.created_by().to_string(),
            version: invitation.version.get(),
            token: token.map(|t| t.expose_secret().to_owned()),
        }
    }
}

#[derive(Debug, Serialize)]
struct InvitationPage {
    items: Vec<InvitationOut>,
    total: u64,
    limit: u32,
    offset: u64,
}

/// The body of `POST /v1/invitations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InvitationIn {
    email: String,
    roles: Vec<String>,
    entitlements: Option<Vec<String>>,
    expires_in_hours: Option<i64>,
}

/// The query of `GET /v1/invitations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InvitationListQuery {
    limit: Option<u32>,
    offset: Option<u64>,
    status: Option<String>,
}

/// The body of `POST /v1/invitations/accept`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptIn {
    tenant_code: String,
    token: String,
    password: Option<String>,
    #[serde(default)]
    mode: Mode,
}

/// `POST /v1/invitations`: invites an address with roles (and entitlements, by default the
/// sender's) for `expires_in_hours` (default 168, at most 720). The answer holds the token,
/// once: hand it to the invitee.
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
    let location = format!("/v1/invitations/{}", sent.invitation.id);
    Ok(Reply::json(
        StatusCode::CREATED,
        &InvitationOut::of(&sent.invitation, Some(&sent.token)),
    )?
    .with_etag(sent.invitation.version)
    .with_location(&location))
}

/// `GET /v1/invitations`: a page of invitations, newest first; `status` filters.
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: InvitationListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let status = match &query.status {
        Some(status) => Some(InvitationStatus::parse(status).ok_or_else(|| {
            ApiError::bad_request(
                "request.invalid_query",
                format!("`{status}` is not pending, accepted or revoked"),
            )
        })?),
        None => None,
    };
    let found = ctx
        .app()
        .members
        .invitations(ctx.scope()?, &InvitationQuery { status, page })
        .await?;
    Reply::ok(&InvitationPage {
        items: found
            .items
            .iter()
            .map(|i| InvitationOut::of(i, None))
            .collect(),
        total: found.total,
        limit: page.limit(),
        offset: page.offset(),
    })
}

/// `GET /v1/invitations/{id}`: one invitation (without its token).
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: InvitationId = ctx.param("id")?;
    let invitation = ctx.app().members.invitation(ctx.scope()?, id).await?;
    Ok(Reply::ok(&InvitationOut::of(&invitation, None))?.with_etag(invitation.version))
}

/// `DELETE /v1/invitations/{id}`: withdraws a pending invitation; needs `If-Match`.
pub(crate) async fn revoke(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: InvitationId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let invitation = ctx
        .app()
        .members
        .revoke_invitation(ctx.scope()?, id, expected)
        .await?;
    Ok(Reply::ok(&InvitationOut::of(&invitation, None))?.with_etag(invitation.version))
}

/// `POST /v1/invitations/accept`: accepts an invitation with its token and the centre's code,
/// and signs the new member in (in the client's mode). A new user sets a password of 10
/// characters or more.
pub(crate) async fn accept(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: AcceptIn = ctx.json()?;
    if body.mode == Mode::Cookie {
        check_origin(ctx.config(), ctx.headers())?;
    }
    let password = body.password.map(SecretString::from);
    let session = ctx
        .app()
        .auth
        .accept_invitation(&body.tenant_code, &body.token, password)
        .await
        .map_err(|error| match error {
            AcceptError::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "invitation.not_found",
                "no such invitation for this centre",
            ),
            AcceptError::Unusable(reason) => {
                let code = match reason {
                    InvitationError::Used => "invitation.used",
                    InvitationError::Revoked => "invitation.revoked",
                    InvitationError::Expired | InvitationError::WrongToken => "invitation.expired",
                };
                ApiError::new(StatusCode::GONE, code, reason.to_string())
            }
            AcceptError::PasswordRequired => ApiError::validation(vec![FieldError {
                field: "password".to_owned(),
                code: "invitation.password_required",
                message: "choose a password of 10 characters or more".to_owned(),
            }]),
            AcceptError::Failed(error) => error.into(),
        })?;
    signed_in(&ctx, body.mode, session)
}
