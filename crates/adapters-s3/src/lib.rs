//! S3 adapters: presigned uploads (POST policies and PUTs with signed length and type) and
//! short-lived presigned downloads, with keys under `tenants/{tenant_id}/`, on `aws-sdk-s3`.
//!
//! [`S3Objects`] is the [`ObjectStore`]. The store itself enforces what a presigned request
//! allows: a presigned PUT signs its `Content-Type` and `Content-Length`, and a POST policy
//! names the exact key and content type and a size range, so a client cannot store anything
//! else, anywhere else, or after expiry. Every key is checked against the caller's tenant
//! before anything is signed or sent.
//!
//! The HTTPS client is rustls on the `ring` provider (the SDK's default client would switch
//! rustls to aws-lc-rs, which the workspace avoids). Credentials are explicit keys or the
//! `AWS_*` environment variables (what Lambda provides), or any [`ProvideCredentials`]: the
//! default chain of `aws-config` (instance or container roles) plugs in through
//! [`S3Objects::with_credentials_provider`].

mod errors;
mod post;

use std::fmt;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, ProvideCredentials, Region, RequestChecksumCalculation,
    ResponseChecksumValidation, SharedCredentialsProvider,
};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use bytes::{Bytes, BytesMut};
use cubby_domain::ObjectKey;
use cubby_ports::{
    ObjectInfo, ObjectStore, PresignedPost, PresignedRequest, RepoError, TenantScope, UploadPolicy,
};
use time::OffsetDateTime;

use crate::errors::{Operation, failed, is_not_found, map_error};

/// Where the objects are.
#[derive(Clone, Debug)]
pub struct S3Options {
    /// An S3-compatible endpoint (`http://127.0.0.1:8333`), addressed path-style; `None` for
    /// AWS itself (virtual-hosted style).
    pub endpoint: Option<String>,
    /// The bucket's region (`eu-north-1`).
    pub region: String,
    /// The bucket.
    pub bucket: String,
    /// Keys to sign with; `None` reads them from the environment (see [`AwsKeys::from_env`]).
    pub keys: Option<AwsKeys>,
}

pub use cubby_adapters_aws::AwsKeys;

/// The [`ObjectStore`] on an S3 bucket.
#[derive(Clone)]
pub struct S3Objects {
    client: Client,
    credentials: SharedCredentialsProvider,
    bucket: String,
    region: String,
    /// Where browsers POST uploads.
    post_url: String,
}

impl fmt::Debug for S3Objects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Objects")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("post_url", &self.post_url)
            .finish_non_exhaustive()
    }
}

impl S3Objects {
    /// A store on `options.bucket`, signing with `options.keys`, or the environment's keys.
    ///
    /// # Errors
    ///
    /// [`RepoError::Failed`] when there are no keys, or the options are not valid.
    pub fn new(options: S3Options) -> Result<Self, RepoError> {
        let keys = match &options.keys {
            Some(keys) => keys.clone(),
            None => AwsKeys::from_env().ok_or_else(|| {
                failed("no S3 credentials: set keys or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
            })?,
        };
        Self::with_credentials_provider(options, keys.credentials())
    }

    /// A store on `options.bucket` signing with what `provider` gives (`options.keys` is
    /// ignored): the way to use `aws-config`'s default chain.
    ///
    /// # Errors
    ///
    /// [`RepoError::Failed`] when the options are not valid.
    pub fn with_credentials_provider(
        options: S3Options,
        provider: impl ProvideCredentials + 'static,
    ) -> Result<Self, RepoError> {
        let S3Options {
            endpoint,
            region,
            bucket,
            keys: _,
        } = options;
        if region.trim().is_empty() {
            return Err(failed("the S3 region is empty"));
        }
        if bucket.trim().is_empty() {
            return Err(failed("the S3 bucket is empty"));
        }
        let endpoint = endpoint
            .map(|url| url.trim().trim_end_matches('/').to_owned())
            .filter(|url| !url.is_empty());
        if let Some(url) = &endpoint
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(failed("the S3 endpoint is not an http(s) URL"));
        }
        let post_url = match &endpoint {
            Some(url) => format!("{url}/{bucket}"),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com/"),
        };

        let credentials = SharedCredentialsProvider::new(provider);
        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.clone()))
            .credentials_provider(credentials.clone())
            .http_client(http_client)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(Duration::from_secs(30))
                    .operation_timeout(Duration::from_secs(90))
                    .build(),
            )
            // Checksums only where S3 requires them: a presigned URL must not carry the
            // checksum of an empty body, and S3-compatible stores differ on trailing checksums.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(url) = &endpoint {
            config = config.endpoint_url(url).force_path_style(true);
        }
        Ok(Self {
            client: Client::from_conf(config.build()),
            credentials,
            bucket,
            region,
            post_url,
        })
    }

    /// Points the object store of `ports` at this bucket; its presigned URLs are S3's own, so
    /// there is no local object endpoint.
    pub fn install(self, ports: &mut cubby_ports::Ports) {
        ports.objects = std::sync::Arc::new(self);
        ports.local_objects = None;
    }

    /// The SDK client (for tests and administration, such as creating the bucket).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

/// A presigning window starting now, at a whole second (the signature's own precision), so that
/// the reported expiry is exact.
fn window(expires_in: Duration) -> Result<(PresigningConfig, OffsetDateTime), RepoError> {
    let now = OffsetDateTime::now_utc();
    let start = now.replace_nanosecond(0).unwrap_or(now);
    let config = PresigningConfig::builder()
        .start_time(SystemTime::from(start))
        .expires_in(expires_in)
        .build()
        .map_err(|_| failed("the presigned request's expiry is not valid (1 s to 7 days)"))?;
    Ok((config, start + expires_in))
}

