//! `/v1/roles`: the built-in roles and the centre's own.

use cubby_domain::{CustomRole, Role, RoleId, RoleName};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

use super::fields::{self, Fields};
use crate::{ApiError, Ctx, Reply};

/// A role on the wire: built in (`id` is its name) or custom.
#[derive(Debug, Serialize)]
struct RoleOut {
    id: String,
    name: String,
    builtin: bool,
    permissions: Vec<&'static str>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    created_at: Option<OffsetDateTime>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    updated_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleIn {
    name: String,
    permissions: Vec<String>,
}

/// The body of `PATCH /v1/roles/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RolePatchIn {
    name: Option<String>,
    permissions: Option<Vec<String>>,
}

fn one(status: StatusCode, role: &CustomRole) -> Result<Reply, ApiError> {
    Ok(Reply::json(status, &RoleOut::custom(role))?.with_etag(role.version))
}

/// `GET /v1/roles`: the built-in roles, then the centre's own, with their permissions.
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let (builtin, custom) = ctx.app().custom_roles.list(ctx.scope()?).await?;
    let items: Vec<RoleOut> = builtin
        .into_iter()
        .map(RoleOut::builtin)
        .chain(custom.iter().map(RoleOut::custom))
        .collect();
    Reply::ok(&json!({ "items": items, "total": items.len() }))
}

/// `POST /v1/roles`: defines a role with a name and permissions (none beyond the caller's).
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
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: RoleId = ctx.param("id")?;
    let role = ctx.app().custom_roles.get(ctx.scope()?, id).await?;
    one(StatusCode::OK, &role)
}

/// `PATCH /v1/roles/{id}`: renames a role or replaces its permissions; needs `If-Match`.
/// Members holding it see the change on their next request.
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
pub(crate) async fn delete(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: RoleId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    ctx.app()
        .custom_roles
        .delete(ctx.scope()?, id, expected)
        .await?;
    Ok(Reply::no_content())
}
