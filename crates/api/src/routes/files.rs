//! `/v1/files`: presigned uploads and downloads, and file records.

use cubby_app::files::{NewUpload, Upload, UploadMethod};
use cubby_domain::{ChildId, ErrorCode, FileId, FilePurpose, StoredFile};
use cubby_ports::PresignedRequest;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::fields::{Fields, Unknown, omit_nulls, rfc3339};
use crate::openapi::schemas as doc;
use crate::openapi::shapes_work as shape;
use crate::{ApiError, Ctx, Reply};

fn file(file: &StoredFile) -> Value {
    omit_nulls(json!({
        "id": file.id.to_string(),
        "purpose": file.purpose.as_str(),
        "child_id": file.child_id.map(|c| c.to_string()),
        "content_type": file.content_type,
        "size": file.size,
        "status": file.status.as_str(),
        "owner": file.owner.to_string(),
        "created_at": rfc3339(file.created_at),
        "stored_at": file.stored_at.map(rfc3339),
    }))
}

fn request(request: &PresignedRequest) -> Value {
    json!({
        "method": request.method,
        "url": request.url,
        "headers": request.headers.iter().map(|(k, v)| json!({ "name": k, "value": v })).collect::<Vec<_>>(),
        "expires_at": rfc3339(request.expires_at),
    })
}

/// The body of `POST /v1/files/presign`: an upload names `purpose`, `content_type` and
/// `size` (and `child_id` for a child's photo, `method` for how to send it); a download names
/// `file_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PresignIn {
    #[schema(value_type = Operation)]
    operation: String,
    #[schema(value_type = Option<shape::FilePurpose>)]
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
        (status = 200, description = "A download", body = shape::PresignedDownload),
        (status = 201, description = "An upload: the pending file and how to send it",
            body = shape::PresignedUpload, headers(("Location" = String))),
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
                Upload::Post(post) => json!({
                    "method": "POST",
                    "url": post.url,
                    "fields": post.fields.iter().map(|(k, v)| json!({ "name": k, "value": v })).collect::<Vec<_>>(),
                    "expires_at": rfc3339(post.expires_at),
                }),
                Upload::Put(put) => request(&put),
            };
            Ok(Reply::json(
                StatusCode::CREATED,
                &json!({ "file": file(&stored), "upload": upload }),
            )?
            .with_location(&format!("/v1/files/{}", stored.id)))
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
            Reply::ok(&json!({ "file": file(&stored), "download": request(&download) }))
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
        (status = 200, description = "The stored file", body = shape::File),
        (status = 409, description = "The object is not in the store yet (`file.not_uploaded`)"),
    )
)]
pub(crate) async fn confirm(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: FileId = ctx.param("id")?;
    let stored = ctx.app().files.confirm(ctx.scope()?, id).await?;
    Reply::ok(&file(&stored))
}

/// `GET /v1/files/{id}`: a file's record.
#[utoipa::path(
    get,
    path = "/v1/files/{id}",
    tag = "files",
    params(("id" = doc::File, Path, description = "The file")),
    responses((status = 200, description = "The file", body = shape::File))
)]
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: FileId = ctx.param("id")?;
    let stored = ctx.app().files.get(ctx.scope()?, id).await?;
    Reply::ok(&file(&stored))
}
