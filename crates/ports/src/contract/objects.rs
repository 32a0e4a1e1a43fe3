//! The contracts of [`ObjectStore`] and [`FileRepository`].
//!
//! What only a real store can show (that it refuses a presigned upload that breaks its policy)
//! is tested against the S3 stand-in in the S3 adapter; here, what every store must do.

use std::time::Duration;

use bytes::Bytes;
use cubby_domain::{Actor, FileId, FilePurpose, FileStatus, ObjectKey, StoredFile};
use uuid::Uuid;

use super::{at, fresh_scope};
use crate::{FileRepository, ObjectStore, RepoError, TenantScope, UploadPolicy};

/// Runs every object store case against the store `$make` resolves to.
#[macro_export]
macro_rules! object_store_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!(
            $crate::contract::objects,
            $($make)+,
            [
                an_object_reads_back_with_its_size_and_type,
                a_missing_object_is_none_and_not_found,
                another_tenants_keys_are_out_of_reach,
                a_read_larger_than_allowed_is_refused,
                deleting_is_idempotent,
                presigned_requests_name_the_key_and_expire,
            ]
        );
    };
}

/// Runs every file repository case against the repository `$make` resolves to.
#[macro_export]
macro_rules! file_repository_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!(
            $crate::contract::objects,
            $($make)+,
            [
                a_file_record_reads_back_and_changes,
                pending_records_list_oldest_first_before_a_time,
            ]
        );
    };
}

fn key(scope: &TenantScope, purpose: FilePurpose) -> ObjectKey {
    ObjectKey::new(
        scope.tenant_id(),
        purpose,
        FileId::from_uuid(Uuid::now_v7()),
    )
}

/// What is put reads back, with its size and content type.
pub async fn an_object_reads_back_with_its_size_and_type(store: &dyn ObjectStore) {
    let scope = fresh_scope();
    let report = key(&scope, FilePurpose::Report);
    let body = Bytes::from_static(b"child,minutes\nAino,270\n");
    store
        .put(&scope, &report, "text/csv", body.clone())
        .await
        .unwrap();
    assert_eq!(store.get(&scope, &report, 1024).await.unwrap(), body);
    let info = store.head(&scope, &report).await.unwrap().unwrap();
    assert_eq!(info.size, body.len() as u64);
    assert_eq!(info.content_type.as_deref(), Some("text/csv"));
}

/// A key never written has nothing.
pub async fn a_missing_object_is_none_and_not_found(store: &dyn ObjectStore) {
    let scope = fresh_scope();
    let missing = key(&scope, FilePurpose::Document);
    assert_eq!(store.head(&scope, &missing).await.unwrap(), None);
    let read = store.get(&scope, &missing, 1024).await;
    assert!(matches!(read, Err(RepoError::NotFound)), "{read:?}");
}

/// A key under another tenant's prefix can be neither read, written, presigned nor deleted.
pub async fn another_tenants_keys_are_out_of_reach(store: &dyn ObjectStore) {
    let owner = fresh_scope();
    let intruder = fresh_scope();
    let theirs = key(&owner, FilePurpose::Document);
    store
        .put(
            &owner,
            &theirs,
            "application/pdf",
            Bytes::from_static(b"%PDF"),
        )
        .await
        .unwrap();

    assert!(matches!(
        store.get(&intruder, &theirs, 1024).await,
        Err(RepoError::NotFound)
    ));
    assert_eq!(store.head(&intruder, &theirs).await.unwrap(), None);
    let put = store
        .put(
            &intruder,
            &theirs,
            "application/pdf",
            Bytes::from_static(b"evil"),
        )
        .await;
    assert!(matches!(put, Err(RepoError::NotFound)), "{put:?}");
    let get = store
        .presign_get(&intruder, &theirs, Duration::from_secs(60))
        .await;
    assert!(matches!(get, Err(RepoError::NotFound)), "{get:?}");
    let put = store
        .presign_put(
            &intruder,
            &theirs,
            "application/pdf",
            4,
            Duration::from_secs(60),
        )
        .await;
    assert!(matches!(put, Err(RepoError::NotFound)), "{put:?}");
    let policy = UploadPolicy {
        key: theirs.clone(),
        content_type: "application/pdf".to_owned(),
        max_bytes: 10,
        expires_in: Duration::from_secs(60),
    };
    let post = store.presign_post(&intruder, &policy).await;
    assert!(matches!(post, Err(RepoError::NotFound)), "{post:?}");
    store.delete(&intruder, &theirs).await.unwrap();
    assert_eq!(
        store.get(&owner, &theirs, 1024).await.unwrap(),
        Bytes::from_static(b"%PDF")
    );
}

/// Reading an object larger than the caller allows is refused.
pub async fn a_read_larger_than_allowed_is_refused(store: &dyn ObjectStore) {
    let scope = fresh_scope();
    let import = key(&scope, FilePurpose::RosterImport);
    store
        .put(&scope, &import, "text/csv", Bytes::from(vec![b'x'; 100]))
        .await
        .unwrap();
    let read = store.get(&scope, &import, 99).await;
    assert!(matches!(read, Err(RepoError::Failed(_))), "{read:?}");
    assert_eq!(store.get(&scope, &import, 100).await.unwrap().len(), 100);
}

