//! `/v1/files`: presigned uploads and downloads, and file records.

use cubby_app::files::{NewUpload, Upload, UploadMethod};
use cubby_domain::{ChildId, ErrorCode, FileId, FilePurpose, FileStatus, StoredFile};
use cubby_ports::PresignedRequest;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::fields::{Fields, Unknown, rfc3339};
use crate::openapi::schemas::{self as doc, with};
use crate::{ApiError, Ctx, Reply};

/// What a file is for.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = FilePurpose)]
enum FilePurposeOut {
    /// A child's photo.
    ChildPhoto,
    /// A document.
    Document,
    /// A roster to import.
    RosterImport,
    /// A report the server wrote.
    Report,
}

impl From<FilePurpose> for FilePurposeOut {
    fn from(purpose: FilePurpose) -> Self {
        match purpose {
            FilePurpose::ChildPhoto => Self::ChildPhoto,
            FilePurpose::Document => Self::Document,
            FilePurpose::RosterImport => Self::RosterImport,
            FilePurpose::Report => Self::Report,
        }
    }
}

/// Whether the object has arrived.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = FileStatus)]
enum FileStatusOut {
    /// Presigned, not confirmed.
    Pending,
    /// Confirmed in the store.
    Stored,
}

impl From<FileStatus> for FileStatusOut {
    fn from(status: FileStatus) -> Self {
        match status {
            FileStatus::Pending => Self::Pending,
            FileStatus::Stored => Self::Stored,
        }
    }
}

/// A file's record.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = File)]
struct FileOut {
    #[schema(value_type = doc::File)]
    id: String,
    purpose: FilePurposeOut,
    /// The child a photo is of.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = doc::Child, required = false)]
    child_id: Option<String>,
    content_type: String,
    /// Bytes: the declared size until confirmed, then the stored one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    size: Option<u64>,
    status: FileStatusOut,
    /// Who uploaded it: a user id, or `system:<job>`.
    owner: String,
    #[schema(value_type = String, format = DateTime)]
    created_at: String,
    /// Absent until confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::time, required = false)]
    stored_at: Option<String>,
}

impl From<&StoredFile> for FileOut {
    fn from(file: &StoredFile) -> Self {
        Self {
            id: file.id().to_string(),
            purpose: file.purpose().into(),
            child_id: file.child_id().map(|c| c.to_string()),
            content_type: file.content_type().to_owned(),
            size: file.size(),
            status: file.status().into(),
            owner: file.owner().to_string(),
            created_at: rfc3339(file.created_at()),
            stored_at: file.stored_at().map(rfc3339),
        }
    }
}

/// A header or form field to send as given.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = NameValue)]
struct NameValueOut {
    name: String,
    value: String,
}

fn name_values(pairs: &[(String, String)]) -> Vec<NameValueOut> {
    pairs
        .iter()
        .map(|(name, value)| NameValueOut {
            name: name.clone(),
            value: value.clone(),
        })
        .collect()
}

/// `POST`.
#[derive(Debug, Serialize, ToSchema)]
enum PostMethod {
    /// A form upload.
    #[serde(rename = "POST")]
    Post,
}

/// A presigned form: POST `url` as `multipart/form-data` with every field first, in order,
/// then the file as `file`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PresignedPost)]
struct PresignedPostOut {
    method: PostMethod,
    url: String,
    fields: Vec<NameValueOut>,
    #[schema(value_type = String, format = DateTime)]
    expires_at: String,
}

/// `GET` or `PUT`.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "a schema only: the store names the method of the request it presigned"
)]
enum RequestMethod {
    /// A download.
    #[schema(rename = "GET")]
    Get,
    /// An upload of the body.
    #[schema(rename = "PUT")]
    Put,
}

/// A presigned request: send it to `url` with exactly these headers.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PresignedRequest)]
struct PresignedRequestOut {
    #[schema(value_type = RequestMethod)]
    method: &'static str,
    url: String,
    headers: Vec<NameValueOut>,
    #[schema(value_type = String, format = DateTime)]
    expires_at: String,
}

