//! An object store that fails the writes a rule picks, for tests of retries.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use cubby_domain::ObjectKey;
use cubby_ports::{
    ObjectInfo, ObjectStore, PresignedPost, PresignedRequest, RepoError, TenantScope, UploadPolicy,
};
use std::sync::Arc;

type Rule = Box<dyn Fn(&ObjectKey) -> bool + Send + Sync>;

/// Another store whose writes fail ([`RepoError::Unavailable`]) when `rule` says so, counting
/// the writes that went through, by key.
pub struct FailingObjects {
    inner: Arc<dyn ObjectStore>,
    rule: Rule,
    writes: Mutex<HashMap<String, u32>>,
}

impl FailingObjects {
    /// `inner`, with the writes `rule` picks failing.
    pub fn new(
        inner: Arc<dyn ObjectStore>,
        rule: impl Fn(&ObjectKey) -> bool + Send + Sync + 'static,
    ) -> Self {
        Self {
            inner,
            rule: Box::new(rule),
            writes: Mutex::new(HashMap::new()),
        }
    }

    /// How many writes went through to keys holding `part`.
    pub fn writes(&self, part: &str) -> u32 {
        self.writes
            .lock()
            .unwrap()
            .iter()
            .filter(|(key, _)| key.contains(part))
            .map(|(_, count)| count)
            .sum()
    }
}

#[async_trait]
impl ObjectStore for FailingObjects {
    async fn presign_post(
        &self,
        scope: &TenantScope,
        policy: &UploadPolicy,
    ) -> Result<PresignedPost, RepoError> {
        self.inner.presign_post(scope, policy).await
    }
    async fn presign_put(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        content_type: &str,
        length: u64,
        expires_in: Duration,
    ) -> Result<PresignedRequest, RepoError> {
        self.inner
            .presign_put(scope, key, content_type, length, expires_in)
            .await
    }
    async fn presign_get(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        expires_in: Duration,
    ) -> Result<PresignedRequest, RepoError> {
        self.inner.presign_get(scope, key, expires_in).await
    }
    async fn put(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        content_type: &str,
        body: Bytes,
    ) -> Result<(), RepoError> {
        if (self.rule)(key) {
            return Err(RepoError::Unavailable("the object store is down".into()));
        }
        self.inner.put(scope, key, content_type, body).await?;
        *self
            .writes
            .lock()
            .unwrap()
            .entry(key.as_str().to_owned())
            .or_default() += 1;
        Ok(())
    }
    async fn get(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        max_bytes: u64,
    ) -> Result<Bytes, RepoError> {
        self.inner.get(scope, key, max_bytes).await
    }
    async fn head(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
    ) -> Result<Option<ObjectInfo>, RepoError> {
        self.inner.head(scope, key).await
    }
    async fn delete(&self, scope: &TenantScope, key: &ObjectKey) -> Result<(), RepoError> {
        self.inner.delete(scope, key).await
    }
}
