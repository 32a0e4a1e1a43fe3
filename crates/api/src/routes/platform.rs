//! `/platform/v1`: the platform API, for the people who run the service. Its routes are opened
//! by an operator API key (`Authorization: Bearer <key>`, one of `CUBBY_PLATFORM_KEYS`), never
//! by a centre's session, and exist only when a key is configured (else every path is 404).

use cubby_app::members::InvitationSent;
use cubby_app::platform::NewCentre;
use cubby_domain::{
    ErrorCode, Tenant, TenantCode, TenantError, TenantId, TenantName, TenantStatus, TimeZone,
};
use cubby_ports::{SortDirection, TenantQuery};
use http::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::fields::{self, Coded, Fields};
use super::page::Page;
use crate::context::{SortKeys, page};
use crate::openapi::schemas::{self as doc, with};
use crate::router::Router;
use crate::{ApiError, Ctx, Reply};

impl Coded for TenantError {
    fn code(&self) -> ErrorCode {
        match self {
            TenantError::InvalidCode => ErrorCode::CentreInvalidCode,
            TenantError::InvalidName(_) => ErrorCode::CentreInvalidName,
            TenantError::UnknownTimeZone => ErrorCode::CentreUnknownTimeZone,
        }
    }
}

/// Registers the platform routes.
pub(crate) fn register(router: &mut Router) {
    router.operator(Method::POST, "/platform/v1/centres", create);
    router.operator(Method::GET, "/platform/v1/centres", list);
    router.operator(Method::GET, "/platform/v1/centres/{id}", get);
    router.operator(Method::POST, "/platform/v1/centres/{id}/suspend", suspend);
    router.operator(Method::POST, "/platform/v1/centres/{id}/resume", resume);
    router.operator(
        Method::POST,
        "/platform/v1/centres/{id}/owner-invitation",
        invite_owner,
    );
}

/// Whether a centre is in service.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = CentreStatus)]
enum CentreStatusOut {
    /// In service.
    Active,
    /// Suspended by an operator: its sessions and sign-ins are refused.
    Suspended,
}

impl From<TenantStatus> for CentreStatusOut {
    fn from(status: TenantStatus) -> Self {
        match status {
            TenantStatus::Active => Self::Active,
            TenantStatus::Suspended => Self::Suspended,
        }
    }
}

/// A centre, as the platform's operators see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PlatformCentre)]
struct PlatformCentreOut {
    #[schema(value_type = doc::Tenant)]
    id: String,
    code: String,
    name: String,
    /// An IANA time zone (`Europe/London`).
    time_zone: String,
    status: CentreStatusOut,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    /// `system:operator_<id>` for a centre an operator created.
    created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    updated_at: OffsetDateTime,
    /// Who changed it last: a user id, or `system:<job>` (`system:operator_<id>`).
    updated_by: String,
    #[schema(minimum = 1)]
    version: u64,
}

impl From<&Tenant> for PlatformCentreOut {
    fn from(tenant: &Tenant) -> Self {
        Self {
            id: tenant.id().to_string(),
            code: tenant.code().to_string(),
            name: tenant.name().as_str().to_owned(),
            time_zone: tenant.time_zone().name().to_owned(),
            status: tenant.status().into(),
            created_at: tenant.audit().created_at(),
            created_by: tenant.audit().created_by().to_string(),
            updated_at: tenant.audit().updated_at(),
            updated_by: tenant.audit().updated_by().to_string(),
            version: tenant.version().get(),
        }
    }
}

/// The invitation of a new centre's first owner, e-mailed to them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OwnerInvitation)]
struct OwnerInvitationOut {
    #[schema(value_type = doc::Invitation)]
    id: String,
    /// `pending` until the owner accepts it.
    status: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    expires_at: OffsetDateTime,
    /// Dev only: the invitation's token (elsewhere it reaches the owner by mail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    token: Option<String>,
    /// The id of the e-mail that carries the token to the owner; absent when it could not be
    /// queued (logged): the centre and the invitation stand, and the owner has no mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    mail_id: Option<String>,
}

impl OwnerInvitationOut {
    /// `sent`, with its token in dev only.
    fn of(ctx: &Ctx, sent: &InvitationSent) -> Self {
        let invitation = &sent.invitation;
        Self {
            id: invitation.id().to_string(),
            status: invitation.status().as_str(),
            expires_at: invitation.expires_at(),
            token: ctx
                .config()
                .dev
                .then(|| sent.token.expose_secret().to_owned()),
            mail_id: sent.mail.map(|id| id.to_string()),
        }
    }
}