impl From<&PresignedRequest> for PresignedRequestOut {
    fn from(request: &PresignedRequest) -> Self {
        Self {
            method: request.method,
            url: request.url.clone(),
            headers: name_values(&request.headers),
            expires_at: rfc3339(request.expires_at),
        }
    }
}

/// How to upload: a form (`"method": "POST"`) or a PUT (`"method": "PUT"`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = Upload)]
enum UploadOut {
    /// A form.
    Post(PresignedPostOut),
    /// A PUT.
    Put(PresignedRequestOut),
}

/// A pending file and how to upload it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PresignedUpload)]
struct PresignedUploadOut {
    file: FileOut,
    upload: UploadOut,
}

/// A file and a GET that downloads it for 60 seconds.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PresignedDownload)]
struct PresignedDownloadOut {
    file: FileOut,
    download: PresignedRequestOut,
}

/// The body of `POST /v1/files/presign`: an upload names `purpose`, `content_type` and
/// `size` (and `child_id` for a child's photo, `method` for how to send it); a download names
/// `file_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PresignIn {
    #[schema(value_type = Operation)]
    operation: String,
    #[schema(value_type = Option<FilePurposeOut>)]
    purpose: Option<String>,
    /// One the purpose allows (`file.content_type_not_allowed`).
    content_type: Option<String>,
    /// Bytes, at most the purpose's maximum (`file.too_large`).
    size: Option<u64>,
    #[schema(value_type = Option<doc::Child>)]
    child_id: Option<String>,
    /// `post` (a form, the default) or `put`.
    #[schema(value_type = Option<PresignMethod>)]
    method: Option<String>,
    #[schema(value_type = Option<doc::File>)]
    file_id: Option<String>,
}

/// What to presign.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[expect(dead_code, reason = "a schema only; never built")]
enum Operation {
    /// An upload.
    Upload,
    /// A download.
    Download,
}

/// How an upload is sent.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[expect(dead_code, reason = "a schema only; never built")]
enum PresignMethod {
    /// A form (for browsers).
    Post,
    /// A PUT of the body.
    Put,
}

fn required<T>(fields: &mut Fields, field: &str, value: Option<T>) -> Option<T> {
    if value.is_none() {
        fields.check::<(), Unknown>(
            field,
            Err(Unknown {
                code: ErrorCode::RequestFieldRequired,
                value: String::new(),
            }),
        );
    }
    value
}

fn unknown(code: ErrorCode, value: &str) -> Unknown {
    Unknown {
        code,
        value: value.to_owned(),
    }
}

