//! Child use cases: the record, its sensitive part, contacts and custody restrictions, and who
//! may see which child.
//!
//! Who reaches a child (row-level access, on top of the permissions):
//! - `centre:all_rooms`: every child of the centre;
//! - a staff member: the children of the rooms they are assigned to;
//! - a user linked to one of the child's contacts: that child, as far as the contact's
//!   capabilities allow ([`GuardianView`]);
//! - a person a records restriction in force names: nothing of that child, whatever else.
//!
//! A child the caller does not reach is [`AppError::NotFound`], never forbidden: its existence
//! is not revealed.

use std::collections::HashMap;
use std::sync::Arc;

use cubby_domain::child::check_date_of_birth;
use cubby_domain::{
    AuditAction, Capabilities, Child, ChildError, ChildId, Contact, ContactId, CustodyRestriction,
    Email, Enrolment, GuardianView, Note, Permission, PersonName, Phone, Pin, Relationship,
    RestrictionId, RoomId, SensitiveInfo, UserId, Version,
};
use cubby_ports::{
    ChildQuery, ChildRepository, ChildSet, Clock, IdGenerator, MAX_LIMIT, MembershipDirectory,
    Page, PageRequest, RoomRepository, StaffRepository, TenantDirectory, TenantScope,
};
use secrecy::SecretString;
use time::Date;

use crate::AppError;
use crate::audit::AuditTrail;
use crate::cache::CachedTenants;
use crate::error::require;
use crate::passwords::Passwords;

/// How the caller reaches a child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// As staff: the whole record (sensitive fields still need their permission).
    Staff,
    /// As a linked contact: what the contact's capabilities allow.
    Guardian(GuardianView),
}

/// A child and how the caller reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// The child.
    pub child: Child,
    /// How the caller reaches it.
    pub access: Access,
}

/// What a director gives to add a child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewChild {
    /// The name.
    pub name: PersonName,
    /// The date of birth.
    pub date_of_birth: Date,
    /// The room, if placed.
    pub room_id: Option<RoomId>,
    /// The enrolment.
    pub enrolment: Enrolment,
    /// Photo consent.
    pub photo_consent: bool,
}

/// A change to a child's record: each `Some` replaces the value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChildChanges {
    /// A new name.
    pub name: Option<PersonName>,
    /// A new date of birth.
    pub date_of_birth: Option<Date>,
    /// A new room (`Some(None)` takes the child out of any room).
    pub room_id: Option<Option<RoomId>>,
    /// A new enrolment.
    pub enrolment: Option<Enrolment>,
    /// New photo consent.
    pub photo_consent: Option<bool>,
}

/// A contact to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewContact {
    /// Their name.
    pub name: PersonName,
    /// How they relate to the child.
    pub relationship: Relationship,
    /// Their phone number.
    pub phone: Option<Phone>,
    /// Their e-mail address.
    pub email: Option<Email>,
    /// The user account to link, a member of the centre.
    pub user_id: Option<UserId>,
    /// Their capabilities.
    pub capabilities: Capabilities,
    /// Their pickup PIN (stored hashed).
    pub pickup_pin: Option<Pin>,
}

/// A change to a contact: each `Some` replaces the value (`Some(None)` clears it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactChanges {
    /// A new name.
    pub name: Option<PersonName>,
    /// A new relationship.
    pub relationship: Option<Relationship>,
    /// A new phone number.
    pub phone: Option<Option<Phone>>,
    /// A new e-mail address.
    pub email: Option<Option<Email>>,
    /// A new linked user.
    pub user_id: Option<Option<UserId>>,
    /// New capabilities.
    pub capabilities: Option<Capabilities>,
    /// A new pickup PIN.
    pub pickup_pin: Option<Option<Pin>>,
}

/// A custody restriction to place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRestriction {
    /// The person restricted.
    pub person: PersonName,
    /// Their contact entry, if any.
    pub contact_id: Option<ContactId>,
    /// Their user account, if any.
    pub user_id: Option<UserId>,
    /// No pickup.
    pub blocks_pickup: bool,
    /// No records.
    pub blocks_records: bool,
    /// From.
    pub starts_on: Date,
    /// Until.
    pub ends_on: Option<Date>,
    /// Why.
    pub note: Option<Note>,
}

