//! `/v1/roles`: the built-in roles and the centre's own.

use cubby_domain::{CustomRole, Role, RoleId, RoleName};
use cubby_ports::SortDirection;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::openapi::Object;
use utoipa::{IntoParams, ToSchema};

use super::fields::{self, Fields};
use super::page::Page;
use crate::context::{SortKeys, page};
use crate::openapi::schemas::{self as doc, IfMatch, with};
use crate::{ApiError, Ctx, Reply};

/// A role on the wire: built in (`id` is its name) or custom (with its stamps and version).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Role)]
pub(crate) struct RoleOut {
    /// A built-in role's name, or a custom role's id.
    id: String,
    name: String,
    builtin: bool,
    #[schema(schema_with = with::permissions)]
    permissions: Vec<&'static str>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = String, format = DateTime)]
    created_at: Option<OffsetDateTime>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = String, format = DateTime)]
    updated_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 1)]
    version: Option<u64>,
}

impl RoleOut {
    fn builtin(role: Role) -> Self {
        Self {
            id: role.as_str().to_owned(),
            name: role.as_str().to_owned(),
            builtin: true,
            permissions: role.permissions().iter().map(|p| p.as_str()).collect(),
            created_at: None,
            updated_at: None,
            version: None,
        }
    }

    fn custom(role: &CustomRole) -> Self {
        Self {
            id: role.id.to_string(),
            name: role.name.as_str().to_owned(),
            builtin: false,
            permissions: role.permissions.iter().map(|p| p.as_str()).collect(),
            created_at: Some(role.audit.created_at()),
            updated_at: Some(role.audit.updated_at()),
            version: Some(role.version.get()),
        }
    }
}

/// The body of `POST /v1/roles`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RoleIn {
    /// Unique in the centre regardless of case, and not a built-in role's.
    #[schema(schema_with = with::line40)]
    name: String,
    /// At least one, none beyond the caller's.
    #[schema(schema_with = with::role_permissions)]
    permissions: Vec<String>,
}

/// The body of `PATCH /v1/roles/{id}`: absent or `null` keeps a field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RolePatchIn {
    #[schema(schema_with = with::line40_or_null)]
    name: Option<String>,
    #[schema(schema_with = with::role_permissions_or_null)]
    permissions: Option<Vec<String>>,
}

fn one(status: StatusCode, role: &CustomRole) -> Result<Reply, ApiError> {
    Ok(Reply::json(status, &RoleOut::custom(role))?.with_etag(role.version))
}

/// How roles sort.
const ROLE_SORT: SortKeys<()> = SortKeys(&[("name", ())]);

fn role_sort() -> Object {
    with::sort(&ROLE_SORT)
}

/// The query of `GET /v1/roles`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RoleListQuery {
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
    /// The order (default: the built-in roles, then the centre's own in creation order).
    #[param(schema_with = role_sort)]
    sort: Option<String>,
}

/// `GET /v1/roles`: a page of the built-in roles, then the centre's own, with their
/// permissions; `sort` is `name` or `-name` (regardless of case).
#[utoipa::path(
    get,
    path = "/v1/roles",
    tag = "roles",
    params(RoleListQuery),
    responses((status = 200, description = "A page of the centre's roles", body = Page<RoleOut>))
)]
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: RoleListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let direction = match query.sort.as_deref() {
        None => None,
        Some(raw) => Some(ROLE_SORT.direction(Some(raw), SortDirection::Ascending)?),
    };
    // The centre's roles are few and listed whole (the repository's contract); the built-in
    // ones are not stored at all, so the page is cut here.
    let (builtin, custom) = ctx.app().custom_roles.list(ctx.scope()?).await?;
    let mut items: Vec<RoleOut> = builtin
        .into_iter()
        .map(RoleOut::builtin)
        .chain(custom.iter().map(RoleOut::custom))
        .collect();
    if let Some(direction) = direction {
        items.sort_by_cached_key(|role| (role.name.to_lowercase(), role.id.clone()));
        if direction == SortDirection::Descending {
            items.reverse();
        }
    }
    let total = items.len() as u64;
    let items: Vec<RoleOut> = items
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(page.limit() as usize)
        .collect();
    Reply::ok(&Page::new(items, total, page))
}

/// `POST /v1/roles`: defines a role with a name and permissions (none beyond the caller's).
#[utoipa::path(
    post,
    path = "/v1/roles",
    tag = "roles",
    request_body = RoleIn,
    responses(
        (status = 201, description = "The new role", body = RoleOut,
            headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "A permission beyond the caller's \
            (`roles.beyond_your_permissions`), or the session lacks the permission"),
        (status = 409, description = "A role of the centre has this name (`role.name_taken`)"),
    )
)]
pub(crate) async fn create(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: RoleIn = ctx.json()?;
    let mut check = Fields::default();
    let name = check.check("name", RoleName::parse(&body.name));
    let permissions = check.check("permissions", fields::permissions(&body.permissions));
    let (name, permissions) = check.finish(name.zip(permissions))?;
    let role = ctx
        .app()
        .custom_roles
        .create(ctx.scope()?, name, permissions)
        .await?;
    Ok(one(StatusCode::CREATED, &role)?.with_location(&format!("/v1/roles/{}", role.id)))
}

/// `GET /v1/roles/{id}`: one custom role.
#[utoipa::path(
    get,
    path = "/v1/roles/{id}",
    tag = "roles",
    params(("id" = doc::CustomRole, Path, description = "The custom role")),
    responses((status = 200, description = "The role", body = RoleOut, headers(("ETag" = String))))
)]
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: RoleId = ctx.param("id")?;
    let role = ctx.app().custom_roles.get(ctx.scope()?, id).await?;
    one(StatusCode::OK, &role)
}

/// `PATCH /v1/roles/{id}`: renames a role or replaces its permissions; needs `If-Match`.
/// Members holding it see the change on their next request.
#[utoipa::path(
    patch,
    path = "/v1/roles/{id}",
    tag = "roles",
    params(("id" = doc::CustomRole, Path, description = "The custom role"), IfMatch),
    request_body = RolePatchIn,
    responses(
        (status = 200, description = "The changed role", body = RoleOut, headers(("ETag" = String))),
        (status = 409, description = "A role of the centre has this name (`role.name_taken`)"),
    )
)]
pub(crate) async fn update(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: RoleId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let body: RolePatchIn = ctx.json()?;
    let mut check = Fields::default();
    let name = body
        .name
        .as_deref()
        .and_then(|name| check.check("name", RoleName::parse(name)));
    let permissions = body
        .permissions
        .as_deref()
        .and_then(|names| check.check("permissions", fields::permissions(names)));
    check.finish(Some(()))?;
    let role = ctx
        .app()
        .custom_roles
        .update(ctx.scope()?, id, expected, name, permissions)
        .await?;
    one(StatusCode::OK, &role)
}

/// `DELETE /v1/roles/{id}`: deletes a role no member holds; needs `If-Match`.
#[utoipa::path(
    delete,
    path = "/v1/roles/{id}",
    tag = "roles",
    params(("id" = doc::CustomRole, Path, description = "The custom role"), IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "A member holds the role (`role.in_use`)"),
    )
)]
pub(crate) async fn delete(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: RoleId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    ctx.app()
        .custom_roles
        .delete(ctx.scope()?, id, expected)
        .await?;
    Ok(Reply::no_content())
}
