//! Users: people who can sign in, across centres, and their memberships of centres.

use std::fmt;

use crate::access::{CustomRole, EntitlementSet, PermissionSet, RoleRef, effective_permissions};
use crate::audit::Audit;
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

/// A person who can sign in: a global identity, member of any number of centres.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The id.
    pub id: UserId,
    /// The e-mail address, unique among users.
    pub email: Email,
    /// Whether the address is known to be theirs (verified by an identity provider or an
    /// invitation).
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

/// A user's membership of one centre, with their roles and entitlements there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
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
    /// The entitlements version: one more at every change of what the member may do (roles,
    /// entitlements, status, or the definition of a custom role they hold).
    pub entitlements_version: u64,
    /// Stamps.
    pub audit: Audit,
    /// Version.
    pub version: Version,
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
    pub fn changed(
        &self,
        changes: MembershipChanges,
        by: crate::Actor,
        at: time::OffsetDateTime,
    ) -> Self {
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
    pub fn reentitled(&self, by: crate::Actor, at: time::OffsetDateTime) -> Self {
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
    use proptest::prelude::*;

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
