//! File use cases: presigned uploads and downloads that never pass through the API, and the
//! records of what a centre keeps.
//!
//! Keys are chosen here (`tenants/{tenant_id}/{purpose}/{file_id}`), never by the client; each
//! purpose has its content types and maximum size, which the object store itself enforces
//! through the signed policy. A file is seen by those who may see what it is about: a child's
//! photo follows that child's reach, and a contact sees it only with the `media` capability
//! and the child's photo consent.

use std::sync::Arc;
use std::time::Duration;

use cubby_domain::{
    ChildId, ErrorCode, FileError, FileId, FilePurpose, FileStatus, ObjectKey, Permission,
    StoredFile,
};
use cubby_ports::{
    Clock, FileRepository, IdGenerator, ObjectStore, PresignedPost, PresignedRequest, RepoError,
    TenantScope, UploadPolicy,
};

use crate::AppError;
use crate::children::{Access, Children};
use crate::error::require;

/// How long an upload URL works.
pub const UPLOAD_EXPIRY: Duration = Duration::from_secs(300);
/// How long a download URL works.
pub const DOWNLOAD_EXPIRY: Duration = Duration::from_secs(60);

/// How the client will upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadMethod {
    /// A browser form POST under a policy (size range, exact key and type).
    Post,
    /// A PUT with the exact length and type signed.
    Put,
}

/// An upload to presign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUpload {
    /// What it is for.
    pub purpose: FilePurpose,
    /// Its content type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// The child a photo shows.
    pub child: Option<ChildId>,
    /// How it will be sent.
    pub method: UploadMethod,
}

/// A presigned upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Upload {
    /// A form POST.
    Post(PresignedPost),
    /// A PUT.
    Put(PresignedRequest),
}

/// The file use cases.
pub struct Files {
    pub(crate) files: Arc<dyn FileRepository>,
    pub(crate) objects: Arc<dyn ObjectStore>,
    pub(crate) children: Arc<Children>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Files").finish_non_exhaustive()
    }
}

fn invalid(field: &'static str, error: &FileError) -> AppError {
    AppError::Invalid {
        field,
        code: error.code(),
        message: error.to_string(),
    }
}

fn not_uploaded() -> AppError {
    AppError::Rule {
        code: ErrorCode::FileNotUploaded,
        message: "the file has not been uploaded (or not as presigned)".to_owned(),
    }
}

/// Refuses an upload the caller may not make (`files:upload`, and `imports:run` for a roster),
/// of a purpose the server writes, or of a content type or size its purpose does not take.
fn check_upload(scope: &TenantScope, new: &NewUpload) -> Result<(), AppError> {
    require(scope, Permission::FilesUpload)?;
    if new.purpose == FilePurpose::RosterImport {
        require(scope, Permission::ImportsRun)?;
    }
    if !new.purpose.uploadable() {
        return Err(AppError::Invalid {
            field: "purpose",
            code: ErrorCode::FileNotUploadable,
            message: "files of this purpose are written by the server".to_owned(),
        });
    }
    new.purpose.check(&new.content_type, new.size).map_err(|e| {
        invalid(
            if e == FileError::Size {
                "size"
            } else {
                "content_type"
            },
            &e,
        )
    })
}

impl Files {
    /// Presigns an upload and records the file as pending.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `files:upload` (and `imports:run` for a roster);
    /// [`AppError::Invalid`] for a purpose clients do not upload, a content type or size the
    /// purpose refuses, or a photo without its child; [`AppError::NotFound`] for a child the
    /// caller does not reach as staff; [`AppError::Rule`] (`file.no_photo_consent`).
    pub async fn presign_upload(
        &self,
        scope: &TenantScope,
        new: NewUpload,
    ) -> Result<(StoredFile, Upload), AppError> {
        check_upload(scope, &new)?;
        self.check_child(scope, new.purpose, new.child).await?;
        let id = FileId::from_uuid(self.ids.uuid());
        let key = ObjectKey::new(scope.tenant_id(), new.purpose, id);
        let upload = self.presign(scope, &key, &new).await?;
        let file = StoredFile::pending(
            id,
            scope.tenant_id(),
            new.purpose,
            new.child,
            new.content_type,
            scope.actor().clone(),
            self.clock.now(),
        );
        self.files.insert(scope, &file).await?;
        Ok((file, upload))
    }

    /// Refuses a photo of a child without their guardians' consent or whom the caller does not
    /// reach as staff, a photo of no child, and a file of another purpose naming a child.
    async fn check_child(
        &self,
        scope: &TenantScope,
        purpose: FilePurpose,
        child: Option<ChildId>,
    ) -> Result<(), AppError> {
        match (purpose, child) {
            (FilePurpose::ChildPhoto, Some(child)) => {
                let day = self.children.today(scope).await?;
                let found = self.children.as_staff(scope, child, day).await?;
                if !found.photo_consent() {
                    return Err(AppError::Rule {
                        code: ErrorCode::FileNoPhotoConsent,
                        message: "the child's guardians have not consented to photos".to_owned(),
                    });
                }
                Ok(())
            }
            (FilePurpose::ChildPhoto, None) | (_, Some(_)) => {
                Err(invalid("child_id", &FileError::Child))
            }
            _ => Ok(()),
        }
    }

