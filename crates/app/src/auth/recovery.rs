//! Passwords forgotten, reset and changed.
//!
//! A forgotten password is asked for by address alone, so the answer and the work done must not
//! tell whether an account has that address: [`Auth::forgot_password`] counts the request
//! against the address and the client whatever the address is, and queues a `password_reset`
//! job with the address, which finds the account, mints the token ([`issue_reset`]) and mails
//! it. The token is a 256-bit secret, stored by its SHA-256 digest for
//! [`RESET_TOKEN_LIFETIME`] and taken in one atomic step, so it works once. A reset or a change
//! ends the user's sessions in every centre they belong to (a change keeps the session it was
//! made from), and is audited in each of those centres, never with the token or the address.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cubby_domain::{Actor, AuditAction, Email, PasswordHash, SessionId, User, UserStatus};
use cubby_ports::{Clock, LimitKey, RepoError, ResetGrant, TokenStore, UserDirectory};
use secrecy::SecretString;
use time::Duration;

use super::{Auth, Refusal, account_digest, account_key, digest};
use crate::AppError;
use crate::passwords::acceptable;
use crate::session::Session;

/// How long a password-reset token works.
pub const RESET_TOKEN_LIFETIME: Duration = Duration::minutes(30);

/// Password-reset requests for one address per [`RESET_WINDOW`]: a person who lost the first
/// mail can ask again, a script cannot fill their inbox.
pub const MAX_RESETS_PER_ACCOUNT: u32 = 5;

/// Password-reset requests from one client address per [`RESET_WINDOW`].
pub const MAX_RESETS_PER_CLIENT: u32 = 20;

/// The window the password-reset requests are counted over.
pub const RESET_WINDOW: std::time::Duration = std::time::Duration::from_secs(3600);

/// Why a password was not reset or changed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Too many requests for the address, or from the client, or failed sign-ins lately.
    #[error("throttled")]
    Throttled {
        /// When to try again.
        retry_after: std::time::Duration,
    },
    /// The reset token is unknown, used, expired, or its account cannot sign in: one answer
    /// for all.
    #[error("the reset token is not valid")]
    TokenInvalid,
    /// The new password breaks the rule every chosen password keeps
    /// ([`crate::passwords::acceptable`]).
    #[error("the new password is not acceptable")]
    Unacceptable,
    /// The current password presented is not the account's.
    #[error("wrong password")]
    WrongPassword,
    /// A store failed.
    #[error(transparent)]
    Failed(#[from] AppError),
}

impl From<RepoError> for PasswordError {
    fn from(error: RepoError) -> Self {
        PasswordError::Failed(error.into())
    }
}

/// A password-reset token just minted, to be mailed to the account's address.
pub struct ResetIssued {
    /// The address it goes to.
    pub to: Email,
    /// The token (only its digest is stored).
    pub token: SecretString,
}

impl std::fmt::Debug for ResetIssued {
    /// The address and the token stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetIssued").finish_non_exhaustive()
    }
}

/// The digest of a reset token's secret, if the text is one (32 bytes, base64url).
fn parse_reset_token(token: &str) -> Option<cubby_domain::TokenDigest> {
    let secret = URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()
        .filter(|s| s.len() == 32)?;
    Some(digest(&secret))
}

