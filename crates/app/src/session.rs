//! Sessions: minting access tokens and verifying them into a [`TenantScope`].
//!
//! This is the one place that builds a user's scope (an architecture test checks it). A token
//! opens a session only if its signature, header and claims are right, it is not blocked, its
//! centre is active, and its membership and user are active now: roles and suspensions take
//! effect on the next request, not when the token expires.
//!
//! Checking a token has two steps, so that a request's reads reach the shared store together:
//! [`Sessions::present`] checks what needs no store (header, signature, claims, times), and
//! [`Sessions::open`] checks the rest against the [`RequestGate`]'s answer to the reads
//! [`Sessions::reads`] names (the blocklist, the centre, the principal and its permission set),
//! which the caller may ask along with its own (the rate-limit counters). [`Sessions::verify`]
//! does both.

use std::sync::Arc;

use cubby_domain::{MembershipId, RoleRef, SessionId, TenantCode, TenantId, UserId};
use cubby_ports::{
    BoxError, CacheKey, Clock, GateAnswer, GateReads, IdGenerator, RepoError, RequestGate,
    TenantDirectory, TenantScope, TokenStore, VerifiedSession,
};
use jsonwebtoken::{Header, Validation};
use time::{Duration, OffsetDateTime};

use crate::AppError;
use crate::cache::{Permissions, Principals, remember, remembering};
use crate::tokens::{AccessClaims, IssuedToken, TokenKeys, TokenPolicy};

/// Why a presented token opened no session. The reason is for logs; callers answer every
/// variant but [`AuthError::Unavailable`] with the same 401.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token is malformed, forged, expired, blocked, for someone else, or its centre,
    /// membership or user is gone or suspended.
    #[error("invalid token: {0}")]
    Invalid(&'static str),
    /// A store needed to check the session did not answer: fail closed.
    #[error("session store unavailable")]
    Unavailable(#[source] BoxError),
}

fn unavailable(error: RepoError) -> AuthError {
    AuthError::Unavailable(Box::new(error))
}

/// Whom a token is minted for.
#[derive(Clone, Debug)]
pub struct AccessGrant {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The tenant's code.
    pub tenant_code: TenantCode,
    /// The user.
    pub user_id: UserId,
    /// The user's membership of the tenant.
    pub membership_id: MembershipId,
    /// The membership's roles.
    pub roles: Vec<RoleRef>,
    /// The sign-in session.
    pub session_id: SessionId,
    /// The membership's entitlements version.
    pub entitlements_version: u64,
}

/// A verified session: the caller's scope and the token it came with.
#[derive(Clone, Debug)]
pub struct Session {
    /// The scope.
    pub scope: TenantScope,
    /// The token's `jti`.
    pub token_id: String,
    /// When the token expires.
    pub expires_at: OffsetDateTime,
    /// The sign-in session the token belongs to.
    pub session_id: Option<SessionId>,
}

/// A token whose header, signature, claims and times are right: who it says it is for, not
/// yet checked against the blocklist and the stores ([`Sessions::open`] does that).
#[derive(Debug)]
pub struct Presented {
    tenant_id: TenantId,
    user_id: UserId,
    membership_id: MembershipId,
    session_id: Option<SessionId>,
    expires_at: OffsetDateTime,
    entitlements_version: u64,
    tenant_code: String,
    jti: String,
}

impl Presented {
    /// The centre the token is signed for.
    pub fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }

    /// The sign-in session the token belongs to, when it names one.
    pub fn session_id(&self) -> Option<SessionId> {
        self.session_id
    }

    /// The cache entries opening it reads: the centre, the principal, the permission set.
    fn cache_keys(&self) -> [CacheKey; 3] {
        [
            CacheKey::tenant_by_id(self.tenant_id),
            CacheKey::principal(self.tenant_id, self.membership_id),
            CacheKey::permissions(
                self.tenant_id,
                self.membership_id,
                self.entitlements_version,
            ),
        ]
    }
}

/// Mints and verifies access tokens.
pub struct Sessions {
    keys: TokenKeys,
    policy: TokenPolicy,
    tenants: Arc<dyn TenantDirectory>,
    principals: Arc<Principals>,
    permissions: Arc<Permissions>,
    gate: Arc<dyn RequestGate>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// What sessions are checked against.
pub struct SessionStores {
    /// Tenants (read through the cache).
    pub tenants: Arc<dyn TenantDirectory>,
    /// Principals (read through the cache).
    pub principals: Arc<Principals>,
    /// Permission sets (read through the cache).
    pub permissions: Arc<Permissions>,
    /// The blocklist and the cache, read in one call.
    pub gate: Arc<dyn RequestGate>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The id source.
    pub ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for SessionStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStores").finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions signed and verified with `keys`, under `policy`, checked against `stores`.
    pub fn new(keys: TokenKeys, policy: TokenPolicy, stores: SessionStores) -> Self {
        Self {
            keys,
            policy,
            tenants: stores.tenants,
            principals: stores.principals,
            permissions: stores.permissions,
            gate: stores.gate,
            clock: stores.clock,
            ids: stores.ids,
        }
    }

