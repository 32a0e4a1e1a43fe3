//! `/v1/reports/attendance`, `/v1/imports/roster` and `/v1/jobs/{id}`: background work a
//! centre asks for, and where it stands.

use cubby_app::jobs::JobRequest;
use cubby_domain::{JobId, JobRecord, JobStatus};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::fields::rfc3339;
use crate::openapi::schemas::{self as doc, with};
use crate::{ApiError, Ctx, Reply};

/// Where a job stands.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = JobStatus)]
enum JobStatusOut {
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

impl From<JobStatus> for JobStatusOut {
    fn from(status: JobStatus) -> Self {
        match status {
            JobStatus::Queued => Self::Queued,
            JobStatus::Running => Self::Running,
            JobStatus::Succeeded => Self::Succeeded,
            JobStatus::Failed => Self::Failed,
            JobStatus::Dead => Self::Dead,
        }
    }
}

/// How far a job is.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Progress)]
struct ProgressOut {
    done: u64,
    /// Units in all, once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    total: Option<u64>,
}

/// Background work a centre asked for.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Job)]
struct JobOut {
    #[schema(value_type = doc::Job)]
    id: String,
    /// What it does (`attendance_report`, `roster_import`).
    kind: String,
    status: JobStatusOut,
    attempts: u32,
    progress: ProgressOut,
    /// What went wrong: the latest attempt's error, or an import's errors by row and column.
    errors: Vec<String>,
    /// The report it wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = doc::File, required = false)]
    result_file_id: Option<String>,
    /// Who asked for it: a user id, or `system:<job>`.
    requested_by: String,
    #[schema(value_type = String, format = DateTime)]
    created_at: String,
    #[schema(value_type = String, format = DateTime)]
    updated_at: String,
}

impl From<&JobRecord> for JobOut {
    fn from(record: &JobRecord) -> Self {
        Self {
            id: record.id().to_string(),
            kind: record.kind().to_owned(),
            status: record.status().into(),
            attempts: record.attempts(),
            progress: ProgressOut {
                done: record.done(),
                total: record.total(),
            },
            errors: record.errors().to_vec(),
            result_file_id: record.result_file().map(|f| f.to_string()),
            requested_by: record.requested_by().to_string(),
            created_at: rfc3339(record.created_at()),
            updated_at: rfc3339(record.updated_at()),
        }
    }
}

fn accepted(record: &JobRecord) -> Result<Reply, ApiError> {
    Ok(Reply::json(StatusCode::ACCEPTED, &JobOut::from(record))?
        .with_location(&format!("/v1/jobs/{}", record.id())))
}

/// The body of `POST /v1/reports/attendance`: a span of at most 62 days.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReportIn {
    #[schema(schema_with = with::date)]
    from: String,
    #[schema(schema_with = with::date)]
    to: String,
    /// One room's report.
    #[schema(value_type = Option<doc::Room>)]
    room_id: Option<String>,
}

/// `POST /v1/reports/attendance`: starts an attendance report (CSV); 202 with the job.
#[utoipa::path(
    post,
    path = "/v1/reports/attendance",
    tag = "jobs",
    request_body = ReportIn,
    responses(
        (status = 202, description = "The queued job", body = JobOut, headers(("Location" = String))),
        (status = 404, description = "No such room in the centre"),
    )
)]
pub(crate) async fn attendance_report(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: ReportIn = ctx.json()?;
    let record = ctx
        .app()
        .jobs
        .submit(
            ctx.scope()?,
            JobRequest::AttendanceReport {
                from: body.from,
                to: body.to,
                room: body.room_id,
            },
        )
        .await?;
    accepted(&record)
}

/// The body of `POST /v1/imports/roster`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ImportIn {
    /// A confirmed `roster_import` upload.
    #[schema(value_type = doc::File)]
    file_id: String,
}

/// `POST /v1/imports/roster`: imports the children of an uploaded roster CSV, all rows or
/// none; 202 with the job.
#[utoipa::path(
    post,
    path = "/v1/imports/roster",
    tag = "jobs",
    request_body = ImportIn,
    responses(
        (status = 202, description = "The queued job", body = JobOut, headers(("Location" = String))),
        (status = 404, description = "No such file the caller may import"),
    )
)]
pub(crate) async fn roster_import(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: ImportIn = ctx.json()?;
    let record = ctx
        .app()
        .jobs
        .submit(
            ctx.scope()?,
            JobRequest::RosterImport { file: body.file_id },
        )
        .await?;
    accepted(&record)
}

/// `GET /v1/jobs/{id}`: status, progress, errors and the file it produced.
#[utoipa::path(
    get,
    path = "/v1/jobs/{id}",
    tag = "jobs",
    params(("id" = doc::Job, Path, description = "The job")),
    responses((status = 200, description = "The job", body = JobOut))
)]
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: JobId = ctx.param("id")?;
    let record = ctx.app().jobs.get(ctx.scope()?, id).await?;
    Reply::ok(&JobOut::from(&record))
}