/// The body of `POST /platform/v1/centres/{id}/owner-invitation`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OwnerIn {
    /// The owner's address.
    #[schema(schema_with = with::email_address)]
    owner_email: String,
}

/// A centre just created, and its owner's invitation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CentreCreated)]
struct CentreCreatedOut {
    centre: PlatformCentreOut,
    owner_invitation: OwnerInvitationOut,
}

/// The body of `POST /platform/v1/centres`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CentreIn {
    /// The centre's code, unique: 3 to 40 lowercase letters, digits and single hyphens,
    /// starting with a letter. It never changes.
    #[schema(min_length = 3, max_length = 40, pattern = "^[a-z](-?[a-z0-9])+$")]
    code: String,
    /// The centre's name: one line of 1 to 120 characters.
    #[schema(schema_with = with::title)]
    name: String,
    /// An IANA time zone (`Australia/Sydney`).
    #[schema(min_length = 1, max_length = 64)]
    time_zone: String,
    /// The address of the centre's first owner, who is invited.
    #[schema(schema_with = with::email_address)]
    owner_email: String,
    /// The owner's name, for the operator's own records: not stored (a user in Cubby has an
    /// address, not a name), never shown.
    #[schema(max_length = 200)]
    owner_name: Option<String>,
}

/// The statuses centres are filtered by.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[expect(dead_code, reason = "a schema only; never built")]
enum CentreStatusFilter {
    /// In service.
    Active,
    /// Suspended.
    Suspended,
}

/// How centres sort.
const CENTRE_SORT: SortKeys<()> = SortKeys(&[("code", ())]);

fn centre_sort() -> utoipa::openapi::Object {
    with::sort(&CENTRE_SORT)
}

/// The query of `GET /platform/v1/centres`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CentreListQuery {
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
    /// The order (default `code`).
    #[param(schema_with = centre_sort)]
    sort: Option<String>,
    /// Centres whose code starts with this.
    #[param(max_length = 40)]
    code_prefix: Option<String>,
    /// Centres of this status.
    #[param(value_type = Option<CentreStatusFilter>, inline)]
    status: Option<String>,
}

/// The refusal of an owner's name out of bounds.
#[derive(Debug)]
struct LongName;

impl std::fmt::Display for LongName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a name is at most 200 characters")
    }
}

impl Coded for LongName {
    fn code(&self) -> ErrorCode {
        ErrorCode::CentreInvalidName
    }
}

/// `POST /platform/v1/centres`: creates a centre (default settings, the built-in roles) and
/// invites its first owner at `owner_email`, by mail. The answer holds the centre and the
/// invitation's id, status and expiry; its token only in dev.
#[utoipa::path(
    post,
    path = "/platform/v1/centres",
    tag = "platform",
    request_body = CentreIn,
    responses(
        (status = 201, description = "The centre and its owner's invitation", body = CentreCreatedOut,
            headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "Another centre has the code (`centre.code_taken`)"),
    )
)]
pub(crate) async fn create(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: CentreIn = ctx.json()?;
    let mut check = Fields::default();
    let code = check.check("code", TenantCode::parse(&body.code));
    let name = check.check("name", TenantName::parse(&body.name));
    let time_zone = check.check("time_zone", TimeZone::parse(&body.time_zone));
    let email = check.check("owner_email", fields::email(&body.owner_email));
    let owner_name = body.owner_name.as_deref().map_or(Ok(()), |name| {
        if name.chars().count() > 200 {
            Err(LongName)
        } else {
            Ok(())
        }
    });
    let named = check.check("owner_name", owner_name);
    let (code, (name, (time_zone, (owner_email, ())))) =
        check.finish(code.zip(name.zip(time_zone.zip(email.zip(named)))))?;
    let new = NewCentre {
        code,
        name,
        time_zone,
        owner_email,
    };
    let created = ctx
        .app()
        .platform
        .create_centre(ctx.operator()?, new)
        .await?;
    let answer = CentreCreatedOut {
        centre: PlatformCentreOut::from(&created.centre),
        owner_invitation: OwnerInvitationOut::of(&ctx, &created.invitation),
    };
    let location = format!("/platform/v1/centres/{}", created.centre.id());
    Ok(Reply::json(StatusCode::CREATED, &answer)?
        .with_etag(created.centre.version())
        .with_location(&location))
}

/// The longest `code_prefix`: a code's length.
const MAX_CODE_PREFIX: usize = 40;

