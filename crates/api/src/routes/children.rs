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

use super::fields::{Fields, Unknown, date, date_text, email, nullable};
use crate::context::{page, sort};
use crate::{ApiError, Ctx, Reply};

/// A person's name on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NameDto {
    given: String,
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

/// An enrolment on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnrolmentDto {
    status: String,
    starts_on: String,
    #[serde(default)]
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChildIn {
    name: NameDto,
    date_of_birth: String,
    #[serde(default)]
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

/// The body of `PATCH /v1/children/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChildPatchIn {
    name: Option<NameDto>,
    date_of_birth: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
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
#[derive(Debug, Serialize)]
struct ContactOut {
    id: String,
    name: NameDto,
    relationship: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
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
#[derive(Debug, Serialize)]
struct ChildOut {
    id: String,
    name: NameDto,
    date_of_birth: String,
    room_id: Option<String>,
    enrolment: EnrolmentDto,
    photo_consent: bool,
    /// `staff`, or `guardian` for a caller linked to one of the child's contacts.
    access: &'static str,
    /// A guardian's capabilities for this child.
    #[serde(skip_serializing_if = "Option::is_none")]
    my_capabilities: Option<Vec<&'static str>>,
    /// Left out for a linked caller without the guardian capability.
    #[serde(skip_serializing_if = "Option::is_none")]
    contacts: Option<Vec<ContactOut>>,
    archived: bool,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    archived_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    updated_by: String,
    version: u64,
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
#[derive(Debug, Serialize)]
struct RestrictionOut {
    id: String,
    person: NameDto,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    blocks_pickup: bool,
    blocks_records: bool,
    starts_on: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ends_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// The sensitive part of a child's record on the wire.
#[derive(Debug, Serialize)]
struct SensitiveOut {
    child_id: String,
    allergies: Option<String>,
    medical_notes: Option<String>,
    medication: Option<String>,
    custody_notes: Option<String>,
    restrictions: Vec<RestrictionOut>,
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SensitiveIn {
    allergies: Option<String>,
    medical_notes: Option<String>,
    medication: Option<String>,
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactIn {
    name: NameDto,
    relationship: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
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

/// The body of `PATCH /v1/children/{id}/contacts/{contact_id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactPatchIn {
    name: Option<NameDto>,
    relationship: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    user_id: Option<Option<String>>,
    capabilities: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
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

/// The body of `POST /v1/children/{id}/restrictions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RestrictionIn {
    person: NameDto,
    #[serde(default)]
    contact_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    blocks_pickup: bool,
    #[serde(default)]
    blocks_records: bool,
    starts_on: String,
    #[serde(default)]
    ends_on: Option<String>,
    #[serde(default)]
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
#[derive(Debug, Serialize)]
struct ChildPage {
    items: Vec<ChildOut>,
    total: u64,
    limit: u32,
    offset: u64,
}

/// The query of `GET /v1/children`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChildListQuery {
    limit: Option<u32>,
    offset: Option<u64>,
    sort: Option<String>,
    room: Option<String>,
    status: Option<String>,
    name: Option<String>,
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
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let found = ctx.app().children.get(ctx.scope()?, id).await?;
    seen(StatusCode::OK, &found)
}

/// `PATCH /v1/children/{id}`: changes the fields given; needs `If-Match`.
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
pub(crate) async fn sensitive(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let child = ctx.app().children.sensitive(ctx.scope()?, id).await?;
    Ok(Reply::json(StatusCode::OK, &SensitiveOut::from(&child))?.with_etag(child.version))
}

/// `PUT /v1/children/{id}/sensitive`: replaces the four notes; needs `If-Match`. Answers the
/// child (not the notes: writing them does not need `children:read_sensitive`).
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
