//! Objects and file records in memory, and the endpoint that serves the in-memory store's
//! presigned URLs the way S3 would: each URL carries a grant (operation, key, content type,
//! size, expiry) signed with a key only this store holds, and a request is served only if it
//! keeps to its grant. URLs are relative to the API's origin (`/local-objects/{key}?...`).

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use cubby_domain::{FileId, FileStatus, ObjectKey, StoredFile};
use cubby_ports::{
    FileRepository, LocalObjectRequest, LocalObjectResponse, LocalObjects, ObjectInfo, ObjectStore,
    PresignedPost, PresignedRequest, RepoError, TenantScope, UploadPolicy,
};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::partitioned::Partitioned;
use crate::{MemoryStore, read, write};

/// Every object, by key (keys carry their tenant), and every tenant's file records.
pub(crate) struct ObjectTable {
    objects: HashMap<String, (Option<String>, Bytes)>,
    files: Partitioned<HashMap<FileId, StoredFile>>,
    signing_key: [u8; 32],
}

impl Default for ObjectTable {
    fn default() -> Self {
        Self {
            objects: HashMap::new(),
            files: Partitioned::default(),
            signing_key: rand::random(),
        }
    }
}

/// What a presigned URL allows.
#[derive(Debug, PartialEq, Eq)]
struct Grant {
    op: String,
    key: String,
    content_type: String,
    length: u64,
    max: u64,
    expires: i64,
}

impl Grant {
    fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.op, self.key, self.content_type, self.length, self.max, self.expires
        )
    }

    fn signature(&self, key: &[u8; 32]) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
            return String::new();
        };
        mac.update(self.text().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn query(&self, key: &[u8; 32]) -> String {
        serde_urlencoded::to_string([
            ("op", self.op.clone()),
            ("ct", self.content_type.clone()),
            ("len", self.length.to_string()),
            ("max", self.max.to_string()),
            ("exp", self.expires.to_string()),
            ("sig", self.signature(key)),
        ])
        .unwrap_or_default()
    }

    fn url(&self, key: &[u8; 32]) -> String {
        format!("/local-objects/{}?{}", self.key, self.query(key))
    }

    /// The grant a request's query carries, if its signature is this store's.
    fn from_query(key_path: &str, query: &str, signing_key: &[u8; 32]) -> Option<Self> {
        let pairs: HashMap<String, String> = serde_urlencoded::from_str(query).ok()?;
        let grant = Self {
            op: pairs.get("op")?.clone(),
            key: key_path.to_owned(),
            content_type: pairs.get("ct")?.clone(),
            length: pairs.get("len")?.parse().ok()?,
            max: pairs.get("max")?.parse().ok()?,
            expires: pairs.get("exp")?.parse().ok()?,
        };
        let expected = grant.signature(signing_key);
        let given = pairs.get("sig")?;
        let same: bool =
            subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), given.as_bytes()).into();
        same.then_some(grant)
    }
}

fn refused(status: u16, code: &str) -> LocalObjectResponse {
    LocalObjectResponse {
        status,
        content_type: Some("text/plain".to_owned()),
        body: Bytes::from(code.to_owned()),
    }
}

fn in_tenant(scope: &TenantScope, key: &ObjectKey) -> Result<(), RepoError> {
    if key.belongs_to(scope.tenant_id()) {
        Ok(())
    } else {
        Err(RepoError::NotFound)
    }
}

fn expiry(expires_in: Duration) -> OffsetDateTime {
    OffsetDateTime::now_utc() + expires_in
}

impl MemoryStore {
    fn grant(
        &self,
        op: &str,
        key: &ObjectKey,
        content_type: &str,
        length: u64,
        max: u64,
        expires_at: OffsetDateTime,
    ) -> String {
        let grant = Grant {
            op: op.to_owned(),
            key: key.as_str().to_owned(),
            content_type: content_type.to_owned(),
            length,
            max,
            expires: expires_at.unix_timestamp(),
        };
        grant.url(&read(&self.objects).signing_key)
    }
}

#[async_trait]
impl ObjectStore for MemoryStore {
    async fn presign_post(
        &self,
        scope: &TenantScope,
        policy: &UploadPolicy,
    ) -> Result<PresignedPost, RepoError> {
        in_tenant(scope, &policy.key)?;
        let expires_at = expiry(policy.expires_in);
        let url = self.grant(
            "post",
            &policy.key,
            &policy.content_type,
            0,
            policy.max_bytes,
            expires_at,
        );
        Ok(PresignedPost {
            url,
            fields: vec![
                ("key".to_owned(), policy.key.as_str().to_owned()),
                ("Content-Type".to_owned(), policy.content_type.clone()),
            ],
            expires_at,
        })
    }

    async fn presign_put(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        content_type: &str,
        length: u64,
        expires_in: Duration,
    ) -> Result<PresignedRequest, RepoError> {
        in_tenant(scope, key)?;
        let expires_at = expiry(expires_in);
        Ok(PresignedRequest {
            method: "PUT",
            url: self.grant("put", key, content_type, length, length, expires_at),
            headers: vec![
                ("Content-Type".to_owned(), content_type.to_owned()),
                ("Content-Length".to_owned(), length.to_string()),
            ],
            expires_at,
        })
    }