fn presigned(
    request: &aws_sdk_s3::presigning::PresignedRequest,
    method: &'static str,
    expires_at: OffsetDateTime,
) -> PresignedRequest {
    PresignedRequest {
        method,
        url: request.uri().to_owned(),
        headers: request
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect(),
        expires_at,
    }
}

fn length(value: u64) -> Result<i64, RepoError> {
    i64::try_from(value).map_err(|_| failed("the object is too large"))
}

#[async_trait]
impl ObjectStore for S3Objects {
    async fn presign_post(
        &self,
        scope: &TenantScope,
        policy: &UploadPolicy,
    ) -> Result<PresignedPost, RepoError> {
        if !policy.key.belongs_to(scope.tenant_id()) {
            return Err(RepoError::NotFound);
        }
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|_| RepoError::Unavailable("no S3 credentials could be loaded".into()))?;
        post::sign(
            &post::Target {
                url: &self.post_url,
                bucket: &self.bucket,
                region: &self.region,
            },
            &credentials,
            policy,
            OffsetDateTime::now_utc(),
        )
    }

    async fn presign_put(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        content_type: &str,
        length: u64,
        expires_in: Duration,
    ) -> Result<PresignedRequest, RepoError> {
        if !key.belongs_to(scope.tenant_id()) {
            return Err(RepoError::NotFound);
        }
        let (config, expires_at) = window(expires_in)?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            .content_length(self::length(length)?)
            .presigned(config)
            .await
            .map_err(|e| map_error(Operation::PresignPut, e))?;
        Ok(presigned(&request, "PUT", expires_at))
    }

    async fn presign_get(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        expires_in: Duration,
    ) -> Result<PresignedRequest, RepoError> {
        if !key.belongs_to(scope.tenant_id()) {
            return Err(RepoError::NotFound);
        }
        let (config, expires_at) = window(expires_in)?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .presigned(config)
            .await
            .map_err(|e| map_error(Operation::PresignGet, e))?;
        Ok(presigned(&request, "GET", expires_at))
    }

    async fn put(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        content_type: &str,
        body: Bytes,
    ) -> Result<(), RepoError> {
        if !key.belongs_to(scope.tenant_id()) {
            return Err(RepoError::NotFound);
        }
        let size = length(body.len() as u64)?;
        let put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            .content_length(size)
            .body(ByteStream::from(body))
            .send();
        timed("objects.put", put)
            .await
            .map_err(|e| map_error(Operation::Put, e))?;
        Ok(())
    }

    async fn get(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        max_bytes: u64,
    ) -> Result<Bytes, RepoError> {
        if !key.belongs_to(scope.tenant_id()) {
            return Err(RepoError::NotFound);
        }
        timed("objects.get", self.read(key, max_bytes)).await
    }

    async fn head(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
    ) -> Result<Option<ObjectInfo>, RepoError> {
        if !key.belongs_to(scope.tenant_id()) {
            return Ok(None);
        }
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send();
        // An object that is not there is an answer, not a failed call.
        let found = async {
            match head.await {
                Ok(output) => Ok(Some(output)),
                Err(error) if is_not_found(&error) => Ok(None),
                Err(error) => Err(error),
            }
        };
        match timed("objects.head", found).await {
            Ok(Some(output)) => Ok(Some(ObjectInfo {
                size: output
                    .content_length()
                    .and_then(|size| u64::try_from(size).ok())
                    .unwrap_or(0),
                content_type: output.content_type().map(str::to_owned),
            })),
            Ok(None) => Ok(None),
            Err(error) => Err(map_error(Operation::Head, error)),
        }
    }

    async fn delete(&self, scope: &TenantScope, key: &ObjectKey) -> Result<(), RepoError> {
        if !key.belongs_to(scope.tenant_id()) {
            return Ok(());
        }
        let delete = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send();
        let deleted = async {
            match delete.await {
                Err(error) if !is_not_found(&error) => Err(error),
                _ => Ok(()),
            }
        };
        timed("objects.delete", deleted)
            .await
            .map_err(|error| map_error(Operation::Delete, error))
    }
}

impl S3Objects {
    /// The object under `key`, read to its end unless it is larger than `max_bytes`.
    async fn read(&self, key: &ObjectKey, max_bytes: u64) -> Result<Bytes, RepoError> {
        let too_large = || failed("the object is larger than the reader allows");
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| map_error(Operation::Get, e))?;
        let announced = output
            .content_length()
            .and_then(|size| u64::try_from(size).ok());
        if announced.is_some_and(|size| size > max_bytes) {
            return Err(too_large());
        }
        // Never trust the announced size alone: stop reading past the maximum.
        let capacity = announced.unwrap_or(0).min(max_bytes).min(1 << 20);
        let mut read = BytesMut::with_capacity(usize::try_from(capacity).unwrap_or(0));
        let mut body = output.body;
        while let Some(chunk) = body.try_next().await.map_err(|_| {
            RepoError::Unavailable("the S3 object could not be read to its end".into())
        })? {
            if (read.len() + chunk.len()) as u64 > max_bytes {
                return Err(too_large());
            }
            read.extend_from_slice(&chunk);
        }
        Ok(read.freeze())
    }
}

/// Runs `call` as `operation` of S3 (see [`cubby_ports::observe::timed`]).
async fn timed<T, E>(
    operation: &'static str,
    call: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    cubby_ports::observe::timed("s3", operation, call).await
}

#[cfg(test)]
mod tests;
