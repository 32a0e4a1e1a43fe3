//! `/v1/reports/attendance`, `/v1/imports/roster` and `/v1/jobs/{id}`: background work a
//! centre asks for, and where it stands.

use cubby_app::jobs::JobRequest;
use cubby_domain::{JobId, JobRecord};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::fields::{omit_nulls, rfc3339};
use crate::openapi::schemas::{self as doc, with};
use crate::openapi::shapes_work::Job;
use crate::{ApiError, Ctx, Reply};

fn job(record: &JobRecord) -> Value {
    omit_nulls(json!({
        "id": record.id().to_string(),
        "kind": record.kind(),
        "status": record.status().as_str(),
        "attempts": record.attempts(),
        "progress": { "done": record.done(), "total": record.total() },
        "errors": record.errors(),
        "result_file_id": record.result_file().map(|f| f.to_string()),
        "requested_by": record.requested_by().to_string(),
        "created_at": rfc3339(record.created_at()),
        "updated_at": rfc3339(record.updated_at()),
    }))
}

fn accepted(record: &JobRecord) -> Result<Reply, ApiError> {
    Ok(Reply::json(StatusCode::ACCEPTED, &job(record))?
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
        (status = 202, description = "The queued job", body = Job, headers(("Location" = String))),
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
        (status = 202, description = "The queued job", body = Job, headers(("Location" = String))),
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
    responses((status = 200, description = "The job", body = Job))
)]
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: JobId = ctx.param("id")?;
    let record = ctx.app().jobs.get(ctx.scope()?, id).await?;
    Reply::ok(&job(&record))
}
