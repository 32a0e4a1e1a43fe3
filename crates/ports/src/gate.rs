//! The reads every request makes of the shared fast store before it reaches the data: its
//! rate-limit counters, the access-token and session blocklists and the session's cached
//! entries, asked in
//! one call so that a networked store (Redis) answers them in one round trip.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cubby_domain::SessionId;

use crate::{Cache, CacheKey, LimitKey, RateLimiter, RepoError, TokenStore, Window};

/// What one request asks of the gate.
#[derive(Clone, Debug, Default)]
pub struct GateReads {
    /// Counters to count one hit on, each with its window (as [`RateLimiter::hit`]).
    pub hits: Vec<(LimitKey, Duration)>,
    /// An access token's `jti` to look up in the blocklist (as
    /// [`TokenStore::is_access_blocked`]).
    pub blocked: Option<String>,
    /// A session id to look up among the ended sessions (as [`TokenStore::is_session_ended`]):
    /// the `sid` of the same token, so that ending a session refuses all its tokens.
    pub session: Option<SessionId>,
    /// Cache entries to read (as [`Cache::get`]).
    pub cached: Vec<CacheKey>,
}

/// The gate's answer, in the order of the reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GateAnswer {
    /// Each counter after its hit, in the order of [`GateReads::hits`].
    pub windows: Vec<Window>,
    /// Whether the token asked about is blocked, or the session asked about was ended (`false`
    /// when neither was asked about).
    pub blocked: bool,
    /// Each entry read, `None` when absent, in the order of [`GateReads::cached`].
    pub cached: Vec<Option<Vec<u8>>>,
}

/// Answers a request's reads at once. Its counters, blocklist and cache are the same as the
/// [`RateLimiter`], [`TokenStore`] and [`Cache`] of the same adapter: a hit counts on the
/// limiter's counter, a token blocked through the token store reads as blocked, an entry put in
/// the cache reads back.
#[async_trait]
pub trait RequestGate: Send + Sync {
    /// Counts the hits and reads the blocklist and the cache entries.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer: nothing is known, and callers
    /// fail sessions closed.
    async fn admit(&self, reads: &GateReads) -> Result<GateAnswer, RepoError>;
}

/// The gate as one call per read to the three ports it stands for: right for stores in the
/// process, where there is no round trip to save, and for any mix of adapters.
#[derive(Clone)]
pub struct SeparateCalls {
    /// The counters.
    pub limits: Arc<dyn RateLimiter>,
    /// The blocklist.
    pub tokens: Arc<dyn TokenStore>,
    /// The cache.
    pub cache: Arc<dyn Cache>,
}

impl std::fmt::Debug for SeparateCalls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeparateCalls").finish_non_exhaustive()
    }
}

#[async_trait]
impl RequestGate for SeparateCalls {
    async fn admit(&self, reads: &GateReads) -> Result<GateAnswer, RepoError> {
        let mut answer = GateAnswer::default();
        for (key, window) in &reads.hits {
            answer.windows.push(self.limits.hit(key, *window).await?);
        }
        if let Some(jti) = &reads.blocked {
            answer.blocked = self.tokens.is_access_blocked(jti).await?;
        }
        if let Some(id) = reads.session {
            answer.blocked = answer.blocked || self.tokens.is_session_ended(id).await?;
        }
        for key in &reads.cached {
            answer.cached.push(self.cache.get(key).await?);
        }
        Ok(answer)
    }
}