    /// The policy tokens follow.
    pub fn policy(&self) -> &TokenPolicy {
        &self.policy
    }

    /// The public keys that verify access tokens, as a JWK Set.
    pub fn jwks(&self) -> serde_json::Value {
        self.keys.jwks()
    }

    /// Mints an access token for `grant` with the policy's lifetime.
    ///
    /// # Errors
    ///
    /// [`AppError::Internal`] if signing fails.
    pub fn issue(&self, grant: &AccessGrant) -> Result<IssuedToken, AppError> {
        self.issue_with_ttl(grant, self.policy.access_ttl)
    }

    /// Mints an access token for `grant` living `ttl`.
    ///
    /// # Errors
    ///
    /// [`AppError::Internal`] if signing fails.
    pub fn issue_with_ttl(
        &self,
        grant: &AccessGrant,
        ttl: Duration,
    ) -> Result<IssuedToken, AppError> {
        let now = self.clock.now();
        let expires_at = now + ttl;
        let claims = AccessClaims {
            sub: grant.user_id.to_string(),
            tenant_id: grant.tenant_id.to_string(),
            tenant_code: grant.tenant_code.to_string(),
            mbr: grant.membership_id.to_string(),
            roles: grant.roles.iter().map(ToString::to_string).collect(),
            sid: Some(grant.session_id.to_string()),
            jti: self.ids.uuid().to_string(),
            iat: now.unix_timestamp(),
            nbf: None,
            exp: expires_at.unix_timestamp(),
            iss: self.policy.issuer.clone(),
            aud: self.policy.audience.clone(),
            ev: grant.entitlements_version,
        };
        let mut header = Header::new(self.keys.signing.algorithm);
        header.kid = Some(self.keys.signing.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.keys.signing.key)
            .map_err(|e| AppError::Internal(Box::new(e)))?;
        Ok(IssuedToken {
            token,
            jti: claims.jti,
            expires_at,
        })
    }

    /// Verifies an access token and builds the session it opens: [`Sessions::present`], the
    /// gate asked [`Sessions::reads`] alone, then [`Sessions::open`].
    ///
    /// # Errors
    ///
    /// [`AuthError::Invalid`] for any token that does not open a session;
    /// [`AuthError::Unavailable`] when a store needed for the check does not answer.
    pub async fn verify(&self, token: &str) -> Result<Session, AuthError> {
        let presented = self.present(token)?;
        let mut reads = GateReads::default();
        self.reads(&presented, &mut reads);
        let answer = self.gate.admit(&reads).await.map_err(unavailable)?;
        self.open(presented, &answer).await
    }

    /// Checks what a token says by itself: header, signature, claims and times. No store is
    /// read.
    ///
    /// # Errors
    ///
    /// [`AuthError::Invalid`] when the token is malformed, forged, expired or for someone else.
    pub fn present(&self, token: &str) -> Result<Presented, AuthError> {
        let claims = self.verify_claims(token)?;
        let tenant_id =
            TenantId::parse(&claims.tenant_id).map_err(|_| AuthError::Invalid("tenant_id"))?;
        let user_id = UserId::parse(&claims.sub).map_err(|_| AuthError::Invalid("sub"))?;
        let membership_id =
            MembershipId::parse(&claims.mbr).map_err(|_| AuthError::Invalid("mbr"))?;
        let session_id = match claims.sid.as_deref() {
            Some(sid) => Some(SessionId::parse(sid).map_err(|_| AuthError::Invalid("sid"))?),
            None => None,
        };
        let expires_at = OffsetDateTime::from_unix_timestamp(claims.exp)
            .map_err(|_| AuthError::Invalid("exp"))?;
        Ok(Presented {
            tenant_id,
            user_id,
            membership_id,
            session_id,
            expires_at,
            entitlements_version: claims.ev,
            tenant_code: claims.tenant_code,
            jti: claims.jti,
        })
    }

    /// Until when an ended session's entry must refuse its access tokens: until the last one a
    /// refresh could have minted (one access lifetime past the family's `family_expires`, when
    /// the family is known, or past `now`) has expired, or the `presented` token's own expiry
    /// if later, and the clock leeway of verification has run out too.
    pub(crate) fn ended_until(
        &self,
        now: OffsetDateTime,
        family_expires: Option<OffsetDateTime>,
        presented: Option<OffsetDateTime>,
    ) -> OffsetDateTime {
        let last_minted = family_expires.map_or(now, |at| at.max(now)) + self.policy.access_ttl;
        presented.map_or(last_minted, |at| at.max(last_minted)) + self.policy.leeway
    }

    /// Ends session `id`: every access token carrying it is refused until
    /// [`Sessions::ended_until`], and its refresh family is revoked. Each step is idempotent, so
    /// a caller may retry.
    ///
    /// # Errors
    ///
    /// Store failures.
    pub(crate) async fn end(
        &self,
        tokens: &dyn TokenStore,
        id: SessionId,
        family_expires: Option<OffsetDateTime>,
        presented: Option<OffsetDateTime>,
    ) -> Result<(), RepoError> {
        let until = self.ended_until(self.clock.now(), family_expires, presented);
        tokens.end_session(id, until).await?;
        tokens.revoke_family(id).await
    }

