//! `/v1/files`: presigned uploads and downloads, and file records.

use cubby_app::files::{NewUpload, Upload, UploadMethod};
use cubby_domain::{ChildId, FileId, FilePurpose, StoredFile};
use cubby_ports::PresignedRequest;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::fields::{Fields, Unknown, rfc3339};
use crate::{ApiError, Ctx, Reply};

fn file(file: &StoredFile) -> Value {
    json!({
        "id": file.id.to_string(),
        "purpose": file.purpose.as_str(),
        "child_id": file.child_id.map(|c| c.to_string()),
        "content_type": file.content_type,
        "size": file.size,
        "status": file.status.as_str(),
        "owner": file.owner.to_string(),
        "created_at": rfc3339(file.created_at),
        "stored_at": file.stored_at.map(rfc3339),
    })
}

fn request(request: &PresignedRequest) -> Value {
    json!({
        "method": request.method,
        "url": request.url,
        "headers": request.headers.iter().map(|(k, v)| json!({ "name": k, "value": v })).collect::<Vec<_>>(),
        "expires_at": rfc3339(request.expires_at),
    })
}

/// The body of `POST /v1/files/presign`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PresignIn {
    operation: String,
    purpose: Option<String>,
    content_type: Option<String>,
    size: Option<u64>,
    child_id: Option<String>,
    method: Option<String>,
    file_id: Option<String>,
}

fn required<T>(fields: &mut Fields, field: &str, value: Option<T>) -> Option<T> {
    if value.is_none() {
        fields.check::<(), Unknown>(
            field,
            Err(Unknown {
                code: "request.field_required",
                value: String::new(),
            }),
        );
    }
    value
}

fn unknown(code: &'static str, value: &str) -> Unknown {
    Unknown {
        code,
        value: value.to_owned(),
    }
}

/// `POST /v1/files/presign`: `{"operation": "upload", "purpose", "content_type", "size",
/// "child_id"?, "method"?: "post"|"put"}` answers 201 with the pending file and how to upload
/// it; `{"operation": "download", "file_id"}` answers a short-lived GET.
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
                            .ok_or_else(|| unknown("file.unknown_purpose", text)),
                    )
                });
            let content_type = required(&mut fields, "content_type", body.content_type.clone());
            let size = required(&mut fields, "size", body.size);
            let child = match &body.child_id {
                Some(text) => fields
                    .check(
                        "child_id",
                        text.parse::<ChildId>()
                            .map_err(|_| unknown("file.invalid_child", text)),
                    )
                    .map(Some),
                None => Some(None),
            };
            let method = match body.method.as_deref() {
                None | Some("post") => Some(UploadMethod::Post),
                Some("put") => Some(UploadMethod::Put),
                Some(other) => fields
                    .check::<UploadMethod, _>("method", Err(unknown("file.unknown_method", other))),
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
                        .map_err(|_| unknown("file.invalid_id", text)),
                )
            });
            let id = fields.finish(id)?;
            let (stored, download) = ctx.app().files.presign_download(ctx.scope()?, id).await?;
            Reply::ok(&json!({ "file": file(&stored), "download": request(&download) }))
        }
        other => {
            fields.check::<(), _>("operation", Err(unknown("file.unknown_operation", other)));
            fields.finish(None)
        }
    }
}

/// `POST /v1/files/{id}/confirm`: records that the upload arrived (the store is asked).
pub(crate) async fn confirm(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: FileId = ctx.param("id")?;
    let stored = ctx.app().files.confirm(ctx.scope()?, id).await?;
    Reply::ok(&file(&stored))
}

/// `GET /v1/files/{id}`: a file's record.
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: FileId = ctx.param("id")?;
    let stored = ctx.app().files.get(ctx.scope()?, id).await?;
    Reply::ok(&file(&stored))
}
