//! Signing in, staying in and signing out: password login, Supabase exchange, refresh token
//! rotation with reuse detection, logout, and the caller's context. Every outcome is audited
//! in the centre concerned, never with a password, a token or an address.

use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cubby_domain::{
    Actor, AuditAction, Email, InvitationError, InvitationStatus, Membership, MembershipChanges,
    MembershipStatus, PasswordHash, Presented, RefreshFamily, SessionId, Tenant, TenantCode,
    TenantId, TenantStatus, TokenDigest, User, UserStatus,
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
use crate::members::parse_invitation_token;
use crate::passwords::Passwords;
use crate::session::{AccessGrant, Session, Sessions};
use crate::tokens::IssuedToken;

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
    /// The centre's code.
    pub tenant_code: String,
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
    /// The user belongs to several centres and did not say which.
    #[error("tenant code required")]
    TenantRequired,
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

    /// Signs in with a password.
    ///
    /// # Errors
    ///
    /// [`SignInError::Refused`] whatever is wrong with the credentials, after the same work;
    /// [`SignInError::Throttled`] after too many failures of the account or the address.
    pub async fn login(&self, credentials: Credentials) -> Result<SignedIn, SignInError> {
        let account = account_key(&credentials.email);
        let address = credentials.client.map(LimitKey::failed_logins_from);
        let code = TenantCode::parse(credentials.tenant_code.trim()).ok();
        let tenant = match &code {
            Some(code) => match self.tenants.by_code(code).await {
                Ok(tenant) => Some(tenant),
                Err(RepoError::NotFound) => None,
                Err(other) => return Err(other.into()),
            },
            None => None,
        };

        if let Some(retry_after) = self.throttled(&account, address.as_ref()).await? {
            if let Some(tenant) = &tenant {
                self.record(
                    tenant.id,
                    None,
                    AuditAction::LoginFailed,
                    None,
                    &[("reason", "throttled")],
                )
                .await;
            }
            return Err(SignInError::Throttled { retry_after });
        }

        let user = match Email::parse(&credentials.email) {
            Ok(email) => match self.ports.users.user_by_email(&email).await {
                Ok(user) => Some(user),
                Err(RepoError::NotFound) => None,
                Err(other) => return Err(other.into()),
            },
            Err(_) => None,
        };
        let membership = match (&tenant, &user) {
            (Some(tenant), Some(user)) => match self
                .ports
                .membership_directory
                .membership_of(tenant.id, user.id)
                .await
            {
                Ok(membership) => Some(membership),
                Err(RepoError::NotFound) => None,
                Err(other) => return Err(other.into()),
            },
            _ => None,
        };
        // The password is checked whatever was found, so that the time taken tells nothing.
        let hash = user.as_ref().and_then(|u| u.password_hash.as_ref());
        let password_ok = self.passwords.verify(credentials.password, hash).await?;

        let accepted = match (tenant, user, membership) {
            (Some(tenant), Some(user), Some(membership))
                if password_ok
                    && tenant.status == TenantStatus::Active
                    && user.status == UserStatus::Active
                    && membership.is_active() =>
            {
                Some((tenant, user, membership))
            }
            (tenant, user, _) => {
                if let Some(tenant) = tenant {
                    let actor = user.as_ref().map(|u| Actor::User(u.id));
                    self.record(
                        tenant.id,
                        actor,
                        AuditAction::LoginFailed,
                        None,
                        &[("reason", "credentials")],
                    )
                    .await;
                }
                None
            }
        };
        let Some((tenant, user, membership)) = accepted else {
            self.count_failure(&account, address.as_ref()).await?;
            return Err(SignInError::Refused);
        };
        self.ports.limits.clear(&account).await?;
        let signed_in = self.open_session(&tenant, &user, &membership, None).await?;
        self.record(
            tenant.id,
            Some(Actor::User(user.id)),
            AuditAction::Login,
            Some(signed_in.session.id.to_string()),
            &[],
        )
        .await;
        Ok(signed_in)
    }

    /// When the account or the address has failed too often: how long until it may try again.
    async fn throttled(
        &self,
        account: &LimitKey,
        address: Option<&LimitKey>,
    ) -> Result<Option<std::time::Duration>, RepoError> {
        let account_window = self.ports.limits.current(account).await?;
        let mut wait = None;
        if account_window.count >= self.login.max_failures_per_account {
            wait = Some(account_window.resets_in);
        }
        if let Some(address) = address {
            let address_window = self.ports.limits.current(address).await?;
            if address_window.count >= self.login.max_failures_per_address {
                wait = Some(wait.unwrap_or_default().max(address_window.resets_in));
            }
        }
        Ok(wait.map(|w| w.max(std::time::Duration::from_secs(1))))
    }

    async fn count_failure(
        &self,
        account: &LimitKey,
        address: Option<&LimitKey>,
    ) -> Result<(), RepoError> {
        self.ports.limits.hit(account, self.login.window).await?;
        if let Some(address) = address {
            self.ports.limits.hit(address, self.login.window).await?;
        }
        Ok(())
    }

    /// Exchanges a Supabase session for a Cubby session in the centre named by `tenant_code`,
    /// or in the user's only centre.
    ///
    /// # Errors
    ///
    /// [`SignInError::NotConfigured`] without Supabase settings; [`SignInError::Refused`] for a
    /// token that is not valid or a user unknown or without membership;
    /// [`SignInError::TenantRequired`] when the user is in several centres and named none.
    pub async fn exchange(
        &self,
        token: &str,
        tenant_code: Option<&str>,
    ) -> Result<SignedIn, SignInError> {
        let verifier = self.supabase.as_ref().ok_or(SignInError::NotConfigured)?;
        let identity = match verifier.verify(token).await {
            Ok(identity) => identity,
            Err(IdentityError::Invalid(reason)) => {
                tracing::info!(reason, "supabase token refused");
                return Err(SignInError::Refused);
            }
            Err(IdentityError::Unavailable(source)) => {
                return Err(AppError::Unavailable(source).into());
            }
        };
        let user = match self
            .ports
            .users
            .user_by_supabase_id(&identity.subject)
            .await
        {
            Ok(user) => user,
            Err(RepoError::NotFound) => match (&identity.email, identity.email_verified) {
                (Some(email), true) => self.link_supabase_user(email, &identity.subject).await?,
                _ => return Err(SignInError::Refused),
            },
            Err(other) => return Err(other.into()),
        };
        if user.status != UserStatus::Active {
            return Err(SignInError::Refused);
        }
        let (tenant, membership) = self.centre_for(&user, tenant_code).await?;
        let signed_in = self.open_session(&tenant, &user, &membership, None).await?;
        self.record(
            tenant.id,
            Some(Actor::User(user.id)),
            AuditAction::Exchange,
            Some(signed_in.session.id.to_string()),
            &[],
        )
        .await;
        Ok(signed_in)
    }

    /// The user with a verified `email`, linked now to the Supabase id.
    async fn link_supabase_user(
        &self,
        email: &Email,
        subject: &cubby_domain::ExternalId,
    ) -> Result<User, SignInError> {
        let user = match self.ports.users.user_by_email(email).await {
            Ok(user) if user.supabase_id.is_none() => user,
            Ok(_) | Err(RepoError::NotFound) => return Err(SignInError::Refused),
            Err(other) => return Err(other.into()),
        };
        let linked = User {
            supabase_id: Some(subject.clone()),
            email_verified: true,
            audit: user
                .audit
                .touched(Actor::User(user.id), self.ports.clock.now()),
            version: user.version.next(),
            ..user.clone()
        };
        self.ports.users.update_user(&linked, user.version).await?;
        Ok(linked)
    }

    /// The centre a user signs into: the one named, or their only one.
    async fn centre_for(
        &self,
        user: &User,
        tenant_code: Option<&str>,
    ) -> Result<(Tenant, Membership), SignInError> {
        let (tenant, membership) = match tenant_code {
            Some(code) => {
                let code = TenantCode::parse(code.trim()).map_err(|_| SignInError::Refused)?;
                let tenant = match self.tenants.by_code(&code).await {
                    Ok(tenant) => tenant,
                    Err(RepoError::NotFound) => return Err(SignInError::Refused),
                    Err(other) => return Err(other.into()),
                };
                match self
                    .ports
                    .membership_directory
                    .membership_of(tenant.id, user.id)
                    .await
                {
                    Ok(membership) => (tenant, membership),
                    Err(RepoError::NotFound) => return Err(SignInError::Refused),
                    Err(other) => return Err(other.into()),
                }
            }
            None => {
                let mut active: Vec<(TenantId, Membership)> = self
                    .ports
                    .membership_directory
                    .memberships_of_user(user.id)
                    .await?
                    .into_iter()
                    .filter(|(_, m)| m.is_active())
                    .collect();
                let (tenant_id, membership) = match active.len() {
                    0 => return Err(SignInError::Refused),
                    1 => active.remove(0),
                    _ => return Err(SignInError::TenantRequired),
                };
                (self.tenants.by_id(tenant_id).await?, membership)
            }
        };
        if tenant.status != TenantStatus::Active || !membership.is_active() {
            return Err(SignInError::Refused);
        }
        Ok((tenant, membership))
    }

    /// Opens a session for a member: a new refresh family and an access token (living
    /// `access_ttl`, or the policy's lifetime).
    ///
    /// # Errors
    ///
    /// Store failures.
    pub async fn open_session(
        &self,
        tenant: &Tenant,
        user: &User,
        membership: &Membership,
        access_ttl: Option<Duration>,
    ) -> Result<SignedIn, AppError> {
        let now = self.ports.clock.now();
        let secret: [u8; 32] = rand::random();
        let session = RefreshFamily {
            id: SessionId::from_uuid(self.ports.ids.uuid()),
            tenant_id: tenant.id,
            user_id: user.id,
            membership_id: membership.id,
            current: digest(&secret),
            used: Vec::new(),
            rotated_at: None,
            generation: 0,
            created_at: now,
            expires_at: now + self.session_lifetime,
        };
        self.ports.tokens.create_family(&session).await?;
        let grant = grant(tenant, membership, session.id);
        let access = self.sessions.issue_with_ttl(
            &grant,
            access_ttl.unwrap_or(self.sessions.policy().access_ttl),
        )?;
        Ok(SignedIn {
            access,
            refresh_token: refresh_token(session.id, &secret),
            session,
            tenant: tenant.clone(),
            membership: membership.clone(),
        })
    }

    /// Rotates a refresh token: a new refresh token and access token for the same session.
    /// A token already rotated away (outside the grace period) revokes the whole session.
    ///
    /// # Errors
    ///
    /// [`SignInError::Refused`] for a token that is not the session's current one, or a
    /// session, membership or user that is no longer valid.
    pub async fn refresh(&self, token: &str) -> Result<SignedIn, SignInError> {
        let (session_id, presented) = parse_refresh_token(token).ok_or(SignInError::Refused)?;
        // A lost race with a concurrent rotation is retried from what won it.
        for _ in 0..3 {
            let family = self
                .ports
                .tokens
                .family(session_id)
                .await?
                .ok_or(SignInError::Refused)?;
            let now = self.ports.clock.now();
            match family.judge(presented, now, REFRESH_GRACE) {
                Presented::Current | Presented::WithinGrace => {}
                Presented::Reused => {
                    self.ports.tokens.revoke_family(family.id).await?;
                    self.record(
                        family.tenant_id,
                        Some(Actor::User(family.user_id)),
                        AuditAction::RefreshReuse,
                        Some(family.id.to_string()),
                        &[("outcome", "session revoked")],
                    )
                    .await;
                    return Err(SignInError::Refused);
                }
                Presented::Unknown => return Err(SignInError::Refused),
                Presented::Expired => {
                    self.ports.tokens.revoke_family(family.id).await?;
                    return Err(SignInError::Refused);
                }
            }
            let (tenant, membership) = match self.still_valid(&family).await? {
                Some(valid) => valid,
                None => {
                    self.ports.tokens.revoke_family(family.id).await?;
                    return Err(SignInError::Refused);
                }
            };
            let secret: [u8; 32] = rand::random();
            let rotated = family.rotated(digest(&secret), now);
            if !self
                .ports
                .tokens
                .swap_family(&rotated, family.generation)
                .await?
            {
                continue;
            }
            let access = self
                .sessions
                .issue(&grant(&tenant, &membership, family.id))?;
            self.record(
                tenant.id,
                Some(Actor::User(family.user_id)),
                AuditAction::Refresh,
                Some(family.id.to_string()),
                &[],
            )
            .await;
            return Ok(SignedIn {
                access,
                refresh_token: refresh_token(family.id, &secret),
                session: rotated,
                tenant,
                membership,
            });
        }
        Err(AppError::Unavailable("the session kept changing while being refreshed".into()).into())
    }

    /// The centre and membership of a session, if they and the user are still active.
    async fn still_valid(
        &self,
        family: &RefreshFamily,
    ) -> Result<Option<(Tenant, Membership)>, SignInError> {
        let tenant = match self.tenants.by_id(family.tenant_id).await {
            Ok(tenant) if tenant.status == TenantStatus::Active => tenant,
            Ok(_) | Err(RepoError::NotFound) => return Ok(None),
            Err(other) => return Err(other.into()),
        };
        let membership = match self
            .ports
            .membership_directory
            .membership_by_id(family.tenant_id, family.membership_id)
            .await
        {
            Ok(membership) if membership.is_active() && membership.user_id == family.user_id => {
                membership
            }
            Ok(_) | Err(RepoError::NotFound) => return Ok(None),
            Err(other) => return Err(other.into()),
        };
        match self.ports.users.user_by_id(family.user_id).await {
            Ok(user) if user.status == UserStatus::Active => Ok(Some((tenant, membership))),
            Ok(_) | Err(RepoError::NotFound) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// Ends the session: the access token is blocked until it expires (and the clock leeway
    /// that verification allows past its expiry has run out too), and the refresh family is
    /// revoked.
    ///
    /// # Errors
    ///
    /// Store failures (the caller may retry: both steps are idempotent).
    pub async fn logout(&self, session: &Session) -> Result<(), AppError> {
        self.ports
            .tokens
            .block_access(
                &session.token_id,
                session.expires_at + self.sessions.policy().leeway,
            )
            .await?;
        if let Some(id) = session.session_id {
            self.ports.tokens.revoke_family(id).await?;
        }
        let target = session.session_id.map(|id| id.to_string());
        self.record(
            session.scope.tenant_id(),
            Some(session.scope.actor().clone()),
            AuditAction::Logout,
            target,
            &[],
        )
        .await;
        Ok(())
    }

    /// Accepts an invitation to the centre `tenant_code` with its token: the membership
    /// becomes active, the address counts as verified, a new user sets their password, someone
    /// who has a password proves it (the token alone would let whoever holds it, the inviter
    /// included, in as them), and a session opens. An invitation works once; a refusal leaves
    /// it pending.
    ///
    /// # Errors
    ///
    /// [`AcceptError::NotFound`] for a token that is not an invitation of this centre;
    /// [`AcceptError::Unusable`] for one used, withdrawn or expired;
    /// [`AcceptError::PasswordRequired`] for a new user without a good password or an account
    /// with a password presenting none; [`AcceptError::WrongPassword`] for a password that is
    /// not the account's, counted like a failed sign-in; [`AcceptError::Throttled`] after too
    /// many failed sign-ins of the account or of `client`.
    pub async fn accept_invitation(
        &self,
        tenant_code: &str,
        token: &str,
        password: Option<SecretString>,
        client: Option<IpAddr>,
    ) -> Result<SignedIn, AcceptError> {
        let (id, digest) = parse_invitation_token(token).ok_or(AcceptError::NotFound)?;
        let code = TenantCode::parse(tenant_code.trim()).map_err(|_| AcceptError::NotFound)?;
        let tenant = match self.tenants.by_code(&code).await {
            Ok(tenant) if tenant.status == TenantStatus::Active => tenant,
            Ok(_) | Err(RepoError::NotFound) => return Err(AcceptError::NotFound),
            Err(other) => return Err(AcceptError::Failed(other.into())),
        };
        let (owner, invitation) = match self.ports.invitation_directory.invitation_by_id(id).await {
            Ok(found) => found,
            Err(RepoError::NotFound) => return Err(AcceptError::NotFound),
            Err(other) => return Err(AcceptError::Failed(other.into())),
        };
        if owner != tenant.id {
            return Err(AcceptError::NotFound);
        }
        let now = self.ports.clock.now();
        invitation.check(digest, now).map_err(|error| match error {
            InvitationError::WrongToken => AcceptError::NotFound,
            other => AcceptError::Unusable(other),
        })?;
        let membership = self
            .ports
            .membership_directory
            .membership_by_id(tenant.id, invitation.membership_id)
            .await
            .map_err(|e| AcceptError::Failed(e.into()))?;
        // The invitee acts as themself, through the membership they are accepting.
        let scope = TenantScope::for_invitee(tenant.id, &membership);
        if membership.status != MembershipStatus::Invited {
            return Err(AcceptError::Unusable(InvitationError::Used));
        }
        let user = self
            .ports
            .users
            .user_by_id(membership.user_id)
            .await
            .map_err(|e| AcceptError::Failed(e.into()))?;
        let password_hash = self
            .password_on_accepting(&tenant, &user, password, client)
            .await?;
        let actor = Actor::User(user.id);
        // Single use: of concurrent acceptances, only one moves the invitation on.
        let accepted = invitation.with_status(InvitationStatus::Accepted, actor.clone(), now);
        match self
            .ports
            .invitations
            .update_invitation(&scope, &accepted, invitation.version)
            .await
        {
            Ok(()) => {}
            Err(RepoError::StaleVersion) => {
                return Err(AcceptError::Unusable(InvitationError::Used));
            }
            Err(other) => return Err(AcceptError::Failed(other.into())),
        }
        let joined = membership.changed(
            MembershipChanges {
                roles: Some(invitation.roles.clone()),
                entitlements: Some(invitation.entitlements),
                status: Some(MembershipStatus::Active),
            },
            actor.clone(),
            now,
        );
        self.ports
            .memberships
            .update_membership(&scope, &joined, membership.version)
            .await
            .map_err(|e| AcceptError::Failed(e.into()))?;
        self.principals.forget(&[(tenant.id, joined.id)]).await;
        let verified = User {
            email_verified: true,
            password_hash,
            audit: user.audit.touched(actor.clone(), now),
            version: user.version.next(),
            ..user.clone()
        };
        self.ports
            .users
            .update_user(&verified, user.version)
            .await
            .map_err(|e| AcceptError::Failed(e.into()))?;
        self.record(
            tenant.id,
            Some(actor),
            AuditAction::MemberJoined,
            Some(joined.id.to_string()),
            &[],
        )
        .await;
        self.open_session(&tenant, &verified, &joined, None)
            .await
            .map_err(AcceptError::Failed)
    }

    /// The password hash a user accepting an invitation to `tenant` ends up with: an account
    /// with a password must present it, a new user chooses one of 10 characters or more, and
    /// an account linked to Supabase only joins without one (the token alone suffices there:
    /// see the residual risks in docs/SECURITY.md).
    async fn password_on_accepting(
        &self,
        tenant: &Tenant,
        user: &User,
        password: Option<SecretString>,
        client: Option<IpAddr>,
    ) -> Result<Option<PasswordHash>, AcceptError> {
        if let Some(hash) = &user.password_hash {
            let password = password.ok_or(AcceptError::PasswordRequired)?;
            self.prove_password(tenant, user, hash, password, client)
                .await?;
            return Ok(Some(hash.clone()));
        }
        if user.supabase_id.is_some() {
            return Ok(None);
        }
        match password {
            Some(password)
                if (10..=crate::passwords::MAX_PASSWORD_BYTES)
                    .contains(&secrecy::ExposeSecret::expose_secret(&password).len()) =>
            {
                let hash = self.passwords.hash(password).await;
                Ok(Some(hash.map_err(AcceptError::Failed)?))
            }
            _ => Err(AcceptError::PasswordRequired),
        }
    }

    /// Checks `password` against the account's `hash` as a sign-in does: throttled, and a
    /// failure counted against the account and the client and audited in `tenant`.
    async fn prove_password(
        &self,
        tenant: &Tenant,
        user: &User,
        hash: &PasswordHash,
        password: SecretString,
        client: Option<IpAddr>,
    ) -> Result<(), AcceptError> {
        let failed = |error: RepoError| AcceptError::Failed(error.into());
        let account = account_key(user.email.as_str());
        let address = client.map(LimitKey::failed_logins_from);
        let actor = Some(Actor::User(user.id));
        let throttled = self.throttled(&account, address.as_ref()).await;
        if let Some(retry_after) = throttled.map_err(failed)? {
            let reason = [("reason", "throttled")];
            self.record(tenant.id, actor, AuditAction::LoginFailed, None, &reason)
                .await;
            return Err(AcceptError::Throttled { retry_after });
        }
        let matched = self.passwords.verify(password, Some(hash)).await;
        if matched.map_err(AcceptError::Failed)? {
            return self.ports.limits.clear(&account).await.map_err(failed);
        }
        let reason = [("reason", "credentials")];
        self.record(tenant.id, actor, AuditAction::LoginFailed, None, &reason)
            .await;
        self.count_failure(&account, address.as_ref())
            .await
            .map_err(failed)?;
        Err(AcceptError::WrongPassword)
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
        tenant_id: tenant.id,
        tenant_code: tenant.code.clone(),
        user_id: membership.user_id,
        membership_id: membership.id,
        roles: membership.roles.clone(),
        session_id: session,
        entitlements_version: membership.entitlements_version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::members::NewMember;
    use crate::passwords::PasswordParams;
    use crate::{App, AppConfig, TokenKeys, TokenPolicy};
    use cubby_domain::Role;
    use cubby_ports::contract::tenants::new_tenant;

    fn app() -> App {
        App::new(cubby_adapters_memory::embedded_ports(), config()).unwrap()
    }

    fn config() -> AppConfig {
        AppConfig {
            keys: TokenKeys::hs256("test", b"0123456789abcdef0123456789abcdef"),
            policy: TokenPolicy::default(),
            passwords: PasswordParams::for_tests(),
            login: LoginPolicy {
                max_failures_per_account: 100,
                max_failures_per_address: 100,
                window: std::time::Duration::from_secs(60),
            },
            session_lifetime: Duration::days(1),
            supabase: None,
            jobs: crate::jobs::RetryPolicy::default(),
        }
    }

    fn credentials(tenant: &str, email: &str, password: &str) -> Credentials {
        Credentials {
            tenant_code: tenant.to_owned(),
            email: email.to_owned(),
            password: SecretString::from(password.to_owned()),
            client: None,
        }
    }

    /// The memory token store, keeping what `block_access` was asked for.
    struct Recording {
        inner: std::sync::Arc<dyn cubby_ports::TokenStore>,
        blocked: std::sync::Mutex<Vec<time::OffsetDateTime>>,
    }

    #[async_trait::async_trait]
    impl cubby_ports::TokenStore for Recording {
        async fn block_access(
            &self,
            jti: &str,
            until: time::OffsetDateTime,
        ) -> Result<(), RepoError> {
            self.blocked.lock().unwrap().push(until);
            self.inner.block_access(jti, until).await
        }
        async fn is_access_blocked(&self, jti: &str) -> Result<bool, RepoError> {
            self.inner.is_access_blocked(jti).await
        }
        async fn create_family(
            &self,
            family: &cubby_domain::RefreshFamily,
        ) -> Result<(), RepoError> {
            self.inner.create_family(family).await
        }
        async fn family(
            &self,
            id: cubby_domain::SessionId,
        ) -> Result<Option<cubby_domain::RefreshFamily>, RepoError> {
            self.inner.family(id).await
        }
        async fn swap_family(
            &self,
            family: &cubby_domain::RefreshFamily,
            expected: u64,
        ) -> Result<bool, RepoError> {
            self.inner.swap_family(family, expected).await
        }
        async fn revoke_family(&self, id: cubby_domain::SessionId) -> Result<(), RepoError> {
            self.inner.revoke_family(id).await
        }
    }

    #[tokio::test]
    async fn a_logged_out_token_stays_blocked_through_the_leeway_past_its_expiry() {
        let mut ports = cubby_adapters_memory::embedded_ports();
        let recording = std::sync::Arc::new(Recording {
            inner: ports.tokens.clone(),
            blocked: std::sync::Mutex::default(),
        });
        ports.tokens = recording.clone();
        let app = App::new(ports, config()).unwrap();
        let tenant = new_tenant();
        app.ports().tenants.insert(&tenant).await.unwrap();
        let scope = cubby_ports::contract::scope_in(tenant.id);
        app.members
            .enroll(
                &scope,
                NewMember {
                    email: Email::parse("member@here.example").unwrap(),
                    password: Some(SecretString::from("right-password".to_owned())),
                    email_verified: true,
                    roles: vec![Role::Director.into()],
                    entitlements: cubby_domain::EntitlementSet::all(),
                },
            )
            .await
            .unwrap();
        let signed_in = app
            .auth
            .login(credentials(
                tenant.code.as_str(),
                "member@here.example",
                "right-password",
            ))
            .await
            .unwrap();
        let session = app.sessions.verify(&signed_in.access.token).await.unwrap();
        app.auth.logout(&session).await.unwrap();
        let leeway = app.sessions.policy().leeway;
        assert!(leeway.is_positive());
        assert_eq!(
            *recording.blocked.lock().unwrap(),
            vec![session.expires_at + leeway]
        );
    }

    #[tokio::test]
    async fn every_refused_sign_in_checks_one_password_like_an_accepted_one() {
        let app = app();
        let (here, elsewhere) = (new_tenant(), new_tenant());
        for tenant in [&here, &elsewhere] {
            app.ports().tenants.insert(tenant).await.unwrap();
        }
        let enroll = |tenant: &Tenant, email: &str| {
            let scope = cubby_ports::contract::scope_in(tenant.id);
            let new = NewMember {
                email: Email::parse(email).unwrap(),
                password: Some(SecretString::from("right-password".to_owned())),
                email_verified: true,
                roles: vec![Role::Director.into()],
                entitlements: cubby_domain::EntitlementSet::all(),
            };
            let app = &app;
            async move { app.members.enroll(&scope, new).await.unwrap() }
        };
        enroll(&here, "member@here.example").await;
        enroll(&elsewhere, "outsider@elsewhere.example").await;
        let code = here.code.as_str();
        let refused = [
            credentials("no-such-centre", "member@here.example", "right-password"),
            credentials("Not A Code", "member@here.example", "right-password"),
            credentials(code, "not an address", "right-password"),
            credentials(code, "nobody@here.example", "right-password"),
            credentials(code, "member@here.example", "wrong-password"),
            credentials(code, "outsider@elsewhere.example", "right-password"),
        ];
        for attempt in refused {
            let before = app.auth.passwords().verifications();
            let outcome = app.auth.login(attempt).await;
            assert!(matches!(outcome, Err(SignInError::Refused)), "{outcome:?}");
            assert_eq!(
                app.auth.passwords().verifications(),
                before + 1,
                "a refusal skipped or repeated the password check"
            );
        }
        let before = app.auth.passwords().verifications();
        app.auth
            .login(credentials(code, "member@here.example", "right-password"))
            .await
            .unwrap();
        assert_eq!(app.auth.passwords().verifications(), before + 1);
    }
}
