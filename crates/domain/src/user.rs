//! Users: people who can sign in, across centres, and their memberships of centres.

use std::fmt;

use time::OffsetDateTime;

use crate::access::{CustomRole, EntitlementSet, PermissionSet, RoleRef, effective_permissions};
use crate::audit::{Actor, Audit};
use crate::id::{MembershipId, UserId};
use crate::version::Version;

/// Why a user value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// Not an e-mail address Cubby accepts.
    #[error("not a valid e-mail address")]
    InvalidEmail,
    /// Not a password hash in the PHC string format of argon2.
    #[error("not an argon2 password hash")]
    InvalidPasswordHash,
    /// Not an identity provider's user id.
    #[error("not a valid external user id")]
    InvalidExternalId,
}

impl UserError {
    /// The stable code.
    pub fn code(&self) -> crate::ErrorCode {
        match self {
            UserError::InvalidEmail => crate::ErrorCode::UserInvalidEmail,
            UserError::InvalidPasswordHash => crate::ErrorCode::UserInvalidPassword,
            UserError::InvalidExternalId => crate::ErrorCode::UserInvalidExternalId,
        }
    }
}

/// An e-mail address, trimmed and lowercased so that one address is one user.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address: one `@`, a local part of 1 to 64 and a domain of 1 to 253
    /// characters with a dot, 254 in all, no white space or control characters.
    ///
    /// # Errors
    ///
    /// [`UserError::InvalidEmail`] otherwise.
    pub fn parse(input: &str) -> Result<Self, UserError> {
        let address = input.trim().to_lowercase();
        let (local, domain) = address.split_once('@').ok_or(UserError::InvalidEmail)?;
        let valid = address.chars().count() <= 254
            && (1..=64).contains(&local.chars().count())
            && (1..=253).contains(&domain.chars().count())
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !address.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Self(address))
        } else {
            Err(UserError::InvalidEmail)
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Email {
    /// Addresses are personal data: `Debug` shows only the domain.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = self.0.split_once('@').map_or("", |(_, domain)| domain);
        write!(f, "Email(***@{domain})")
    }
}

/// A password hash in the PHC string format (`$argon2id$v=19$m=...`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string produced by argon2.
    ///
    /// # Errors
    ///
    /// [`UserError::InvalidPasswordHash`] when it is not one.
    pub fn parse(input: &str) -> Result<Self, UserError> {
        if input.starts_with("$argon2") && input.len() <= 512 && input.is_ascii() {
            Ok(Self(input.to_owned()))
        } else {
            Err(UserError::InvalidPasswordHash)
        }
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

/// A user's id at an external identity provider (Supabase's `sub`, a UUID).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExternalId(String);

impl ExternalId {
    /// Parses an id of 1 to 128 visible ASCII characters.
    ///
    /// # Errors
    ///
    /// [`UserError::InvalidExternalId`] otherwise.
    pub fn parse(input: &str) -> Result<Self, UserError> {
        if (1..=128).contains(&input.len()) && input.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(input.to_owned()))
        } else {
            Err(UserError::InvalidExternalId)
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a user may sign in at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserStatus {
    /// May sign in.
    Active,
    /// Locked out of every centre; existing sessions stop working at once.
    Suspended,
}

impl UserStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Suspended => "suspended",
        }
    }

    /// Parses the stored form.
    pub fn parse(input: &str) -> Option<Self> {
        match input {
            "active" => Some(UserStatus::Active),
            "suspended" => Some(UserStatus::Suspended),
            _ => None,
        }
    }
}

/// Every part of a stored user, already parsed; used to rebuild a [`User`] read from storage.
#[derive(Clone, Debug)]
pub struct UserParts {
    /// The id.
    pub id: UserId,
    /// The e-mail address.
    pub email: Email,
    /// Whether the address is known to be theirs.
    pub email_verified: bool,
    /// The argon2id hash of their password, if they have one.
    pub password_hash: Option<PasswordHash>,
    /// Their Supabase user id, once linked.
    pub supabase_id: Option<ExternalId>,
    /// Whether they may sign in.
    pub status: UserStatus,
    /// Stamps.
    pub audit: Audit,
    /// Version.
    pub version: Version,
}

/// A person who can sign in: a global identity, member of any number of centres.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    id: UserId,
    email: Email,
    email_verified: bool,
    password_hash: Option<PasswordHash>,
    supabase_id: Option<ExternalId>,
    status: UserStatus,
    audit: Audit,
    version: Version,
}