    async fn presign_get(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        expires_in: Duration,
    ) -> Result<PresignedRequest, RepoError> {
        in_tenant(scope, key)?;
        let expires_at = expiry(expires_in);
        Ok(PresignedRequest {
            method: "GET",
            url: self.grant("get", key, "", 0, 0, expires_at),
            headers: Vec::new(),
            expires_at,
        })
    }

    async fn put(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        content_type: &str,
        body: Bytes,
    ) -> Result<(), RepoError> {
        in_tenant(scope, key)?;
        write(&self.objects).objects.insert(
            key.as_str().to_owned(),
            (Some(content_type.to_owned()), body),
        );
        Ok(())
    }

    async fn get(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        max_bytes: u64,
    ) -> Result<Bytes, RepoError> {
        in_tenant(scope, key)?;
        let table = read(&self.objects);
        let (_, body) = table.objects.get(key.as_str()).ok_or(RepoError::NotFound)?;
        if body.len() as u64 > max_bytes {
            return Err(RepoError::Failed(
                "the object is larger than allowed".into(),
            ));
        }
        Ok(body.clone())
    }

    async fn head(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
    ) -> Result<Option<ObjectInfo>, RepoError> {
        if !key.belongs_to(scope.tenant_id()) {
            return Ok(None);
        }
        Ok(read(&self.objects)
            .objects
            .get(key.as_str())
            .map(|(content_type, body)| ObjectInfo {
                size: body.len() as u64,
                content_type: content_type.clone(),
            }))
    }

    async fn delete(&self, scope: &TenantScope, key: &ObjectKey) -> Result<(), RepoError> {
        if key.belongs_to(scope.tenant_id()) {
            write(&self.objects).objects.remove(key.as_str());
        }
        Ok(())
    }
}

/// The `file` part and the fields of a `multipart/form-data` body.
async fn form(content_type: &str, body: Bytes) -> Option<(HashMap<String, String>, Bytes)> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut fields = HashMap::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name()?.to_owned();
        let bytes = field.bytes().await.ok()?;
        if name == "file" {
            return Some((fields, bytes));
        }
        fields.insert(name, String::from_utf8(bytes.to_vec()).ok()?);
    }
    None
}

#[async_trait]
impl LocalObjects for MemoryStore {
    async fn serve(&self, request: LocalObjectRequest) -> LocalObjectResponse {
        let signing_key = read(&self.objects).signing_key;
        let Some(grant) = Grant::from_query(&request.key, &request.query, &signing_key) else {
            return refused(403, "SignatureDoesNotMatch");
        };
        if OffsetDateTime::now_utc().unix_timestamp() > grant.expires {
            return refused(403, "AccessDenied: Request has expired");
        }
        match (request.method.as_str(), grant.op.as_str()) {
            ("GET", "get") => match read(&self.objects).objects.get(&grant.key) {
                Some((content_type, body)) => LocalObjectResponse {
                    status: 200,
                    content_type: content_type.clone(),
                    body: body.clone(),
                },
                None => refused(404, "NoSuchKey"),
            },
            ("PUT", "put") => {
                if request.content_type.as_deref() != Some(grant.content_type.as_str())
                    || request.body.len() as u64 != grant.length
                {
                    return refused(403, "SignatureDoesNotMatch");
                }
                write(&self.objects)
                    .objects
                    .insert(grant.key, (Some(grant.content_type), request.body));
                LocalObjectResponse {
                    status: 200,
                    content_type: None,
                    body: Bytes::new(),
                }
            }
            ("POST", "post") => {
                let Some((fields, file)) = form(
                    request.content_type.as_deref().unwrap_or_default(),
                    request.body,
                )
                .await
                else {
                    return refused(400, "MalformedPOSTRequest");
                };
                if fields.get("key") != Some(&grant.key)
                    || fields.get("Content-Type") != Some(&grant.content_type)
                {
                    return refused(403, "AccessDenied: Invalid according to Policy");
                }
                if file.is_empty() || file.len() as u64 > grant.max {
                    return refused(400, "EntityTooLarge");
                }
                write(&self.objects)
                    .objects
                    .insert(grant.key, (Some(grant.content_type), file));
                LocalObjectResponse {
                    status: 204,
                    content_type: None,
                    body: Bytes::new(),
                }
            }
            _ => refused(403, "AccessDenied"),
        }
    }
}

#[async_trait]
impl FileRepository for MemoryStore {
    async fn insert(&self, scope: &TenantScope, file: &StoredFile) -> Result<(), RepoError> {
        write(&self.objects)
            .files
            .writing(scope)
            .insert(file.id(), file.clone());
        Ok(())
    }

