//! Idempotency records: the first response to a request carrying an `Idempotency-Key`, kept so
//! that a retry with the same key gets the same answer instead of a second effect.

use std::time::Duration;

use async_trait::async_trait;

use crate::{RepoError, TenantScope};

/// An `Idempotency-Key`: 1 to 255 visible ASCII characters, chosen by the client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Parses a key.
    pub fn parse(input: &str) -> Option<Self> {
        let valid = (1..=255).contains(&input.len()) && input.bytes().all(|b| b.is_ascii_graphic());
        valid.then(|| Self(input.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A digest of what a request asks for (method, path, query and body): the same key with
/// another fingerprint is another request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

/// A response as kept for replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    /// The status code.
    pub status: u16,
    /// The headers worth replaying (content type, ETag, Location).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// What claiming a key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key was free: the caller now runs the request and then completes or releases it.
    Claimed,
    /// Another request with this key is running.
    InFlight {
        /// That request's fingerprint.
        fingerprint: Fingerprint,
    },
    /// A request with this key completed.
    Completed {
        /// That request's fingerprint.
        fingerprint: Fingerprint,
        /// Its response.
        response: StoredResponse,
    },
}

/// Where idempotency records are kept, per tenant and per actor (two users of a centre may
/// pick the same key without meeting).
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request with `fingerprint`, atomically: of several concurrent claims
    /// of a free key, exactly one gets [`Claim::Claimed`]. The claim lapses after `in_flight`
    /// if it is neither completed nor released (the process died).
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn claim(
        &self,
        scope: &TenantScope,
        key: &IdempotencyKey,
        fingerprint: Fingerprint,
        in_flight: Duration,
    ) -> Result<Claim, RepoError>;

    /// Records the response of a claimed key, kept for `keep`.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn complete(
        &self,
        scope: &TenantScope,
        key: &IdempotencyKey,
        fingerprint: Fingerprint,
        response: &StoredResponse,
        keep: Duration,
    ) -> Result<(), RepoError>;

    /// Frees a claimed key without a response (the request failed in a way worth retrying).
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn release(&self, scope: &TenantScope, key: &IdempotencyKey) -> Result<(), RepoError>;
}
