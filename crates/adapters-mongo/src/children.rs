//! Children (with their contacts and custody restrictions) in the `children` collection, and
//! staff records in the `staff` collection.

use async_trait::async_trait;
use bson::{Bson, DateTime, Document, doc};
use cubby_domain::time_of_day::{iso_date, parse_iso_date};
use cubby_domain::{
    Capabilities, Capability, Child, ChildId, Contact, ContactId, CustodyRestriction, Email,
    Enrolment, EnrolmentStatus, Note, PasswordHash, PersonName, Phone, Qualification, Relationship,
    RestrictionId, RoomId, SensitiveInfo, StaffId, StaffMember, UserId, Version,
};
use cubby_ports::{
    ChildQuery, ChildRepository, ChildSortKey, Page, RepoError, StaffQuery, StaffRepository,
    TenantScope,
};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use crate::audit::{AuditDocument, to_bson};
use crate::rooms::regex_literal;
use crate::timed;
use crate::{
    Filter, Mongo, decode, duplicate_key, id_conflict, one_of, page_of, replace_versioned, scoped,
    sort_order, to_repo_error, version_from_bson, version_to_bson,
};

/// The children collection.
pub(crate) const CHILDREN: &str = "children";

/// The staff collection.
pub(crate) const STAFF: &str = "staff";

/// A tenant's children by name: name order and name prefix filters.
pub(crate) const CHILD_NAME_INDEX: &str = "children_tenant_name";

/// A tenant's children in creation order.
pub(crate) const CHILD_CREATED_INDEX: &str = "children_tenant_created";

/// A tenant's children by date of birth.
pub(crate) const CHILD_BIRTH_INDEX: &str = "children_tenant_date_of_birth";

/// The children with a contact linked to a user (multikey on `contacts.user_id`).
pub(crate) const CHILD_LINKED_USER_INDEX: &str = "children_tenant_contact_user";

/// A tenant's children of a room (and of a set of rooms), by name.
pub(crate) const CHILD_ROOM_INDEX: &str = "children_tenant_room_name";

/// The unique index on a tenant's active staff users (partial: archived records free their
/// user).
pub(crate) const STAFF_USER_INDEX: &str = "staff_tenant_active_user_unique";

/// A tenant's staff by name.
pub(crate) const STAFF_NAME_INDEX: &str = "staff_tenant_name";

/// A tenant's staff assigned to a room, by name (multikey on `room_ids`).
pub(crate) const STAFF_ROOM_INDEX: &str = "staff_tenant_room_name";

/// A person's name as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NameDocument {
    given: String,
    family: String,
}

impl NameDocument {
    fn from_domain(name: &PersonName) -> Self {
        Self {
            given: name.given().to_owned(),
            family: name.family().to_owned(),
        }
    }

    fn into_domain(self) -> Option<PersonName> {
        PersonName::parse(&self.given, &self.family).ok()
    }
}

