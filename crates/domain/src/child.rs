//! Children, their contacts and the custody restrictions on them, and the rules of who may see
//! a child and who may collect one.
//!
//! A contact holds capability flags (guardian, may pick up, billing, messaging, media, daily
//! feed, emergency only) and may be linked to a user account. A custody restriction names a
//! person who may not collect the child and/or may not see their records, between two dates;
//! while it is in force, a linked user sees nothing of the child.

use std::fmt;

use time::{Date, OffsetDateTime};

use crate::audit::Audit;
use crate::error_code::ErrorCode;
use crate::id::{ChildId, ContactId, RestrictionId, RoomId, UserId};
use crate::text::{TextError, single_line};
use crate::user::Email;
use crate::version::Version;

/// Why a child value or change was refused. Each variant has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChildError {
    /// A name part is not acceptable text.
    #[error("name {0}")]
    InvalidName(TextError),
    /// The date of birth is in the future or more than 18 years ago.
    #[error("a date of birth is not in the future and at most 18 years ago")]
    InvalidDateOfBirth,
    /// The enrolment ends before it starts.
    #[error("an enrolment ends on or after the day it starts")]
    InvalidEnrolment,
    /// A note is empty or longer than 2000 characters.
    #[error("a note is 1 to 2000 characters")]
    InvalidNote,
    /// A relationship is not acceptable text.
    #[error("relationship {0}")]
    InvalidRelationship(TextError),
    /// A phone number is not 5 to 20 of digits, spaces, `+`, `-`, `(`, `)`.
    #[error("a phone number is 5 to 20 digits, spaces, +, -, ( or )")]
    InvalidPhone,
    /// A pickup PIN is not 4 to 8 digits.
    #[error("a pickup PIN is 4 to 8 digits")]
    InvalidPin,
    /// A restriction ends before it starts, or restricts nothing.
    #[error("a restriction blocks pickup or records, and ends on or after the day it starts")]
    InvalidRestriction,
    /// No such contact of the child.
    #[error("no such contact")]
    UnknownContact,
    /// No such custody restriction of the child.
    #[error("no such restriction")]
    UnknownRestriction,
    /// The child is archived and can no longer be changed.
    #[error("the child is archived")]
    Archived,
}

impl ChildError {
    /// The stable machine-readable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ChildError::InvalidName(_) => ErrorCode::ChildInvalidName,
            ChildError::InvalidDateOfBirth => ErrorCode::ChildInvalidDateOfBirth,
            ChildError::InvalidEnrolment => ErrorCode::ChildInvalidEnrolment,
            ChildError::InvalidNote => ErrorCode::ChildInvalidNote,
            ChildError::InvalidRelationship(_) => ErrorCode::ContactInvalidRelationship,
            ChildError::InvalidPhone => ErrorCode::ContactInvalidPhone,
            ChildError::InvalidPin => ErrorCode::ContactInvalidPin,
            ChildError::InvalidRestriction => ErrorCode::RestrictionInvalid,
            ChildError::UnknownContact => ErrorCode::ContactUnknown,
            ChildError::UnknownRestriction => ErrorCode::RestrictionUnknown,
            ChildError::Archived => ErrorCode::ChildArchived,
        }
    }
}

/// A person's name: a given and a family name, each one line of 1 to 60 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName {
    given: String,
    family: String,
}

impl PersonName {
    /// Parses a name.
    ///
    /// # Errors
    ///
    /// [`ChildError::InvalidName`].
    pub fn parse(given: &str, family: &str) -> Result<Self, ChildError> {
        Ok(Self {
            given: single_line(given, 60).map_err(ChildError::InvalidName)?,
            family: single_line(family, 60).map_err(ChildError::InvalidName)?,
        })
    }

    /// The given name.
    pub fn given(&self) -> &str {
        &self.given
    }

    /// The family name.
    pub fn family(&self) -> &str {
        &self.family
    }

    /// The form names are searched and sorted by: lowercase, family then given.
    pub fn key(&self) -> String {
        format!(
            "{} {}",
            self.family.to_lowercase(),
            self.given.to_lowercase()
        )
    }
}

impl fmt::Debug for PersonName {
    /// Names are personal data: `Debug` never prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonName(***)")
    }
}

/// A free-text note (allergies, medical notes, custody notes): 1 to 2000 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Note(String);

impl Note {
    /// Parses a note, trimmed.
    ///
    /// # Errors
    ///
    /// [`ChildError::InvalidNote`].
    pub fn parse(input: &str) -> Result<Self, ChildError> {
        let note = input.trim();
        if note.is_empty() || note.chars().count() > 2000 {
            return Err(ChildError::InvalidNote);
        }
        Ok(Self(note.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Note(***)")
    }
}

/// The sensitive part of a child's record: read only with `children:read_sensitive`, and every
/// read is audited.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SensitiveInfo {
    /// Allergies.
    pub allergies: Option<Note>,
    /// Medical notes.
    pub medical_notes: Option<Note>,
    /// Medication.
    pub medication: Option<Note>,
    /// Custody notes.
    pub custody_notes: Option<Note>,
}

/// Where a child's enrolment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnrolmentStatus {
    /// Waiting for a place.
    Waitlisted,
    /// Enrolled.
    Enrolled,
    /// Left the centre.
    Withdrawn,
}