/// The child use cases.
pub struct Children {
    pub(crate) children: Arc<dyn ChildRepository>,
    pub(crate) staff: Arc<dyn StaffRepository>,
    pub(crate) rooms: Arc<dyn RoomRepository>,
    pub(crate) directory: Arc<dyn MembershipDirectory>,
    pub(crate) tenants: Arc<CachedTenants>,
    pub(crate) audit: Arc<AuditTrail>,
    pub(crate) passwords: Passwords,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for Children {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Children").finish_non_exhaustive()
    }
}

fn invalid(field: &'static str, error: &ChildError) -> AppError {
    AppError::Invalid {
        field,
        code: error.code(),
        message: error.to_string(),
    }
}

fn rule(error: &ChildError) -> AppError {
    AppError::Rule {
        code: error.code(),
        message: error.to_string(),
    }
}

/// Removes the entries of `list` that `matches`; [`AppError::NotFound`] when there is none.
fn remove_where<T>(list: &mut Vec<T>, matches: impl Fn(&T) -> bool) -> Result<(), AppError> {
    let before = list.len();
    list.retain(|entry| !matches(entry));
    if list.len() == before {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

/// The day it is now in the scope's centre.
pub(crate) async fn today(
    tenants: &CachedTenants,
    clock: &dyn Clock,
    scope: &TenantScope,
) -> Result<Date, AppError> {
    let tenant = tenants.by_id(scope.tenant_id()).await?;
    let now = clock.now();
    Ok(now.to_offset(tenant.time_zone.offset_at(now)).date())
}

impl Children {
    /// The day it is now in the scope's centre.
    pub(crate) async fn today(&self, scope: &TenantScope) -> Result<Date, AppError> {
        today(&self.tenants, self.clock.as_ref(), scope).await
    }

    /// The rooms the caller works in as staff (empty when not staff).
    pub(crate) async fn staff_rooms(&self, scope: &TenantScope) -> Result<Vec<RoomId>, AppError> {
        let Some(user) = scope.user_id() else {
            return Ok(Vec::new());
        };
        Ok(self
            .staff
            .by_user(scope, user)
            .await?
            .map(|member| member.room_ids)
            .unwrap_or_default())
    }

    /// How the caller reaches `child` on `day`, or [`AppError::NotFound`].
    pub(crate) async fn reach(
        &self,
        scope: &TenantScope,
        child: &Child,
        day: Date,
    ) -> Result<Access, AppError> {
        let Some(user) = scope.user_id() else {
            // A job of the tenant.
            return Ok(Access::Staff);
        };
        if child.records_blocked_for(user, day) {
            return Err(AppError::NotFound);
        }
        if scope.has(Permission::CentreAllRooms) {
            return Ok(Access::Staff);
        }
        if let Some(room) = child.room_id
            && self.staff_rooms(scope).await?.contains(&room)
        {
            return Ok(Access::Staff);
        }
        child
            .guardian_view(user, day)
            .map(Access::Guardian)
            .ok_or(AppError::NotFound)
    }

    /// The child, if the caller reaches it as staff.
    pub(crate) async fn as_staff(
        &self,
        scope: &TenantScope,
        id: ChildId,
        day: Date,
    ) -> Result<Child, AppError> {
        let child = self.children.get(scope, id).await?;
        match self.reach(scope, &child, day).await? {
            Access::Staff => Ok(child),
            Access::Guardian(_) => Err(AppError::NotFound),
        }
    }

    /// One child the caller reaches.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `children:read`; [`AppError::NotFound`] when the
    /// caller does not reach it.
    pub async fn get(&self, scope: &TenantScope, id: ChildId) -> Result<Seen, AppError> {
        require(scope, Permission::ChildrenRead)?;
        let day = self.today(scope).await?;
        let child = self.children.get(scope, id).await?;
        let access = self.reach(scope, &child, day).await?;
        Ok(Seen { child, access })
    }

    /// A page of the children the caller reaches, filtered by `query` (whose `within` and
    /// `linked_user` are set here).
    ///
    /// A caller without `centre:all_rooms` sees the children of the rooms they work in and
    /// the children they are linked to (at most [`MAX_LIMIT`] of those).
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `children:read`.
    pub async fn list(
        &self,
        scope: &TenantScope,
        mut query: ChildQuery,
    ) -> Result<Page<Seen>, AppError> {
        require(scope, Permission::ChildrenRead)?;
        query.linked_user = None;
        query.within = None;
        let user = scope.user_id();
        if scope.has(Permission::CentreAllRooms) || user.is_none() {
            let page = self.children.list(scope, &query).await?;
            return Ok(Page {
                items: page
                    .items
                    .into_iter()
                    .map(|child| Seen {
                        child,
                        access: Access::Staff,
                    })
                    .collect(),
                total: page.total,
            });
        }
        let day = self.today(scope).await?;
        let user = user.ok_or(AppError::NotFound)?;
        let rooms = self.staff_rooms(scope).await?;
        let mut views: HashMap<ChildId, GuardianView> = HashMap::new();
        let linked = ChildQuery {
            linked_user: Some(user),
            include_archived: query.include_archived,
            page: PageRequest::new(MAX_LIMIT, 0).map_err(|e| AppError::Internal(e.into()))?,
            ..ChildQuery::default()
        };
        for child in self.children.list(scope, &linked).await?.items {
            if let Some(view) = child.guardian_view(user, day) {
                views.insert(child.id, view);
            }
        }
        query.within = Some(ChildSet {
            rooms: rooms.clone(),
            children: views.keys().copied().collect(),
        });
        let page = self.children.list(scope, &query).await?;
        let items = page
            .items
            .into_iter()
            .filter(|child| !child.records_blocked_for(user, day))
            .filter_map(|child| {
                let access = if child.room_id.is_some_and(|room| rooms.contains(&room)) {
                    Access::Staff
                } else {
                    Access::Guardian(*views.get(&child.id)?)
                };
                Some(Seen { child, access })
            })
            .collect();
        Ok(Page {
            items,
            total: page.total,
        })
    }

    /// The sensitive part of a child's record (allergies, medical notes, medication, custody
    /// notes) and its custody restrictions; the read is audited before it is answered.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `children:read_sensitive`; [`AppError::NotFound`]
    /// unless the caller reaches the child as staff; [`AppError::Unavailable`] when the
    /// audit event cannot be stored (nothing is answered then).
    pub async fn sensitive(&self, scope: &TenantScope, id: ChildId) -> Result<Child, AppError> {
        require(scope, Permission::ChildrenReadSensitive)?;
        let day = self.today(scope).await?;
        let child = self.as_staff(scope, id, day).await?;
        self.audit
            .record_before(
                scope,
                AuditAction::ChildSensitiveRead,
                Some(child.id.to_string()),
                &[],
            )
            .await?;
        Ok(child)
    }

    /// Adds a child.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `children:write`; [`AppError::Invalid`] for a date of
    /// birth out of range (`child.invalid_date_of_birth`) or a room the centre does not have
    /// active (`child.unknown_room`).
    pub async fn create(&self, scope: &TenantScope, new: NewChild) -> Result<Child, AppError> {
        let id = ChildId::from_uuid(self.ids.uuid());
        self.create_with_id(scope, id, new)
            .await?
            .ok_or_else(|| AppError::Internal("a fresh child id was taken".into()))
    }

    /// Adds a child with an id chosen by the caller (an import derives it from its job and
    /// row, so that running the import again adds nothing): `None` if the centre already has a
    /// child with that id.
    ///
    /// # Errors
    ///
    /// As [`Children::create`].
    pub(crate) async fn create_with_id(
        &self,
        scope: &TenantScope,
        id: ChildId,
        new: NewChild,
    ) -> Result<Option<Child>, AppError> {
        require(scope, Permission::ChildrenWrite)?;
        let day = self.today(scope).await?;
        check_date_of_birth(new.date_of_birth, day).map_err(|e| invalid("date_of_birth", &e))?;
        if let Some(room) = new.room_id {
            self.check_room(scope, room).await?;
        }
        let now = self.clock.now();
        let child = Child {
            id,
            name: new.name,
            date_of_birth: new.date_of_birth,
            room_id: new.room_id,
            enrolment: new.enrolment,
            photo_consent: new.photo_consent,
            sensitive: SensitiveInfo::default(),
            contacts: Vec::new(),
            restrictions: Vec::new(),
            archived_at: None,
            audit: cubby_domain::Audit::created(scope.actor().clone(), now),
            version: Version::FIRST,
        };
        match self.children.insert(scope, &child).await {
            Ok(()) => {}
            Err(cubby_ports::RepoError::Conflict("child.id")) => return Ok(None),
            Err(other) => return Err(other.into()),
        }
        self.audit
            .record(
                scope,
                AuditAction::ChildCreated,
                Some(child.id.to_string()),
                &[],
            )
            .await;
        Ok(Some(child))
    }

    /// Changes a child's record, if it is still at `expected`.
    ///
    /// # Errors
    ///
    /// As [`Children::create`], and [`AppError::NotFound`], [`AppError::StaleVersion`],
    /// [`AppError::Rule`] (`child.archived`).
    pub async fn update(
        &self,
        scope: &TenantScope,
        id: ChildId,
        expected: Version,
        changes: ChildChanges,
    ) -> Result<Child, AppError> {
        if let Some(Some(room)) = changes.room_id {
            require(scope, Permission::ChildrenWrite)?;
            self.check_room(scope, room).await?;
        }
        let day = self.today(scope).await?;
        if let Some(born) = changes.date_of_birth {
            check_date_of_birth(born, day).map_err(|e| invalid("date_of_birth", &e))?;
        }
        self.modify(scope, id, expected, AuditAction::ChildUpdated, |child| {
            if let Some(name) = changes.name {
                child.name = name;
            }
            if let Some(born) = changes.date_of_birth {
                child.date_of_birth = born;
            }
            if let Some(room) = changes.room_id {
                child.room_id = room;
            }
            if let Some(enrolment) = changes.enrolment {
                child.enrolment = enrolment;
            }
            if let Some(consent) = changes.photo_consent {
                child.photo_consent = consent;
            }
            Ok(())
        })
        .await
    }

    /// Replaces the sensitive part of a child's record.
    ///
    /// # Errors
    ///
    /// As [`Children::update`].
    pub async fn replace_sensitive(
        &self,
        scope: &TenantScope,
        id: ChildId,
        expected: Version,
        sensitive: SensitiveInfo,
    ) -> Result<Child, AppError> {
        self.modify(
            scope,
            id,
            expected,
            AuditAction::ChildSensitiveChanged,
            |child| {
                child.sensitive = sensitive;
                Ok(())
            },
        )
        .await
    }

    /// Archives a child (it stays readable; archiving twice changes nothing).
    ///
    /// # Errors
    ///
    /// As [`Children::update`], without the rule.
    pub async fn archive(
        &self,
        scope: &TenantScope,
        id: ChildId,
        expected: Version,
    ) -> Result<Child, AppError> {
        require(scope, Permission::ChildrenWrite)?;
        let day = self.today(scope).await?;
        let stored = self.as_staff(scope, id, day).await?;
        if stored.version != expected {
            return Err(AppError::StaleVersion);
        }
        if stored.is_archived() {
            return Ok(stored);
        }
        let now = self.clock.now();
        let archived = stored
            .changed(|c| c.archived_at = Some(now), scope.actor().clone(), now)
            .map_err(|e| rule(&e))?;
        self.children.update(scope, &archived, expected).await?;
        self.audit
            .record(scope, AuditAction::ChildArchived, Some(id.to_string()), &[])
            .await;
        Ok(archived)
    }

    /// Adds a contact to a child; its PIN is stored hashed.
    ///
    /// # Errors
    ///
    /// As [`Children::update`], and [`AppError::Invalid`] (`contact.unknown_user`) when the
    /// user to link is not a member of the centre.
    pub async fn add_contact(
        &self,
        scope: &TenantScope,
        id: ChildId,
        expected: Version,
        new: NewContact,
    ) -> Result<(Child, ContactId), AppError> {
        require(scope, Permission::ChildrenWrite)?;
        if let Some(user) = new.user_id {
            self.check_member(scope, user).await?;
        }
        let pickup_pin = match &new.pickup_pin {
            Some(pin) => Some(self.hash_pin(pin).await?),
            None => None,
        };
        let contact = Contact {
            id: ContactId::from_uuid(self.ids.uuid()),
            name: new.name,
            relationship: new.relationship,
            phone: new.phone,
            email: new.email,
            user_id: new.user_id,
            capabilities: new.capabilities,
            pickup_pin,
        };
        let contact_id = contact.id;
        let child = self
            .modify(scope, id, expected, AuditAction::ContactAdded, |child| {
                child.contacts.push(contact);
                Ok(())
            })
            .await?;
        Ok((child, contact_id))
    }

    /// Changes one of a child's contacts.
    ///
    /// # Errors
    ///
    /// As [`Children::add_contact`], and [`AppError::NotFound`] for a contact the child does
    /// not have.
    pub async fn update_contact(
        &self,
        scope: &TenantScope,
        id: ChildId,
        contact: ContactId,
        expected: Version,
        changes: ContactChanges,
    ) -> Result<Child, AppError> {
        require(scope, Permission::ChildrenWrite)?;
        if let Some(Some(user)) = changes.user_id {
            self.check_member(scope, user).await?;
        }
        let pickup_pin = match &changes.pickup_pin {
            Some(Some(pin)) => Some(Some(self.hash_pin(pin).await?)),
            Some(None) => Some(None),
            None => None,
        };
        self.modify(scope, id, expected, AuditAction::ContactChanged, |child| {
            let entry = child
                .contacts
                .iter_mut()
                .find(|c| c.id == contact)
                .ok_or(AppError::NotFound)?;
            if let Some(name) = changes.name {
                entry.name = name;
            }
            if let Some(relationship) = changes.relationship {
                entry.relationship = relationship;
            }
            if let Some(phone) = changes.phone {
                entry.phone = phone;
            }
            if let Some(email) = changes.email {
                entry.email = email;
            }
            if let Some(user) = changes.user_id {
                entry.user_id = user;
            }
            if let Some(capabilities) = changes.capabilities {
                entry.capabilities = capabilities;
            }
            if let Some(pin) = pickup_pin {
                entry.pickup_pin = pin;
            }
            Ok(())
        })
        .await
    }

    /// Removes one of a child's contacts.
    ///
    /// # Errors
    ///
    /// As [`Children::update_contact`].
    pub async fn remove_contact(
        &self,
        scope: &TenantScope,
        id: ChildId,
        contact: ContactId,
        expected: Version,
    ) -> Result<Child, AppError> {
        self.modify(scope, id, expected, AuditAction::ContactRemoved, |child| {
            remove_where(&mut child.contacts, |c| c.id == contact)
        })
        .await
    }

    /// Places a custody restriction on a child.
    ///
    /// # Errors
    ///
    /// As [`Children::update`], and [`AppError::Invalid`] (`restriction.invalid`,
    /// `contact.unknown`).
    pub async fn add_restriction(
        &self,
        scope: &TenantScope,
        id: ChildId,
        expected: Version,
        new: NewRestriction,
    ) -> Result<(Child, RestrictionId), AppError> {
        let restriction = CustodyRestriction {
            id: RestrictionId::from_uuid(self.ids.uuid()),
            person: new.person,
            contact_id: new.contact_id,
            user_id: new.user_id,
            blocks_pickup: new.blocks_pickup,
            blocks_records: new.blocks_records,
            starts_on: new.starts_on,
            ends_on: new.ends_on,
            note: new.note,
        };
        restriction
            .check()
            .map_err(|e| invalid("restriction", &e))?;
        let restriction_id = restriction.id;
        let child = self
            .modify(
                scope,
                id,
                expected,
                AuditAction::RestrictionAdded,
                |child| {
                    if let Some(contact) = restriction.contact_id
                        && child.contact(contact).is_none()
                    {
                        return Err(invalid("contact_id", &ChildError::UnknownContact));
                    }
                    child.restrictions.push(restriction);
                    Ok(())
                },
            )
            .await?;
        Ok((child, restriction_id))
    }

    /// Lifts a custody restriction.
    ///
    /// # Errors
    ///
    /// As [`Children::update`], and [`AppError::NotFound`] for a restriction the child does
    /// not have.
    pub async fn remove_restriction(
        &self,
        scope: &TenantScope,
        id: ChildId,
        restriction: RestrictionId,
        expected: Version,
    ) -> Result<Child, AppError> {
        self.modify(
            scope,
            id,
            expected,
            AuditAction::RestrictionRemoved,
            |child| remove_where(&mut child.restrictions, |r| r.id == restriction),
        )
        .await
    }

    /// Loads the child the caller reaches as staff at `expected`, applies `change` to a copy,
    /// stores it one version on (nothing when the change changes nothing) and audits `action`.
    async fn modify(
        &self,
        scope: &TenantScope,
        id: ChildId,
        expected: Version,
        action: AuditAction,
        change: impl FnOnce(&mut Child) -> Result<(), AppError>,
    ) -> Result<Child, AppError> {
        require(scope, Permission::ChildrenWrite)?;
        let day = self.today(scope).await?;
        let stored = self.as_staff(scope, id, day).await?;
        if stored.version != expected {
            return Err(AppError::StaleVersion);
        }
        if stored.is_archived() {
            return Err(rule(&ChildError::Archived));
        }
        let mut draft = stored.clone();
        change(&mut draft)?;
        if draft == stored {
            return Ok(stored);
        }
        let next = stored
            .changed(|c| *c = draft, scope.actor().clone(), self.clock.now())
            .map_err(|e| rule(&e))?;
        self.children.update(scope, &next, expected).await?;
        self.audit
            .record(scope, action, Some(id.to_string()), &[])
            .await;
        Ok(next)
    }

    async fn check_room(&self, scope: &TenantScope, room: RoomId) -> Result<(), AppError> {
        match self.rooms.get(scope, room).await {
            Ok(found) if !found.is_archived() => Ok(()),
            Ok(_) | Err(cubby_ports::RepoError::NotFound) => Err(AppError::Invalid {
                field: "room_id",
                code: "child.unknown_room",
                message: "the centre has no active room with this id".to_owned(),
            }),
            Err(other) => Err(other.into()),
        }
    }

    async fn check_member(&self, scope: &TenantScope, user: UserId) -> Result<(), AppError> {
        match self.directory.membership_of(scope.tenant_id(), user).await {
            Ok(_) => Ok(()),
            Err(cubby_ports::RepoError::NotFound) => Err(AppError::Invalid {
                field: "user_id",
                code: "contact.unknown_user",
                message: "the user is not a member of this centre".to_owned(),
            }),
            Err(other) => Err(other.into()),
        }
    }

    async fn hash_pin(&self, pin: &Pin) -> Result<cubby_domain::PasswordHash, AppError> {
        self.passwords
            .hash(SecretString::from(pin.as_str().to_owned()))
            .await
    }

    /// Whether `pin` is the contact's pickup PIN (false when they have none).
    ///
    /// # Errors
    ///
    /// [`AppError::Internal`] if the blocking pool fails.
    pub(crate) async fn pin_matches(&self, contact: &Contact, pin: &Pin) -> Result<bool, AppError> {
        self.passwords
            .verify(
                SecretString::from(pin.as_str().to_owned()),
                contact.pickup_pin.as_ref(),
            )
            .await
    }
}
