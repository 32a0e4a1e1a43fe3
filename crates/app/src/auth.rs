//! Signing in, staying in and signing out: password login, Supabase exchange, refresh token
//! rotation with reuse detection, logout, and the caller's context. Every outcome is audited
//! in the centre concerned, never with a password, a token or an address.
//!
//! One use case a file: `login` (password sign-in and its throttling), `exchange` (a Supabase
//! session for a Cubby one), `sessions` (opening, refreshing and ending a session),
//! `invitation` (accepting an invitation) and `centres` (people in several centres: their
//! centres, and moving a session between them).

mod centres;
mod exchange;
mod invitation;
mod login;
mod sessions;

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cubby_domain::{
    Actor, AuditAction, InvitationError, Membership, RefreshFamily, SessionId, Tenant, TenantId,
    TokenDigest, User,
};
use cubby_ports::{
    IdentityError, IdentityVerifier, LimitKey, Ports, RepoError, TenantDirectory, TenantScope,
};
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use time::Duration;

use crate::AppError;
use crate::audit::AuditTrail;
use crate::cache::Principals;
use crate::passwords::Passwords;
use crate::session::{AccessGrant, Sessions};
use crate::tokens::IssuedToken;

pub use centres::CentreChoice;

/// How long a token rotated away stays usable for a second tab refreshing at the same moment.
pub const REFRESH_GRACE: Duration = Duration::seconds(10);

/// When failed sign-ins are throttled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Failures of one account per window before it is throttled.
    pub max_failures_per_account: u32,
    /// Failures from one client address per window before it is throttled.
    pub max_failures_per_address: u32,
    /// The window.
    pub window: std::time::Duration,
}

impl LoginPolicy {
    /// The policy the settings ask for.
    pub fn from_settings(settings: &cubby_settings::Settings) -> Self {
        Self {
            max_failures_per_account: settings.login_max_failures_per_account,
            max_failures_per_address: settings.login_max_failures_per_address,
            window: settings.login_failure_window,
        }
    }
}

/// What a password sign-in presents.
pub struct Credentials {
    /// The centre's code; without one, the account's only centre.
    pub tenant_code: Option<String>,
    /// The e-mail address, as typed.
    pub email: String,
    /// The password.
    pub password: SecretString,
    /// The client's address, when known.
    pub client: Option<IpAddr>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("tenant_code", &self.tenant_code)
            .finish_non_exhaustive()
    }
}

/// A session that is still going, as a browser's cookies name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveSession {
    /// The session.
    pub id: SessionId,
    /// When it ends, however often it is refreshed.
    pub expires_at: time::OffsetDateTime,
}

/// A session just opened or refreshed.
pub struct SignedIn {
    /// The access token.
    pub access: IssuedToken,
    /// The opaque refresh token (only its digest is stored).
    pub refresh_token: SecretString,
    /// The session.
    pub session: RefreshFamily,
    /// The centre.
    pub tenant: Tenant,
    /// The membership.
    pub membership: Membership,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("session", &self.session.id)
            .finish_non_exhaustive()
    }
}

/// Why no session was opened.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong credentials, an unknown account, no membership, a suspended account, or a token
    /// that is not valid: one answer for all.
    #[error("refused")]
    Refused,
    /// Too many failures lately.
    #[error("throttled")]
    Throttled {
        /// When to try again.
        retry_after: std::time::Duration,
    },
    /// The user belongs to several centres and did not say which: the credentials were
    /// verified, so their centres may be shown to them.
    #[error("tenant code required")]
    TenantRequired {
        /// The user's centres, ordered by code.
        centres: Vec<CentreChoice>,
    },
    /// Sign-in with this method is not configured.
    #[error("not configured")]
    NotConfigured,
    /// A store or the identity provider failed.
    #[error(transparent)]
    Failed(#[from] AppError),
}

impl From<RepoError> for SignInError {
    fn from(error: RepoError) -> Self {
        SignInError::Failed(error.into())
    }
}

/// Why an invitation was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// Not an invitation of this centre (unknown, wrong token, another centre).
    #[error("no such invitation")]
    NotFound,
    /// Used, withdrawn or expired.
    #[error(transparent)]
    Unusable(InvitationError),
    /// A new user must choose a password of 10 characters or more, and someone who has one
    /// must present it.
    #[error("a password is required")]
    PasswordRequired,
    /// The password presented is not the account's.
    #[error("wrong password")]
    WrongPassword,
    /// Too many failed sign-ins of the account or the address lately.
    #[error("throttled")]
    Throttled {
        /// When to try again.
        retry_after: std::time::Duration,
    },
    /// A store failed.
    #[error(transparent)]
    Failed(AppError),
}

