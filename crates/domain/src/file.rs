//! Files: what a centre keeps in object storage, and the rules of each purpose (which content
//! types, how large). Objects live under `tenants/{tenant_id}/`, at keys the server chooses.

use std::fmt;

use time::OffsetDateTime;

use crate::audit::Actor;
use crate::error_code::ErrorCode;
use crate::id::{ChildId, FileId, TenantId};

/// Why a file request was refused. Each variant has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The content type is not one the purpose allows.
    #[error("this kind of file does not take that content type")]
    ContentType,
    /// The size is zero or above the purpose's maximum.
    #[error("the file is empty or larger than this kind of file may be")]
    Size,
    /// A child's photo names no child, or another purpose names one.
    #[error("a child's photo names its child; other files name none")]
    Child,
}

impl FileError {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            FileError::ContentType => ErrorCode::FileContentTypeNotAllowed,
            FileError::Size => ErrorCode::FileTooLarge,
            FileError::Child => ErrorCode::FileInvalidChild,
        }
    }
}

/// What a file is for: each purpose has its own content types and maximum size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FilePurpose {
    /// A photo of a child (follows the child's visibility and photo consent).
    ChildPhoto,
    /// A document (a form, a letter, a medical plan).
    Document,
    /// A roster to import (CSV).
    RosterImport,
    /// A report the centre ran (CSV), written by the server.
    Report,
}

impl FilePurpose {
    /// Every purpose.
    pub const ALL: [FilePurpose; 4] = [
        FilePurpose::ChildPhoto,
        FilePurpose::Document,
        FilePurpose::RosterImport,
        FilePurpose::Report,
    ];

    /// The wire form, also the key segment.
    pub fn as_str(self) -> &'static str {
        match self {
            FilePurpose::ChildPhoto => "child_photo",
            FilePurpose::Document => "document",
            FilePurpose::RosterImport => "roster_import",
            FilePurpose::Report => "report",
        }
    }

    /// Parses the wire form.
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == input)
    }

    /// The content types it takes.
    pub fn content_types(self) -> &'static [&'static str] {
        match self {
            FilePurpose::ChildPhoto => &["image/jpeg", "image/png", "image/heic", "image/webp"],
            FilePurpose::Document => &["application/pdf", "image/jpeg", "image/png"],
            FilePurpose::RosterImport | FilePurpose::Report => &["text/csv"],
        }
    }

    /// The largest object it takes, in bytes.
    pub fn max_bytes(self) -> u64 {
        match self {
            FilePurpose::ChildPhoto => 10 * 1024 * 1024,
            FilePurpose::Document => 20 * 1024 * 1024,
            FilePurpose::RosterImport => 5 * 1024 * 1024,
            FilePurpose::Report => 50 * 1024 * 1024,
        }
    }

    /// Whether a client may upload files of this purpose (reports are written by the server).
    pub fn uploadable(self) -> bool {
        self != FilePurpose::Report
    }

    /// Checks an upload's content type and size.
    ///
    /// # Errors
    ///
    /// [`FileError::ContentType`], [`FileError::Size`].
    pub fn check(self, content_type: &str, size: u64) -> Result<(), FileError> {
        if !self.content_types().contains(&content_type) {
            return Err(FileError::ContentType);
        }
        if size == 0 || size > self.max_bytes() {
            return Err(FileError::Size);
        }
        Ok(())
    }
}

/// Where an object lives: `tenants/{tenant_id}/{purpose}/{file_id}`. Built only from its parts,
/// never from a client's text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// The key of `file` of `purpose` in `tenant`.
    pub fn new(tenant: TenantId, purpose: FilePurpose, file: FileId) -> Self {
        Self(format!("tenants/{tenant}/{}/{file}", purpose.as_str()))
    }

    /// A key read back from storage, if it has the shape of one and lies under `tenant`.
    pub fn restore(tenant: TenantId, key: &str) -> Option<Self> {
        let rest = key.strip_prefix(&format!("tenants/{tenant}/"))?;
        let (purpose, file) = rest.split_once('/')?;
        let purpose = FilePurpose::parse(purpose)?;
        let file = file.parse::<FileId>().ok()?;
        Some(Self::new(tenant, purpose, file))
    }

    /// Whether the key lies under `tenant`'s prefix.
    pub fn belongs_to(&self, tenant: TenantId) -> bool {
        self.0.starts_with(&format!("tenants/{tenant}/"))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a file stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStatus {
    /// Presigned for upload; not seen in storage yet.
    Pending,
    /// Seen in storage, with its size.
    Stored,
}

impl FileStatus {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Pending => "pending",
            FileStatus::Stored => "stored",
        }
    }

    /// Parses the wire form.
    pub fn parse(input: &str) -> Option<Self> {
        match input {
            "pending" => Some(FileStatus::Pending),
            "stored" => Some(FileStatus::Stored),
            _ => None,
        }
    }
}

