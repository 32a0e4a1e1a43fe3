//! `/v1/reports/attendance`, `/v1/imports/roster` and `/v1/jobs/{id}`: background work a
//! centre asks for, and where it stands.

use cubby_app::jobs::JobRequest;
use cubby_domain::{JobId, JobRecord};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::fields::rfc3339;
use crate::{ApiError, Ctx, Reply};

fn job(record: &JobRecord) -> Value {
    json!({
        "id": record.id.to_string(),
        "kind": record.kind,
        "status": record.status.as_str(),
        "attempts": record.attempts,
        "progress": { "done": record.done, "total": record.total },
        "errors": record.errors,
        "result_file_id": record.result_file.map(|f| f.to_string()),
        "requested_by": record.requested_by.to_string(),
        "created_at": rfc3339(record.created_at),
        "updated_at": rfc3339(record.updated_at),
    })
}

fn accepted(record: &JobRecord) -> Result<Reply, ApiError> {
    Ok(Reply::json(StatusCode::ACCEPTED, &job(record))?
        .with_location(&format!("/v1/jobs/{}", record.id)))
}

/// The body of `POST /v1/reports/attendance`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportIn {
    from: String,
    to: String,
    room_id: Option<String>,
}

/// `POST /v1/reports/attendance`: starts an attendance report (CSV); 202 with the job.
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportIn {
    file_id: String,
}

/// `POST /v1/imports/roster`: imports the children of an uploaded roster CSV, all rows or
/// none; 202 with the job.
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
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: JobId = ctx.param("id")?;
    let record = ctx.app().jobs.get(ctx.scope()?, id).await?;
    Reply::ok(&job(&record))
}