/// Mints a password-reset token for the account at `email` (as typed) and stores its digest
/// for [`RESET_TOKEN_LIFETIME`]: `None` when no active account has the address, which only the
/// job that calls this learns. Earlier tokens of the account keep working until they expire or
/// one is used.
///
/// # Errors
///
/// Store failures.
pub(crate) async fn issue_reset(
    users: &dyn UserDirectory,
    tokens: &dyn TokenStore,
    clock: &dyn Clock,
    email: &str,
) -> Result<Option<ResetIssued>, AppError> {
    let Ok(email) = Email::parse(email) else {
        return Ok(None);
    };
    let user = match users.user_by_email(&email).await {
        Ok(user) if user.status() == UserStatus::Active => user,
        Ok(_) | Err(RepoError::NotFound) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    let secret: [u8; 32] = rand::random();
    let grant = ResetGrant {
        user_id: user.id(),
        expires_at: clock.now() + RESET_TOKEN_LIFETIME,
    };
    tokens.put_reset(&digest(&secret), &grant).await?;
    Ok(Some(ResetIssued {
        to: user.email().clone(),
        token: SecretString::from(URL_SAFE_NO_PAD.encode(secret)),
    }))
}

impl Auth {
    /// Asks for a password-reset link for the account at `email`: the request is counted
    /// against the address and the client ([`Auth::count_reset_request`]), then a
    /// `password_reset` job is queued, which finds whether an active account has the address and
    /// mails it the link ([`issue_reset`]). The request does the same work for every address.
    ///
    /// # Errors
    ///
    /// [`PasswordError::Throttled`]; store and queue failures.
    pub async fn forgot_password(
        &self,
        email: &Email,
        client: Option<IpAddr>,
    ) -> Result<(), PasswordError> {
        self.count_reset_request(email.as_str(), client).await?;
        self.mail.send_password_reset(email).await?;
        Ok(())
    }

    /// Counts a request to reset the password of the account at `email` (as typed), whether or
    /// not there is one, against the address and against `client`.
    ///
    /// # Errors
    ///
    /// [`PasswordError::Throttled`] after [`MAX_RESETS_PER_ACCOUNT`] requests for the address
    /// or [`MAX_RESETS_PER_CLIENT`] from the client in [`RESET_WINDOW`] (the counts are of
    /// requests, not accounts, so the refusal tells nothing about the address); store failures.
    pub async fn count_reset_request(
        &self,
        email: &str,
        client: Option<IpAddr>,
    ) -> Result<(), PasswordError> {
        let mut wait = None;
        let account = LimitKey::password_resets_for_account(&account_digest(email));
        let window = self.ports.limits.hit(&account, RESET_WINDOW).await?;
        if window.count > MAX_RESETS_PER_ACCOUNT {
            wait = Some(window.resets_in);
        }
        if let Some(client) = client {
            let key = LimitKey::password_resets_from(client);
            let window = self.ports.limits.hit(&key, RESET_WINDOW).await?;
            if window.count > MAX_RESETS_PER_CLIENT {
                wait = Some(wait.unwrap_or_default().max(window.resets_in));
            }
        }
        match wait {
            Some(wait) => Err(PasswordError::Throttled {
                retry_after: wait.max(std::time::Duration::from_secs(1)),
            }),
            None => Ok(()),
        }
    }

    /// Resets a password with a reset token: the token is used up, the account's password
    /// becomes `password` (and its address counts as verified: the mail reached it), its
    /// failed sign-ins are forgotten, and every session of the user, in every centre, ends.
    ///
    /// # Errors
    ///
    /// [`PasswordError::Unacceptable`] for a password that breaks the rule (checked first, so
    /// the token is not used up); [`PasswordError::TokenInvalid`] for a token unknown, used,
    /// expired, or whose account cannot sign in; store failures.
    pub async fn reset_password(
        &self,
        token: &str,
        password: SecretString,
    ) -> Result<(), PasswordError> {
        if !acceptable(&password) {
            return Err(PasswordError::Unacceptable);
        }
        let digest = parse_reset_token(token).ok_or(PasswordError::TokenInvalid)?;
        let grant = self
            .ports
            .tokens
            .take_reset(&digest)
            .await?
            .ok_or(PasswordError::TokenInvalid)?;
        if grant.expires_at <= self.ports.clock.now() {
            return Err(PasswordError::TokenInvalid);
        }
        let user = match self.ports.users.user_by_id(grant.user_id).await {
            Ok(user) if user.status() == UserStatus::Active => user,
            Ok(_) | Err(RepoError::NotFound) => return Err(PasswordError::TokenInvalid),
            Err(other) => return Err(other.into()),
        };
        let hash = self.passwords.hash(password).await?;
        self.set_password(&user, hash, true).await?;
        self.ports
            .limits
            .clear(&account_key(user.email().as_str()))
            .await?;
        self.end_sessions_of(&user, None).await?;
        self.record_everywhere(&user, AuditAction::PasswordReset)
            .await?;
        Ok(())
    }

    /// Changes the signed-in user's password: `current` must be the account's (checked as a
    /// sign-in is, throttled and counted), `password` becomes it, and the user's other sessions,
    /// in every centre, end; the session it is made from goes on.
    ///
    /// # Errors
    ///
    /// [`PasswordError::Unacceptable`] for a new password that breaks the rule;
    /// [`PasswordError::WrongPassword`] when `current` is not the account's (an account without
    /// a password has none to present); [`PasswordError::Throttled`] after too many failed
    /// sign-ins of the account or of `client`; store failures.
    pub async fn change_password(
        &self,
        session: &Session,
        current: SecretString,
        password: SecretString,
        client: Option<IpAddr>,
    ) -> Result<(), PasswordError> {
        let user_id = session.scope.user_id().ok_or(AppError::NotFound)?;
        let user = self.ports.users.user_by_id(user_id).await?;
        if !acceptable(&password) {
            return Err(PasswordError::Unacceptable);
        }
        self.prove_password(session.scope.tenant_id(), &user, current, client)
            .await
            .map_err(|refusal| match refusal {
                Refusal::Throttled { retry_after } => PasswordError::Throttled { retry_after },
                Refusal::Wrong => PasswordError::WrongPassword,
                Refusal::Failed(error) => PasswordError::Failed(error),
            })?;
        let hash = self.passwords.hash(password).await?;
        self.set_password(&user, hash, false).await?;
        self.end_sessions_of(&user, session.session_id).await?;
        self.record_everywhere(&user, AuditAction::PasswordChanged)
            .await?;
        Ok(())
    }

    /// Stores `hash` as the password of `user` (and marks the address verified when
    /// `verified`), from the user as stored now: a concurrent change of the user (a status, a
    /// link) is kept, and the write retried on it.
    async fn set_password(
        &self,
        user: &User,
        hash: PasswordHash,
        verified: bool,
    ) -> Result<(), AppError> {
        let actor = Actor::User(user.id());
        let mut current = user.clone();
        for _ in 0..3 {
            let now = self.ports.clock.now();
            let changed = if verified {
                current.verified(Some(hash.clone()), actor.clone(), now)
            } else {
                current.with_password_hash(Some(hash.clone()), actor.clone(), now)
            };
            match self
                .ports
                .users
                .update_user(&changed, current.version())
                .await
            {
                Ok(()) => return Ok(()),
                Err(RepoError::StaleVersion) => {
                    current = self.ports.users.user_by_id(user.id()).await?;
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::Unavailable(
            "the account kept changing while its password was set".into(),
        ))
    }

    /// Ends every session of `user` in every centre they belong to, but `keep`: each access
    /// token of them is refused from the next request on, and each refresh family is revoked.
    ///
    /// # Errors
    ///
    /// Store failures (the caller may retry: every step is idempotent).
    async fn end_sessions_of(&self, user: &User, keep: Option<SessionId>) -> Result<(), AppError> {
        let memberships = self
            .ports
            .membership_directory
            .memberships_of_user(user.id())
            .await?;
        for (tenant, _) in memberships {
            let families = self.ports.tokens.families_of(tenant, user.id()).await?;
            for family in families.into_iter().filter(|f| Some(f.id) != keep) {
                self.sessions
                    .end(
                        &*self.ports.tokens,
                        family.id,
                        Some(family.expires_at),
                        None,
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// Records `action` by `user` on themself in the audit log of each centre they belong to.
    async fn record_everywhere(&self, user: &User, action: AuditAction) -> Result<(), AppError> {
        let memberships = self
            .ports
            .membership_directory
            .memberships_of_user(user.id())
            .await?;
        for (tenant, membership) in memberships {
            let target = Some(membership.id().to_string());
            let actor = Some(Actor::User(user.id()));
            self.record(tenant, actor, action, target, &[]).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
