//! File records in the `files` collection (the objects themselves are in the object store).

use async_trait::async_trait;
use bson::{DateTime, Document, doc};
use cubby_domain::{
    Actor, ChildId, FileId, FilePurpose, FileStatus, ObjectKey, StoredFile, TenantId,
};
use cubby_ports::{FileRepository, RepoError, TenantScope};
use futures::TryStreamExt;
use mongodb::Collection;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::audit::to_bson;
use crate::timed;
use crate::{Mongo, decode, id_conflict, one_of, scoped, to_repo_error};

/// The collection.
pub(crate) const COLLECTION: &str = "files";

/// A tenant's pending files, oldest first (for the retention of stale uploads).
pub(crate) const PENDING_INDEX: &str = "files_tenant_status_created";

/// A file record as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileDocument {
    #[serde(rename = "_id")]
    id: String,
    tenant_id: String,
    purpose: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    child_id: Option<String>,
    key: String,
    content_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<i64>,
    status: String,
    owner: String,
    created_at: DateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stored_at: Option<DateTime>,
}

impl FileDocument {
    fn from_domain(scope: &TenantScope, file: &StoredFile) -> Self {
        Self {
            id: file.id().to_string(),
            tenant_id: scope.tenant_id().to_string(),
            purpose: file.purpose().as_str().to_owned(),
            child_id: file.child_id().map(|c| c.to_string()),
            key: file.key().as_str().to_owned(),
            content_type: file.content_type().to_owned(),
            size: file.size().map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
            status: file.status().as_str().to_owned(),
            owner: file.owner().to_string(),
            created_at: to_bson(file.created_at()),
            stored_at: file.stored_at().map(to_bson),
        }
    }

    fn into_domain(self) -> Result<StoredFile, RepoError> {
        let bad = |field: &str| RepoError::corrupt(format!("file document: malformed {field}"));
        let tenant = TenantId::parse(&self.tenant_id).map_err(|_| bad("tenant_id"))?;
        Ok(StoredFile::restore(cubby_domain::StoredFileParts {
            id: FileId::parse(&self.id).map_err(|_| bad("_id"))?,
            purpose: FilePurpose::parse(&self.purpose).ok_or_else(|| bad("purpose"))?,
            child_id: self
                .child_id
                .as_deref()
                .map(|c| ChildId::parse(c).map_err(|_| bad("child_id")))
                .transpose()?,
            key: ObjectKey::restore(tenant, &self.key).ok_or_else(|| bad("key"))?,
            content_type: self.content_type,
            size: self
                .size
                .map(|s| u64::try_from(s).map_err(|_| bad("size")))
                .transpose()?,
            status: FileStatus::parse(&self.status).ok_or_else(|| bad("status"))?,
            owner: Actor::parse(&self.owner).map_err(|_| bad("owner"))?,
            created_at: self.created_at.to_time_0_3(),
            stored_at: self.stored_at.map(DateTime::to_time_0_3),
        }))
    }
}

fn file(document: Document) -> Result<StoredFile, RepoError> {
    decode::<FileDocument>(COLLECTION, document)?.into_domain()
}

impl Mongo {
    fn files(&self) -> Collection<FileDocument> {
        self.db.collection(COLLECTION)
    }

    fn file_documents(&self) -> Collection<Document> {
        self.db.collection(COLLECTION)
    }
}

#[async_trait]
impl FileRepository for Mongo {
    async fn insert(&self, scope: &TenantScope, record: &StoredFile) -> Result<(), RepoError> {
        timed(
            "files.insert",
            self.files()
                .insert_one(FileDocument::from_domain(scope, record)),
        )
        .await
        .map_err(id_conflict("file.id"))?;
        Ok(())
    }

    async fn get(&self, scope: &TenantScope, id: FileId) -> Result<StoredFile, RepoError> {
        one_of(
            &self.file_documents(),
            scoped(scope, doc! { "_id": id.to_string() }),
            file,
        )
        .await?
        .ok_or(RepoError::NotFound)
    }

    async fn update(&self, scope: &TenantScope, record: &StoredFile) -> Result<(), RepoError> {
        let result = timed(
            "files.replace",
            self.files().replace_one(
                scoped(scope, doc! { "_id": record.id().to_string() }).into(),
                FileDocument::from_domain(scope, record),
            ),
        )
        .await
        .map_err(to_repo_error)?;
        if result.matched_count == 1 {
            Ok(())
        } else {
            Err(RepoError::NotFound)
        }
    }

    async fn remove(&self, scope: &TenantScope, id: FileId) -> Result<(), RepoError> {
        timed(
            "files.delete",
            self.files()
                .delete_one(scoped(scope, doc! { "_id": id.to_string() }).into()),
        )
        .await
        .map_err(to_repo_error)?;
        Ok(())
    }

    async fn pending_before(
        &self,
        scope: &TenantScope,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<StoredFile>, RepoError> {
        let files = self.file_documents();
        let find = async {
            files
                .find(scoped(
                    scope,
                    doc! { "status": FileStatus::Pending.as_str(), "created_at": { "$lt": to_bson(before) } },
                ).into())
                .sort(doc! { "created_at": 1, "_id": 1 })
                .limit(i64::from(limit))
                .await?
                .try_collect()
                .await
        };
        let documents: Vec<Document> = timed("files.find", find).await.map_err(to_repo_error)?;
        documents.into_iter().map(file).collect()
    }
}