    /// Adds what opening `presented` reads to `reads`: its `jti` in the blocklist, its session
    /// among the ended ones (logout and refresh-token reuse end every token of a session), and the
    /// cached centre, principal and permission set (at the token's entitlements version, the
    /// membership's unless it changed since the token was minted). They go last: a caller's
    /// own cache reads come before.
    pub fn reads(&self, presented: &Presented, reads: &mut GateReads) {
        reads.blocked = Some(presented.jti.clone());
        reads.session = presented.session_id;
        reads.cached.extend(presented.cache_keys());
    }

    /// Opens the session of `presented`, from the gate's `answer` to [`Sessions::reads`]: the
    /// blocklist, then the centre, the membership and the user as they are now. Entries the
    /// answer did not hold are read through the caches.
    ///
    /// # Errors
    ///
    /// [`AuthError::Invalid`] for a token that opens no session; [`AuthError::Unavailable`]
    /// when a store needed for the check does not answer.
    pub async fn open(
        &self,
        presented: Presented,
        answer: &GateAnswer,
    ) -> Result<Session, AuthError> {
        if answer.blocked {
            return Err(AuthError::Invalid("blocked"));
        }
        remembering(async {
            let keys = presented.cache_keys();
            // The session's entries are the answer's last (see `reads`); an answer without
            // them leaves the caches to read them.
            let ours = answer
                .cached
                .len()
                .checked_sub(keys.len())
                .map(|start| &answer.cached[start..]);
            for (key, value) in keys.into_iter().zip(ours.unwrap_or_default()) {
                remember(key, value.clone());
            }
            self.check(presented).await
        })
        .await
    }

    /// The checks against the stores, once the token is known not to be blocked.
    async fn check(&self, presented: Presented) -> Result<Session, AuthError> {
        let Presented {
            tenant_id,
            user_id,
            membership_id,
            session_id,
            ..
        } = presented;
        let tenant = match self.tenants.by_id(tenant_id).await {
            Ok(tenant) => tenant,
            Err(RepoError::NotFound) => return Err(AuthError::Invalid("unknown tenant")),
            Err(other) => return Err(unavailable(other)),
        };
        if tenant.code().as_str() != presented.tenant_code {
            return Err(AuthError::Invalid("tenant_code"));
        }
        let principal = match self.principals.get(tenant_id, membership_id).await {
            Ok(principal) => principal,
            Err(RepoError::NotFound) => return Err(AuthError::Invalid("no such membership")),
            Err(other) => return Err(unavailable(other)),
        };
        let membership = principal.membership;
        let verified =
            VerifiedSession::establish(&tenant, user_id, principal.user_status, &membership)
                .map_err(AuthError::Invalid)?;
        let permissions = self
            .permissions
            .of(tenant_id, &membership)
            .await
            .map_err(unavailable)?;
        let scope = TenantScope::from_verified_session(verified.permitted(permissions));
        Ok(Session {
            scope,
            token_id: presented.jti,
            expires_at: presented.expires_at,
            session_id,
        })
    }

    /// Checks the header, signature and registered claims, with times from the clock.
    fn verify_claims(&self, token: &str) -> Result<AccessClaims, AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| AuthError::Invalid("header"))?;
        if header.jku.is_some()
            || header.x5u.is_some()
            || header.jwk.is_some()
            || header.x5c.is_some()
        {
            return Err(AuthError::Invalid("key reference in header"));
        }
        if header.crit.is_some() {
            return Err(AuthError::Invalid("crit header"));
        }
        let kid = header.kid.as_deref().ok_or(AuthError::Invalid("no kid"))?;
        let key = self
            .keys
            .verifying
            .get(kid)
            .ok_or(AuthError::Invalid("unknown kid"))?;
        if header.alg != key.algorithm {
            return Err(AuthError::Invalid("algorithm"));
        }
        let mut validation = Validation::new(key.algorithm);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&self.policy.issuer]);
        validation.set_audience(&[&self.policy.audience]);
        // Times are checked below against the clock port, so that tests can fix the time.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &key.key, &validation)
            .map_err(|_| AuthError::Invalid("signature or claims"))?
            .claims;
        self.check_times(&claims)?;
        Ok(claims)
    }

    fn check_times(&self, claims: &AccessClaims) -> Result<(), AuthError> {
        let now = self.clock.now();
        let leeway = self.policy.leeway;
        let at = |seconds: i64| {
            OffsetDateTime::from_unix_timestamp(seconds)
                .map_err(|_| AuthError::Invalid("time claim"))
        };
        if at(claims.exp)? + leeway <= now {
            return Err(AuthError::Invalid("expired"));
        }
        if let Some(nbf) = claims.nbf
            && at(nbf)? - leeway > now
        {
            return Err(AuthError::Invalid("not yet valid"));
        }
        if at(claims.iat)? - leeway > now {
            return Err(AuthError::Invalid("issued in the future"));
        }
        Ok(())
    }
}
