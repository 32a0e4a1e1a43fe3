//! `/v1/children`: children, their sensitive notes, contacts and custody restrictions.

use cubby_app::children::{
    Access, ChildChanges, ContactChanges, NewChild, NewContact, NewRestriction, Seen,
};
use cubby_domain::{
    Capabilities, Capability, Child, ChildError, ChildId, Contact, ContactId, CustodyRestriction,
    Enrolment, EnrolmentStatus, Note, PersonName, Phone, Pin, Relationship, RestrictionId, RoomId,
    SensitiveInfo, UserId,
};
use cubby_ports::{ChildQuery, ChildSortKey, SortDirection};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::fields::{Fields, Unknown, date, date_text, email, nullable};
use crate::context::{page, sort};
use crate::openapi::schemas::{self as doc, IfMatch, with};
use crate::{ApiError, Ctx, Reply};

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
    /// The last day, if known (answers send `null`).
    #[serde(default)]
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

fn enrolment(fields: &mut Fields, dto: &EnrolmentDto) -> Option<Enrolment> {
    let status = fields.check(
        "enrolment.status",
        EnrolmentStatus::parse(&dto.status).ok_or_else(|| Unknown {
            code: "child.invalid_enrolment_status",
            value: dto.status.clone(),
        }),
    );
    let starts_on = fields.check("enrolment.starts_on", date(&dto.starts_on));
    let ends_on = match &dto.ends_on {
        Some(text) => Some(fields.check("enrolment.ends_on", date(text))?),
        None => None,
    };
    fields.check("enrolment", Enrolment::new(status?, starts_on?, ends_on))
}

fn room_id(fields: &mut Fields, text: &str) -> Option<RoomId> {
    fields.check(
        "room_id",
        text.parse::<RoomId>().map_err(|_| Unknown {
            code: "child.unknown_room",
            value: text.to_owned(),
        }),
    )
}

fn user_id(fields: &mut Fields, text: &str) -> Option<UserId> {
    fields.check(
        "user_id",
        text.parse::<UserId>().map_err(|_| Unknown {
            code: "contact.unknown_user",
            value: text.to_owned(),
        }),
    )
}

fn capabilities(fields: &mut Fields, names: &[String]) -> Option<Capabilities> {
    let parsed: Result<Capabilities, Unknown> = names
        .iter()
        .map(|name| {
            Capability::parse(name).ok_or_else(|| Unknown {
                code: "contact.unknown_capability",
                value: name.clone(),
            })
        })
        .collect();
    fields.check("capabilities", parsed)
}

fn note(fields: &mut Fields, field: &str, text: Option<&str>) -> Option<Option<Note>> {
    match text {
        Some(text) => fields.check(field, Note::parse(text)).map(Some),
        None => Some(None),
    }
}

/// The body of `POST /v1/children`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChildIn {
    name: NameDto,
    #[schema(schema_with = with::date)]
    date_of_birth: String,
    #[serde(default)]
    #[schema(value_type = Option<doc::Room>)]
    room_id: Option<String>,
    enrolment: EnrolmentDto,
    #[serde(default)]
    photo_consent: bool,
}

impl ChildIn {
    fn into_new(self) -> Result<NewChild, ApiError> {
        let mut fields = Fields::default();
        let name = fields.check("name", self.name.parse());
        let born = fields.check("date_of_birth", date(&self.date_of_birth));
        let room = match &self.room_id {
            Some(text) => room_id(&mut fields, text).map(Some),
            None => Some(None),
        };
        let enrolment = enrolment(&mut fields, &self.enrolment);
        let new = match (name, born, room, enrolment) {
            (Some(name), Some(date_of_birth), Some(room_id), Some(enrolment)) => Some(NewChild {
                name,
                date_of_birth,
                room_id,
                enrolment,
                photo_consent: self.photo_consent,
            }),
            _ => None,
        };
        fields.finish(new)
    }
}

/// The body of `PATCH /v1/children/{id}`: absent keeps a field; `"room_id": null` takes the
/// child out of its room (`null` keeps the others).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChildPatchIn {
    name: Option<NameDto>,
    #[schema(schema_with = with::date_or_null)]
    date_of_birth: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<doc::Room>)]
    room_id: Option<Option<String>>,
    enrolment: Option<EnrolmentDto>,
    photo_consent: Option<bool>,
}

