//! A shared cache of serialized values, for hot data read on many requests.

use std::time::Duration;

use async_trait::async_trait;
use cubby_domain::TenantId;

use crate::RepoError;

/// The version of the key layout; bumping it orphans every key of the previous layout.
const LAYOUT: &str = "v1";

/// A cache key. Built only by the constructors here, so every key is namespaced by what it
/// holds, carries the layout version, and names the tenant it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey(String);

impl CacheKey {
    /// The platform-level entry of a tenant, by id (read on every authenticated request).
    pub fn tenant_by_id(id: TenantId) -> Self {
        Self(format!("{LAYOUT}:tenant:id:{id}"))
    }

    /// The platform-level entry of a tenant, by code (read at login).
    pub fn tenant_by_code(code: &cubby_domain::TenantCode) -> Self {
        Self(format!("{LAYOUT}:tenant:code:{code}"))
    }

    /// What a session check needs of a membership: the membership and its user's status.
    pub fn principal(tenant: TenantId, membership: cubby_domain::MembershipId) -> Self {
        Self(format!("{LAYOUT}:principal:{tenant}:{membership}"))
    }

    /// A membership's permission set at one entitlements version: a change bumps the version,
    /// so the next read misses and recomputes.
    pub fn permissions(
        tenant: TenantId,
        membership: cubby_domain::MembershipId,
        entitlements_version: u64,
    ) -> Self {
        Self(format!(
            "{LAYOUT}:perms:{tenant}:{membership}:ev{entitlements_version}"
        ))
    }

    /// The key as stored (adapters add their own namespace in front).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How long an entry lives; never zero, never above a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ttl(Duration);

impl Ttl {
    /// The longest time an entry may live.
    pub const MAX: Duration = Duration::from_secs(24 * 60 * 60);

    /// A TTL of `duration`, or `None` when it is zero or above [`Ttl::MAX`].
    pub fn new(duration: Duration) -> Option<Self> {
        (!duration.is_zero() && duration <= Self::MAX).then_some(Self(duration))
    }

    /// The duration.
    pub fn get(self) -> Duration {
        self.0
    }
}

/// A cache of byte values with a TTL on every entry. Losing entries is always allowed; callers
/// treat a failure as a miss and read the store.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait Cache: Send + Sync {
    /// The value under `key`, if present and not expired.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the cache does not answer.
    async fn get(&self, key: &CacheKey) -> Result<Option<Vec<u8>>, RepoError>;

    /// Stores `value` under `key` for `ttl`, replacing what was there.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the cache does not answer.
    async fn put(&self, key: &CacheKey, value: &[u8], ttl: Ttl) -> Result<(), RepoError>;

    /// Removes `key`; removing an absent key is not an error.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the cache does not answer.
    async fn remove(&self, key: &CacheKey) -> Result<(), RepoError>;
}
