//! `/v1/children`: children, their sensitive notes, contacts and custody restrictions.
//!
//! This module owns the wire types the use cases share (a child, its contacts, a name, an
//! enrolment) and the parsing helpers more than one of them needs; each use case lives in its
//! own file.

pub(crate) mod child;
pub(crate) mod contacts;
pub(crate) mod list;
pub(crate) mod restrictions;
pub(crate) mod sensitive;

pub(crate) use child::{archive, create, get, update};
pub(crate) use contacts::{add_contact, remove_contact, update_contact};
pub(crate) use list::list;
pub(crate) use restrictions::{add_restriction, remove_restriction};
pub(crate) use sensitive::{replace_sensitive, sensitive};

use cubby_app::children::{Access, Seen};
use cubby_domain::{
    Capability, Child, ChildError, Contact, Enrolment, ErrorCode, Note, PersonName, UserId,
};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::fields::{Fields, Unknown, date_text};
use crate::openapi::schemas::{self as doc, with};
use crate::{ApiError, Reply};

/// A person's name on the wire.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PersonName)]
pub(crate) struct NameDto {
    #[schema(schema_with = with::line60)]
    given: String,
    #[schema(schema_with = with::line60)]
    family: String,
}

impl From<&PersonName> for NameDto {
    fn from(name: &PersonName) -> Self {
        Self {
            given: name.given().to_owned(),
            family: name.family().to_owned(),
        }
    }
}

impl NameDto {
    pub(crate) fn parse(&self) -> Result<PersonName, ChildError> {
        PersonName::parse(&self.given, &self.family)
    }
}

/// An enrolment on the wire: it does not end before it starts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Enrolment)]
struct EnrolmentDto {
    #[schema(schema_with = with::enrolment_status)]
    status: String,
    #[schema(schema_with = with::date)]
    starts_on: String,
    /// The last day, if known (answers leave it out when not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::date_or_null)]
    ends_on: Option<String>,
}

impl From<Enrolment> for EnrolmentDto {
    fn from(enrolment: Enrolment) -> Self {
        Self {
            status: enrolment.status().as_str().to_owned(),
            starts_on: date_text(enrolment.starts_on()),
            ends_on: enrolment.ends_on().map(date_text),
        }
    }
}

fn user_id(fields: &mut Fields, text: &str) -> Option<UserId> {
    fields.check(
        "user_id",
        text.parse::<UserId>().map_err(|_| Unknown {
            code: ErrorCode::ContactUnknownUser,
            value: text.to_owned(),
        }),
    )
}

fn note(fields: &mut Fields, field: &str, text: Option<&str>) -> Option<Option<Note>> {
    match text {
        Some(text) => fields.check(field, Note::parse(text)).map(Some),
        None => Some(None),
    }
}

/// A contact on the wire.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Contact)]
struct ContactOut {
    #[schema(value_type = doc::Contact)]
    id: String,
    name: NameDto,
    #[schema(schema_with = with::line40)]
    relationship: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    email: Option<String>,
    /// The user linked to the contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = doc::User)]
    user_id: Option<String>,
    #[schema(schema_with = with::capabilities)]
    capabilities: Vec<&'static str>,
    has_pickup_pin: bool,
}

impl From<&Contact> for ContactOut {
    fn from(contact: &Contact) -> Self {
        Self {
            id: contact.id.to_string(),
            name: NameDto::from(&contact.name),
            relationship: contact.relationship.as_str().to_owned(),
            phone: contact.phone.as_ref().map(|p| p.as_str().to_owned()),
            email: contact.email.as_ref().map(|e| e.as_str().to_owned()),
            user_id: contact.user_id.map(|u| u.to_string()),
            capabilities: contact
                .capabilities
                .iter()
                .map(Capability::as_str)
                .collect(),
            has_pickup_pin: contact.pickup_pin.is_some(),
        }
    }
}

/// A child on the wire, as the caller reaches it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Child)]
struct ChildOut {
    #[schema(value_type = doc::Child)]
    id: String,
    name: NameDto,
    #[schema(schema_with = with::date)]
    date_of_birth: String,
    /// The child's room; absent when the child has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = doc::Room, required = false)]
    room_id: Option<String>,
    enrolment: EnrolmentDto,
    photo_consent: bool,
    /// `staff`, or `guardian` for a caller linked to one of the child's contacts.
    #[schema(value_type = ChildAccess)]
    access: &'static str,
    /// A guardian's capabilities for this child.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::capabilities)]
    my_capabilities: Option<Vec<&'static str>>,
    /// Left out for a linked caller without the guardian capability.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    contacts: Option<Vec<ContactOut>>,
    archived: bool,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = String, format = DateTime)]
    archived_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    /// A user id, or `system:<job>`.
    created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    updated_at: OffsetDateTime,
    /// A user id, or `system:<job>`.
    updated_by: String,
    #[schema(minimum = 1)]
    version: u64,
}

/// How the caller reaches a child.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[expect(dead_code, reason = "a schema only; never built")]
enum ChildAccess {
    /// As staff.
    Staff,
    /// As a contact's user.
    Guardian,
}

impl ChildOut {
    fn new(child: &Child, access: Access) -> Self {
        let (access_name, mine, sees_contacts) = match access {
            Access::Staff => ("staff", None, true),
            Access::Guardian(view) => (
                "guardian",
                Some(view.capabilities.iter().map(Capability::as_str).collect()),
                view.sees_contacts(),
            ),
        };
        Self {
            id: child.id().to_string(),
            name: NameDto::from(child.name()),
            date_of_birth: date_text(child.date_of_birth()),
            room_id: child.room_id().map(|r| r.to_string()),
            enrolment: child.enrolment().into(),
            photo_consent: child.photo_consent(),
            access: access_name,
            my_capabilities: mine,
            contacts: sees_contacts
                .then(|| child.contacts().iter().map(ContactOut::from).collect()),
            archived: child.is_archived(),
            archived_at: child.archived_at(),
            created_at: child.audit().created_at(),
            created_by: child.audit().created_by().to_string(),
            updated_at: child.audit().updated_at(),
            updated_by: child.audit().updated_by().to_string(),
            version: child.version().get(),
        }
    }
}

fn seen(status: StatusCode, seen: &Seen) -> Result<Reply, ApiError> {
    Ok(
        Reply::json(status, &ChildOut::new(&seen.child, seen.access))?
            .with_etag(seen.child.version()),
    )
}

fn staff_view(status: StatusCode, child: &Child) -> Result<Reply, ApiError> {
    seen(
        status,
        &Seen {
            child: child.clone(),
            access: Access::Staff,
        },
    )
}
