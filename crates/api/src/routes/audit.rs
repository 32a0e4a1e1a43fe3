//! `GET /v1/audit`: the centre's audit log, for those who may read it.

use cubby_domain::{AuditAction, AuditEvent};
use cubby_ports::AuditQuery;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::fields;
use crate::context::page;
use crate::{ApiError, Ctx, Reply};

#[derive(Debug, Serialize)]
struct EventOut {
    id: String,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor: Option<String>,
    action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String>,
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

#[derive(Debug, Serialize)]
struct EventPage {
    items: Vec<EventOut>,
    total: u64,
    limit: u32,
    offset: u64,
}

/// The query of `GET /v1/audit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditListQuery {
    limit: Option<u32>,
    offset: Option<u64>,
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    from: Option<String>,
    until: Option<String>,
}

/// `GET /v1/audit`: events newest first; `actor` (a user id), `action` (`members.invited`),
/// `target` (an id), `from` and `until` (RFC 3339) filter.
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: AuditListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let invalid = |what: &str| ApiError::bad_request("request.invalid_query", what.to_owned());
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
        page,
    };
    let found = ctx.app().audit.list(ctx.scope()?, &filter).await?;
    Reply::ok(&EventPage {
        items: found.items.iter().map(EventOut::from).collect(),
        total: found.total,
        limit: page.limit(),
        offset: page.offset(),
    })
}
