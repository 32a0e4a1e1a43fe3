//! The file use cases: an upload's whole way on the in-memory adapters, and what a file or
//! object store that times out or answers corrupt data makes of them (mockall mocks).

use std::sync::Arc;

use bytes::Bytes;
use cubby_domain::{FileId, FilePurpose, FileStatus, StoredFile};
use cubby_ports::mocks::{MockFileRepository, MockObjectStore};
use uuid::Uuid;

use super::{NewUpload, UploadMethod};
use crate::AppError;
use crate::testing::{World, corrupt, timed_out};

fn a_document(method: UploadMethod) -> NewUpload {
    NewUpload {
        purpose: FilePurpose::Document,
        content_type: "application/pdf".to_owned(),
        size: 4,
        child: None,
        method,
    }
}

async fn pending(world: &World) -> StoredFile {
    let (file, _) = world
        .app
        .files
        .presign_upload(&world.scope, a_document(UploadMethod::Put))
        .await
        .unwrap();
    file
}

#[tokio::test]
async fn an_uploaded_document_is_confirmed_and_downloadable() {
    let world = World::new().await;
    let files = &world.app.files;
    let file = pending(&world).await;
    assert_eq!(file.status(), FileStatus::Pending);
    world
        .ports
        .objects
        .put(
            &world.scope,
            file.key(),
            "application/pdf",
            Bytes::from_static(b"%PDF"),
        )
        .await
        .unwrap();
    let stored = files.confirm(&world.scope, file.id()).await.unwrap();
    assert_eq!(
        (stored.status(), stored.size()),
        (FileStatus::Stored, Some(4))
    );
    assert_eq!(files.get(&world.scope, file.id()).await.unwrap(), stored);
    let (downloaded, _) = files
        .presign_download(&world.scope, file.id())
        .await
        .unwrap();
    assert_eq!(downloaded, stored);
}

#[tokio::test]
async fn an_object_store_timing_out_on_the_presign_records_no_file() {
    let world = World::new().await;
    let mut objects = MockObjectStore::new();
    objects
        .expect_presign_post()
        .times(1)
        .returning(|_, _| Err(timed_out()));
    let mut files = MockFileRepository::new();
    files.expect_insert().never();
    let app = world.with(|ports| {
        ports.objects = Arc::new(objects);
        ports.files = Arc::new(files);
    });
    let answer = app
        .files
        .presign_upload(&world.scope, a_document(UploadMethod::Post))
        .await;
    assert!(
        matches!(answer, Err(AppError::Unavailable(_))),
        "{answer:?}"
    );
}

#[tokio::test]
async fn an_object_store_timing_out_on_the_check_leaves_the_file_pending() {
    let world = World::new().await;
    let file = pending(&world).await;
    let mut objects = MockObjectStore::new();
    objects
        .expect_head()
        .times(1)
        .returning(|_, _| Err(timed_out()));
    let app = world.with(|ports| ports.objects = Arc::new(objects));
    let answer = app.files.confirm(&world.scope, file.id()).await;
    assert!(
        matches!(answer, Err(AppError::Unavailable(_))),
        "{answer:?}"
    );
    let kept = world.app.files.get(&world.scope, file.id()).await.unwrap();
    assert_eq!(kept, file);
}

#[tokio::test]
async fn a_corrupt_file_record_is_an_internal_error_and_is_not_confirmed() {
    let world = World::new().await;
    let mut files = MockFileRepository::new();
    files.expect_get().times(1).returning(|_, _| Err(corrupt()));
    files.expect_update().never();
    let app = world.with(|ports| ports.files = Arc::new(files));
    let answer = app
        .files
        .confirm(&world.scope, FileId::from_uuid(Uuid::now_v7()))
        .await;
    assert!(matches!(answer, Err(AppError::Internal(_))), "{answer:?}");
}