/// A child as stored. Optional fields are left out when empty, never stored as `null`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ChildDocument {
    #[serde(rename = "_id")]
    id: String,
    tenant_id: String,
    name: NameDocument,
    /// [`PersonName::key`]: lowercase family then given name, for prefix search and sorting.
    name_key: String,
    /// `YYYY-MM-DD`.
    date_of_birth: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    room_id: Option<String>,
    enrolment: EnrolmentDocument,
    photo_consent: bool,
    sensitive: SensitiveDocument,
    contacts: Vec<ContactDocument>,
    restrictions: Vec<RestrictionDocument>,
    archived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    archived_at: Option<DateTime>,
    audit: AuditDocument,
    version: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct EnrolmentDocument {
    /// [`EnrolmentStatus::as_str`].
    status: String,
    starts_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ends_on: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SensitiveDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    allergies: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    medical_notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    medication: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    custody_notes: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ContactDocument {
    id: String,
    name: NameDocument,
    relationship: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// The linked user; the `contacts.user_id` index finds a user's children by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    /// Capabilities ([`Capability::as_str`]).
    capabilities: Vec<String>,
    /// The argon2 hash of the pickup PIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pickup_pin: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RestrictionDocument {
    id: String,
    person: NameDocument,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contact_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    blocks_pickup: bool,
    blocks_records: bool,
    starts_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ends_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

fn note_to_bson(note: Option<&Note>) -> Option<String> {
    note.map(|note| note.as_str().to_owned())
}

impl ContactDocument {
    fn from_domain(contact: &Contact) -> Self {
        Self {
            id: contact.id.to_string(),
            name: NameDocument::from_domain(&contact.name),
            relationship: contact.relationship.as_str().to_owned(),
            phone: contact.phone.as_ref().map(|p| p.as_str().to_owned()),
            email: contact.email.as_ref().map(|e| e.as_str().to_owned()),
            user_id: contact.user_id.map(|u| u.to_string()),
            capabilities: contact
                .capabilities
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            pickup_pin: contact.pickup_pin.as_ref().map(|h| h.as_str().to_owned()),
        }
    }

    fn into_domain(self) -> Result<Contact, RepoError> {
        let bad =
            |field: &str| RepoError::corrupt(format!("child document: malformed contacts.{field}"));
        Ok(Contact {
            id: ContactId::parse(&self.id).map_err(|_| bad("id"))?,
            name: self.name.into_domain().ok_or_else(|| bad("name"))?,
            relationship: Relationship::parse(&self.relationship)
                .map_err(|_| bad("relationship"))?,
            phone: self
                .phone
                .as_deref()
                .map(Phone::parse)
                .transpose()
                .map_err(|_| bad("phone"))?,
            email: self
                .email
                .as_deref()
                .map(Email::parse)
                .transpose()
                .map_err(|_| bad("email"))?,
            user_id: self
                .user_id
                .as_deref()
                .map(UserId::parse)
                .transpose()
                .map_err(|_| bad("user_id"))?,
            capabilities: self
                .capabilities
                .iter()
                .map(|c| Capability::parse(c).ok_or_else(|| bad("capabilities")))
                .collect::<Result<Capabilities, _>>()?,
            pickup_pin: self
                .pickup_pin
                .as_deref()
                .map(PasswordHash::parse)
                .transpose()
                .map_err(|_| bad("pickup_pin"))?,
        })
    }
}

impl RestrictionDocument {
    fn from_domain(restriction: &CustodyRestriction) -> Self {
        Self {
            id: restriction.id.to_string(),
            person: NameDocument::from_domain(&restriction.person),
            contact_id: restriction.contact_id.map(|c| c.to_string()),
            user_id: restriction.user_id.map(|u| u.to_string()),
            blocks_pickup: restriction.blocks_pickup,
            blocks_records: restriction.blocks_records,
            starts_on: iso_date(restriction.starts_on),
            ends_on: restriction.ends_on.map(iso_date),
            note: note_to_bson(restriction.note.as_ref()),
        }
    }

    fn into_domain(self) -> Result<CustodyRestriction, RepoError> {
        let bad = |field: &str| {
            RepoError::corrupt(format!("child document: malformed restrictions.{field}"))
        };
        let restriction = CustodyRestriction {
            id: RestrictionId::parse(&self.id).map_err(|_| bad("id"))?,
            person: self.person.into_domain().ok_or_else(|| bad("person"))?,
            contact_id: self
                .contact_id
                .as_deref()
                .map(ContactId::parse)
                .transpose()
                .map_err(|_| bad("contact_id"))?,
            user_id: self
                .user_id
                .as_deref()
                .map(UserId::parse)
                .transpose()
                .map_err(|_| bad("user_id"))?,
            blocks_pickup: self.blocks_pickup,
            blocks_records: self.blocks_records,
            starts_on: parse_iso_date(&self.starts_on).ok_or_else(|| bad("starts_on"))?,
            ends_on: self
                .ends_on
                .as_deref()
                .map(|d| parse_iso_date(d).ok_or_else(|| bad("ends_on")))
                .transpose()?,
            note: self
                .note
                .as_deref()
                .map(Note::parse)
                .transpose()
                .map_err(|_| bad("note"))?,
        };
        restriction.check().map_err(|_| bad("dates"))?;
        Ok(restriction)
    }
}

impl ChildDocument {
    fn from_domain(scope: &TenantScope, child: &Child) -> Self {
        Self {
            id: child.id().to_string(),
            tenant_id: scope.tenant_id().to_string(),
            name: NameDocument::from_domain(child.name()),
            name_key: child.name().key(),
            date_of_birth: iso_date(child.date_of_birth()),
            room_id: child.room_id().map(|r| r.to_string()),
            enrolment: EnrolmentDocument {
                status: child.enrolment().status().as_str().to_owned(),
                starts_on: iso_date(child.enrolment().starts_on()),
                ends_on: child.enrolment().ends_on().map(iso_date),
            },
            photo_consent: child.photo_consent(),
            sensitive: SensitiveDocument {
                allergies: note_to_bson(child.sensitive().allergies.as_ref()),
                medical_notes: note_to_bson(child.sensitive().medical_notes.as_ref()),
                medication: note_to_bson(child.sensitive().medication.as_ref()),
                custody_notes: note_to_bson(child.sensitive().custody_notes.as_ref()),
            },
            contacts: child
                .contacts()
                .iter()
                .map(ContactDocument::from_domain)
                .collect(),
            restrictions: child
                .restrictions()
                .iter()
                .map(RestrictionDocument::from_domain)
                .collect(),
            archived: child.is_archived(),
            archived_at: child.archived_at().map(to_bson),
            audit: AuditDocument::from_domain(child.audit()),
            version: version_to_bson(child.version()),
        }
    }

    /// The domain child, every field parsed again; anything malformed is `Corrupt`.
    fn into_domain(self) -> Result<Child, RepoError> {
        let bad = |field: &str| RepoError::corrupt(format!("child document: malformed {field}"));
        let note = |stored: Option<String>, field: &str| {
            stored
                .as_deref()
                .map(Note::parse)
                .transpose()
                .map_err(|_| bad(field))
        };
        let date = |stored: &str, field: &str| parse_iso_date(stored).ok_or_else(|| bad(field));
        let enrolment = Enrolment::new(
            EnrolmentStatus::parse(&self.enrolment.status)
                .ok_or_else(|| bad("enrolment.status"))?,
            date(&self.enrolment.starts_on, "enrolment.starts_on")?,
            self.enrolment
                .ends_on
                .as_deref()
                .map(|d| date(d, "enrolment.ends_on"))
                .transpose()?,
        )
        .map_err(|_| bad("enrolment"))?;
        Ok(Child::restore(cubby_domain::ChildParts {
            id: ChildId::parse(&self.id).map_err(|_| bad("_id"))?,
            name: self.name.into_domain().ok_or_else(|| bad("name"))?,
            date_of_birth: date(&self.date_of_birth, "date_of_birth")?,
            room_id: self
                .room_id
                .as_deref()
                .map(RoomId::parse)
                .transpose()
                .map_err(|_| bad("room_id"))?,
            enrolment,
            photo_consent: self.photo_consent,
            sensitive: SensitiveInfo {
                allergies: note(self.sensitive.allergies, "sensitive.allergies")?,
                medical_notes: note(self.sensitive.medical_notes, "sensitive.medical_notes")?,
                medication: note(self.sensitive.medication, "sensitive.medication")?,
                custody_notes: note(self.sensitive.custody_notes, "sensitive.custody_notes")?,
            },
            contacts: self
                .contacts
                .into_iter()
                .map(ContactDocument::into_domain)
                .collect::<Result<_, _>>()?,
            restrictions: self
                .restrictions
                .into_iter()
                .map(RestrictionDocument::into_domain)
                .collect::<Result<_, _>>()?,
            archived_at: self.archived_at.map(DateTime::to_time_0_3),
            audit: self.audit.into_domain("child document")?,
            version: version_from_bson(self.version).ok_or_else(|| bad("version"))?,
        }))
    }
}

/// A staff member as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StaffDocument {
    #[serde(rename = "_id")]
    id: String,
    tenant_id: String,
    /// The linked user: unique among the tenant's active staff.
    user_id: String,
    name: NameDocument,
    /// [`PersonName::key`], for sorting.
    name_key: String,
    qualifications: Vec<String>,
    /// The rooms assigned, in order; the room filter's index is multikey on it.
    room_ids: Vec<String>,
    archived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    archived_at: Option<DateTime>,
    audit: AuditDocument,
    version: i64,
}

impl StaffDocument {
    fn from_domain(scope: &TenantScope, member: &StaffMember) -> Self {
        Self {
            id: member.id.to_string(),
            tenant_id: scope.tenant_id().to_string(),
            user_id: member.user_id.to_string(),
            name: NameDocument::from_domain(&member.name),
            name_key: member.name.key(),
            qualifications: member
                .qualifications
                .iter()
                .map(|q| q.as_str().to_owned())
                .collect(),
            room_ids: member.room_ids.iter().map(ToString::to_string).collect(),
            archived: member.is_archived(),
            archived_at: member.archived_at.map(to_bson),
            audit: AuditDocument::from_domain(&member.audit),
            version: version_to_bson(member.version),
        }
    }

    /// The domain staff member, every field parsed again; anything malformed is `Corrupt`.
    fn into_domain(self) -> Result<StaffMember, RepoError> {
        let bad = |field: &str| RepoError::corrupt(format!("staff document: malformed {field}"));
        Ok(StaffMember {
            id: StaffId::parse(&self.id).map_err(|_| bad("_id"))?,
            user_id: UserId::parse(&self.user_id).map_err(|_| bad("user_id"))?,
            name: self.name.into_domain().ok_or_else(|| bad("name"))?,
            qualifications: self
                .qualifications
                .iter()
                .map(|q| Qualification::parse(q).map_err(|_| bad("qualifications")))
                .collect::<Result<_, _>>()?,
            room_ids: self
                .room_ids
                .iter()
                .map(|r| RoomId::parse(r).map_err(|_| bad("room_ids")))
                .collect::<Result<_, _>>()?,
            archived_at: self.archived_at.map(DateTime::to_time_0_3),
            audit: self.audit.into_domain("staff document")?,
            version: version_from_bson(self.version).ok_or_else(|| bad("version"))?,
        })
    }
}

impl Mongo {
    /// Children, for writes (typed, serialized by serde).
    fn children(&self) -> Collection<ChildDocument> {
        self.db.collection(CHILDREN)
    }

    /// Children, for reads: documents are decoded one by one with [`decode`].
    fn child_documents(&self) -> Collection<Document> {
        self.db.collection(CHILDREN)
    }

    /// Staff, for writes (typed, serialized by serde).
    fn staff(&self) -> Collection<StaffDocument> {
        self.db.collection(STAFF)
    }

    /// Staff, for reads: documents are decoded one by one with [`decode`].
    fn staff_documents(&self) -> Collection<Document> {
        self.db.collection(STAFF)
    }

    /// The one staff member matching `filter`, which must already name its tenant.
    async fn staff_where(&self, filter: Filter) -> Result<Option<StaffMember>, RepoError> {
        one_of(&self.staff_documents(), filter, staff_member).await
    }
}

fn child(document: Document) -> Result<Child, RepoError> {
    decode::<ChildDocument>(CHILDREN, document)?.into_domain()
}

fn staff_member(document: Document) -> Result<StaffMember, RepoError> {
    decode::<StaffDocument>(STAFF, document)?.into_domain()
}

/// A duplicate key on children can only be the id (no other unique index).
fn child_write_error(error: mongodb::error::Error) -> RepoError {
    id_conflict("child.id")(error)
}

/// A duplicate key on staff means the user already has an active record in the tenant, or
/// else the id is taken.
fn staff_write_error(error: mongodb::error::Error) -> RepoError {
    match duplicate_key(&error) {
        Some(message) if message.contains(STAFF_USER_INDEX) || message.contains("user_id") => {
            RepoError::Conflict("staff.user")
        }
        Some(_) => RepoError::Conflict("staff.id"),
        None => to_repo_error(error),
    }
}

/// The filter of a child list, or `None` when it can match nothing (an empty [`ChildSet`]).
///
/// [`ChildSet`]: cubby_ports::ChildSet
fn child_filter(scope: &TenantScope, query: &ChildQuery) -> Option<Filter> {
    let mut filter = scoped(scope, Document::new());
    if !query.include_archived {
        filter.insert("archived", false);
    }
    if let Some(set) = &query.within {
        let mut either: Vec<Bson> = Vec::new();
        if !set.rooms.is_empty() {
            let rooms: Vec<String> = set.rooms.iter().map(ToString::to_string).collect();
            either.push(doc! { "room_id": { "$in": rooms } }.into());
        }
        if !set.children.is_empty() {
            let children: Vec<String> = set.children.iter().map(ToString::to_string).collect();
            either.push(doc! { "_id": { "$in": children } }.into());
        }
        if either.is_empty() {
            return None;
        }
        filter.insert("$or", either);
    }
    if let Some(user) = query.linked_user {
        filter.insert("contacts.user_id", user.to_string());
    }
    if let Some(room) = query.room {
        filter.insert("room_id", room.to_string());
    }
    if let Some(status) = query.status {
        filter.insert("enrolment.status", status.as_str());
    }
    if let Some(prefix) = &query.name_prefix {
        filter.insert(
            "name_key",
            doc! { "$regex": format!("^{}", regex_literal(&prefix.to_lowercase())) },
        );
    }
    Some(filter)
}

#[async_trait]
impl ChildRepository for Mongo {
    async fn insert(&self, scope: &TenantScope, child: &Child) -> Result<(), RepoError> {
        timed(
            "children.insert",
            self.children()
                .insert_one(ChildDocument::from_domain(scope, child)),
        )
        .await
        .map(|_| ())
        .map_err(child_write_error)
    }

    async fn get(&self, scope: &TenantScope, id: ChildId) -> Result<Child, RepoError> {
        one_of(
            &self.child_documents(),
            scoped(scope, doc! { "_id": id.to_string() }),
            child,
        )
        .await?
        .ok_or(RepoError::NotFound)
    }

    async fn list(
        &self,
        scope: &TenantScope,
        query: &ChildQuery,
    ) -> Result<Page<Child>, RepoError> {
        let Some(filter) = child_filter(scope, query) else {
            return Ok(Page::empty());
        };
        let order = sort_order(query.direction);
        let sort = match query.sort {
            ChildSortKey::Name => doc! { "name_key": order, "_id": order },
            ChildSortKey::CreatedAt => doc! { "audit.created_at": order, "_id": order },
            ChildSortKey::DateOfBirth => doc! { "date_of_birth": order, "_id": order },
        };
        page_of(&self.child_documents(), filter, sort, query.page, child).await
    }

    async fn update(
        &self,
        scope: &TenantScope,
        child: &Child,
        expected: Version,
    ) -> Result<(), RepoError> {
        replace_versioned(
            &self.children(),
            scoped(scope, doc! { "_id": child.id().to_string() }),
            expected,
            ChildDocument::from_domain(scope, child),
            child_write_error,
        )
        .await
    }
}

#[async_trait]
impl StaffRepository for Mongo {
    async fn insert(&self, scope: &TenantScope, member: &StaffMember) -> Result<(), RepoError> {
        timed(
            "staff.insert",
            self.staff()
                .insert_one(StaffDocument::from_domain(scope, member)),
        )
        .await
        .map(|_| ())
        .map_err(staff_write_error)
    }

    async fn get(&self, scope: &TenantScope, id: StaffId) -> Result<StaffMember, RepoError> {
        self.staff_where(scoped(scope, doc! { "_id": id.to_string() }))
            .await?
            .ok_or(RepoError::NotFound)
    }

    async fn by_user(
        &self,
        scope: &TenantScope,
        user: UserId,
    ) -> Result<Option<StaffMember>, RepoError> {
        self.staff_where(scoped(
            scope,
            doc! { "user_id": user.to_string(), "archived": false },
        ))
        .await
    }

    async fn list(
        &self,
        scope: &TenantScope,
        query: &StaffQuery,
    ) -> Result<Page<StaffMember>, RepoError> {
        let mut filter = scoped(scope, Document::new());
        if !query.include_archived {
            filter.insert("archived", false);
        }
        if let Some(room) = query.room {
            filter.insert("room_ids", room.to_string());
        }
        let order = sort_order(query.direction);
        page_of(
            &self.staff_documents(),
            filter,
            doc! { "name_key": order, "_id": order },
            query.page,
            staff_member,
        )
        .await
    }

    async fn update(
        &self,
        scope: &TenantScope,
        member: &StaffMember,
        expected: Version,
    ) -> Result<(), RepoError> {
        replace_versioned(
            &self.staff(),
            scoped(scope, doc! { "_id": member.id.to_string() }),
            expected,
            StaffDocument::from_domain(scope, member),
            staff_write_error,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::regex_literal;

    #[test]
    fn pattern_characters_are_escaped() {
        assert_eq!(regex_literal("smith b."), "smith b\\.");
    }
}
