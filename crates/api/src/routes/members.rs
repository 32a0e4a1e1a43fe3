//! `/v1/members`: the people of a centre, their roles, entitlements and status.

use cubby_app::members::Member;
use cubby_domain::{MembershipChanges, MembershipId, MembershipStatus};
use cubby_ports::{MembershipQuery, SortDirection};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::fields::{self, Fields, Unknown};
use crate::context::{page, sort};
use crate::{ApiError, Ctx, Reply};

/// A member on the wire.
#[derive(Debug, Serialize)]
pub(crate) struct MemberOut {
    id: String,
    user: UserOut,
    roles: Vec<String>,
    entitlements: Vec<&'static str>,
    status: &'static str,
    entitlements_version: u64,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    version: u64,
}

#[derive(Debug, Serialize)]
struct UserOut {
    id: String,
    email: String,
}

impl From<&Member> for MemberOut {
    fn from(member: &Member) -> Self {
        let membership = &member.membership;
        Self {
            id: membership.id.to_string(),
            user: UserOut {
                id: member.user.id.to_string(),
                email: member.user.email.as_str().to_owned(),
            },
            roles: membership.roles.iter().map(ToString::to_string).collect(),
            entitlements: membership.entitlements.iter().map(|e| e.as_str()).collect(),
            status: membership.status.as_str(),
            entitlements_version: membership.entitlements_version,
            created_at: membership.audit.created_at(),
            updated_at: membership.audit.updated_at(),
            version: membership.version.get(),
        }
    }
}

#[derive(Debug, Serialize)]
struct MemberPage {
    items: Vec<MemberOut>,
    total: u64,
    limit: u32,
    offset: u64,
}

/// The query of `GET /v1/members`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberListQuery {
    limit: Option<u32>,
    offset: Option<u64>,
    sort: Option<String>,
    /// Comma-separated statuses (default: invited, active, suspended).
    status: Option<String>,
    role: Option<String>,
}

/// The body of `PATCH /v1/members/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberPatchIn {
    roles: Option<Vec<String>>,
    entitlements: Option<Vec<String>>,
    status: Option<String>,
}

fn one(status: StatusCode, member: &Member) -> Result<Reply, ApiError> {
    Ok(Reply::json(status, &MemberOut::from(member))?.with_etag(member.membership.version))
}

fn invalid_query(message: String) -> ApiError {
    ApiError::bad_request("request.invalid_query", message)
}

/// `GET /v1/members`: a page of members; `status=active,suspended` and `role=teacher` filter;
/// `sort` is `created_at` or `-created_at`.
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: MemberListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let ((), direction) = sort(
        query.sort.as_deref(),
        &[("created_at", ())],
        ((), SortDirection::Ascending),
    )?;
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
    Reply::ok(&MemberPage {
        items: found.items.iter().map(MemberOut::from).collect(),
        total: found.total,
        limit: page.limit(),
        offset: page.offset(),
    })
}

/// `GET /v1/members/{id}`: one member, with its `ETag`.
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: MembershipId = ctx.param("id")?;
    let member = ctx.app().members.get(ctx.scope()?, id).await?;
    one(StatusCode::OK, &member)
}

/// `PATCH /v1/members/{id}`: changes roles, entitlements or status (`active`/`suspended`);
/// needs `If-Match`. Nobody acts on or grants more than they hold; the last owner stays.
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
                code: "members.invalid_status",
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
pub(crate) async fn remove(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: MembershipId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let member = ctx.app().members.remove(ctx.scope()?, id, expected).await?;
    one(StatusCode::OK, &member)
}
