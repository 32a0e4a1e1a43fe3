//! The shapes of files, presigned requests and jobs, as their handlers build them.

#![expect(
    dead_code,
    reason = "these types only describe answers; they are never built"
)]

use utoipa::ToSchema;

use super::schemas::{self, with};

/// What a file is for.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub(crate) enum FilePurpose {
    /// A child's photo.
    ChildPhoto,
    /// A document.
    Document,
    /// A roster to import.
    RosterImport,
    /// A report the server wrote.
    Report,
}

/// Whether the object has arrived.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(crate) enum FileStatus {
    /// Presigned, not confirmed.
    Pending,
    /// Confirmed in the store.
    Stored,
}

/// A file's record.
#[derive(ToSchema)]
pub(crate) struct File {
    #[schema(value_type = schemas::File)]
    id: String,
    purpose: FilePurpose,
    /// The child a photo is of.
    #[schema(value_type = schemas::Child, required = false)]
    child_id: Option<String>,
    content_type: String,
    /// Bytes: the declared size until confirmed, then the stored one.
    #[schema(required = false, nullable = false)]
    size: Option<u64>,
    status: FileStatus,
    /// Who uploaded it: a user id, or `system:<job>`.
    owner: String,
    #[schema(value_type = String, format = DateTime)]
    created_at: String,
    /// Absent until confirmed.
    #[schema(schema_with = with::time, required = false)]
    stored_at: Option<String>,
}

/// A header or form field to send as given.
#[derive(ToSchema)]
pub(crate) struct NameValue {
    name: String,
    value: String,
}

/// `POST`.
#[derive(ToSchema)]
pub(crate) enum PostMethod {
    /// A form upload.
    #[schema(rename = "POST")]
    Post,
}

/// A presigned form: POST `url` as `multipart/form-data` with every field first, in order,
/// then the file as `file`.
#[derive(ToSchema)]
pub(crate) struct PresignedPost {
    method: PostMethod,
    url: String,
    fields: Vec<NameValue>,
    #[schema(value_type = String, format = DateTime)]
    expires_at: String,
}

/// `GET` or `PUT`.
#[derive(ToSchema)]
pub(crate) enum RequestMethod {
    /// A download.
    #[schema(rename = "GET")]
    Get,
    /// An upload of the body.
    #[schema(rename = "PUT")]
    Put,
}

/// A presigned request: send it to `url` with exactly these headers.
#[derive(ToSchema)]
pub(crate) struct PresignedRequest {
    method: RequestMethod,
    url: String,
    headers: Vec<NameValue>,
    #[schema(value_type = String, format = DateTime)]
    expires_at: String,
}

/// How to upload: a form (`"method": "post"`) or a PUT (`"method": "put"`).
#[derive(ToSchema)]
#[serde(untagged)]
pub(crate) enum Upload {
    /// A form.
    Post(PresignedPost),
    /// A PUT.
    Put(PresignedRequest),
}

/// A pending file and how to upload it.
#[derive(ToSchema)]
pub(crate) struct PresignedUpload {
    file: File,
    upload: Upload,
}

/// A file and a GET that downloads it for 60 seconds.
#[derive(ToSchema)]
pub(crate) struct PresignedDownload {
    file: File,
    download: PresignedRequest,
}

/// Where a job stands.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(crate) enum JobStatus {
    /// Waiting for a worker.
    Queued,
    /// Being worked on.
    Running,
    /// Done.
    Succeeded,
    /// Done, unsuccessfully (an import with wrong rows).
    Failed,
    /// Given up on after its attempts.
    Dead,
}

/// How far a job is.
#[derive(ToSchema)]
pub(crate) struct Progress {
    done: u64,
    /// Units in all, once known.
    #[schema(required = false, nullable = false)]
    total: Option<u64>,
}

/// Background work a centre asked for.
#[derive(ToSchema)]
pub(crate) struct Job {
    #[schema(value_type = schemas::Job)]
    id: String,
    /// What it does (`attendance_report`, `roster_import`).
    kind: String,
    status: JobStatus,
    attempts: u32,
    progress: Progress,
    /// What went wrong: the latest attempt's error, or an import's errors by row and column.
    errors: Vec<String>,
    /// The report it wrote.
    #[schema(value_type = schemas::File, required = false)]
    result_file_id: Option<String>,
    /// Who asked for it: a user id, or `system:<job>`.
    requested_by: String,
    #[schema(value_type = String, format = DateTime)]
    created_at: String,
    #[schema(value_type = String, format = DateTime)]
    updated_at: String,
}
