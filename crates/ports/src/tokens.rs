//! Session state: the blocklists of access tokens and of whole sessions ended before they
//! expire, refresh token families, and password-reset tokens.

use async_trait::async_trait;
use cubby_domain::{RefreshFamily, SessionId, TenantId, TokenDigest, UserId};
use time::OffsetDateTime;

use crate::RepoError;

/// What a password-reset token grants, stored under the digest of its secret: whose password
/// it resets, and until when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResetGrant {
    /// The user whose password the token resets.
    pub user_id: UserId,
    /// When the token stops working. The store keeps it until then at least; the caller checks
    /// this against its clock, which may be ahead of the store's.
    pub expires_at: OffsetDateTime,
}

/// Where session state lives. Platform-level: it is read before a session is verified.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Blocks the access token with `jti` until `until` (its `exp`), after which it would be
    /// refused anyway and the entry may go.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn block_access(&self, jti: &str, until: OffsetDateTime) -> Result<(), RepoError>;

    /// Whether the access token with `jti` is blocked. Callers fail closed on an error.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn is_access_blocked(&self, jti: &str) -> Result<bool, RepoError>;

    /// Ends every access token of session `id` (those carrying it as `sid`) until `until`,
    /// after which none of them would be accepted anyway and the entry may go. Ending a session
    /// again sets its entry to the new time.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn end_session(&self, id: SessionId, until: OffsetDateTime) -> Result<(), RepoError>;

    /// Whether session `id` was ended (and its entry has not run out). Callers fail closed on
    /// an error.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn is_session_ended(&self, id: SessionId) -> Result<bool, RepoError>;

    /// Stores a new refresh family, kept until its `expires_at`.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::Conflict`]`("session.id")` when the id exists.
    async fn create_family(&self, family: &RefreshFamily) -> Result<(), RepoError>;

    /// The family with this id, if it exists and has not expired or been revoked.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn family(&self, id: SessionId) -> Result<Option<RefreshFamily>, RepoError>;

    /// The families of `user_id` in centre `tenant_id` that have not expired or been revoked:
    /// the sessions to end when the member leaves the centre.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn families_of(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<RefreshFamily>, RepoError>;

    /// Replaces a family if its stored generation is still `expected`; answers whether it did.
    /// Of concurrent swaps from one generation, exactly one succeeds.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn swap_family(&self, family: &RefreshFamily, expected: u64) -> Result<bool, RepoError>;

    /// Ends a family: none of its tokens works again. Ending an unknown family is not an error.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn revoke_family(&self, id: SessionId) -> Result<(), RepoError>;

    /// Stores a password-reset token by the digest of its secret, until its `expires_at`
    /// (after which the entry may go). A digest stored again replaces its grant.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn put_reset(&self, digest: &TokenDigest, grant: &ResetGrant) -> Result<(), RepoError>;

    /// Takes the password-reset token with `digest`: its grant, once. The entry goes in the same
    /// atomic step, so of concurrent takes exactly one gets the grant; a later take, or one
    /// after the entry ran out, gets `None`.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer (the token may or may not
    /// have been taken).
    async fn take_reset(&self, digest: &TokenDigest) -> Result<Option<ResetGrant>, RepoError>;
}