impl EnrolmentStatus {
    /// Every status.
    pub const ALL: [EnrolmentStatus; 3] = [
        EnrolmentStatus::Waitlisted,
        EnrolmentStatus::Enrolled,
        EnrolmentStatus::Withdrawn,
    ];

    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            EnrolmentStatus::Waitlisted => "waitlisted",
            EnrolmentStatus::Enrolled => "enrolled",
            EnrolmentStatus::Withdrawn => "withdrawn",
        }
    }

    /// Parses the wire form.
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == input)
    }
}

/// A child's enrolment: its status and dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Enrolment {
    status: EnrolmentStatus,
    starts_on: Date,
    ends_on: Option<Date>,
}

impl Enrolment {
    /// An enrolment from `starts_on` to `ends_on` (if known).
    ///
    /// # Errors
    ///
    /// [`ChildError::InvalidEnrolment`] when it ends before it starts.
    pub fn new(
        status: EnrolmentStatus,
        starts_on: Date,
        ends_on: Option<Date>,
    ) -> Result<Self, ChildError> {
        if ends_on.is_some_and(|end| end < starts_on) {
            return Err(ChildError::InvalidEnrolment);
        }
        Ok(Self {
            status,
            starts_on,
            ends_on,
        })
    }

    /// The status.
    pub fn status(self) -> EnrolmentStatus {
        self.status
    }

    /// The first day.
    pub fn starts_on(self) -> Date {
        self.starts_on
    }

    /// The last day, if known.
    pub fn ends_on(self) -> Option<Date> {
        self.ends_on
    }

    /// Whether the child attends on `day`: enrolled, and `day` within the dates.
    pub fn attends_on(self, day: Date) -> bool {
        self.status == EnrolmentStatus::Enrolled
            && self.starts_on <= day
            && self.ends_on.is_none_or(|end| day <= end)
    }
}

macro_rules! capabilities {
    ($($(#[$doc:meta])* $variant:ident = $text:literal),* $(,)?) => {
        /// One thing a contact may do for or know of a child.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Capability {
            $($(#[$doc])* $variant,)*
        }

        impl Capability {
            /// Every capability.
            pub const ALL: &'static [Capability] = &[$(Capability::$variant,)*];

            /// The wire form.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Capability::$variant => $text,)*
                }
            }

            /// Parses the wire form.
            pub fn parse(input: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.as_str() == input)
            }
        }
    };
}

capabilities!(
    /// A legal guardian: sees the child's record, attendance and contacts.
    Guardian = "guardian",
    /// May collect the child.
    MayPickUp = "may_pick_up",
    /// Receives invoices.
    Billing = "billing",
    /// May message staff about the child.
    Messaging = "messaging",
    /// Sees photos of the child.
    Media = "media",
    /// Sees the child's day: attendance and updates.
    DailyFeed = "daily_feed",
    /// Only to be called in an emergency.
    EmergencyOnly = "emergency_only",
);

/// A set of capabilities.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Capabilities(u8);

impl Capabilities {
    /// Whether `capability` is in the set.
    pub fn has(self, capability: Capability) -> bool {
        self.0 & (1 << capability as u8) != 0
    }

    /// The set with `capability` added.
    #[must_use]
    pub fn with(self, capability: Capability) -> Self {
        Self(self.0 | (1 << capability as u8))
    }

    /// The capabilities in the set.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL
            .iter()
            .copied()
            .filter(move |c| self.has(*c))
    }
}

impl FromIterator<Capability> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        iter.into_iter().fold(Self::default(), Self::with)
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(Capability::as_str))
            .finish()
    }
}

/// How a contact relates to the child (`mother`, `grandparent`, `neighbour`): 1 to 40 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relationship(String);