impl ChildPatchIn {
    fn into_changes(self) -> Result<ChildChanges, ApiError> {
        let mut fields = Fields::default();
        let changes = ChildChanges {
            name: self
                .name
                .and_then(|name| fields.check("name", name.parse())),
            date_of_birth: self
                .date_of_birth
                .and_then(|text| fields.check("date_of_birth", date(&text))),
            room_id: match &self.room_id {
                Some(Some(text)) => room_id(&mut fields, text).map(Some),
                Some(None) => Some(None),
                None => None,
            },
            enrolment: self.enrolment.and_then(|dto| enrolment(&mut fields, &dto)),
            photo_consent: self.photo_consent,
        };
        fields.finish(Some(changes))
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
    /// The child's room, or `null`.
    #[schema(value_type = Option<doc::Room>, required = true)]
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
            id: child.id.to_string(),
            name: NameDto::from(&child.name),
            date_of_birth: date_text(child.date_of_birth),
            room_id: child.room_id.map(|r| r.to_string()),
            enrolment: child.enrolment.into(),
            photo_consent: child.photo_consent,
            access: access_name,
            my_capabilities: mine,
            contacts: sees_contacts.then(|| child.contacts.iter().map(ContactOut::from).collect()),
            archived: child.is_archived(),
            archived_at: child.archived_at,
            created_at: child.audit.created_at(),
            created_by: child.audit.created_by().to_string(),
            updated_at: child.audit.updated_at(),
            updated_by: child.audit.updated_by().to_string(),
            version: child.version.get(),
        }
    }
}

/// A custody restriction on the wire.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Restriction)]
struct RestrictionOut {
    #[schema(value_type = doc::Restriction)]
    id: String,
    /// Who it restricts.
    person: NameDto,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = doc::Contact)]
    contact_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = doc::User)]
    user_id: Option<String>,
    blocks_pickup: bool,
    blocks_records: bool,
    #[schema(schema_with = with::date)]
    starts_on: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::date)]
    ends_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::note)]
    note: Option<String>,
}

impl From<&CustodyRestriction> for RestrictionOut {
    fn from(r: &CustodyRestriction) -> Self {
        Self {
            id: r.id.to_string(),
            person: NameDto::from(&r.person),
            contact_id: r.contact_id.map(|c| c.to_string()),
            user_id: r.user_id.map(|u| u.to_string()),
            blocks_pickup: r.blocks_pickup,
            blocks_records: r.blocks_records,
            starts_on: date_text(r.starts_on),
            ends_on: r.ends_on.map(date_text),
            note: r.note.as_ref().map(|n| n.as_str().to_owned()),
        }
    }
}

/// The sensitive part of a child's record on the wire; a note is `null` when there is none.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SensitiveInfo)]
struct SensitiveOut {
    #[schema(value_type = doc::Child)]
    child_id: String,
    #[schema(schema_with = with::note_or_null, required = true)]
    allergies: Option<String>,
    #[schema(schema_with = with::note_or_null, required = true)]
    medical_notes: Option<String>,
    #[schema(schema_with = with::note_or_null, required = true)]
    medication: Option<String>,
    #[schema(schema_with = with::note_or_null, required = true)]
    custody_notes: Option<String>,
    restrictions: Vec<RestrictionOut>,
    /// The child's version.
    #[schema(minimum = 1)]
    version: u64,
}

impl From<&Child> for SensitiveOut {
    fn from(child: &Child) -> Self {
        let text = |note: &Option<Note>| note.as_ref().map(|n| n.as_str().to_owned());
        Self {
            child_id: child.id.to_string(),
            allergies: text(&child.sensitive.allergies),
            medical_notes: text(&child.sensitive.medical_notes),
            medication: text(&child.sensitive.medication),
            custody_notes: text(&child.sensitive.custody_notes),
            restrictions: child
                .restrictions
                .iter()
                .map(RestrictionOut::from)
                .collect(),
            version: child.version.get(),
        }
    }
}

/// The body of `PUT /v1/children/{id}/sensitive`: every field, `null` or absent for none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SensitiveIn {
    #[schema(schema_with = with::note_or_null)]
    allergies: Option<String>,
    #[schema(schema_with = with::note_or_null)]
    medical_notes: Option<String>,
    #[schema(schema_with = with::note_or_null)]
    medication: Option<String>,
    #[schema(schema_with = with::note_or_null)]
    custody_notes: Option<String>,
}