impl User {
    /// A new active user created now by `by`, not yet linked to an identity provider.
    pub fn create(
        id: UserId,
        email: Email,
        email_verified: bool,
        password_hash: Option<PasswordHash>,
        by: Actor,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            email,
            email_verified,
            password_hash,
            supabase_id: None,
            status: UserStatus::Active,
            audit: Audit::created(by, at),
            version: Version::FIRST,
        }
    }

    /// A user read back from storage.
    pub fn restore(parts: UserParts) -> Self {
        Self {
            id: parts.id,
            email: parts.email,
            email_verified: parts.email_verified,
            password_hash: parts.password_hash,
            supabase_id: parts.supabase_id,
            status: parts.status,
            audit: parts.audit,
            version: parts.version,
        }
    }

    /// Every part of a user, for storage adapters writing it and fixtures rebuilding it with
    /// [`User::restore`].
    pub fn into_parts(self) -> UserParts {
        UserParts {
            id: self.id,
            email: self.email,
            email_verified: self.email_verified,
            password_hash: self.password_hash,
            supabase_id: self.supabase_id,
            status: self.status,
            audit: self.audit,
            version: self.version,
        }
    }

    fn touched(&self, by: Actor, at: OffsetDateTime) -> Self {
        Self {
            audit: self.audit.touched(by, at),
            version: self.version.next(),
            ..self.clone()
        }
    }

    /// The user with their password hash replaced by `password_hash`, by `by` at `at`, one
    /// version on.
    #[must_use]
    pub fn with_password_hash(
        &self,
        password_hash: Option<PasswordHash>,
        by: Actor,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            password_hash,
            ..self.touched(by, at)
        }
    }

    /// The user with their address verified (an invitation reached it) and their password hash
    /// set to `password_hash`, by `by` at `at`, one version on.
    #[must_use]
    pub fn verified(
        &self,
        password_hash: Option<PasswordHash>,
        by: Actor,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            email_verified: true,
            password_hash,
            ..self.touched(by, at)
        }
    }

    /// The user linked to their identity provider's id `subject` (which verified their
    /// address), by `by` at `at`, one version on.
    #[must_use]
    pub fn linked(&self, subject: ExternalId, by: Actor, at: OffsetDateTime) -> Self {
        Self {
            supabase_id: Some(subject),
            email_verified: true,
            ..self.touched(by, at)
        }
    }

    /// The user with `status`, set by `by` at `at`, one version on.
    #[must_use]
    pub fn with_status(&self, status: UserStatus, by: Actor, at: OffsetDateTime) -> Self {
        Self {
            status,
            ..self.touched(by, at)
        }
    }

    /// The id.
    pub fn id(&self) -> UserId {
        self.id
    }

    /// The e-mail address, unique among users.
    pub fn email(&self) -> &Email {
        &self.email
    }

    /// Whether the address is known to be theirs (verified by an identity provider or an
    /// invitation).
    pub fn email_verified(&self) -> bool {
        self.email_verified
    }

    /// The argon2id hash of their password, if they have one.
    pub fn password_hash(&self) -> Option<&PasswordHash> {
        self.password_hash.as_ref()
    }

    /// Their Supabase user id, once linked.
    pub fn supabase_id(&self) -> Option<&ExternalId> {
        self.supabase_id.as_ref()
    }

    /// Whether they may sign in.
    pub fn status(&self) -> UserStatus {
        self.status
    }

    /// Stamps.
    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    /// Version.
    pub fn version(&self) -> Version {
        self.version
    }
}

/// Where a membership stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MembershipStatus {
    /// Invited, not yet accepted: no session.
    Invited,
    /// In force.
    Active,
    /// Held back by the centre: no session in this centre works.
    Suspended,
    /// No longer a member; kept for the history.
    Removed,
}

impl MembershipStatus {
    /// Every status.
    pub const ALL: [MembershipStatus; 4] = [
        MembershipStatus::Invited,
        MembershipStatus::Active,
        MembershipStatus::Suspended,
        MembershipStatus::Removed,
    ];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            MembershipStatus::Invited => "invited",
            MembershipStatus::Active => "active",
            MembershipStatus::Suspended => "suspended",
            MembershipStatus::Removed => "removed",
        }
    }

    /// Parses the stored form.
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == input)
    }
}