/// `POST /v1/files/presign`: `{"operation": "upload", "purpose", "content_type", "size",
/// "child_id"?, "method"?: "post"|"put"}` answers 201 with the pending file and how to upload
/// it; `{"operation": "download", "file_id"}` answers a short-lived GET.
#[utoipa::path(
    post,
    path = "/v1/files/presign",
    tag = "files",
    summary = "Presigns an upload or a download",
    description = "An upload (`\"operation\": \"upload\"`) names the file's `purpose`, \
        `content_type` and `size` (and `child_id` for a child's photo), and answers 201 with the \
        pending file and how to send it: a form (`\"method\": \"post\"`, the default) or a PUT \
        (`\"method\": \"put\"`); then confirm it with `POST /v1/files/{id}/confirm`. A download \
        (`\"operation\": \"download\"`, `file_id`) answers a GET that works for 60 seconds.",
    request_body = PresignIn,
    responses(
        (status = 200, description = "A download", body = PresignedDownloadOut),
        (status = 201, description = "An upload: the pending file and how to send it",
            body = PresignedUploadOut, headers(("Location" = String))),
        (status = 403, description = "Uploading needs `files:upload` (and `imports:run` for a \
            roster), or the session lacks the permission"),
        (status = 404, description = "No such file or child the caller may see"),
        (status = 409, description = "The child's photo consent is not given \
            (`file.no_photo_consent`)"),
    )
)]
pub(crate) async fn presign(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: PresignIn = ctx.json()?;
    let mut fields = Fields::default();
    match body.operation.as_str() {
        "upload" => {
            let purpose =
                required(&mut fields, "purpose", body.purpose.as_deref()).and_then(|text| {
                    fields.check(
                        "purpose",
                        FilePurpose::parse(text)
                            .ok_or_else(|| unknown(ErrorCode::FileUnknownPurpose, text)),
                    )
                });
            let content_type = required(&mut fields, "content_type", body.content_type.clone());
            let size = required(&mut fields, "size", body.size);
            let child = match &body.child_id {
                Some(text) => fields
                    .check(
                        "child_id",
                        text.parse::<ChildId>()
                            .map_err(|_| unknown(ErrorCode::FileInvalidChild, text)),
                    )
                    .map(Some),
                None => Some(None),
            };
            let method = match body.method.as_deref() {
                None | Some("post") => Some(UploadMethod::Post),
                Some("put") => Some(UploadMethod::Put),
                Some(other) => fields.check::<UploadMethod, _>(
                    "method",
                    Err(unknown(ErrorCode::FileUnknownMethod, other)),
                ),
            };
            let new = match (purpose, content_type, size, child, method) {
                (Some(purpose), Some(content_type), Some(size), Some(child), Some(method)) => {
                    Some(NewUpload {
                        purpose,
                        content_type,
                        size,
                        child,
                        method,
                    })
                }
                _ => None,
            };
            let new = fields.finish(new)?;
            let (stored, upload) = ctx.app().files.presign_upload(ctx.scope()?, new).await?;
            let upload = match upload {
                Upload::Post(post) => UploadOut::Post(PresignedPostOut {
                    method: PostMethod::Post,
                    url: post.url,
                    fields: name_values(&post.fields),
                    expires_at: rfc3339(post.expires_at),
                }),
                Upload::Put(put) => UploadOut::Put(PresignedRequestOut::from(&put)),
            };
            let body = PresignedUploadOut {
                file: FileOut::from(&stored),
                upload,
            };
            Ok(Reply::json(StatusCode::CREATED, &body)?
                .with_location(&format!("/v1/files/{}", stored.id())))
        }
        "download" => {
            let id = required(&mut fields, "file_id", body.file_id.as_deref()).and_then(|text| {
                fields.check(
                    "file_id",
                    text.parse::<FileId>()
                        .map_err(|_| unknown(ErrorCode::FileInvalidId, text)),
                )
            });
            let id = fields.finish(id)?;
            let (stored, download) = ctx.app().files.presign_download(ctx.scope()?, id).await?;
            Reply::ok(&PresignedDownloadOut {
                file: FileOut::from(&stored),
                download: PresignedRequestOut::from(&download),
            })
        }
        other => {
            fields.check::<(), _>(
                "operation",
                Err(unknown(ErrorCode::FileUnknownOperation, other)),
            );
            fields.finish(None)
        }
    }
}

/// `POST /v1/files/{id}/confirm`: records that the upload arrived (the store is asked).
#[utoipa::path(
    post,
    path = "/v1/files/{id}/confirm",
    tag = "files",
    params(("id" = doc::File, Path, description = "The file")),
    responses(
        (status = 200, description = "The stored file", body = FileOut),
        (status = 409, description = "The object is not in the store yet (`file.not_uploaded`)"),
    )
)]
pub(crate) async fn confirm(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: FileId = ctx.param("id")?;
    let stored = ctx.app().files.confirm(ctx.scope()?, id).await?;
    Reply::ok(&FileOut::from(&stored))
}

/// `GET /v1/files/{id}`: a file's record.
#[utoipa::path(
    get,
    path = "/v1/files/{id}",
    tag = "files",
    params(("id" = doc::File, Path, description = "The file")),
    responses((status = 200, description = "The file", body = FileOut))
)]
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: FileId = ctx.param("id")?;
    let stored = ctx.app().files.get(ctx.scope()?, id).await?;
    Reply::ok(&FileOut::from(&stored))
}