impl SensitiveIn {
    fn into_domain(self) -> Result<SensitiveInfo, ApiError> {
        let mut fields = Fields::default();
        let allergies = note(&mut fields, "allergies", self.allergies.as_deref());
        let medical = note(&mut fields, "medical_notes", self.medical_notes.as_deref());
        let medication = note(&mut fields, "medication", self.medication.as_deref());
        let custody = note(&mut fields, "custody_notes", self.custody_notes.as_deref());
        let info = match (allergies, medical, medication, custody) {
            (Some(allergies), Some(medical_notes), Some(medication), Some(custody_notes)) => {
                Some(SensitiveInfo {
                    allergies,
                    medical_notes,
                    medication,
                    custody_notes,
                })
            }
            _ => None,
        };
        fields.finish(info)
    }
}

/// The body of `POST /v1/children/{id}/contacts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ContactIn {
    name: NameDto,
    /// How the contact relates to the child (`mother`, `neighbour`).
    #[schema(schema_with = with::line40)]
    relationship: String,
    #[serde(default)]
    #[schema(schema_with = with::phone_or_null)]
    phone: Option<String>,
    #[serde(default)]
    #[schema(schema_with = with::email_or_null)]
    email: Option<String>,
    /// A user of the centre to link to the contact.
    #[serde(default)]
    #[schema(value_type = Option<doc::User>)]
    user_id: Option<String>,
    #[serde(default)]
    #[schema(schema_with = with::capabilities)]
    capabilities: Vec<String>,
    /// The PIN the contact types at pickup (only its hash is kept).
    #[serde(default)]
    #[schema(schema_with = with::pin_or_null)]
    pickup_pin: Option<String>,
}

impl ContactIn {
    fn into_new(self) -> Result<NewContact, ApiError> {
        let mut fields = Fields::default();
        let name = fields.check("name", self.name.parse());
        let relationship = fields.check("relationship", Relationship::parse(&self.relationship));
        let phone = match &self.phone {
            Some(text) => fields.check("phone", Phone::parse(text)).map(Some),
            None => Some(None),
        };
        let address = match &self.email {
            Some(text) => fields.check("email", email(text)).map(Some),
            None => Some(None),
        };
        let user = match &self.user_id {
            Some(text) => user_id(&mut fields, text).map(Some),
            None => Some(None),
        };
        let capabilities = capabilities(&mut fields, &self.capabilities);
        let pin = match &self.pickup_pin {
            Some(text) => fields.check("pickup_pin", Pin::parse(text)).map(Some),
            None => Some(None),
        };
        let new = match (name, relationship, phone, address, user, capabilities, pin) {
            (
                Some(name),
                Some(relationship),
                Some(phone),
                Some(email),
                Some(user_id),
                Some(capabilities),
                Some(pickup_pin),
            ) => Some(NewContact {
                name,
                relationship,
                phone,
                email,
                user_id,
                capabilities,
                pickup_pin,
            }),
            _ => None,
        };
        fields.finish(new)
    }
}

/// The body of `PATCH /v1/children/{id}/contacts/{contact_id}`: absent keeps a field; `null`
/// clears `phone`, `email`, `user_id` and `pickup_pin` (and keeps the others).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ContactPatchIn {
    name: Option<NameDto>,
    #[schema(schema_with = with::line40_or_null)]
    relationship: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = with::phone_or_null)]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = with::email_or_null)]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<doc::User>)]
    user_id: Option<Option<String>>,
    #[schema(schema_with = with::capabilities_or_null)]
    capabilities: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = with::pin_or_null)]
    pickup_pin: Option<Option<String>>,
}

