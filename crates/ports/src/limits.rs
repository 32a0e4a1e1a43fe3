//! Counters over fixed windows, for throttling and rate limits.

use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;

use crate::RepoError;

/// What a counter counts. Built only by the constructors here; keys hold digests, never
/// personal data.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LimitKey(String);

impl LimitKey {
    /// Failed sign-ins for one account, by a digest of its address.
    pub fn failed_logins_for_account(account_digest: &[u8; 32]) -> Self {
        Self(format!("v1:login:account:{}", hex::encode(account_digest)))
    }

    /// Failed sign-ins from one client address.
    pub fn failed_logins_from(address: IpAddr) -> Self {
        Self(format!("v1:login:address:{address}"))
    }

    /// Password-reset requests for one address, by a digest of the address (counted whether or
    /// not an account has it).
    pub fn password_resets_for_account(account_digest: &[u8; 32]) -> Self {
        Self(format!("v1:reset:account:{}", hex::encode(account_digest)))
    }

    /// Password-reset requests from one client address.
    pub fn password_resets_from(address: IpAddr) -> Self {
        Self(format!("v1:reset:address:{address}"))
    }

    /// Wrong operator keys of the platform API from one client address.
    pub fn failed_operator_keys_from(address: IpAddr) -> Self {
        Self(format!("v1:platform_keys:address:{address}"))
    }

    /// Requests from one client address.
    pub fn requests_from(address: IpAddr) -> Self {
        Self(format!("v1:requests:address:{address}"))
    }

    /// Requests of one centre's members.
    pub fn requests_of(tenant: cubby_domain::TenantId) -> Self {
        Self(format!("v1:requests:tenant:{tenant}"))
    }

    /// The key as stored (adapters add their namespace in front).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A counter's state in its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Hits counted in the current window.
    pub count: u32,
    /// Time left in the current window (zero when nothing is counted).
    pub resets_in: Duration,
}

/// Counters that start at the first hit and reset when their window ends.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// The counter as it stands.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn current(&self, key: &LimitKey) -> Result<Window, RepoError>;

    /// Counts one hit; the first hit opens a window of `window`.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn hit(&self, key: &LimitKey, window: Duration) -> Result<Window, RepoError>;

    /// Forgets the counter.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn clear(&self, key: &LimitKey) -> Result<(), RepoError>;
}
