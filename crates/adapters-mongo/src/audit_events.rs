//! Each centre's audit log in the `audit_events` collection: append-only, listed newest first.

use async_trait::async_trait;
use bson::{DateTime, Document, doc};
use cubby_domain::{Actor, AuditAction, AuditEvent, AuditEventId};
use cubby_ports::{AuditLog, AuditQuery, Page, RepoError, TenantScope};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use crate::audit::to_bson;
use crate::timed;
use crate::{Filter, Mongo, decode, id_conflict, page_of, scoped, sort_order};

/// The collection.
pub(crate) const COLLECTION: &str = "audit_events";

/// The index listing a tenant's events newest first.
pub(crate) const TENANT_AT_INDEX: &str = "audit_tenant_at";

/// An audit event as stored. Optional fields are left out when empty.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AuditEventDocument {
    #[serde(rename = "_id")]
    id: String,
    tenant_id: String,
    at: DateTime,
    /// The actor's stored form ([`Actor`]'s `Display`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    actor: Option<String>,
    /// [`AuditAction::as_str`].
    action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    /// The details, in their order (an array, so that order and repeated keys survive).
    details: Vec<DetailDocument>,
}

/// One `key: value` fact of an event.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DetailDocument {
    key: String,
    value: String,
}

impl AuditEventDocument {
    fn from_domain(scope: &TenantScope, event: &AuditEvent) -> Self {
        Self {
            id: event.id.to_string(),
            tenant_id: scope.tenant_id().to_string(),
            at: to_bson(event.at),
            actor: event.actor.as_ref().map(ToString::to_string),
            action: event.action.as_str().to_owned(),
            target: event.target.clone(),
            details: event
                .details
                .iter()
                .map(|(key, value)| DetailDocument {
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect(),
        }
    }

    /// The domain event, every field parsed again; anything malformed is `Corrupt`.
    fn into_domain(self) -> Result<AuditEvent, RepoError> {
        let bad =
            |field: &str| RepoError::corrupt(format!("audit event document: malformed {field}"));
        Ok(AuditEvent {
            id: AuditEventId::parse(&self.id).map_err(|_| bad("_id"))?,
            at: self.at.to_time_0_3(),
            actor: self
                .actor
                .as_deref()
                .map(Actor::parse)
                .transpose()
                .map_err(|_| bad("actor"))?,
            action: AuditAction::parse(&self.action).ok_or_else(|| bad("action"))?,
            target: self.target,
            details: self
                .details
                .into_iter()
                .map(|detail| (detail.key, detail.value))
                .collect(),
        })
    }
}

impl Mongo {
    /// Audit events, for appends (typed, serialized by serde).
    fn audit_events(&self) -> Collection<AuditEventDocument> {
        self.db.collection(COLLECTION)
    }

    /// Audit events, for reads: documents are decoded one by one with [`decode`].
    fn audit_event_documents(&self) -> Collection<Document> {
        self.db.collection(COLLECTION)
    }
}

fn audit_event(document: Document) -> Result<AuditEvent, RepoError> {
    decode::<AuditEventDocument>(COLLECTION, document)?.into_domain()
}

/// The filter of `query` in the scope's tenant.
fn filter(scope: &TenantScope, query: &AuditQuery) -> Filter {
    let mut filter = scoped(scope, Document::new());
    if let Some(actor) = &query.actor {
        filter.insert("actor", actor.as_str());
    }
    if let Some(action) = query.action {
        filter.insert("action", action.as_str());
    }
    if let Some(target) = &query.target {
        filter.insert("target", target.as_str());
    }
    let mut at = Document::new();
    if let Some(from) = query.from {
        at.insert("$gte", to_bson(from));
    }
    if let Some(until) = query.until {
        at.insert("$lt", to_bson(until));
    }
    if !at.is_empty() {
        filter.insert("at", at);
    }
    filter
}

#[async_trait]
impl AuditLog for Mongo {
    async fn append(&self, scope: &TenantScope, event: &AuditEvent) -> Result<(), RepoError> {
        timed(
            "audit_events.insert",
            self.audit_events()
                .insert_one(AuditEventDocument::from_domain(scope, event)),
        )
        .await
        .map(|_| ())
        .map_err(id_conflict("audit_event.id"))
    }

    async fn list_events(
        &self,
        scope: &TenantScope,
        query: &AuditQuery,
    ) -> Result<Page<AuditEvent>, RepoError> {
        let order = sort_order(query.direction);
        page_of(
            &self.audit_event_documents(),
            filter(scope, query),
            doc! { "at": order, "_id": order },
            query.page,
            audit_event,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use cubby_domain::{Actor, AuditAction, AuditEvent, AuditEventId, UserId};
    use cubby_ports::contract::{at, fresh_scope};
    use uuid::Uuid;

    use super::AuditEventDocument;

    #[test]
    fn an_event_round_trips_through_its_document_keeping_detail_order() {
        let event = AuditEvent {
            id: AuditEventId::from_uuid(Uuid::now_v7()),
            at: at(3),
            actor: Some(Actor::User(UserId::from_uuid(Uuid::now_v7()))),
            action: AuditAction::RefreshReuse,
            target: Some("ses_x".to_owned()),
            details: vec![
                ("z".to_owned(), "1".to_owned()),
                ("a".to_owned(), "2".to_owned()),
                ("z".to_owned(), "3".to_owned()),
            ],
        };
        let document =
            bson::to_document(&AuditEventDocument::from_domain(&fresh_scope(), &event)).unwrap();
        let back: AuditEventDocument = bson::from_document(document).unwrap();
        assert_eq!(back.into_domain().unwrap(), event);
    }

    #[test]
    fn absent_actor_and_target_are_left_out() {
        let event = AuditEvent {
            id: AuditEventId::from_uuid(Uuid::now_v7()),
            at: at(0),
            actor: None,
            action: AuditAction::LoginFailed,
            target: None,
            details: Vec::new(),
        };
        let document =
            bson::to_document(&AuditEventDocument::from_domain(&fresh_scope(), &event)).unwrap();
        assert!(!document.contains_key("actor") && !document.contains_key("target"));
        let back: AuditEventDocument = bson::from_document(document).unwrap();
        assert_eq!(back.into_domain().unwrap(), event);
    }
}
