//! The audit log's entries: who did what to what, when. Never a password, a token or a
//! secret; personal data only by id.

use time::OffsetDateTime;

use crate::audit::Actor;
use crate::id::AuditEventId;

macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident = $text:literal),* $(,)?) => {
        /// What happened.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($(#[$doc])* $variant,)*
        }

        impl AuditAction {
            /// Every action.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            /// The stored form, `area.verb`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $text,)*
                }
            }

            /// Parses the stored form.
            pub fn parse(input: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|action| action.as_str() == input)
            }
        }
    };
}

actions!(
    /// A sign-in with a password succeeded.
    Login = "auth.login",
    /// A sign-in failed (unknown address, wrong password, no membership, throttled).
    LoginFailed = "auth.login_failed",
    /// An identity provider's session was exchanged for a Cubby session.
    Exchange = "auth.exchange",
    /// An exchange was refused.
    ExchangeFailed = "auth.exchange_failed",
    /// A refresh token was rotated.
    Refresh = "auth.refresh",
    /// A used refresh token was presented again: the whole session was revoked.
    RefreshReuse = "auth.refresh_reuse",
    /// A session was ended.
    Logout = "auth.logout",
    /// A password was reset with a mailed token; every session of the user ended.
    PasswordReset = "auth.password_reset",
    /// A signed-in user changed their password; their other sessions ended.
    PasswordChanged = "auth.password_changed",
    /// Someone was invited to join the centre.
    MemberInvited = "members.invited",
    /// An invitation was accepted: the member joined.
    MemberJoined = "members.joined",
    /// A member's roles changed.
    MemberRolesChanged = "members.roles_changed",
    /// A member's entitlements changed.
    MemberEntitlementsChanged = "members.entitlements_changed",
    /// A member was suspended.
    MemberSuspended = "members.suspended",
    /// A suspended member was reactivated.
    MemberReactivated = "members.reactivated",
    /// A member was removed.
    MemberRemoved = "members.removed",
    /// An invitation was withdrawn.
    InvitationRevoked = "invitations.revoked",
    /// A pending invitation was sent again, with a new token.
    InvitationResent = "invitations.resent",
    /// A custom role was defined.
    RoleCreated = "roles.created",
    /// A custom role's name or permissions changed.
    RoleUpdated = "roles.updated",
    /// A custom role was deleted.
    RoleDeleted = "roles.deleted",
    /// A child was added.
    ChildCreated = "children.created",
    /// A child's record changed.
    ChildUpdated = "children.updated",
    /// A child was archived.
    ChildArchived = "children.archived",
    /// A child's sensitive fields were read.
    ChildSensitiveRead = "children.sensitive_read",
    /// A child's sensitive fields changed.
    ChildSensitiveChanged = "children.sensitive_changed",
    /// A contact was added to a child.
    ContactAdded = "children.contact_added",
    /// A child's contact changed (capabilities, link, PIN).
    ContactChanged = "children.contact_changed",
    /// A contact was removed from a child.
    ContactRemoved = "children.contact_removed",
    /// A custody restriction was placed on a child.
    RestrictionAdded = "children.restriction_added",
    /// A custody restriction was lifted.
    RestrictionRemoved = "children.restriction_removed",
    /// A staff record was created.
    StaffCreated = "staff.created",
    /// A staff record changed (qualifications, rooms).
    StaffUpdated = "staff.updated",
    /// A staff record was archived.
    StaffArchived = "staff.archived",
    /// The centre's settings changed.
    SettingsChanged = "centre.settings_changed",
    /// A platform operator created the centre (its owner is invited by the same action).
    CentreCreated = "centre.created",
    /// A platform operator suspended the centre: its sessions and sign-ins are refused.
    CentreSuspended = "centre.suspended",
    /// A platform operator resumed a suspended centre.
    CentreResumed = "centre.resumed",
    /// A pickup was refused: the contact may not collect the child, a custody restriction
    /// forbids it, or the PIN was missing or wrong.
    PickupRefused = "attendance.pickup_refused",
    /// Children were still checked in after the centre's closing time (a reminder, once per
    /// room and day).
    StillInAfterClosing = "attendance.still_in_after_closing",
);

/// One entry of a centre's audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// The id (time-ordered).
    pub id: AuditEventId,
    /// When it happened.
    pub at: OffsetDateTime,
    /// Who did it, when known (a failed sign-in for an unknown address has no actor).
    pub actor: Option<Actor>,
    /// What happened.
    pub action: AuditAction,
    /// What it was done to, by id (`user_...`, `ses_...`), if anything.
    pub target: Option<String>,
    /// Short facts (`reason`, `mode`, `client`), never secrets or personal data.
    pub details: Vec<(String, String)>,
}
