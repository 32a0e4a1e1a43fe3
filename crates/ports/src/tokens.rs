//! Session state: the blocklist of access tokens ended before they expire, and refresh token
//! families.

use async_trait::async_trait;
use cubby_domain::{RefreshFamily, SessionId};
use time::OffsetDateTime;

use crate::RepoError;

/// Where session state lives. Platform-level: it is read before a session is verified.
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