/// `GET /platform/v1/centres`: a page of centres; `code_prefix` and `status` filter; `sort`
/// is `code` (the default) or `-code`.
#[utoipa::path(
    get,
    path = "/platform/v1/centres",
    tag = "platform",
    params(CentreListQuery),
    responses((status = 200, description = "A page of centres", body = Page<PlatformCentreOut>))
)]
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: CentreListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let direction = CENTRE_SORT.direction(query.sort.as_deref(), SortDirection::Ascending)?;
    let status = match &query.status {
        Some(status) => Some(TenantStatus::parse(status).ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::RequestInvalidQuery,
                format!("`{status}` is not active or suspended"),
            )
        })?),
        None => None,
    };
    if let Some(prefix) = &query.code_prefix
        && prefix.chars().count() > MAX_CODE_PREFIX
    {
        return Err(ApiError::bad_request(
            ErrorCode::RequestInvalidQuery,
            format!("`code_prefix` is at most {MAX_CODE_PREFIX} characters (a code's length)"),
        ));
    }
    let found = ctx
        .app()
        .platform
        .centres(
            ctx.operator()?,
            &TenantQuery {
                code_prefix: query.code_prefix,
                status,
                direction,
                page,
            },
        )
        .await?;
    Reply::ok(&Page::of(&found, page, PlatformCentreOut::from))
}

/// The centre of the path's `id`.
fn id(ctx: &Ctx) -> Result<TenantId, ApiError> {
    ctx.param("id")
}

fn centre(tenant: &Tenant) -> Result<Reply, ApiError> {
    Ok(Reply::ok(&PlatformCentreOut::from(tenant))?.with_etag(tenant.version()))
}

/// `GET /platform/v1/centres/{id}`: one centre.
#[utoipa::path(
    get,
    path = "/platform/v1/centres/{id}",
    tag = "platform",
    params(("id" = doc::Tenant, Path, description = "The centre")),
    responses((status = 200, description = "The centre", body = PlatformCentreOut,
        headers(("ETag" = String))))
)]
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let found = ctx
        .app()
        .platform
        .centre(ctx.operator()?, id(&ctx)?)
        .await?;
    centre(&found)
}

/// `POST /platform/v1/centres/{id}/suspend`: suspends a centre. Its sessions are refused from
/// their next request (401 `auth.invalid_token`), and so are its sign-ins; nothing is
/// deleted. A suspended centre is answered as it is.
#[utoipa::path(
    post,
    path = "/platform/v1/centres/{id}/suspend",
    tag = "platform",
    params(("id" = doc::Tenant, Path, description = "The centre")),
    responses((status = 200, description = "The suspended centre", body = PlatformCentreOut,
        headers(("ETag" = String))))
)]
pub(crate) async fn suspend(ctx: Ctx) -> Result<Reply, ApiError> {
    let changed = ctx
        .app()
        .platform
        .suspend(ctx.operator()?, id(&ctx)?)
        .await?;
    centre(&changed)
}

/// `POST /platform/v1/centres/{id}/resume`: resumes a suspended centre; its members sign in
/// again. An active centre is answered as it is.
#[utoipa::path(
    post,
    path = "/platform/v1/centres/{id}/resume",
    tag = "platform",
    params(("id" = doc::Tenant, Path, description = "The centre")),
    responses((status = 200, description = "The active centre", body = PlatformCentreOut,
        headers(("ETag" = String))))
)]
pub(crate) async fn resume(ctx: Ctx) -> Result<Reply, ApiError> {
    let changed = ctx
        .app()
        .platform
        .resume(ctx.operator()?, id(&ctx)?)
        .await?;
    centre(&changed)
}

/// `POST /platform/v1/centres/{id}/owner-invitation`: invites the centre's owner at
/// `owner_email` again, by mail: a pending invitation of that address gets a new token (the old
/// one stops working) valid 7 days from now; an address not yet invited gets a new owner's
/// invitation. For an owner whose mail never came or whose invitation expired.
#[utoipa::path(
    post,
    path = "/platform/v1/centres/{id}/owner-invitation",
    tag = "platform",
    params(("id" = doc::Tenant, Path, description = "The centre")),
    request_body = OwnerIn,
    responses(
        (status = 200, description = "The owner's invitation, e-mailed (its token in dev only)",
            body = OwnerInvitationOut),
        (status = 409, description = "The address belongs to a member who joined \
            (`invitations.already_member`)"),
    )
)]
pub(crate) async fn invite_owner(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: OwnerIn = ctx.json()?;
    let id = id(&ctx)?;
    let mut check = Fields::default();
    let email = check.check("owner_email", fields::email(&body.owner_email));
    let email = check.finish(email)?;
    let sent = ctx
        .app()
        .platform
        .invite_owner(ctx.operator()?, id, email)
        .await?;
    Reply::ok(&OwnerInvitationOut::of(&ctx, &sent))
}
