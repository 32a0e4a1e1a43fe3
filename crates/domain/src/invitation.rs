//! Invitations to join a centre: single-use, expiring, known to Cubby only by the digest of
//! their token.

use time::OffsetDateTime;

use crate::access::{EntitlementSet, RoleRef};
use crate::audit::{Actor, Audit};
use crate::id::{InvitationId, MembershipId};
use crate::session::TokenDigest;
use crate::user::Email;
use crate::version::Version;

/// Where an invitation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationStatus {
    /// Sent, not yet used.
    Pending,
    /// Used: the membership is active.
    Accepted,
    /// Withdrawn by the centre.
    Revoked,
}

impl InvitationStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "pending",
            InvitationStatus::Accepted => "accepted",
            InvitationStatus::Revoked => "revoked",
        }
    }

    /// Parses the stored form.
    pub fn parse(input: &str) -> Option<Self> {
        [
            InvitationStatus::Pending,
            InvitationStatus::Accepted,
            InvitationStatus::Revoked,
        ]
        .into_iter()
        .find(|status| status.as_str() == input)
    }
}

/// What an invitation is made of when it is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewInvitation {
    /// The invited address.
    pub email: Email,
    /// The membership it creates (status invited until accepted).
    pub membership_id: MembershipId,
    /// The roles it grants.
    pub roles: Vec<RoleRef>,
    /// The entitlements it grants.
    pub entitlements: EntitlementSet,
    /// The digest of its token.
    pub token: TokenDigest,
    /// When it stops being usable.
    pub expires_at: OffsetDateTime,
}

/// Every part of a stored invitation, already parsed; used to rebuild an [`Invitation`] read
/// from storage.
#[derive(Clone, Debug)]
pub struct InvitationParts {
    /// The id.
    pub id: InvitationId,
    /// The invited address.
    pub email: Email,
    /// The membership it creates.
    pub membership_id: MembershipId,
    /// The roles it grants.
    pub roles: Vec<RoleRef>,
    /// The entitlements it grants.
    pub entitlements: EntitlementSet,
    /// The digest of its token.
    pub token: TokenDigest,
    /// Where it stands.
    pub status: InvitationStatus,
    /// When it stops being usable.
    pub expires_at: OffsetDateTime,
    /// Stamps.
    pub audit: Audit,
    /// Version.
    pub version: Version,
}

/// An invitation of an address to a centre, with the roles and entitlements it grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    id: InvitationId,
    email: Email,
    membership_id: MembershipId,
    roles: Vec<RoleRef>,
    entitlements: EntitlementSet,
    token: TokenDigest,
    status: InvitationStatus,
    expires_at: OffsetDateTime,
    audit: Audit,
    version: Version,
}

/// Why an invitation cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvitationError {
    /// Not the invitation's token.
    #[error("not this invitation's token")]
    WrongToken,
    /// Already used.
    #[error("the invitation was already used")]
    Used,
    /// Withdrawn.
    #[error("the invitation was withdrawn")]
    Revoked,
    /// Past its expiry.
    #[error("the invitation has expired")]
    Expired,
}

impl Invitation {
    /// A pending invitation sent now by `by`.
    pub fn create(id: InvitationId, new: NewInvitation, by: Actor, at: OffsetDateTime) -> Self {
        Self {
            id,
            email: new.email,
            membership_id: new.membership_id,
            roles: new.roles,
            entitlements: new.entitlements,
            token: new.token,
            status: InvitationStatus::Pending,
            expires_at: new.expires_at,
            audit: Audit::created(by, at),
            version: Version::FIRST,
        }
    }

    /// An invitation read back from storage.
    pub fn restore(parts: InvitationParts) -> Self {
        Self {
            id: parts.id,
            email: parts.email,
            membership_id: parts.membership_id,
            roles: parts.roles,
            entitlements: parts.entitlements,
            token: parts.token,
            status: parts.status,
            expires_at: parts.expires_at,
            audit: parts.audit,
            version: parts.version,
        }
    }

    /// Every part of an invitation, for storage adapters writing it and fixtures rebuilding it with
    /// [`Invitation::restore`].
    pub fn into_parts(self) -> InvitationParts {
        InvitationParts {
            id: self.id,
            email: self.email,
            membership_id: self.membership_id,
            roles: self.roles,
            entitlements: self.entitlements,
            token: self.token,
            status: self.status,
            expires_at: self.expires_at,
            audit: self.audit,
            version: self.version,
        }
    }

    /// The id.
    pub fn id(&self) -> InvitationId {
        self.id
    }

    /// The invited address.
    pub fn email(&self) -> &Email {
        &self.email
    }

    /// The membership it creates (status invited until accepted).
    pub fn membership_id(&self) -> MembershipId {
        self.membership_id
    }

    /// The roles it grants.
    pub fn roles(&self) -> &[RoleRef] {
        &self.roles
    }

    /// The entitlements it grants.
    pub fn entitlements(&self) -> EntitlementSet {
        self.entitlements
    }

    /// The digest of its token.
    pub fn token(&self) -> TokenDigest {
        self.token
    }

    /// Where it stands.
    pub fn status(&self) -> InvitationStatus {
        self.status
    }