    /// A presigned upload of `new` to `key`, by the method it asks for.
    async fn presign(
        &self,
        scope: &TenantScope,
        key: &ObjectKey,
        new: &NewUpload,
    ) -> Result<Upload, AppError> {
        Ok(match new.method {
            UploadMethod::Post => Upload::Post(
                self.objects
                    .presign_post(
                        scope,
                        &UploadPolicy {
                            key: key.clone(),
                            content_type: new.content_type.clone(),
                            max_bytes: new.purpose.max_bytes(),
                            expires_in: UPLOAD_EXPIRY,
                        },
                    )
                    .await?,
            ),
            UploadMethod::Put => Upload::Put(
                self.objects
                    .presign_put(scope, key, &new.content_type, new.size, UPLOAD_EXPIRY)
                    .await?,
            ),
        })
    }

    /// Records that an upload arrived: the store has the object, within the purpose's limits.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `files:upload`; [`AppError::NotFound`];
    /// [`AppError::Rule`] (`file.not_uploaded`).
    pub async fn confirm(&self, scope: &TenantScope, id: FileId) -> Result<StoredFile, AppError> {
        require(scope, Permission::FilesUpload)?;
        let file = self.visible(scope, id).await?;
        if file.status() == FileStatus::Stored {
            return Ok(file);
        }
        let info = self
            .objects
            .head(scope, file.key())
            .await?
            .ok_or_else(not_uploaded)?;
        if info.size == 0 || info.size > file.purpose().max_bytes() {
            return Err(not_uploaded());
        }
        let stored = file.confirmed(info.size, self.clock.now());
        self.files.update(scope, &stored).await?;
        Ok(stored)
    }

    /// A file's record.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `files:read`; [`AppError::NotFound`] for a file the
    /// caller may not see.
    pub async fn get(&self, scope: &TenantScope, id: FileId) -> Result<StoredFile, AppError> {
        require(scope, Permission::FilesRead)?;
        self.visible(scope, id).await
    }

    /// A short-lived presigned download of a stored file the caller may see.
    ///
    /// # Errors
    ///
    /// As [`Files::get`], and [`AppError::Rule`] (`file.not_uploaded`).
    pub async fn presign_download(
        &self,
        scope: &TenantScope,
        id: FileId,
    ) -> Result<(StoredFile, PresignedRequest), AppError> {
        require(scope, Permission::FilesRead)?;
        let file = self.visible(scope, id).await?;
        if file.status() != FileStatus::Stored {
            return Err(not_uploaded());
        }
        let request = self
            .objects
            .presign_get(scope, file.key(), DOWNLOAD_EXPIRY)
            .await?;
        Ok((file, request))
    }

    /// The record, if the caller may see the file.
    async fn visible(&self, scope: &TenantScope, id: FileId) -> Result<StoredFile, AppError> {
        let file = self.files.get(scope, id).await?;
        let everything = scope.has(Permission::CentreAllRooms) || scope.user_id().is_none();
        let own = scope.user_id().is_some() && scope.actor() == file.owner();
        let allowed = match file.purpose() {
            FilePurpose::ChildPhoto => match file.child_id() {
                Some(child) => self.sees_photo_of(scope, child).await?,
                None => false,
            },
            FilePurpose::Document => {
                everything || own || !self.children.staff_rooms(scope).await?.is_empty()
            }
            FilePurpose::RosterImport => everything || own || scope.has(Permission::ImportsRun),
            FilePurpose::Report => everything || own || scope.has(Permission::ReportsRun),
        };
        if allowed {
            Ok(file)
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Whether the caller may see photos of `child`: as staff, or as a contact with `media`
    /// while the child's photo consent stands.
    async fn sees_photo_of(&self, scope: &TenantScope, child: ChildId) -> Result<bool, AppError> {
        let day = self.children.today(scope).await?;
        let found = match self.children.children.get(scope, child).await {
            Ok(found) => found,
            Err(RepoError::NotFound) => return Ok(false),
            Err(other) => return Err(other.into()),
        };
        Ok(match self.children.reach(scope, &found, day).await {
            Ok(Access::Staff) => true,
            Ok(Access::Guardian(view)) => view.sees_media() && found.photo_consent(),
            Err(AppError::NotFound) => false,
            Err(other) => return Err(other),
        })
    }
}

#[cfg(test)]
mod tests;