    async fn get(&self, scope: &TenantScope, id: FileId) -> Result<StoredFile, RepoError> {
        read(&self.objects)
            .files
            .of(scope)
            .and_then(|files| files.get(&id))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn update(&self, scope: &TenantScope, file: &StoredFile) -> Result<(), RepoError> {
        let mut table = write(&self.objects);
        let stored = table
            .files
            .of_mut(scope)
            .and_then(|files| files.get_mut(&file.id()))
            .ok_or(RepoError::NotFound)?;
        *stored = file.clone();
        Ok(())
    }

    async fn remove(&self, scope: &TenantScope, id: FileId) -> Result<(), RepoError> {
        if let Some(files) = write(&self.objects).files.of_mut(scope) {
            files.remove(&id);
        }
        Ok(())
    }

    async fn pending_before(
        &self,
        scope: &TenantScope,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<StoredFile>, RepoError> {
        let table = read(&self.objects);
        let Some(files) = table.files.of(scope) else {
            return Ok(Vec::new());
        };
        let mut pending: Vec<&StoredFile> = files
            .values()
            .filter(|f| f.status() == FileStatus::Pending && f.created_at() < before)
            .collect();
        pending.sort_by(|a, b| {
            a.created_at()
                .cmp(&b.created_at())
                .then(a.id().cmp(&b.id()))
        });
        Ok(pending.into_iter().take(limit as usize).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cubby_domain::FilePurpose;
    use cubby_ports::contract::fresh_scope;
    use uuid::Uuid;

    cubby_ports::object_store_contract!(async { MemoryStore::default() });
    cubby_ports::file_repository_contract!(async { MemoryStore::default() });

    fn split(url: &str) -> (String, String) {
        let rest = url.strip_prefix("/local-objects/").unwrap();
        let (key, query) = rest.split_once('?').unwrap();
        (key.to_owned(), query.to_owned())
    }

    async fn call(
        store: &MemoryStore,
        method: &str,
        url: &str,
        content_type: Option<&str>,
        body: &'static [u8],
    ) -> u16 {
        let (key, query) = split(url);
        store
            .serve(LocalObjectRequest {
                method: method.to_owned(),
                key,
                query,
                content_type: content_type.map(str::to_owned),
                body: Bytes::from_static(body),
            })
            .await
            .status
    }

    #[tokio::test]
    async fn presigned_puts_and_gets_keep_to_their_grant() {
        let store = MemoryStore::default();
        let scope = fresh_scope();
        let key = ObjectKey::new(
            scope.tenant_id(),
            FilePurpose::Document,
            FileId::from_uuid(Uuid::now_v7()),
        );
        let put = store
            .presign_put(&scope, &key, "application/pdf", 4, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(
            call(&store, "PUT", &put.url, Some("text/html"), b"%PDF").await,
            403
        );
        assert_eq!(
            call(&store, "PUT", &put.url, Some("application/pdf"), b"%PDF!").await,
            403
        );
        let tampered = put.url.replace("len=4", "len=5");
        assert_eq!(
            call(&store, "PUT", &tampered, Some("application/pdf"), b"%PDF!").await,
            403
        );
        assert_eq!(store.head(&scope, &key).await.unwrap(), None);
        assert_eq!(
            call(&store, "PUT", &put.url, Some("application/pdf"), b"%PDF").await,
            200
        );
        let get = store
            .presign_get(&scope, &key, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(call(&store, "GET", &get.url, None, b"").await, 200);
        assert_eq!(
            call(&store, "PUT", &get.url, Some("application/pdf"), b"%PDF").await,
            403
        );
        let expired = store
            .presign_get(&scope, &key, Duration::ZERO)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(call(&store, "GET", &expired.url, None, b"").await, 403);
    }

    #[tokio::test]
    async fn a_presigned_post_keeps_to_its_policy() {
        let store = MemoryStore::default();
        let scope = fresh_scope();
        let key = ObjectKey::new(
            scope.tenant_id(),
            FilePurpose::ChildPhoto,
            FileId::from_uuid(Uuid::now_v7()),
        );
        let policy = UploadPolicy {
            key: key.clone(),
            content_type: "image/jpeg".to_owned(),
            max_bytes: 4,
            expires_in: Duration::from_secs(60),
        };
        let post = store.presign_post(&scope, &policy).await.unwrap();
        let body = |key: &str, content_type: &str, file: &str| {
            format!(
                "--b\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n{key}\r\n--b\r\nContent-Disposition: form-data; name=\"Content-Type\"\r\n\r\n{content_type}\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n{file}\r\n--b--\r\n"
            )
        };
        let send = |text: String| {
            let (path, query) = split(&post.url);
            store.serve(LocalObjectRequest {
                method: "POST".to_owned(),
                key: path,
                query,
                content_type: Some("multipart/form-data; boundary=b".to_owned()),
                body: Bytes::from(text),
            })
        };
        assert_eq!(
            send(body(key.as_str(), "image/jpeg", "12345")).await.status,
            400
        );
        assert_eq!(
            send(body(key.as_str(), "text/html", "1234")).await.status,
            403
        );
        assert_eq!(
            send(body("tenants/other/x", "image/jpeg", "1234"))
                .await
                .status,
            403
        );
        assert_eq!(store.head(&scope, &key).await.unwrap(), None);
        assert_eq!(
            send(body(key.as_str(), "image/jpeg", "1234")).await.status,
            204
        );
        assert_eq!(store.head(&scope, &key).await.unwrap().unwrap().size, 4);
    }
}
