//! Invitations to join a centre: single-use, expiring, known to Cubby only by the digest of
//! their token.

use time::OffsetDateTime;

use crate::access::{EntitlementSet, RoleRef};
use crate::audit::Audit;
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

/// An invitation of an address to a centre, with the roles and entitlements it grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    /// The id.
    pub id: InvitationId,
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
    /// Where it stands.
    pub status: InvitationStatus,
    /// When it stops being usable.
    pub expires_at: OffsetDateTime,
    /// Stamps (the creator invited).
    pub audit: Audit,
    /// Version.
    pub version: Version,
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

    /// The invitation after a change of status by `by` at `at`.
    #[must_use]
    pub fn with_status(
        &self,
        status: InvitationStatus,
        by: crate::Actor,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            status,
            audit: self.audit.touched(by, at),
            version: self.version.next(),
            ..self.clone()
        }
    }
}