/// The sign-in use cases.
pub struct Auth {
    sessions: Arc<Sessions>,
    passwords: Passwords,
    login: LoginPolicy,
    session_lifetime: Duration,
    supabase: Option<Arc<dyn IdentityVerifier>>,
    tenants: Arc<dyn TenantDirectory>,
    principals: Arc<Principals>,
    audit: Arc<AuditTrail>,
    ports: Ports,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// How the sign-in use cases are configured.
pub struct AuthConfig {
    /// Password hashing.
    pub passwords: Passwords,
    /// Throttling.
    pub login: LoginPolicy,
    /// A session's absolute lifetime.
    pub session_lifetime: Duration,
    /// Supabase session verification, when configured.
    pub supabase: Option<Arc<dyn IdentityVerifier>>,
    /// The principal cache to invalidate when a member joins.
    pub principals: Arc<Principals>,
    /// The audit trail.
    pub audit: Arc<AuditTrail>,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig").finish_non_exhaustive()
    }
}

/// A refresh token: the session id and a 256-bit secret.
fn refresh_token(session: SessionId, secret: &[u8; 32]) -> SecretString {
    SecretString::from(format!("{session}.{}", URL_SAFE_NO_PAD.encode(secret)))
}

/// The key counting an account's failed sign-ins, from its address as typed.
fn account_key(email: &str) -> LimitKey {
    let normalized = email.trim().to_lowercase();
    LimitKey::failed_logins_for_account(
        &Sha256::digest(format!("account\n{normalized}").as_bytes()).into(),
    )
}

fn digest(bytes: &[u8]) -> TokenDigest {
    TokenDigest(Sha256::digest(bytes).into())
}

/// The session id and the digest of the secret of a refresh token, if it is one.
pub fn parse_refresh_token(token: &str) -> Option<(SessionId, TokenDigest)> {
    let (session, secret) = token.split_once('.')?;
    let secret = URL_SAFE_NO_PAD
        .decode(secret)
        .ok()
        .filter(|s| s.len() == 32)?;
    Some((SessionId::parse(session).ok()?, digest(&secret)))
}

impl Auth {
    /// The use cases over `ports`, minting with `sessions`.
    pub fn new(
        sessions: Arc<Sessions>,
        tenants: Arc<dyn TenantDirectory>,
        ports: Ports,
        config: AuthConfig,
    ) -> Self {
        Self {
            sessions,
            passwords: config.passwords,
            login: config.login,
            session_lifetime: config.session_lifetime,
            supabase: config.supabase,
            tenants,
            principals: config.principals,
            audit: config.audit,
            ports,
        }
    }

    /// Password hashing, for use cases that set passwords.
    pub fn passwords(&self) -> &Passwords {
        &self.passwords
    }

    /// The caller's user, centre and membership.
    ///
    /// # Errors
    ///
    /// Store failures.
    pub async fn context(
        &self,
        scope: &TenantScope,
    ) -> Result<(User, Tenant, Membership), AppError> {
        let user_id = scope.user_id().ok_or(AppError::NotFound)?;
        let membership_id = scope.membership_id().ok_or(AppError::NotFound)?;
        let user = self.ports.users.user_by_id(user_id).await?;
        let tenant = self.tenants.by_id(scope.tenant_id()).await?;
        let membership = self
            .ports
            .memberships
            .get_membership(scope, membership_id)
            .await?;
        Ok((user, tenant, membership))
    }

    /// Records an event in `tenant`'s audit log; a failure is logged, never answered.
    async fn record(
        &self,
        tenant: TenantId,
        actor: Option<Actor>,
        action: AuditAction,
        target: Option<String>,
        details: &[(&str, &str)],
    ) {
        let details: Vec<(&str, String)> =
            details.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        self.audit
            .record_in(tenant, actor, action, target, &details)
            .await;
    }
}

/// The grant of an access token for a member's session.
fn grant(tenant: &Tenant, membership: &Membership, session: SessionId) -> AccessGrant {
    AccessGrant {
        tenant_id: tenant.id(),
        tenant_code: tenant.code().clone(),
        user_id: membership.user_id(),
        membership_id: membership.id(),
        roles: membership.roles().to_vec(),
        session_id: session,
        entitlements_version: membership.entitlements_version(),
    }
}

#[cfg(test)]
mod tests;
