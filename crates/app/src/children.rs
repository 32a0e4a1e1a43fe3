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
//!
//! One use case a file: `reach` (who reaches which child), `read` (one child, a page, the
//! sensitive part), `records` (adding, changing and archiving), `contacts` and
//! `restrictions`.

mod contacts;
mod reach;
mod read;
mod records;
mod restrictions;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use cubby_domain::{
    AuditAction, Capabilities, Child, ChildEdit, ChildError, ChildId, ContactId, Email, Enrolment,
    GuardianView, Note, Permission, PersonName, Phone, Pin, Relationship, RoomId, UserId, Version,
};
use cubby_ports::{
    ChildRepository, Clock, IdGenerator, MembershipDirectory, RoomRepository, StaffRepository,
    TenantScope,
};
use time::Date;

use crate::AppError;
use crate::audit::AuditTrail;
use crate::cache::CachedTenants;
use crate::error::require;
use crate::passwords::Passwords;

pub(crate) use reach::today;

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

impl Children {
    /// The child a caller who may write children reaches as staff, as stored at `expected`.
    async fn to_change(
        &self,
        scope: &TenantScope,
        id: ChildId,
        expected: Version,
    ) -> Result<Child, AppError> {
        require(scope, Permission::ChildrenWrite)?;
        let day = self.today(scope).await?;
        let stored = self.as_staff(scope, id, day).await?;
        if stored.version() != expected {
            return Err(AppError::StaleVersion);
        }
        Ok(stored)
    }

    /// Loads the child the caller reaches as staff at `expected`, applies `change` to a copy,
    /// stores it one version on (nothing when the change changes nothing) and audits `action`.
    async fn modify(
        &self,
        scope: &TenantScope,
        id: ChildId,
        expected: Version,
        action: AuditAction,
        change: impl FnOnce(&mut ChildEdit<'_>) -> Result<(), AppError>,
    ) -> Result<Child, AppError> {
        let stored = self.to_change(scope, id, expected).await?;
        let mut outcome = Ok(());
        let mut unchanged = false;
        let next = stored
            .changed(
                |edit| {
                    outcome = change(edit);
                    unchanged = **edit == stored;
                },
                scope.actor().clone(),
                self.clock.now(),
            )
            .map_err(|e| rule(&e))?;
        outcome?;
        if unchanged {
            return Ok(stored);
        }
        self.children.update(scope, &next, expected).await?;
        self.audit
            .record(scope, action, Some(id.to_string()), &[])
            .await;
        Ok(next)
    }
}
