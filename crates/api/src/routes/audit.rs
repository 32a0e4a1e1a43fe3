//! `GET /v1/audit`: the centre's audit log, for those who may read it.

use cubby_domain::{AuditAction, AuditEvent, ErrorCode};
use cubby_ports::{AuditQuery, SortDirection};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use utoipa::openapi::Object;
use utoipa::{IntoParams, ToSchema};

use super::fields;
use super::page::Page;
use crate::context::{SortKeys, page};
use crate::openapi::schemas::{self as doc, with};
use crate::{ApiError, Ctx, Reply};

/// An event of the audit log.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditEvent)]
struct EventOut {
    #[schema(value_type = doc::AuditEvent)]
    id: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    at: OffsetDateTime,
    /// Who did it: a user id, or `system:<job>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    actor: Option<String>,
    #[schema(schema_with = with::audit_action)]
    action: &'static str,
    /// What it was done to: an id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    target: Option<String>,
    /// More about it, as text values (never a password, token or address).
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    details: Map<String, Value>,
}

impl From<&AuditEvent> for EventOut {
    fn from(event: &AuditEvent) -> Self {
        Self {
            id: event.id.to_string(),
            at: event.at,
            actor: event.actor.as_ref().map(ToString::to_string),
            action: event.action.as_str(),
            target: event.target.clone(),
            details: event
                .details
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        }
    }
}

/// How audit events sort.
const AUDIT_SORT: SortKeys<()> = SortKeys(&[("at", ())]);

fn audit_sort() -> Object {
    with::sort(&AUDIT_SORT)
}

/// The query of `GET /v1/audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditListQuery {
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
    /// The order (default `-at`).
    #[param(schema_with = audit_sort)]
    sort: Option<String>,
    /// Events by this actor: a user id, or `system:<job>`.
    actor: Option<String>,
    /// Events of this action.
    #[param(schema_with = with::audit_action)]
    action: Option<String>,
    /// Events about this id.
    target: Option<String>,
    /// Events at or after this time (RFC 3339).
    #[param(format = DateTime)]
    from: Option<String>,
    /// Events before this time (RFC 3339).
    #[param(format = DateTime)]
    until: Option<String>,
}

/// `GET /v1/audit`: events newest first; `actor` (a user id), `action` (`members.invited`),
/// `target` (an id), `from` and `until` (RFC 3339) filter; `sort` is `at` or `-at` (the default).
#[utoipa::path(
    get,
    path = "/v1/audit",
    tag = "audit",
    params(AuditListQuery),
    responses((status = 200, description = "A page of events", body = Page<EventOut>))
)]
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: AuditListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let direction = AUDIT_SORT.direction(query.sort.as_deref(), SortDirection::Descending)?;
    let invalid =
        |what: &str| ApiError::bad_request(ErrorCode::RequestInvalidQuery, what.to_owned());
    let action = match query.action.as_deref() {
        Some(action) => Some(
            AuditAction::parse(action)
                .ok_or_else(|| invalid("action is not a known audit action"))?,
        ),
        None => None,
    };
    let time = |text: Option<&str>, name: &str| match text {
        Some(text) => fields::time(text)
            .map(Some)
            .map_err(|_| invalid(&format!("{name} must be an RFC 3339 time"))),
        None => Ok(None),
    };
    let from = time(query.from.as_deref(), "from")?;
    let until = time(query.until.as_deref(), "until")?;
    let filter = AuditQuery {
        actor: query.actor,
        action,
        target: query.target,
        from,
        until,
        direction,
        page,
    };
    let found = ctx.app().audit.list(ctx.scope()?, &filter).await?;
    Reply::ok(&Page::of(&found, page, EventOut::from))
}