/// Every part of a stored membership, already parsed; used to rebuild a [`Membership`] read
/// from storage.
#[derive(Clone, Debug)]
pub struct MembershipParts {
    /// The id.
    pub id: MembershipId,
    /// The member.
    pub user_id: UserId,
    /// Their roles in the centre.
    pub roles: Vec<RoleRef>,
    /// The plan features they may use.
    pub entitlements: EntitlementSet,
    /// Where it stands.
    pub status: MembershipStatus,
    /// The entitlements version.
    pub entitlements_version: u64,
    /// Stamps.
    pub audit: Audit,
    /// Version.
    pub version: Version,
}

/// A user's membership of one centre, with their roles and entitlements there.
///
/// What the member may do (roles, entitlements, status) changes only through
/// [`Membership::changed`], which bumps the entitlements version with it, so that cached
/// principals of the member are known to be stale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    id: MembershipId,
    user_id: UserId,
    roles: Vec<RoleRef>,
    entitlements: EntitlementSet,
    status: MembershipStatus,
    entitlements_version: u64,
    audit: Audit,
    version: Version,
}

/// A change to a membership: each field that is `Some` replaces the current value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MembershipChanges {
    /// New roles.
    pub roles: Option<Vec<RoleRef>>,
    /// New entitlements.
    pub entitlements: Option<EntitlementSet>,
    /// A new status.
    pub status: Option<MembershipStatus>,
}