/// Deleting removes the object; deleting again is fine.
pub async fn deleting_is_idempotent(store: &dyn ObjectStore) {
    let scope = fresh_scope();
    let doc = key(&scope, FilePurpose::Document);
    store
        .put(&scope, &doc, "application/pdf", Bytes::from_static(b"%PDF"))
        .await
        .unwrap();
    store.delete(&scope, &doc).await.unwrap();
    store.delete(&scope, &doc).await.unwrap();
    assert_eq!(store.head(&scope, &doc).await.unwrap(), None);
}

/// Presigned requests carry the key, the signed headers and an expiry in the future.
pub async fn presigned_requests_name_the_key_and_expire(store: &dyn ObjectStore) {
    let scope = fresh_scope();
    let photo = key(&scope, FilePurpose::ChildPhoto);
    let now = time::OffsetDateTime::now_utc();
    let policy = UploadPolicy {
        key: photo.clone(),
        content_type: "image/jpeg".to_owned(),
        max_bytes: 1000,
        expires_in: Duration::from_secs(300),
    };
    let post = store.presign_post(&scope, &policy).await.unwrap();
    assert!(
        post.fields
            .iter()
            .any(|(k, v)| k == "key" && v == photo.as_str()),
        "{post:?}"
    );
    assert!(
        post.fields
            .iter()
            .any(|(k, v)| k == "Content-Type" && v == "image/jpeg"),
        "{post:?}"
    );
    assert!(post.expires_at > now && post.expires_at <= now + time::Duration::seconds(301));

    let put = store
        .presign_put(&scope, &photo, "image/jpeg", 10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(put.method, "PUT");
    assert!(
        put.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v == "image/jpeg")
    );
    assert!(
        put.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-length") && v == "10")
    );
    let get = store
        .presign_get(&scope, &photo, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(get.method, "GET");
    assert!(get.url.contains(photo.as_str()), "{}", get.url);
    assert!(get.expires_at <= now + time::Duration::seconds(61));
}

fn record(scope: &TenantScope, minute: i64) -> StoredFile {
    let id = FileId::from_uuid(Uuid::now_v7());
    StoredFile::restore(cubby_domain::StoredFileParts {
        id,
        purpose: FilePurpose::Document,
        child_id: None,
        key: ObjectKey::new(scope.tenant_id(), FilePurpose::Document, id),
        content_type: "application/pdf".to_owned(),
        size: None,
        status: FileStatus::Pending,
        owner: scope.actor().clone(),
        created_at: at(minute),
        stored_at: None,
    })
}

/// A record reads back as stored, changes, and is removed; another tenant sees none of it.
pub async fn a_file_record_reads_back_and_changes(repo: &dyn FileRepository) {
    let scope = fresh_scope();
    let mut file = record(&scope, 0).into_parts();
    file.purpose = FilePurpose::ChildPhoto;
    file.child_id = Some(cubby_domain::ChildId::from_uuid(Uuid::now_v7()));
    file.owner = Actor::System(cubby_domain::audit::JobName::parse("tests").unwrap());
    let file = StoredFile::restore(file);
    repo.insert(&scope, &file).await.unwrap();
    assert_eq!(repo.get(&scope, file.id()).await.unwrap(), file);
    let stored = StoredFile::restore(cubby_domain::StoredFileParts {
        status: FileStatus::Stored,
        size: Some(1234),
        stored_at: Some(at(3)),
        ..file.clone().into_parts()
    });
    repo.update(&scope, &stored).await.unwrap();
    assert_eq!(repo.get(&scope, file.id()).await.unwrap(), stored);

    let other = fresh_scope();
    assert!(matches!(
        repo.get(&other, file.id()).await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        repo.update(&other, &stored).await,
        Err(RepoError::NotFound)
    ));
    repo.remove(&other, file.id()).await.unwrap();
    assert_eq!(repo.get(&scope, file.id()).await.unwrap(), stored);

    repo.remove(&scope, file.id()).await.unwrap();
    assert!(matches!(
        repo.get(&scope, file.id()).await,
        Err(RepoError::NotFound)
    ));
    repo.remove(&scope, file.id()).await.unwrap();
}

/// Pending records created before a time come oldest first, up to a limit.
pub async fn pending_records_list_oldest_first_before_a_time(repo: &dyn FileRepository) {
    let scope = fresh_scope();
    let files: Vec<StoredFile> = (0..4).map(|m| record(&scope, m * 10)).collect();
    for file in &files {
        repo.insert(&scope, file).await.unwrap();
    }
    let stored = StoredFile::restore(cubby_domain::StoredFileParts {
        status: FileStatus::Stored,
        size: Some(1),
        stored_at: Some(at(1)),
        ..files[0].clone().into_parts()
    });
    repo.update(&scope, &stored).await.unwrap();
    let found = repo.pending_before(&scope, at(25), 10).await.unwrap();
    assert_eq!(found, vec![files[1].clone(), files[2].clone()]);
    let limited = repo.pending_before(&scope, at(100), 1).await.unwrap();
    assert_eq!(limited, vec![files[1].clone()]);
    assert!(
        repo.pending_before(&fresh_scope(), at(100), 10)
            .await
            .unwrap()
            .is_empty()
    );
}
