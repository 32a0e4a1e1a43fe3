//! Session state: the blocklists of access tokens and of whole sessions ended before they
//! expire, and refresh token families.

use async_trait::async_trait;
use cubby_domain::{RefreshFamily, SessionId, TenantId, UserId};
use time::OffsetDateTime;

use crate::RepoError;

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
}