/// Parses a nullable field of a PATCH body.
fn patch<T, E: super::fields::Coded>(
    fields: &mut Fields,
    field: &str,
    value: Option<Option<String>>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<Option<T>> {
    match value {
        Some(Some(text)) => fields.check(field, parse(&text)).map(Some),
        Some(None) => Some(None),
        None => None,
    }
}

impl ContactPatchIn {
    fn into_changes(self) -> Result<ContactChanges, ApiError> {
        let mut fields = Fields::default();
        let user = match &self.user_id {
            Some(Some(text)) => user_id(&mut fields, text).map(Some),
            Some(None) => Some(None),
            None => None,
        };
        let changes = ContactChanges {
            name: self
                .name
                .and_then(|name| fields.check("name", name.parse())),
            relationship: self
                .relationship
                .and_then(|text| fields.check("relationship", Relationship::parse(&text))),
            phone: patch(&mut fields, "phone", self.phone, Phone::parse),
            email: patch(&mut fields, "email", self.email, email),
            user_id: user,
            capabilities: self
                .capabilities
                .and_then(|names| capabilities(&mut fields, &names)),
            pickup_pin: patch(&mut fields, "pickup_pin", self.pickup_pin, Pin::parse),
        };
        fields.finish(Some(changes))
    }
}

/// The body of `POST /v1/children/{id}/restrictions`: it blocks pickup or records (or both),
/// and ends on or after the day it starts (`restriction.invalid`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RestrictionIn {
    /// Who it restricts.
    person: NameDto,
    /// The child's contact it restricts.
    #[serde(default)]
    #[schema(value_type = Option<doc::Contact>)]
    contact_id: Option<String>,
    /// The user it restricts.
    #[serde(default)]
    #[schema(value_type = Option<doc::User>)]
    user_id: Option<String>,
    #[serde(default)]
    blocks_pickup: bool,
    #[serde(default)]
    blocks_records: bool,
    #[schema(schema_with = with::date)]
    starts_on: String,
    #[serde(default)]
    #[schema(schema_with = with::date_or_null)]
    ends_on: Option<String>,
    #[serde(default)]
    #[schema(schema_with = with::note_or_null)]
    note: Option<String>,
}

impl RestrictionIn {
    fn into_new(self) -> Result<NewRestriction, ApiError> {
        let mut fields = Fields::default();
        let person = fields.check("person", self.person.parse());
        let contact = match &self.contact_id {
            Some(text) => fields
                .check(
                    "contact_id",
                    text.parse::<ContactId>()
                        .map_err(|_| ChildError::UnknownContact),
                )
                .map(Some),
            None => Some(None),
        };
        let user = match &self.user_id {
            Some(text) => user_id(&mut fields, text).map(Some),
            None => Some(None),
        };
        let starts_on = fields.check("starts_on", date(&self.starts_on));
        let ends_on: Option<Option<Date>> = match &self.ends_on {
            Some(text) => fields.check("ends_on", date(text)).map(Some),
            None => Some(None),
        };
        let note = note(&mut fields, "note", self.note.as_deref());
        let new = match (person, contact, user, starts_on, ends_on, note) {
            (
                Some(person),
                Some(contact_id),
                Some(user_id),
                Some(starts_on),
                Some(ends_on),
                Some(note),
            ) => Some(NewRestriction {
                person,
                contact_id,
                user_id,
                blocks_pickup: self.blocks_pickup,
                blocks_records: self.blocks_records,
                starts_on,
                ends_on,
                note,
            }),
            _ => None,
        };
        fields.finish(new)
    }
}

/// A list of children on the wire.
#[derive(Debug, Serialize, ToSchema)]
struct ChildPage {
    items: Vec<ChildOut>,
    total: u64,
    limit: u32,
    offset: u64,
}

/// The query of `GET /v1/children`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ChildListQuery {
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
    /// The order (default `name`).
    #[param(schema_with = with::child_sort)]
    sort: Option<String>,
    /// Children of this room.
    #[param(value_type = Option<doc::Room>)]
    room: Option<String>,
    /// Children of this enrolment status.
    #[param(schema_with = with::enrolment_status)]
    status: Option<String>,
    /// Children whose "family given" name starts with this, regardless of case.
    name: Option<String>,
    /// Whether archived children are listed too.
    include_archived: Option<bool>,
}

fn seen(status: StatusCode, seen: &Seen) -> Result<Reply, ApiError> {
    Ok(
        Reply::json(status, &ChildOut::new(&seen.child, seen.access))?
            .with_etag(seen.child.version),
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

/// `POST /v1/children`: adds a child; 201 with it, its `ETag` and `Location`.
#[utoipa::path(
    post,
    path = "/v1/children",
    tag = "children",
    request_body = ChildIn,
    responses(
        (status = 201, description = "The new child", body = ChildOut, headers(("ETag" = String), ("Location" = String))),
        (status = 404, description = "No such room in the centre"),
    )
)]
pub(crate) async fn create(ctx: Ctx) -> Result<Reply, ApiError> {
    let new = ctx.json::<ChildIn>()?.into_new()?;
    let child = ctx.app().children.create(ctx.scope()?, new).await?;
    Ok(staff_view(StatusCode::CREATED, &child)?
        .with_location(&format!("/v1/children/{}", child.id)))
}

