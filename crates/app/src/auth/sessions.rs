//! A session's life: opening one for a member, rotating its refresh token (a token used twice
//! revokes the session), and ending it.

use cubby_domain::{
    Actor, AuditAction, Membership, Presented, RefreshFamily, SessionId, Tenant, TenantStatus,
    TokenDigest, User, UserStatus,
};
use cubby_ports::RepoError;
use time::{Duration, OffsetDateTime};

use super::{
    Auth, LiveSession, REFRESH_GRACE, SignInError, SignedIn, digest, grant, parse_refresh_token,
    refresh_token,
};
use crate::AppError;
use crate::session::Session;

impl Auth {
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
            tenant_id: tenant.id(),
            user_id: user.id(),
            membership_id: membership.id(),
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
            self.check_presented(&family, presented, now).await?;
            let (tenant, membership) = self.valid_or_revoked(&family).await?;
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
                tenant.id(),
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

    /// The session a refresh token belongs to, without rotating the token: how a browser page
    /// that was reloaded recovers its CSRF token. Only the session's current token answers. A
    /// token rotated away moments ago (which a refresh would still take from a second tab) is
    /// refused; one rotated away before that is reuse, and ends the whole session as a refresh
    /// would.
    ///
    /// # Errors
    ///
    /// [`SignInError::Refused`] for a token that is not the session's current one, or a
    /// session, membership or user that is no longer valid; store failures.
    pub async fn session_of_refresh_token(&self, token: &str) -> Result<LiveSession, SignInError> {
        let (session_id, presented) = parse_refresh_token(token).ok_or(SignInError::Refused)?;
        let family = self
            .ports
            .tokens
            .family(session_id)
            .await?
            .ok_or(SignInError::Refused)?;
        let now = self.ports.clock.now();
        if family.judge(presented, now, REFRESH_GRACE) != Presented::Current {
            // Reuse and expiry end the session here too; a token within the grace is refused
            // without ending anything.
            self.check_presented(&family, presented, now).await?;
            return Err(SignInError::Refused);
        }
        self.valid_or_revoked(&family).await?;
        Ok(LiveSession {
            id: family.id,
            expires_at: family.expires_at,
        })
    }

    /// The session `id` and when it ends, if it is still going: not revoked (as logout and
    /// reuse do) and not past its lifetime.
    ///
    /// # Errors
    ///
    /// Store failures.
    pub async fn live_session(&self, id: SessionId) -> Result<Option<LiveSession>, AppError> {
        let now = self.ports.clock.now();
        Ok(self
            .ports
            .tokens
            .family(id)
            .await?
            .filter(|family| now < family.expires_at)
            .map(|family| LiveSession {
                id: family.id,
                expires_at: family.expires_at,
            }))
    }

    /// Refuses a refresh token that is not the session's current one (or the one just rotated
    /// away, within the grace period): a token used again revokes the session (audited), an
    /// expired session is revoked.
    async fn check_presented(
        &self,
        family: &RefreshFamily,
        presented: TokenDigest,
        now: OffsetDateTime,
    ) -> Result<(), SignInError> {
        match family.judge(presented, now, REFRESH_GRACE) {
            Presented::Current | Presented::WithinGrace => Ok(()),
            Presented::Reused => {
                self.sessions
                    .end(
                        &*self.ports.tokens,
                        family.id,
                        Some(family.expires_at),
                        None,
                    )
                    .await?;
                self.record(
                    family.tenant_id,
                    Some(Actor::User(family.user_id)),
                    AuditAction::RefreshReuse,
                    Some(family.id.to_string()),
                    &[("outcome", "session revoked")],
                )
                .await;
                Err(SignInError::Refused)
            }
            Presented::Unknown => Err(SignInError::Refused),
            Presented::Expired => {
                self.ports.tokens.revoke_family(family.id).await?;
                Err(SignInError::Refused)
            }
        }
    }

    /// The centre and membership of a session that is still valid; a session that is not is
    /// revoked and refused.
    async fn valid_or_revoked(
        &self,
        family: &RefreshFamily,
    ) -> Result<(Tenant, Membership), SignInError> {
        match self.still_valid(family).await? {
            Some(valid) => Ok(valid),
            None => {
                self.ports.tokens.revoke_family(family.id).await?;
                Err(SignInError::Refused)
            }
        }
    }

    /// The centre and membership of a session, if they and the user are still active.
    async fn still_valid(
        &self,
        family: &RefreshFamily,
    ) -> Result<Option<(Tenant, Membership)>, SignInError> {
        let tenant = match self.tenants.by_id(family.tenant_id).await {
            Ok(tenant) if tenant.status() == TenantStatus::Active => tenant,
            Ok(_) | Err(RepoError::NotFound) => return Ok(None),
            Err(other) => return Err(other.into()),
        };
        let membership = match self
            .ports
            .membership_directory
            .membership_by_id(family.tenant_id, family.membership_id)
            .await
        {
            Ok(membership) if membership.is_active() && membership.user_id() == family.user_id => {
                membership
            }
            Ok(_) | Err(RepoError::NotFound) => return Ok(None),
            Err(other) => return Err(other.into()),
        };
        match self.ports.users.user_by_id(family.user_id).await {
            Ok(user) if user.status() == UserStatus::Active => Ok(Some((tenant, membership))),
            Ok(_) | Err(RepoError::NotFound) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// Ends the session: every access token carrying its id is refused from the next request
    /// on (the presented one is blocked by its own id as well, in case it carries none), and
    /// the refresh family is revoked.
    ///
    /// # Errors
    ///
    /// Store failures (the caller may retry: every step is idempotent).
    pub async fn logout(&self, session: &Session) -> Result<(), AppError> {
        let leeway = self.sessions.policy().leeway;
        self.ports
            .tokens
            .block_access(&session.token_id, session.expires_at + leeway)
            .await?;
        if let Some(id) = session.session_id {
            let family = self.ports.tokens.family(id).await?;
            self.sessions
                .end(
                    &*self.ports.tokens,
                    id,
                    family.map(|family| family.expires_at),
                    Some(session.expires_at),
                )
                .await?;
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
}
