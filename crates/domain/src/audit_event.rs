//! The audit log's entries: who did what to what, when. Never a password, a token or a
//! secret; personal data only by id.

use time::OffsetDateTime;

use crate::audit::Actor;
use crate::id::AuditEventId;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A sign-in with a password succeeded.
    Login,
    /// A sign-in failed (unknown address, wrong password, no membership, throttled).
    LoginFailed,
    /// An identity provider's session was exchanged for a Cubby session.
    Exchange,
    /// An exchange was refused.
    ExchangeFailed,
    /// A refresh token was rotated.
    Refresh,
    /// A used refresh token was presented again: the whole session was revoked.
    RefreshReuse,
    /// A session was ended.
    Logout,
}

impl AuditAction {
    /// Every action.
    pub const ALL: [AuditAction; 7] = [
        AuditAction::Login,
        AuditAction::LoginFailed,
        AuditAction::Exchange,
        AuditAction::ExchangeFailed,
        AuditAction::Refresh,
        AuditAction::RefreshReuse,
        AuditAction::Logout,
    ];

    /// The stored form, `area.verb`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Login => "auth.login",
            AuditAction::LoginFailed => "auth.login_failed",
            AuditAction::Exchange => "auth.exchange",
            AuditAction::ExchangeFailed => "auth.exchange_failed",
            AuditAction::Refresh => "auth.refresh",
            AuditAction::RefreshReuse => "auth.refresh_reuse",
            AuditAction::Logout => "auth.logout",
        }
    }

    /// Parses the stored form.
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == input)
    }
}

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