/// `GET /v1/children`: a page of the children the caller reaches. Filters: `room`, `status`
/// (`waitlisted`, `enrolled`, `withdrawn`), `name` (prefix of "family given"),
/// `include_archived`; `sort` is `name` (default), `created_at` or `date_of_birth`, `-` for
/// descending.
#[utoipa::path(
    get,
    path = "/v1/children",
    tag = "children",
    params(ChildListQuery),
    responses(
        (status = 200, description = "A page of children", body = ChildPage),
    )
)]
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: ChildListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let (key, direction) = sort(
        query.sort.as_deref(),
        &[
            ("name", ChildSortKey::Name),
            ("created_at", ChildSortKey::CreatedAt),
            ("date_of_birth", ChildSortKey::DateOfBirth),
        ],
        (ChildSortKey::Name, SortDirection::Ascending),
    )?;
    let invalid =
        |name: &str| ApiError::bad_request("request.invalid_query", format!("{name} is not valid"));
    let room = match &query.room {
        Some(text) => Some(text.parse::<RoomId>().map_err(|_| invalid("room"))?),
        None => None,
    };
    let status = match &query.status {
        Some(text) => Some(EnrolmentStatus::parse(text).ok_or_else(|| invalid("status"))?),
        None => None,
    };
    let child_query = ChildQuery {
        room,
        status,
        name_prefix: query
            .name
            .map(|prefix| prefix.trim().to_lowercase())
            .filter(|prefix| !prefix.is_empty()),
        include_archived: query.include_archived.unwrap_or(false),
        sort: key,
        direction,
        page,
        ..ChildQuery::default()
    };
    let found = ctx.app().children.list(ctx.scope()?, child_query).await?;
    Reply::ok(&ChildPage {
        items: found
            .items
            .iter()
            .map(|s| ChildOut::new(&s.child, s.access))
            .collect(),
        total: found.total,
        limit: page.limit(),
        offset: page.offset(),
    })
}

/// `GET /v1/children/{id}`: one child the caller reaches, with its `ETag`.
#[utoipa::path(
    get,
    path = "/v1/children/{id}",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child")),
    responses(
        (status = 200, description = "The child", body = ChildOut, headers(("ETag" = String))),
    )
)]
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let found = ctx.app().children.get(ctx.scope()?, id).await?;
    seen(StatusCode::OK, &found)
}

/// `PATCH /v1/children/{id}`: changes the fields given; needs `If-Match`.
#[utoipa::path(
    patch,
    path = "/v1/children/{id}",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), IfMatch),
    request_body = ChildPatchIn,
    responses(
        (status = 200, description = "The changed child", body = ChildOut, headers(("ETag" = String))),
        (status = 409, description = "The child is archived (`child.archived`)"),
    )
)]
pub(crate) async fn update(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let changes = ctx.json::<ChildPatchIn>()?.into_changes()?;
    let child = ctx
        .app()
        .children
        .update(ctx.scope()?, id, expected, changes)
        .await?;
    staff_view(StatusCode::OK, &child)
}

/// `DELETE /v1/children/{id}`: archives the child (it stays readable); needs `If-Match`.
#[utoipa::path(
    delete,
    path = "/v1/children/{id}",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), IfMatch),
    responses(
        (status = 200, description = "The archived child", body = ChildOut, headers(("ETag" = String))),
    )
)]
pub(crate) async fn archive(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let child = ctx
        .app()
        .children
        .archive(ctx.scope()?, id, expected)
        .await?;
    staff_view(StatusCode::OK, &child)
}

/// `GET /v1/children/{id}/sensitive`: allergies, medical notes, medication, custody notes and
/// restrictions; every read is audited.
#[utoipa::path(
    get,
    path = "/v1/children/{id}/sensitive",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child")),
    responses(
        (status = 200, description = "The sensitive notes and restrictions", body = SensitiveOut, headers(("ETag" = String))),
        (status = 503, description = "The audit event of the read could not be stored, so nothing is answered (`unavailable`), or the request ran past its deadline"),
    )
)]
pub(crate) async fn sensitive(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let child = ctx.app().children.sensitive(ctx.scope()?, id).await?;
    Ok(Reply::json(StatusCode::OK, &SensitiveOut::from(&child))?.with_etag(child.version))
}