impl Relationship {
    /// Parses a relationship.
    ///
    /// # Errors
    ///
    /// [`ChildError::InvalidRelationship`].
    pub fn parse(input: &str) -> Result<Self, ChildError> {
        single_line(input, 40)
            .map(Self)
            .map_err(ChildError::InvalidRelationship)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number as written: 5 to 20 of digits, spaces, `+`, `-`, `(`, `)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Parses a phone number.
    ///
    /// # Errors
    ///
    /// [`ChildError::InvalidPhone`].
    pub fn parse(input: &str) -> Result<Self, ChildError> {
        let phone = input.trim();
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let valid = (5..=20).contains(&phone.len())
            && digits >= 5
            && phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-()".contains(c));
        if valid {
            Ok(Self(phone.to_owned()))
        } else {
            Err(ChildError::InvalidPhone)
        }
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Phone(***)")
    }
}

/// A pickup PIN as typed at the kiosk: 4 to 8 digits. Only its hash is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    /// Parses a PIN.
    ///
    /// # Errors
    ///
    /// [`ChildError::InvalidPin`].
    pub fn parse(input: &str) -> Result<Self, ChildError> {
        if (4..=8).contains(&input.len()) && input.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(input.to_owned()))
        } else {
            Err(ChildError::InvalidPin)
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(***)")
    }
}

/// One of a child's contacts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    /// The id.
    pub id: ContactId,
    /// Their name.
    pub name: PersonName,
    /// How they relate to the child.
    pub relationship: Relationship,
    /// Their phone number.
    pub phone: Option<Phone>,
    /// Their e-mail address.
    pub email: Option<Email>,
    /// The user account they sign in with, if any.
    pub user_id: Option<UserId>,
    /// What they may do for or know of the child.
    pub capabilities: Capabilities,
    /// The argon2 hash of their pickup PIN, if they have one.
    pub pickup_pin: Option<crate::PasswordHash>,
}

/// A custody restriction: a named person who may not collect the child and/or see their
/// records, between two dates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodyRestriction {
    /// The id.
    pub id: RestrictionId,
    /// The person restricted.
    pub person: PersonName,
    /// The contact entry of that person, if they are one.
    pub contact_id: Option<ContactId>,
    /// The user account of that person, if they have one.
    pub user_id: Option<UserId>,
    /// They may not collect the child.
    pub blocks_pickup: bool,
    /// They may not see the child's records.
    pub blocks_records: bool,
    /// The first day in force.
    pub starts_on: Date,
    /// The last day in force, if it ends.
    pub ends_on: Option<Date>,
    /// Why, for staff (sensitive).
    pub note: Option<Note>,
}

impl CustodyRestriction {
    /// Checks a restriction's dates and that it restricts something.
    ///
    /// # Errors
    ///
    /// [`ChildError::InvalidRestriction`].
    pub fn check(&self) -> Result<(), ChildError> {
        let dates_ok = self.ends_on.is_none_or(|end| end >= self.starts_on);
        if dates_ok && (self.blocks_pickup || self.blocks_records) {
            Ok(())
        } else {
            Err(ChildError::InvalidRestriction)
        }
    }

    /// Whether it is in force on `day`.
    pub fn in_force(&self, day: Date) -> bool {
        self.starts_on <= day && self.ends_on.is_none_or(|end| day <= end)
    }

    fn concerns(&self, contact: Option<ContactId>, user: Option<UserId>) -> bool {
        (contact.is_some() && self.contact_id == contact)
            || (user.is_some() && self.user_id == user)
    }
}

/// Why a pickup was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PickupError {
    /// Not a contact of the child.
    #[error("not a contact of this child")]
    UnknownContact,
    /// A contact without the may-pick-up capability (or an emergency-only contact).
    #[error("this contact may not collect the child")]
    NotAllowed,
    /// A custody restriction in force blocks this person from collecting the child.
    #[error("a custody restriction forbids this person to collect the child")]
    Restricted,
}

impl PickupError {
    /// The stable code.
    pub fn code(self) -> ErrorCode {
        match self {
            PickupError::UnknownContact => ErrorCode::PickupUnknownContact,
            PickupError::NotAllowed => ErrorCode::PickupNotAuthorized,
            PickupError::Restricted => ErrorCode::PickupRestricted,
        }
    }
}

/// What a user linked to a child's contacts may see of the child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardianView {
    /// The capabilities of every unrestricted contact entry linked to the user, together.
    pub capabilities: Capabilities,
}

impl GuardianView {
    /// Whether they see the child's attendance.
    pub fn sees_attendance(self) -> bool {
        self.capabilities.has(Capability::Guardian) || self.capabilities.has(Capability::DailyFeed)
    }

    /// Whether they see the child's other contacts.
    pub fn sees_contacts(self) -> bool {
        self.capabilities.has(Capability::Guardian)
    }

    /// Whether they may message staff about the child.
    pub fn may_message(self) -> bool {
        self.capabilities.has(Capability::Messaging)
    }

    /// Whether they see photos of the child.
    pub fn sees_media(self) -> bool {
        self.capabilities.has(Capability::Media)
    }
}

/// What a new child's record starts with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewChild {
    /// Their name.
    pub name: PersonName,
    /// Their date of birth.
    pub date_of_birth: Date,
    /// The room they belong to, if placed.
    pub room_id: Option<RoomId>,
    /// Their enrolment.
    pub enrolment: Enrolment,
    /// Whether photos of them may be taken and shared.
    pub photo_consent: bool,
}

/// Every part of a stored child, already parsed; used to rebuild a [`Child`] read from storage.
#[derive(Clone, Debug)]
pub struct ChildParts {
    /// The id.
    pub id: ChildId,
    /// Their name.
    pub name: PersonName,
    /// Their date of birth.
    pub date_of_birth: Date,
    /// The room they belong to.
    pub room_id: Option<RoomId>,
    /// Their enrolment.
    pub enrolment: Enrolment,
    /// Whether photos of them may be taken and shared.
    pub photo_consent: bool,
    /// Allergies, medical, medication and custody notes.
    pub sensitive: SensitiveInfo,
    /// Their contacts.
    pub contacts: Vec<Contact>,
    /// Custody restrictions.
    pub restrictions: Vec<CustodyRestriction>,
    /// When archived, if archived.
    pub archived_at: Option<OffsetDateTime>,
    /// Stamps.
    pub audit: Audit,
    /// Version.
    pub version: Version,
}

/// A child of a centre.
///
/// Its id, stamps and version are its own: a record is edited on a copy (the setters,
/// [`Child::add_contact`], [`Child::add_restriction`], ...) inside [`Child::changed`], which
/// refuses an archived child and stamps the result one version on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Child {
    id: ChildId,
    name: PersonName,
    date_of_birth: Date,
    room_id: Option<RoomId>,
    enrolment: Enrolment,
    photo_consent: bool,
    sensitive: SensitiveInfo,
    contacts: Vec<Contact>,
    restrictions: Vec<CustodyRestriction>,
    archived_at: Option<OffsetDateTime>,
    audit: Audit,
    version: Version,
}

/// Checks a date of birth against `today`: not in the future, at most 18 years ago.
///
/// # Errors
///
/// [`ChildError::InvalidDateOfBirth`].
pub fn check_date_of_birth(date_of_birth: Date, today: Date) -> Result<(), ChildError> {
    let oldest = today.replace_year(today.year() - 18).unwrap_or(today);
    if date_of_birth > today || date_of_birth < oldest {
        Err(ChildError::InvalidDateOfBirth)
    } else {
        Ok(())
    }
}

/// Whole months from `born` to `on` (0 before the first month-day).
pub fn age_in_months(born: Date, on: Date) -> u16 {
    let years = on.year() - born.year();
    let months = years * 12 + i32::from(u8::from(on.month())) - i32::from(u8::from(born.month()));
    let months = if on.day() < born.day() {
        months - 1
    } else {
        months
    };
    u16::try_from(months.max(0)).unwrap_or(u16::MAX)
}

impl Child {
    /// A child's record created now by `by`, without contacts, restrictions or sensitive
    /// notes.
    pub fn create(id: ChildId, new: NewChild, by: crate::Actor, at: OffsetDateTime) -> Self {
        Self {
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
            audit: Audit::created(by, at),
            version: Version::FIRST,
        }
    }

    /// A child read back from storage.
    pub fn restore(parts: ChildParts) -> Self {
        Self {
            id: parts.id,
            name: parts.name,
            date_of_birth: parts.date_of_birth,
            room_id: parts.room_id,
            enrolment: parts.enrolment,
            photo_consent: parts.photo_consent,
            sensitive: parts.sensitive,
            contacts: parts.contacts,
            restrictions: parts.restrictions,
            archived_at: parts.archived_at,
            audit: parts.audit,
            version: parts.version,
        }
    }

    /// Every part of a child, for storage adapters writing it and fixtures rebuilding it with
    /// [`Child::restore`].
    pub fn into_parts(self) -> ChildParts {
        ChildParts {
            id: self.id,
            name: self.name,
            date_of_birth: self.date_of_birth,
            room_id: self.room_id,
            enrolment: self.enrolment,
            photo_consent: self.photo_consent,
            sensitive: self.sensitive,
            contacts: self.contacts,
            restrictions: self.restrictions,
            archived_at: self.archived_at,
            audit: self.audit,
            version: self.version,
        }
    }

    /// The id.
    pub fn id(&self) -> ChildId {
        self.id
    }

    /// Their name.
    pub fn name(&self) -> &PersonName {
        &self.name
    }

    /// Their date of birth.
    pub fn date_of_birth(&self) -> Date {
        self.date_of_birth
    }

    /// The room they belong to.
    pub fn room_id(&self) -> Option<RoomId> {
        self.room_id
    }

    /// Their enrolment.
    pub fn enrolment(&self) -> Enrolment {
        self.enrolment
    }

    /// Whether photos of them may be taken and shared.
    pub fn photo_consent(&self) -> bool {
        self.photo_consent
    }

    /// Allergies, medical, medication and custody notes.
    pub fn sensitive(&self) -> &SensitiveInfo {
        &self.sensitive
    }

    /// Their contacts.
    pub fn contacts(&self) -> &[Contact] {
        &self.contacts
    }

    /// Custody restrictions.
    pub fn restrictions(&self) -> &[CustodyRestriction] {
        &self.restrictions
    }

    /// When archived, if archived.
    pub fn archived_at(&self) -> Option<OffsetDateTime> {
        self.archived_at
    }

    /// Stamps.
    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    /// Version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// This child archived by `by` at `at`, one version on; `None` if it already is archived
    /// (archiving is idempotent, and the stored child stays as it is).
    pub fn archive(&self, by: crate::Actor, at: OffsetDateTime) -> Option<Self> {
        if self.is_archived() {
            return None;
        }
        Some(Self {
            archived_at: Some(at),
            audit: self.audit.touched(by, at),
            version: self.version.next(),
            ..self.clone()
        })
    }

    /// Their age in whole months on `day`.
    pub fn age_in_months(&self, day: Date) -> u16 {
        age_in_months(self.date_of_birth, day)
    }

    /// Whether the child is archived.
    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }

    /// The contact with this id.
    pub fn contact(&self, id: ContactId) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.id == id)
    }

    /// What `user` may see of the child on `day`: `None` if no contact entry links to them, or
    /// a records restriction in force names them.
    pub fn guardian_view(&self, user: UserId, day: Date) -> Option<GuardianView> {
        if self.records_blocked_for(user, day) {
            return None;
        }
        let linked: Vec<&Contact> = self
            .contacts
            .iter()
            .filter(|c| c.user_id == Some(user))
            .collect();
        if linked.is_empty() {
            return None;
        }
        let capabilities = linked.iter().flat_map(|c| c.capabilities.iter()).collect();
        Some(GuardianView { capabilities })
    }

    /// Whether a records restriction in force on `day` names `user`, directly or through a
    /// contact entry linked to them: such a person sees nothing of the child, whatever else
    /// they may be.
    pub fn records_blocked_for(&self, user: UserId, day: Date) -> bool {
        self.restrictions.iter().any(|r| {
            r.blocks_records
                && r.in_force(day)
                && (r.user_id == Some(user)
                    || self
                        .contacts
                        .iter()
                        .any(|c| c.user_id == Some(user) && r.concerns(Some(c.id), None)))
        })
    }

    /// Whether contact `contact` may collect the child on `day`.
    ///
    /// # Errors
    ///
    /// The [`PickupError`] that stands in the way.
    pub fn may_pick_up(&self, contact: ContactId, day: Date) -> Result<&Contact, PickupError> {
        let found = self.contact(contact).ok_or(PickupError::UnknownContact)?;
        if self.restrictions.iter().any(|r| {
            r.blocks_pickup && r.in_force(day) && r.concerns(Some(found.id), found.user_id)
        }) {
            return Err(PickupError::Restricted);
        }
        if !found.capabilities.has(Capability::MayPickUp)
            || found.capabilities.has(Capability::EmergencyOnly)
        {
            return Err(PickupError::NotAllowed);
        }
        Ok(found)
    }

    /// This child after a change by `by` at `at`, one version on. The change edits a copy
    /// through a [`ChildEdit`], which only this hands out; whatever it does, the child keeps its id and stays unarchived.
    ///
    /// # Errors
    ///
    /// [`ChildError::Archived`].
    pub fn changed(
        &self,
        change: impl FnOnce(&mut ChildEdit<'_>),
        by: crate::Actor,
        at: OffsetDateTime,
    ) -> Result<Self, ChildError> {
        if self.is_archived() {
            return Err(ChildError::Archived);
        }
        let mut next = self.clone();
        change(&mut ChildEdit { child: &mut next });
        next.id = self.id;
        next.archived_at = None;
        next.audit = self.audit.touched(by, at);
        next.version = self.version.next();
        Ok(next)
    }
}

/// A change to a child in progress: the only way to edit one, handed out by [`Child::changed`],
/// which stamps the result one version on. It reads as the child being edited.
#[derive(Debug)]
pub struct ChildEdit<'a> {
    child: &'a mut Child,
}

impl std::ops::Deref for ChildEdit<'_> {
    type Target = Child;

    fn deref(&self) -> &Child {
        self.child
    }
}

impl ChildEdit<'_> {
    /// Renames the child.
    pub fn rename(&mut self, name: PersonName) {
        self.child.name = name;
    }

    /// Corrects the date of birth (checked with [`check_date_of_birth`] by the caller, who
    /// knows the centre's today).
    pub fn set_date_of_birth(&mut self, date_of_birth: Date) {
        self.child.date_of_birth = date_of_birth;
    }

    /// Places the child in `room`, or (with `None`) in no room.
    pub fn place_in(&mut self, room: Option<RoomId>) {
        self.child.room_id = room;
    }

    /// Replaces the enrolment.
    pub fn set_enrolment(&mut self, enrolment: Enrolment) {
        self.child.enrolment = enrolment;
    }

    /// Gives or withdraws photo consent.
    pub fn set_photo_consent(&mut self, consent: bool) {
        self.child.photo_consent = consent;
    }

    /// Replaces the sensitive part of the record.
    pub fn replace_sensitive(&mut self, sensitive: SensitiveInfo) {
        self.child.sensitive = sensitive;
    }

    /// The contact with this id, to change it.
    pub fn contact_mut(&mut self, id: ContactId) -> Option<&mut Contact> {
        self.child.contacts.iter_mut().find(|c| c.id == id)
    }

    /// Adds `contact` to the child's contacts.
    pub fn add_contact(&mut self, contact: Contact) {
        self.child.contacts.push(contact);
    }

    /// Removes the contact `id` and answers it.
    ///
    /// # Errors
    ///
    /// [`ChildError::UnknownContact`] when the child has no such contact.
    pub fn remove_contact(&mut self, id: ContactId) -> Result<Contact, ChildError> {
        let at = self
            .contacts
            .iter()
            .position(|c| c.id == id)
            .ok_or(ChildError::UnknownContact)?;
        Ok(self.child.contacts.remove(at))
    }

    /// Adds a custody restriction: one that restricts something, over dates in order, and
    /// names (when it names a contact entry) one of this child's contacts.
    ///
    /// # Errors
    ///
    /// [`ChildError::InvalidRestriction`]; [`ChildError::UnknownContact`].
    pub fn add_restriction(&mut self, restriction: CustodyRestriction) -> Result<(), ChildError> {
        restriction.check()?;
        if let Some(contact) = restriction.contact_id
            && self.child.contact(contact).is_none()
        {
            return Err(ChildError::UnknownContact);
        }
        self.child.restrictions.push(restriction);
        Ok(())
    }

    /// Lifts the restriction `id` and answers it.
    ///
    /// # Errors
    ///
    /// [`ChildError::UnknownRestriction`] when the child has no such restriction.
    pub fn remove_restriction(
        &mut self,
        id: RestrictionId,
    ) -> Result<CustodyRestriction, ChildError> {
        let at = self
            .restrictions
            .iter()
            .position(|r| r.id == id)
            .ok_or(ChildError::UnknownRestriction)?;
        Ok(self.child.restrictions.remove(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Actor, MembershipId};
    use proptest::prelude::*;
    use time::macros::date;
    use uuid::Uuid;

    fn name(given: &str) -> PersonName {
        PersonName::parse(given, "Smith").unwrap()
    }

    fn contact(user: Option<UserId>, capabilities: &[Capability]) -> Contact {
        Contact {
            id: ContactId::from_uuid(Uuid::now_v7()),
            name: name("Alex"),
            relationship: Relationship::parse("parent").unwrap(),
            phone: None,
            email: None,
            user_id: user,
            capabilities: capabilities.iter().copied().collect(),
            pickup_pin: None,
        }
    }

    fn child(contacts: Vec<Contact>, restrictions: Vec<CustodyRestriction>) -> Child {
        Child {
            id: ChildId::from_uuid(Uuid::now_v7()),
            name: name("Sam"),
            date_of_birth: date!(2024 - 03 - 15),
            room_id: None,
            enrolment: Enrolment::new(EnrolmentStatus::Enrolled, date!(2025 - 01 - 06), None)
                .unwrap(),
            photo_consent: false,
            sensitive: SensitiveInfo::default(),
            contacts,
            restrictions,
            archived_at: None,
            audit: Audit::created(
                Actor::User(UserId::from_uuid(Uuid::now_v7())),
                OffsetDateTime::UNIX_EPOCH,
            ),
            version: Version::FIRST,
        }
    }

    fn restriction(
        contact: Option<ContactId>,
        user: Option<UserId>,
        pickup: bool,
        records: bool,
    ) -> CustodyRestriction {
        CustodyRestriction {
            id: RestrictionId::from_uuid(Uuid::now_v7()),
            person: name("Pat"),
            contact_id: contact,
            user_id: user,
            blocks_pickup: pickup,
            blocks_records: records,
            starts_on: date!(2026 - 01 - 01),
            ends_on: Some(date!(2026 - 12 - 31)),
            note: None,
        }
    }

    #[test]
    fn ages_count_whole_months() {
        assert_eq!(
            age_in_months(date!(2024 - 03 - 15), date!(2024 - 03 - 15)),
            0
        );
        assert_eq!(
            age_in_months(date!(2024 - 03 - 15), date!(2024 - 04 - 14)),
            0
        );
        assert_eq!(
            age_in_months(date!(2024 - 03 - 15), date!(2024 - 04 - 15)),
            1
        );
        assert_eq!(
            age_in_months(date!(2024 - 03 - 15), date!(2026 - 03 - 14)),
            23
        );
        assert_eq!(
            age_in_months(date!(2024 - 03 - 15), date!(2023 - 01 - 01)),
            0
        );
    }

    #[test]
    fn a_guardian_sees_their_child_and_a_stranger_does_not() {
        let parent = UserId::from_uuid(Uuid::now_v7());
        let child = child(
            vec![contact(
                Some(parent),
                &[Capability::Guardian, Capability::MayPickUp],
            )],
            vec![],
        );
        let view = child.guardian_view(parent, date!(2026 - 06 - 01)).unwrap();
        assert!(view.sees_attendance() && view.sees_contacts() && !view.may_message());
        assert_eq!(
            child.guardian_view(UserId::from_uuid(Uuid::now_v7()), date!(2026 - 06 - 01)),
            None
        );
    }

    #[test]
    fn a_billing_only_contact_sees_the_child_but_not_the_day() {
        let payer = UserId::from_uuid(Uuid::now_v7());
        let child = child(vec![contact(Some(payer), &[Capability::Billing])], vec![]);
        let view = child.guardian_view(payer, date!(2026 - 06 - 01)).unwrap();
        assert!(!view.sees_attendance() && !view.sees_contacts());
    }

    #[test]
    fn a_records_restriction_hides_the_child_while_in_force() {
        let parent = UserId::from_uuid(Uuid::now_v7());
        let linked = contact(Some(parent), &[Capability::Guardian]);
        let child = child(
            vec![linked.clone()],
            vec![restriction(Some(linked.id), None, false, true)],
        );
        assert_eq!(child.guardian_view(parent, date!(2026 - 06 - 01)), None);
        assert!(
            child.guardian_view(parent, date!(2027 - 01 - 01)).is_some(),
            "after it ends"
        );
        let by_user = Child {
            restrictions: vec![restriction(None, Some(parent), false, true)],
            ..child.clone()
        };
        assert_eq!(by_user.guardian_view(parent, date!(2026 - 06 - 01)), None);
    }

    #[test]
    fn only_unrestricted_contacts_who_may_pick_up_collect_the_child() {
        let grandma = contact(None, &[Capability::MayPickUp]);
        let neighbour = contact(None, &[Capability::EmergencyOnly, Capability::MayPickUp]);
        let aunt = contact(None, &[Capability::Guardian]);
        let father = contact(None, &[Capability::Guardian, Capability::MayPickUp]);
        let day = date!(2026 - 06 - 01);
        let child = child(
            vec![
                grandma.clone(),
                neighbour.clone(),
                aunt.clone(),
                father.clone(),
            ],
            vec![restriction(Some(father.id), None, true, false)],
        );
        assert!(child.may_pick_up(grandma.id, day).is_ok());
        assert_eq!(
            child.may_pick_up(neighbour.id, day).unwrap_err(),
            PickupError::NotAllowed
        );
        assert_eq!(
            child.may_pick_up(aunt.id, day).unwrap_err(),
            PickupError::NotAllowed
        );
        assert_eq!(
            child.may_pick_up(father.id, day).unwrap_err(),
            PickupError::Restricted
        );
        assert!(
            child.may_pick_up(father.id, date!(2027 - 01 - 02)).is_ok(),
            "after the restriction ends"
        );
        assert_eq!(
            child
                .may_pick_up(ContactId::from_uuid(Uuid::now_v7()), day)
                .unwrap_err(),
            PickupError::UnknownContact
        );
        let _ = MembershipId::from_uuid(Uuid::now_v7());
    }

    #[test]
    fn values_are_checked() {
        assert!(PersonName::parse(" ", "Smith").is_err());
        assert!(Phone::parse("+358 40 123 4567").is_ok());
        assert!(Phone::parse("call me").is_err());
        assert!(Pin::parse("0042").is_ok());
        assert!(Pin::parse("42").is_err() && Pin::parse("12a4").is_err());
        assert!(check_date_of_birth(date!(2027 - 01 - 01), date!(2026 - 06 - 01)).is_err());
        assert!(check_date_of_birth(date!(2000 - 01 - 01), date!(2026 - 06 - 01)).is_err());
        assert!(
            Enrolment::new(
                EnrolmentStatus::Enrolled,
                date!(2026 - 02 - 01),
                Some(date!(2026 - 01 - 01))
            )
            .is_err()
        );
        assert_eq!(format!("{:?}", name("Sam")), "PersonName(***)");
    }

    proptest! {
        #[test]
        fn a_restriction_in_force_always_wins_over_capabilities(
            caps in proptest::sample::subsequence(Capability::ALL.to_vec(), 0..=Capability::ALL.len()),
            pickup in any::<bool>(),
            records in any::<bool>(),
        ) {
            let user = UserId::from_uuid(Uuid::now_v7());
            let linked = contact(Some(user), &caps);
            let child = child(vec![linked.clone()], vec![restriction(Some(linked.id), None, pickup, records)]);
            let day = date!(2026 - 06 - 01);
            if pickup {
                prop_assert_eq!(child.may_pick_up(linked.id, day).unwrap_err(), PickupError::Restricted);
            }
            if records {
                prop_assert_eq!(child.guardian_view(user, day), None);
            }
        }
    }

    #[test]
    fn contacts_are_added_and_removed_by_id() {
        let mut stored = child(Vec::new(), Vec::new());
        let mut kid = ChildEdit { child: &mut stored };
        let first = contact(None, &[Capability::Guardian]);
        let second = contact(None, &[Capability::MayPickUp]);
        kid.add_contact(first.clone());
        kid.add_contact(second.clone());
        assert_eq!(kid.remove_contact(first.id), Ok(first.clone()));
        assert_eq!(kid.contacts, vec![second]);
        assert_eq!(
            kid.remove_contact(first.id),
            Err(ChildError::UnknownContact)
        );
    }

    #[test]
    fn a_restriction_must_restrict_something_and_name_a_contact_the_child_has() {
        let linked = contact(None, &[Capability::MayPickUp]);
        let mut stored = child(vec![linked.clone()], Vec::new());
        let mut kid = ChildEdit { child: &mut stored };
        let stranger = ContactId::from_uuid(Uuid::now_v7());
        assert_eq!(
            kid.add_restriction(restriction(Some(stranger), None, true, false)),
            Err(ChildError::UnknownContact)
        );
        assert_eq!(
            kid.add_restriction(restriction(Some(linked.id), None, false, false)),
            Err(ChildError::InvalidRestriction)
        );
        let mut backwards = restriction(None, None, true, true);
        backwards.ends_on = Some(date!(2025 - 12 - 31));
        assert_eq!(
            kid.add_restriction(backwards),
            Err(ChildError::InvalidRestriction)
        );
        assert!(kid.restrictions.is_empty(), "nothing refused is kept");

        let placed = restriction(Some(linked.id), None, true, false);
        assert_eq!(kid.add_restriction(placed.clone()), Ok(()));
        assert_eq!(kid.remove_restriction(placed.id), Ok(placed.clone()));
        assert_eq!(
            kid.remove_restriction(placed.id),
            Err(ChildError::UnknownRestriction)
        );
    }

    proptest! {
        #[test]
        fn adding_then_removing_leaves_the_child_as_it_was(
            contacts in 0..4usize,
            pickup in any::<bool>(),
            records in any::<bool>(),
            names_a_contact in any::<bool>(),
        ) {
            let list: Vec<Contact> = (0..contacts).map(|_| contact(None, &[Capability::Guardian])).collect();
            let before = child(list.clone(), Vec::new());
            let mut stored = before.clone();
            let mut kid = ChildEdit { child: &mut stored };
            let added = contact(None, &[Capability::MayPickUp]);
            kid.add_contact(added.clone());
            let target = if names_a_contact { Some(added.id) } else { None };
            let placed = restriction(target, None, pickup, records);
            let accepted = kid.add_restriction(placed.clone()).is_ok();
            prop_assert_eq!(accepted, pickup || records);
            if accepted {
                prop_assert_eq!(kid.remove_restriction(placed.id), Ok(placed));
            }
            prop_assert_eq!(kid.remove_contact(added.id), Ok(added));
            prop_assert_eq!(stored, before);
        }
    }

    #[test]
    fn a_new_child_has_no_contacts_restrictions_or_notes() {
        let by = Actor::User(UserId::from_uuid(Uuid::now_v7()));
        let room = RoomId::from_uuid(Uuid::now_v7());
        let enrolment =
            Enrolment::new(EnrolmentStatus::Waitlisted, date!(2026 - 09 - 01), None).unwrap();
        let kid = Child::create(
            ChildId::from_uuid(Uuid::now_v7()),
            NewChild {
                name: name("Sam"),
                date_of_birth: date!(2024 - 03 - 15),
                room_id: Some(room),
                enrolment,
                photo_consent: true,
            },
            by.clone(),
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(kid.name(), &name("Sam"));
        assert_eq!(kid.date_of_birth(), date!(2024 - 03 - 15));
        assert_eq!((kid.room_id(), kid.enrolment()), (Some(room), enrolment));
        assert!(kid.photo_consent());
        assert!(kid.contacts().is_empty() && kid.restrictions().is_empty());
        assert_eq!(kid.sensitive(), &SensitiveInfo::default());
        assert_eq!((kid.archived_at(), kid.version()), (None, Version::FIRST));
        assert_eq!(kid.audit().created_by(), &by);
    }

    #[test]
    fn a_restored_child_reads_its_parts_back() {
        let linked = contact(None, &[Capability::Guardian]);
        let parts = ChildParts {
            id: ChildId::from_uuid(Uuid::now_v7()),
            name: name("Kim"),
            date_of_birth: date!(2023 - 05 - 02),
            room_id: Some(RoomId::from_uuid(Uuid::now_v7())),
            enrolment: Enrolment::new(EnrolmentStatus::Enrolled, date!(2025 - 01 - 06), None)
                .unwrap(),
            photo_consent: true,
            sensitive: SensitiveInfo {
                allergies: Some(Note::parse("peanuts").unwrap()),
                ..SensitiveInfo::default()
            },
            contacts: vec![linked.clone()],
            restrictions: vec![restriction(Some(linked.id), None, true, false)],
            archived_at: Some(OffsetDateTime::UNIX_EPOCH),
            audit: Audit::created(
                Actor::User(UserId::from_uuid(Uuid::now_v7())),
                OffsetDateTime::UNIX_EPOCH,
            ),
            version: Version::new(6).unwrap(),
        };
        let kid = Child::restore(parts.clone());
        assert_eq!((kid.id(), kid.name()), (parts.id, &parts.name));
        assert_eq!(kid.date_of_birth(), parts.date_of_birth);
        assert_eq!(
            (kid.room_id(), kid.enrolment()),
            (parts.room_id, parts.enrolment)
        );
        assert!(kid.photo_consent());
        assert_eq!(kid.sensitive(), &parts.sensitive);
        assert_eq!(kid.contacts(), parts.contacts.as_slice());
        assert_eq!(kid.restrictions(), parts.restrictions.as_slice());
        assert!(kid.is_archived() && kid.archived_at() == parts.archived_at);
        assert_eq!((kid.audit(), kid.version()), (&parts.audit, parts.version));
    }

    #[test]
    fn a_change_is_stamped_one_version_on_and_keeps_the_identity() {
        let kid = child(Vec::new(), Vec::new());
        let editor = Actor::User(UserId::from_uuid(Uuid::now_v7()));
        let at = OffsetDateTime::UNIX_EPOCH + time::Duration::days(1);
        let room = RoomId::from_uuid(Uuid::now_v7());
        let other = child(Vec::new(), Vec::new());
        let changed = kid
            .changed(
                |c| {
                    c.rename(name("Robin"));
                    c.place_in(Some(room));
                    c.set_photo_consent(true);
                    c.set_date_of_birth(date!(2024 - 04 - 01));
                },
                editor.clone(),
                at,
            )
            .unwrap();
        assert_eq!(
            (changed.name(), changed.room_id()),
            (&name("Robin"), Some(room))
        );
        assert!(changed.photo_consent());
        assert_eq!(changed.date_of_birth(), date!(2024 - 04 - 01));
        assert_eq!(changed.version(), kid.version().next());
        assert_eq!(changed.audit().updated_by(), &editor);
        let swapped = kid
            .changed(|c| *c.child = other.clone(), editor.clone(), at)
            .unwrap();
        assert_eq!(swapped.id(), kid.id(), "a change never swaps the child");
    }

    #[test]
    fn an_archived_child_refuses_changes_and_archiving_again_changes_nothing() {
        let kid = child(Vec::new(), Vec::new());
        let by = Actor::User(UserId::from_uuid(Uuid::now_v7()));
        let at = OffsetDateTime::UNIX_EPOCH + time::Duration::days(2);
        let archived = kid.archive(by.clone(), at).unwrap();
        assert_eq!(archived.archived_at(), Some(at));
        assert_eq!(archived.version(), kid.version().next());
        assert_eq!(archived.archive(by.clone(), at), None);
        assert_eq!(
            archived.changed(|c| c.set_photo_consent(true), by, at),
            Err(ChildError::Archived)
        );
    }

    proptest! {
        #[test]
        fn contacts_added_then_removed_restore_the_contact_list(
            before in 0..4usize,
            added in 1..4usize,
            order in proptest::collection::vec(any::<proptest::sample::Index>(), 0..4),
        ) {
            let list: Vec<Contact> = (0..before).map(|_| contact(None, &[Capability::Guardian])).collect();
            let kid = child(list, Vec::new());
            let new: Vec<Contact> = (0..added).map(|_| contact(None, &[Capability::MayPickUp])).collect();
            let mut copy = kid.clone();
            let mut edited = ChildEdit { child: &mut copy };
            for one in &new {
                edited.add_contact(one.clone());
            }
            prop_assert_eq!(edited.contacts().len(), before + added);
            let mut left = new.clone();
            for index in order {
                if left.is_empty() {
                    break;
                }
                let one = left.remove(index.index(left.len()));
                prop_assert_eq!(edited.remove_contact(one.id), Ok(one));
            }
            for one in left {
                prop_assert_eq!(edited.remove_contact(one.id), Ok(one));
            }
            prop_assert_eq!(edited.contacts(), kid.contacts());
        }

        #[test]
        fn every_accepted_change_is_one_version_on(edits in 1usize..6) {
            let mut kid = child(Vec::new(), Vec::new());
            let start = kid.version();
            for n in 0..edits {
                kid = kid
                    .changed(|c| c.set_photo_consent(n % 2 == 0), Actor::User(UserId::from_uuid(Uuid::now_v7())), OffsetDateTime::UNIX_EPOCH)
                    .unwrap();
            }
            prop_assert_eq!(kid.version().get(), start.get() + u64::try_from(edits).unwrap());
        }
    }
}
