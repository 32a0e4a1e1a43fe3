//! The object store and file metadata ports.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use cubby_domain::{FileId, ObjectKey, StoredFile};
use time::OffsetDateTime;

use crate::{RepoError, TenantScope};

/// The conditions of an upload: the exact key and content type, and a size range the store
/// itself enforces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadPolicy {
    /// Where the object goes.
    pub key: ObjectKey,
    /// Its content type (exact).
    pub content_type: String,
    /// The largest size accepted, in bytes.
    pub max_bytes: u64,
    /// How long the upload may start.
    pub expires_in: Duration,
}

/// A presigned browser upload: POST `url` as `multipart/form-data` with `fields` first, then
/// the `file` part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresignedPost {
    /// Where to POST.
    pub url: String,
    /// The form fields, in order (key, policy, signature, ...).
    pub fields: Vec<(String, String)>,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
}

/// A presigned request: `method` to `url` with `headers` (which are signed and must be sent
/// exactly).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresignedRequest {
    /// `GET` or `PUT`.
    pub method: &'static str,
    /// The URL, signature included.
    pub url: String,
    /// Headers to send as they are.
    pub headers: Vec<(String, String)>,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
}

/// What the store knows of an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Its size in bytes.
    pub size: u64,
    /// Its content type.
    pub content_type: Option<String>,
}

/// Where objects live. Every key is checked against the scope's tenant: a key outside
/// `tenants/{tenant_id}/` is [`RepoError::NotFound`], whatever it holds.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// A presigned POST policy for `policy`: the store refuses another key, another content
    /// type, a size above `max_bytes` or an empty object, and anything after expiry.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] for a key outside the scope's tenant.
    async fn presign_post(
        &self,
        scope: &TenantScope,
        policy: &UploadPolicy,
    ) -> Result<PresignedPost, RepoError>;

    /// A presigned PUT of exactly `length` bytes of `content_type` at `key`.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] for a key outside the scope's tenant.
    async fn presign_put(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        content_type: &str,
        length: u64,
        expires_in: Duration,
    ) -> Result<PresignedRequest, RepoError>;

    /// A presigned GET of `key`.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] for a key outside the scope's tenant.
    async fn presign_get(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        expires_in: Duration,
    ) -> Result<PresignedRequest, RepoError>;

    /// Writes an object (the server's own files: reports).
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] for a key outside the scope's tenant.
    async fn put(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        content_type: &str,
        body: Bytes,
    ) -> Result<(), RepoError>;

    /// Reads an object of at most `max_bytes`.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when there is no such object, or the key is
    ///   outside the scope's tenant; [`RepoError::Failed`] when it is larger than `max_bytes`.
    async fn get(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        max_bytes: u64,
    ) -> Result<Bytes, RepoError>;

    /// What the store knows of an object, if there is one.
    ///
    /// # Errors
    ///
    /// Only store failures (a key outside the scope's tenant has nothing).
    async fn head(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
    ) -> Result<Option<ObjectInfo>, RepoError>;

    /// Deletes an object (nothing if there is none).
    ///
    /// # Errors
    ///
    /// Only store failures (a key outside the scope's tenant deletes nothing).
    async fn delete(&self, scope: &TenantScope, key: &ObjectKey) -> Result<(), RepoError>;
}

/// Where a tenant's file records are kept.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait FileRepository: Send + Sync {
    /// Stores a new file record.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn insert(&self, scope: &TenantScope, file: &StoredFile) -> Result<(), RepoError>;

    /// The file record with this id.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has none.
    async fn get(&self, scope: &TenantScope, id: FileId) -> Result<StoredFile, RepoError>;

    /// Replaces a file record (its status and size change once it is stored).
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has none.
    async fn update(&self, scope: &TenantScope, file: &StoredFile) -> Result<(), RepoError>;

    /// Removes a file record (nothing if there is none).
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn remove(&self, scope: &TenantScope, id: FileId) -> Result<(), RepoError>;

    /// Up to `limit` pending records created before `before`, oldest first (for retention).
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn pending_before(
        &self,
        scope: &TenantScope,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<StoredFile>, RepoError>;
}

/// A request to the dev object endpoint (`/local-objects/{key}`), as the API received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalObjectRequest {
    /// `GET`, `PUT` or `POST`.
    pub method: String,
    /// The key, from the path.
    pub key: String,
    /// The query string (the presigned grant).
    pub query: String,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body.
    pub body: Bytes,
}

/// What the dev object endpoint answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalObjectResponse {
    /// The status.
    pub status: u16,
    /// The content type of the body.
    pub content_type: Option<String>,
    /// The body (the object, or an S3-style error text).
    pub body: Bytes,
}

/// An object store that serves its own presigned URLs through the API, standing in for S3
/// where there is none (the embedded in-memory default): it checks each request against the
/// grant its URL carries, as S3 does.
#[async_trait]
pub trait LocalObjects: Send + Sync {
    /// Serves one request to a presigned URL.
    async fn serve(&self, request: LocalObjectRequest) -> LocalObjectResponse;
}