/// `PUT /v1/children/{id}/sensitive`: replaces the four notes; needs `If-Match`. Answers the
/// child (not the notes: writing them does not need `children:read_sensitive`).
#[utoipa::path(
    put,
    path = "/v1/children/{id}/sensitive",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), IfMatch),
    request_body = SensitiveIn,
    responses(
        (status = 200, description = "The child", body = ChildOut, headers(("ETag" = String))),
        (status = 409, description = "The child is archived (`child.archived`)"),
    )
)]
pub(crate) async fn replace_sensitive(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let info = ctx.json::<SensitiveIn>()?.into_domain()?;
    let child = ctx
        .app()
        .children
        .replace_sensitive(ctx.scope()?, id, expected, info)
        .await?;
    staff_view(StatusCode::OK, &child)
}

/// `POST /v1/children/{id}/contacts`: adds a contact; needs `If-Match`; 201 with the child.
#[utoipa::path(
    post,
    path = "/v1/children/{id}/contacts",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), IfMatch),
    request_body = ContactIn,
    responses(
        (status = 201, description = "The child, with the contact", body = ChildOut, headers(("ETag" = String))),
        (status = 409, description = "The child is archived (`child.archived`)"),
    )
)]
pub(crate) async fn add_contact(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let new = ctx.json::<ContactIn>()?.into_new()?;
    let (child, _) = ctx
        .app()
        .children
        .add_contact(ctx.scope()?, id, expected, new)
        .await?;
    staff_view(StatusCode::CREATED, &child)
}

/// `PATCH /v1/children/{id}/contacts/{contact_id}`: changes a contact; needs `If-Match`.
#[utoipa::path(
    patch,
    path = "/v1/children/{id}/contacts/{contact_id}",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), ("contact_id" = doc::Contact, Path, description = "The contact"), IfMatch),
    request_body = ContactPatchIn,
    responses(
        (status = 200, description = "The child", body = ChildOut, headers(("ETag" = String))),
        (status = 409, description = "The child is archived (`child.archived`)"),
    )
)]
pub(crate) async fn update_contact(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let contact: ContactId = ctx.param("contact_id")?;
    let expected = ctx.if_match()?;
    let changes = ctx.json::<ContactPatchIn>()?.into_changes()?;
    let child = ctx
        .app()
        .children
        .update_contact(ctx.scope()?, id, contact, expected, changes)
        .await?;
    staff_view(StatusCode::OK, &child)
}

/// `DELETE /v1/children/{id}/contacts/{contact_id}`: removes a contact; needs `If-Match`.
#[utoipa::path(
    delete,
    path = "/v1/children/{id}/contacts/{contact_id}",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), ("contact_id" = doc::Contact, Path, description = "The contact"), IfMatch),
    responses(
        (status = 200, description = "The child", body = ChildOut, headers(("ETag" = String))),
        (status = 409, description = "The child is archived (`child.archived`)"),
    )
)]
pub(crate) async fn remove_contact(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let contact: ContactId = ctx.param("contact_id")?;
    let expected = ctx.if_match()?;
    let child = ctx
        .app()
        .children
        .remove_contact(ctx.scope()?, id, contact, expected)
        .await?;
    staff_view(StatusCode::OK, &child)
}

/// `POST /v1/children/{id}/restrictions`: places a custody restriction; needs `If-Match`;
/// 201 with the child.
#[utoipa::path(
    post,
    path = "/v1/children/{id}/restrictions",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), IfMatch),
    request_body = RestrictionIn,
    responses(
        (status = 201, description = "The child", body = ChildOut, headers(("ETag" = String))),
        (status = 409, description = "The child is archived (`child.archived`)"),
    )
)]
pub(crate) async fn add_restriction(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let new = ctx.json::<RestrictionIn>()?.into_new()?;
    let (child, _) = ctx
        .app()
        .children
        .add_restriction(ctx.scope()?, id, expected, new)
        .await?;
    staff_view(StatusCode::CREATED, &child)
}

/// `DELETE /v1/children/{id}/restrictions/{restriction_id}`: lifts a restriction; needs
/// `If-Match`.
#[utoipa::path(
    delete,
    path = "/v1/children/{id}/restrictions/{restriction_id}",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), ("restriction_id" = doc::Restriction, Path, description = "The restriction"), IfMatch),
    responses(
        (status = 200, description = "The child", body = ChildOut, headers(("ETag" = String))),
        (status = 409, description = "The child is archived (`child.archived`)"),
    )
)]
pub(crate) async fn remove_restriction(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let restriction: RestrictionId = ctx.param("restriction_id")?;
    let expected = ctx.if_match()?;
    let child = ctx
        .app()
        .children
        .remove_restriction(ctx.scope()?, id, restriction, expected)
        .await?;
    staff_view(StatusCode::OK, &child)
}