impl Membership {
    /// A new membership of `user_id` with `roles` and `entitlements`, standing at `status`
    /// (active, or invited until accepted), created now by `by`.
    pub fn create(
        id: MembershipId,
        user_id: UserId,
        roles: Vec<RoleRef>,
        entitlements: EntitlementSet,
        status: MembershipStatus,
        by: Actor,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            user_id,
            roles,
            entitlements,
            status,
            entitlements_version: 1,
            audit: Audit::created(by, at),
            version: Version::FIRST,
        }
    }

    /// A membership read back from storage.
    pub fn restore(parts: MembershipParts) -> Self {
        Self {
            id: parts.id,
            user_id: parts.user_id,
            roles: parts.roles,
            entitlements: parts.entitlements,
            status: parts.status,
            entitlements_version: parts.entitlements_version,
            audit: parts.audit,
            version: parts.version,
        }
    }

    /// Every part of a membership, for storage adapters writing it and fixtures rebuilding it with
    /// [`Membership::restore`].
    pub fn into_parts(self) -> MembershipParts {
        MembershipParts {
            id: self.id,
            user_id: self.user_id,
            roles: self.roles,
            entitlements: self.entitlements,
            status: self.status,
            entitlements_version: self.entitlements_version,
            audit: self.audit,
            version: self.version,
        }
    }

    /// The id.
    pub fn id(&self) -> MembershipId {
        self.id
    }

    /// The member.
    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    /// Their roles in the centre.
    pub fn roles(&self) -> &[RoleRef] {
        &self.roles
    }

    /// The plan features they may use.
    pub fn entitlements(&self) -> EntitlementSet {
        self.entitlements
    }

    /// Where it stands.
    pub fn status(&self) -> MembershipStatus {
        self.status
    }

    /// The entitlements version: one more at every change of what the member may do (roles,
    /// entitlements, status, or the definition of a custom role they hold).
    pub fn entitlements_version(&self) -> u64 {
        self.entitlements_version
    }

    /// Stamps.
    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    /// Version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// What the member may do, given the centre's custom roles.
    pub fn permissions(&self, custom_roles: &[CustomRole]) -> PermissionSet {
        effective_permissions(&self.roles, custom_roles, self.entitlements)
    }

    /// Whether sessions of this membership may act.
    pub fn is_active(&self) -> bool {
        self.status == MembershipStatus::Active
    }

    /// Whether it holds `role`.
    pub fn holds(&self, role: RoleRef) -> bool {
        self.roles.contains(&role)
    }

    /// The membership after `changes` by `by` at `at`: one version on, and one entitlements
    /// version on if what the member may do changed.
    #[must_use]
    pub fn changed(&self, changes: MembershipChanges, by: Actor, at: OffsetDateTime) -> Self {
        let mut next = self.clone();
        if let Some(roles) = changes.roles {
            let mut unique: Vec<RoleRef> = Vec::new();
            for role in roles {
                if !unique.contains(&role) {
                    unique.push(role);
                }
            }
            next.roles = unique;
        }
        if let Some(entitlements) = changes.entitlements {
            next.entitlements = entitlements;
        }
        if let Some(status) = changes.status {
            next.status = status;
        }
        if next.roles != self.roles
            || next.entitlements != self.entitlements
            || next.status != self.status
        {
            next.entitlements_version += 1;
        }
        next.audit = self.audit.touched(by, at);
        next.version = self.version.next();
        next
    }

    /// The membership with its entitlements version one on (a custom role it holds changed).
    #[must_use]
    pub fn reentitled(&self, by: Actor, at: OffsetDateTime) -> Self {
        Self {
            entitlements_version: self.entitlements_version + 1,
            audit: self.audit.touched(by, at),
            version: self.version.next(),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Entitlement, Role};
    use proptest::prelude::*;
    use time::macros::datetime;
    use uuid::Uuid;

    fn actor() -> Actor {
        Actor::User(UserId::from_uuid(Uuid::now_v7()))
    }

    fn member(roles: Vec<RoleRef>) -> Membership {
        Membership::create(
            MembershipId::from_uuid(Uuid::now_v7()),
            UserId::from_uuid(Uuid::now_v7()),
            roles,
            EntitlementSet::default(),
            MembershipStatus::Active,
            actor(),
            datetime!(2026-09-01 7:00 UTC),
        )
    }

    fn user() -> User {
        User::create(
            UserId::from_uuid(Uuid::now_v7()),
            Email::parse("guardian@maple-grove.example").unwrap(),
            false,
            None,
            actor(),
            datetime!(2026-09-01 7:00 UTC),
        )
    }

    fn roles() -> impl Strategy<Value = Vec<RoleRef>> {
        proptest::collection::vec(proptest::sample::select(Role::ALL.to_vec()), 0..6)
            .prop_map(|roles| roles.into_iter().map(RoleRef::Builtin).collect())
    }

    #[test]
    fn a_new_membership_starts_at_the_first_versions() {
        let membership = member(vec![RoleRef::Builtin(Role::Teacher)]);
        assert_eq!(membership.version(), Version::FIRST);
        assert_eq!(membership.entitlements_version(), 1);
        assert!(membership.is_active() && membership.holds(RoleRef::Builtin(Role::Teacher)));
    }

    #[test]
    fn a_membership_restored_from_its_parts_reads_them_back() {
        let at = datetime!(2026-09-01 7:00 UTC);
        let parts = MembershipParts {
            id: MembershipId::from_uuid(Uuid::now_v7()),
            user_id: UserId::from_uuid(Uuid::now_v7()),
            roles: vec![RoleRef::Builtin(Role::Director)],
            entitlements: [Entitlement::ALL[0]].into_iter().collect(),
            status: MembershipStatus::Suspended,
            entitlements_version: 7,
            audit: Audit::created(actor(), at),
            version: Version::new(3).unwrap(),
        };
        let membership = Membership::restore(parts.clone());
        assert_eq!(membership.id(), parts.id);
        assert_eq!(membership.user_id(), parts.user_id);
        assert_eq!(membership.roles(), parts.roles.as_slice());
        assert_eq!(membership.entitlements(), parts.entitlements);
        assert_eq!(membership.status(), parts.status);
        assert_eq!(membership.entitlements_version(), 7);
        assert_eq!(membership.audit(), &parts.audit);
        assert_eq!(membership.version(), parts.version);
    }

    #[test]
    fn a_user_restored_from_its_parts_reads_them_back() {
        let parts = UserParts {
            id: UserId::from_uuid(Uuid::now_v7()),
            email: Email::parse("director@sunny-days.example").unwrap(),
            email_verified: true,
            password_hash: Some(
                PasswordHash::parse("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").unwrap(),
            ),
            supabase_id: Some(ExternalId::parse("sub-1").unwrap()),
            status: UserStatus::Suspended,
            audit: Audit::created(actor(), datetime!(2026-09-01 7:00 UTC)),
            version: Version::new(4).unwrap(),
        };
        let user = User::restore(parts.clone());
        assert_eq!(user.id(), parts.id);
        assert_eq!(user.email(), &parts.email);
        assert!(user.email_verified());
        assert_eq!(user.password_hash(), parts.password_hash.as_ref());
        assert_eq!(user.supabase_id(), parts.supabase_id.as_ref());
        assert_eq!(user.status(), parts.status);
        assert_eq!(user.audit(), &parts.audit);
        assert_eq!(user.version(), parts.version);
    }

    #[test]
    fn every_user_change_is_stamped_one_version_on() {
        let before = user();
        let editor = actor();
        let at = datetime!(2026-09-02 7:00 UTC);
        let subject = ExternalId::parse("sub-2").unwrap();
        let linked = before.linked(subject.clone(), editor.clone(), at);
        assert!(linked.email_verified() && linked.supabase_id() == Some(&subject));
        let suspended = linked.with_status(UserStatus::Suspended, editor.clone(), at);
        assert_eq!(suspended.status(), UserStatus::Suspended);
        let verified = before.verified(None, editor.clone(), at);
        assert!(verified.email_verified() && verified.supabase_id().is_none());
        for changed in [
            &linked,
            &verified,
            &before.with_password_hash(None, editor.clone(), at),
        ] {
            assert_eq!(changed.version(), before.version().next());
            assert_eq!(changed.audit().updated_by(), &editor);
            assert_eq!(changed.id(), before.id());
            assert_eq!(changed.email(), before.email());
        }
        assert_eq!(suspended.version(), linked.version().next());
    }

    proptest! {
        #[test]
        fn a_change_of_roles_always_bumps_the_entitlements_version(before in roles(), after in roles()) {
            let membership = member(before);
            let changed = membership.changed(
                MembershipChanges { roles: Some(after.clone()), ..MembershipChanges::default() },
                actor(),
                datetime!(2026-09-02 7:00 UTC),
            );
            let mut unique: Vec<RoleRef> = Vec::new();
            for role in after {
                if !unique.contains(&role) {
                    unique.push(role);
                }
            }
            prop_assert_eq!(changed.roles(), unique.as_slice());
            prop_assert_eq!(changed.version(), membership.version().next());
            let bumped = changed.entitlements_version() == membership.entitlements_version() + 1;
            let same = changed.entitlements_version() == membership.entitlements_version();
            if changed.roles() == membership.roles() {
                prop_assert!(same);
            } else {
                prop_assert!(bumped);
            }
        }

        #[test]
        fn reentitling_always_bumps_both_versions(roles in roles(), times in 1usize..5) {
            let mut membership = member(roles);
            let start = membership.clone();
            for _ in 0..times {
                membership = membership.reentitled(actor(), datetime!(2026-09-02 7:00 UTC));
            }
            let times = u64::try_from(times).unwrap();
            prop_assert_eq!(membership.entitlements_version(), start.entitlements_version() + times);
            prop_assert_eq!(membership.version().get(), start.version().get() + times);
            prop_assert_eq!(membership.roles(), start.roles());
        }
    }

    #[test]
    fn addresses_are_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Director@Sunny-Days.Example ")
                .unwrap()
                .as_str(),
            "director@sunny-days.example"
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@.com",
            "a@com.",
            "a b@c.com",
            "a@b@c.com",
            "a@b .com",
        ] {
            assert_eq!(Email::parse(bad), Err(UserError::InvalidEmail), "{bad}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long_local).is_err());
    }

    #[test]
    fn debug_output_hides_the_local_part_and_the_hash() {
        let email = Email::parse("guardian@maple-grove.example").unwrap();
        assert_eq!(format!("{email:?}"), "Email(***@maple-grove.example)");
        let hash = PasswordHash::parse("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").unwrap();
        assert_eq!(format!("{hash:?}"), "PasswordHash(***)");
    }

    #[test]
    fn only_argon2_hashes_are_accepted() {
        assert!(PasswordHash::parse("$2b$12$abcdefghijklmnopqrstuv").is_err());
        assert!(PasswordHash::parse("hunter2").is_err());
    }

    proptest! {
        #[test]
        fn parsing_an_accepted_address_again_changes_nothing(local in "[a-zA-Z0-9._+-]{1,20}", domain in "[a-z0-9-]{1,20}\\.[a-z]{2,6}") {
            let email = Email::parse(&format!("{local}@{domain}")).unwrap();
            prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email.clone());
            prop_assert_eq!(email.as_str(), email.as_str().to_lowercase());
        }
    }
}
