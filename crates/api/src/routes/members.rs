//! `/v1/members`: the people of a centre, their roles, entitlements and status.

use cubby_app::members::Member;
use cubby_domain::{ErrorCode, MembershipChanges, MembershipId, MembershipStatus};
use cubby_ports::{MembershipQuery, SortDirection};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::openapi::Object;
use utoipa::{IntoParams, ToSchema};

use super::fields::{self, Fields, Unknown};
use super::page::Page;
use crate::context::{SortKeys, page};
use crate::openapi::schemas::{self as doc, IfMatch, with};
use crate::{ApiError, Ctx, Reply};

/// A member on the wire.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Member)]
pub(crate) struct MemberOut {
    #[schema(value_type = doc::Membership)]
    id: String,
    user: UserOut,
    /// Built-in role names and custom role ids.
    #[schema(schema_with = with::roles)]
    roles: Vec<String>,
    #[schema(schema_with = with::entitlements)]
    entitlements: Vec<&'static str>,
    #[schema(schema_with = with::membership_status)]
    status: &'static str,
    entitlements_version: u64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    updated_at: OffsetDateTime,
    #[schema(minimum = 1)]
    version: u64,
}

/// A member's user.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MemberUser)]
struct UserOut {
    #[schema(value_type = doc::User)]
    id: String,
    /// An e-mail address, lowercase.
    email: String,
}

impl From<&Member> for MemberOut {
    fn from(member: &Member) -> Self {
        let membership = &member.membership;
        Self {
            id: membership.id().to_string(),
            user: UserOut {
                id: member.user.id().to_string(),
                email: member.user.email().as_str().to_owned(),
            },
            roles: membership.roles().iter().map(ToString::to_string).collect(),
            entitlements: membership
                .entitlements()
                .iter()
                .map(|e| e.as_str())
                .collect(),
            status: membership.status().as_str(),
            entitlements_version: membership.entitlements_version(),
            created_at: membership.audit().created_at(),
            updated_at: membership.audit().updated_at(),
            version: membership.version().get(),
        }
    }
}

/// How members sort.
const MEMBER_SORT: SortKeys<()> = SortKeys(&[("created_at", ())]);

fn member_sort() -> Object {
    with::sort(&MEMBER_SORT)
}

/// The query of `GET /v1/members`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct MemberListQuery {
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
    /// The order (default `created_at`).
    #[param(schema_with = member_sort)]
    sort: Option<String>,
    /// Comma-separated statuses (default: invited, active, suspended).
    #[param(schema_with = with::member_statuses)]
    status: Option<String>,
    /// Members holding this role (a built-in role's name or a custom role's id).
    #[param(schema_with = with::role_filter)]
    role: Option<String>,
}

/// The body of `PATCH /v1/members/{id}`: absent or `null` keeps a field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MemberPatchIn {
    /// Built-in role names and custom role ids.
    #[schema(schema_with = with::roles_or_null)]
    roles: Option<Vec<String>>,
    #[schema(schema_with = with::entitlements_or_null)]
    entitlements: Option<Vec<String>>,
    #[schema(schema_with = with::settable_membership_status_or_null)]
    status: Option<String>,
}

fn one(status: StatusCode, member: &Member) -> Result<Reply, ApiError> {
    Ok(Reply::json(status, &MemberOut::from(member))?.with_etag(member.membership.version()))
}

fn invalid_query(message: String) -> ApiError {
    ApiError::bad_request(ErrorCode::RequestInvalidQuery, message)
}

/// `GET /v1/members`: a page of members; `status=active,suspended` and `role=teacher` filter;
/// `sort` is `created_at` or `-created_at`.
#[utoipa::path(
    get,
    path = "/v1/members",
    tag = "members",
    params(MemberListQuery),
    responses((status = 200, description = "A page of members", body = Page<MemberOut>))
)]
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: MemberListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let direction = MEMBER_SORT.direction(query.sort.as_deref(), SortDirection::Ascending)?;
    let statuses = match &query.status {
        Some(list) => list
            .split(',')
            .map(|s| {
                MembershipStatus::parse(s.trim())
                    .ok_or_else(|| invalid_query(format!("`{s}` is not a member status")))
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => MembershipQuery::default().statuses,
    };
    let role = match &query.role {
        Some(role) => Some(
            cubby_domain::RoleRef::parse(role)
                .map_err(|_| invalid_query(format!("`{role}` is not a role")))?,
        ),
        None => None,
    };
    let filter = MembershipQuery {
        statuses,
        role,
        user_id: None,
        direction,
        page,
    };
    let found = ctx.app().members.list(ctx.scope()?, &filter).await?;
    Reply::ok(&Page::of(&found, page, MemberOut::from))
}

/// `GET /v1/members/{id}`: one member, with its `ETag`.
#[utoipa::path(
    get,
    path = "/v1/members/{id}",
    tag = "members",
    params(("id" = doc::Membership, Path, description = "The member")),
    responses((status = 200, description = "The member", body = MemberOut, headers(("ETag" = String))))
)]
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: MembershipId = ctx.param("id")?;
    let member = ctx.app().members.get(ctx.scope()?, id).await?;
    one(StatusCode::OK, &member)
}

/// `PATCH /v1/members/{id}`: changes roles, entitlements or status (`active`/`suspended`);
/// needs `If-Match`. Nobody acts on or grants more than they hold; the last owner stays.
#[utoipa::path(
    patch,
    path = "/v1/members/{id}",
    tag = "members",
    params(("id" = doc::Membership, Path, description = "The member"), IfMatch),
    request_body = MemberPatchIn,
    responses(
        (status = 200, description = "The changed member", body = MemberOut, headers(("ETag" = String))),
        (status = 403, description = "Acting on or granting more than the caller holds \
            (`members.beyond_your_permissions`), or the session lacks the permission"),
        (status = 409, description = "The last active owner cannot be demoted or suspended \
            (`members.last_owner`)"),
    )
)]
pub(crate) async fn update(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: MembershipId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let body: MemberPatchIn = ctx.json()?;
    let mut check = Fields::default();
    let roles = body
        .roles
        .as_deref()
        .and_then(|names| check.check("roles", fields::roles(names)));
    let entitlements = body
        .entitlements
        .as_deref()
        .and_then(|names| check.check("entitlements", fields::entitlements(names)));
    let status = body.status.as_deref().and_then(|status| {
        check.check(
            "status",
            MembershipStatus::parse(status).ok_or_else(|| Unknown {
                code: ErrorCode::MembersInvalidStatus,
                value: status.to_owned(),
            }),
        )
    });
    let changes = MembershipChanges {
        roles,
        entitlements,
        status,
    };
    let changes = check.finish(Some(changes))?;
    let member = ctx
        .app()
        .members
        .update(ctx.scope()?, id, expected, changes)
        .await?;
    one(StatusCode::OK, &member)
}

/// `DELETE /v1/members/{id}`: removes the member (kept as `removed`); needs `If-Match`.
#[utoipa::path(
    delete,
    path = "/v1/members/{id}",
    tag = "members",
    params(("id" = doc::Membership, Path, description = "The member"), IfMatch),
    responses(
        (status = 200, description = "The removed member", body = MemberOut, headers(("ETag" = String))),
        (status = 409, description = "The last active owner cannot be removed (`members.last_owner`)"),
    )
)]
pub(crate) async fn remove(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: MembershipId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let member = ctx.app().members.remove(ctx.scope()?, id, expected).await?;
    one(StatusCode::OK, &member)
}