    /// When it stops being usable.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// Stamps (the creator invited).
    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    /// Version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Whether the invitation can still be used at `now`.
    pub fn is_usable(&self, now: OffsetDateTime) -> bool {
        self.status == InvitationStatus::Pending && now < self.expires_at
    }

    /// Checks that a token with `digest` may use the invitation at `now`.
    ///
    /// # Errors
    ///
    /// The [`InvitationError`] that stands in the way, in this order: wrong token, used,
    /// withdrawn, expired.
    pub fn check(&self, digest: TokenDigest, now: OffsetDateTime) -> Result<(), InvitationError> {
        if digest != self.token {
            return Err(InvitationError::WrongToken);
        }
        match self.status {
            InvitationStatus::Accepted => Err(InvitationError::Used),
            InvitationStatus::Revoked => Err(InvitationError::Revoked),
            InvitationStatus::Pending if now >= self.expires_at => Err(InvitationError::Expired),
            InvitationStatus::Pending => Ok(()),
        }
    }

    /// The pending invitation sent again by `by` at `at`: a new token (the old one stops
    /// working) and a new expiry. `None` for one already used or withdrawn.
    #[must_use]
    pub fn reissued(
        &self,
        token: TokenDigest,
        expires_at: OffsetDateTime,
        by: Actor,
        at: OffsetDateTime,
    ) -> Option<Self> {
        (self.status == InvitationStatus::Pending).then(|| Self {
            token,
            expires_at,
            audit: self.audit.touched(by, at),
            version: self.version.next(),
            ..self.clone()
        })
    }

    /// The invitation after a change of status by `by` at `at`.
    #[must_use]
    pub fn with_status(&self, status: InvitationStatus, by: Actor, at: OffsetDateTime) -> Self {
        Self {
            status,
            audit: self.audit.touched(by, at),
            version: self.version.next(),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::id::UserId;
    use proptest::prelude::*;
    use time::Duration;
    use uuid::Uuid;

    fn actor() -> Actor {
        Actor::User(UserId::from_uuid(Uuid::now_v7()))
    }

    fn sent(at: OffsetDateTime) -> Invitation {
        Invitation::create(
            InvitationId::from_uuid(Uuid::now_v7()),
            NewInvitation {
                email: Email::parse("teacher@sunny-days.example").unwrap(),
                membership_id: MembershipId::from_uuid(Uuid::now_v7()),
                roles: vec![RoleRef::Builtin(Role::Teacher)],
                entitlements: EntitlementSet::default(),
                token: TokenDigest([7; 32]),
                expires_at: at + Duration::days(7),
            },
            actor(),
            at,
        )
    }

    #[test]
    fn a_new_invitation_is_pending_at_the_first_version() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let invitation = sent(at);
        assert_eq!(invitation.status(), InvitationStatus::Pending);
        assert_eq!(invitation.version(), Version::FIRST);
        assert_eq!(invitation.roles(), [RoleRef::Builtin(Role::Teacher)]);
        assert_eq!(invitation.check(TokenDigest([7; 32]), at), Ok(()));
        assert_eq!(
            invitation.check(TokenDigest([8; 32]), at),
            Err(InvitationError::WrongToken)
        );
    }

    #[test]
    fn a_restored_invitation_reads_its_parts_back() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let parts = InvitationParts {
            id: InvitationId::from_uuid(Uuid::now_v7()),
            email: Email::parse("owner@sunny-days.example").unwrap(),
            membership_id: MembershipId::from_uuid(Uuid::now_v7()),
            roles: vec![RoleRef::Builtin(Role::Director)],
            entitlements: EntitlementSet::default(),
            token: TokenDigest([1; 32]),
            status: InvitationStatus::Revoked,
            expires_at: at,
            audit: Audit::created(actor(), at),
            version: Version::new(2).unwrap(),
        };
        let invitation = Invitation::restore(parts.clone());
        assert_eq!(
            (
                invitation.id(),
                invitation.email(),
                invitation.membership_id()
            ),
            (parts.id, &parts.email, parts.membership_id)
        );
        assert_eq!(invitation.roles(), parts.roles.as_slice());
        assert_eq!(invitation.entitlements(), parts.entitlements);
        assert_eq!(invitation.token(), parts.token);
        assert_eq!(invitation.status(), InvitationStatus::Revoked);
        assert_eq!(invitation.expires_at(), at);
        assert_eq!(invitation.audit(), &parts.audit);
        assert_eq!(invitation.version(), parts.version);
    }

    proptest! {
        #[test]
        fn only_a_pending_invitation_before_its_expiry_is_usable(
            status in proptest::sample::select(vec![
                InvitationStatus::Pending,
                InvitationStatus::Accepted,
                InvitationStatus::Revoked,
            ]),
            seconds in -10i64..20 * 24 * 3600,
        ) {
            let at = OffsetDateTime::UNIX_EPOCH;
            let invitation = sent(at).with_status(status, actor(), at);
            let now = at + Duration::seconds(seconds);
            prop_assert_eq!(
                invitation.is_usable(now),
                status == InvitationStatus::Pending && now < invitation.expires_at()
            );
            prop_assert_eq!(invitation.check(TokenDigest([7; 32]), now).is_ok(), invitation.is_usable(now));
            prop_assert_eq!(invitation.version(), Version::FIRST.next());
        }
    }
}