/// Every part of a stored file record, already parsed; used to rebuild a [`StoredFile`] read
/// from storage.
#[derive(Clone, Debug)]
pub struct StoredFileParts {
    /// The id.
    pub id: FileId,
    /// What it is for.
    pub purpose: FilePurpose,
    /// The child it shows (child photos only).
    pub child_id: Option<ChildId>,
    /// Where it lives.
    pub key: ObjectKey,
    /// Its content type.
    pub content_type: String,
    /// Its size, once stored.
    pub size: Option<u64>,
    /// Where it stands.
    pub status: FileStatus,
    /// Who asked for it.
    pub owner: Actor,
    /// When.
    pub created_at: OffsetDateTime,
    /// When it was seen in storage.
    pub stored_at: Option<OffsetDateTime>,
}

/// What a centre knows of one of its files.
///
/// A new file is pending, at the key its tenant, purpose and id make; it becomes stored, with
/// its size, through [`StoredFile::confirmed`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    id: FileId,
    purpose: FilePurpose,
    child_id: Option<ChildId>,
    key: ObjectKey,
    content_type: String,
    size: Option<u64>,
    status: FileStatus,
    owner: Actor,
    created_at: OffsetDateTime,
    stored_at: Option<OffsetDateTime>,
}

impl StoredFile {
    /// A file of `tenant` for `purpose`, asked for by `owner` at `at`: pending, at the key
    /// [`ObjectKey::new`] makes of them.
    pub fn pending(
        id: FileId,
        tenant: TenantId,
        purpose: FilePurpose,
        child_id: Option<ChildId>,
        content_type: String,
        owner: Actor,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            purpose,
            child_id,
            key: ObjectKey::new(tenant, purpose, id),
            content_type,
            size: None,
            status: FileStatus::Pending,
            owner,
            created_at: at,
            stored_at: None,
        }
    }

    /// A file record read back from storage.
    pub fn restore(parts: StoredFileParts) -> Self {
        Self {
            id: parts.id,
            purpose: parts.purpose,
            child_id: parts.child_id,
            key: parts.key,
            content_type: parts.content_type,
            size: parts.size,
            status: parts.status,
            owner: parts.owner,
            created_at: parts.created_at,
            stored_at: parts.stored_at,
        }
    }

    /// Every part of a file record, for storage adapters writing it and fixtures rebuilding it with
    /// [`StoredFile::restore`].
    pub fn into_parts(self) -> StoredFileParts {
        StoredFileParts {
            id: self.id,
            purpose: self.purpose,
            child_id: self.child_id,
            key: self.key,
            content_type: self.content_type,
            size: self.size,
            status: self.status,
            owner: self.owner,
            created_at: self.created_at,
            stored_at: self.stored_at,
        }
    }

    /// The file seen in storage at `at`, `size` bytes large.
    #[must_use]
    pub fn confirmed(self, size: u64, at: OffsetDateTime) -> Self {
        Self {
            status: FileStatus::Stored,
            size: Some(size),
            stored_at: Some(at),
            ..self
        }
    }

    /// The id.
    pub fn id(&self) -> FileId {
        self.id
    }

    /// What it is for.
    pub fn purpose(&self) -> FilePurpose {
        self.purpose
    }

    /// The child it shows (child photos only).
    pub fn child_id(&self) -> Option<ChildId> {
        self.child_id
    }

    /// Where it lives.
    pub fn key(&self) -> &ObjectKey {
        &self.key
    }

    /// Its content type.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// Its size, once stored.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// Where it stands.
    pub fn status(&self) -> FileStatus {
        self.status
    }

    /// Who asked for it.
    pub fn owner(&self) -> &Actor {
        &self.owner
    }

    /// When it was asked for.
    pub fn created_at(&self) -> OffsetDateTime {
        self.created_at
    }

    /// When it was seen in storage.
    pub fn stored_at(&self) -> Option<OffsetDateTime> {
        self.stored_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn keys_are_built_under_the_tenant_and_read_back_only_there() {
        let tenant = TenantId::from_uuid(Uuid::now_v7());
        let other = TenantId::from_uuid(Uuid::now_v7());
        let file = FileId::from_uuid(Uuid::now_v7());
        let key = ObjectKey::new(tenant, FilePurpose::ChildPhoto, file);
        assert!(
            key.as_str()
                .starts_with(&format!("tenants/{tenant}/child_photo/file_"))
        );
        assert!(key.belongs_to(tenant) && !key.belongs_to(other));
        assert_eq!(ObjectKey::restore(tenant, key.as_str()), Some(key.clone()));
        assert_eq!(ObjectKey::restore(other, key.as_str()), None);
        assert_eq!(
            ObjectKey::restore(tenant, &format!("tenants/{tenant}/../x")),
            None
        );
    }

    #[test]
    fn each_purpose_has_its_types_and_limit() {
        let photo = FilePurpose::ChildPhoto;
        assert_eq!(photo.check("image/jpeg", 1), Ok(()));
        assert_eq!(photo.check("image/jpeg", photo.max_bytes()), Ok(()));
        assert_eq!(
            photo.check("image/jpeg", photo.max_bytes() + 1),
            Err(FileError::Size)
        );
        assert_eq!(photo.check("image/jpeg", 0), Err(FileError::Size));
        assert_eq!(photo.check("text/html", 10), Err(FileError::ContentType));
        assert!(!FilePurpose::Report.uploadable());
    }

    #[test]
    fn a_pending_file_lives_under_its_tenant_until_confirmed() {
        let tenant = TenantId::from_uuid(Uuid::now_v7());
        let id = FileId::from_uuid(Uuid::now_v7());
        let owner = Actor::User(crate::UserId::from_uuid(Uuid::now_v7()));
        let at = OffsetDateTime::UNIX_EPOCH;
        let file = StoredFile::pending(
            id,
            tenant,
            FilePurpose::Document,
            None,
            "application/pdf".to_owned(),
            owner.clone(),
            at,
        );
        assert_eq!(
            file.key(),
            &ObjectKey::new(tenant, FilePurpose::Document, id)
        );
        assert_eq!(
            (file.status(), file.size(), file.stored_at()),
            (FileStatus::Pending, None, None)
        );
        let later = at + time::Duration::minutes(1);
        let stored = file.clone().confirmed(42, later);
        assert_eq!(
            (stored.status(), stored.size(), stored.stored_at()),
            (FileStatus::Stored, Some(42), Some(later))
        );
        assert_eq!(
            (stored.id(), stored.key(), stored.owner()),
            (id, file.key(), &owner)
        );
        assert_eq!(stored.created_at(), at);
    }

    #[test]
    fn a_restored_file_reads_its_parts_back() {
        let tenant = TenantId::from_uuid(Uuid::now_v7());
        let id = FileId::from_uuid(Uuid::now_v7());
        let parts = StoredFileParts {
            id,
            purpose: FilePurpose::ChildPhoto,
            child_id: Some(ChildId::from_uuid(Uuid::now_v7())),
            key: ObjectKey::new(tenant, FilePurpose::ChildPhoto, id),
            content_type: "image/png".to_owned(),
            size: Some(7),
            status: FileStatus::Stored,
            owner: Actor::User(crate::UserId::from_uuid(Uuid::now_v7())),
            created_at: OffsetDateTime::UNIX_EPOCH,
            stored_at: Some(OffsetDateTime::UNIX_EPOCH),
        };
        let file = StoredFile::restore(parts.clone());
        assert_eq!(
            (file.id(), file.purpose(), file.child_id()),
            (id, parts.purpose, parts.child_id)
        );
        assert_eq!((file.key(), file.content_type()), (&parts.key, "image/png"));
        assert_eq!((file.size(), file.status()), (Some(7), FileStatus::Stored));
        assert_eq!(file.owner(), &parts.owner);
        assert_eq!(
            (file.created_at(), file.stored_at()),
            (parts.created_at, parts.stored_at)
        );
    }
}
