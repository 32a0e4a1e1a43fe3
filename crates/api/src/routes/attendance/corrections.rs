//! `POST /v1/attendance/corrections`: voiding or re-timing an earlier event.

use cubby_app::attendance::Correction;
use cubby_domain::{Amendment, AttendanceEventId, ErrorCode, Note};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{id, recorded};
use crate::openapi::schemas::{self as doc, with};
use crate::routes::fields::{Fields, Unknown, time};
use crate::{ApiError, Ctx, Reply};

/// The body of `POST /v1/attendance/corrections`: either `"void": true` or a corrected `at`
/// (on the same day), with a reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CorrectionIn {
    /// The client's own id for the correction.
    #[schema(value_type = doc::AttendanceEvent)]
    id: String,
    /// The event corrected.
    #[schema(value_type = doc::AttendanceEvent)]
    amends: String,
    #[serde(default)]
    void: bool,
    #[schema(schema_with = with::time_or_null)]
    at: Option<String>,
    #[schema(schema_with = with::note)]
    reason: String,
}

impl CorrectionIn {
    fn into_domain(self) -> Result<Correction, ApiError> {
        let mut fields = Fields::default();
        let event_id = id::<AttendanceEventId>(
            &mut fields,
            "id",
            ErrorCode::AttendanceInvalidId,
            Some(&self.id),
        )
        .flatten();
        let amends = id::<AttendanceEventId>(
            &mut fields,
            "amends",
            ErrorCode::AttendanceInvalidId,
            Some(&self.amends),
        )
        .flatten();
        let amendment = match (self.void, &self.at) {
            (true, None) => Some(Amendment::Void),
            (false, Some(text)) => fields.check("at", time(text)).map(Amendment::Retime),
            _ => {
                fields.check::<(), Unknown>(
                    "void",
                    Err(Unknown {
                        code: ErrorCode::AttendanceInvalidCorrection,
                        value: "give either \"void\": true or a corrected \"at\"".to_owned(),
                    }),
                );
                None
            }
        };
        let reason = fields.check("reason", Note::parse(&self.reason));
        let correction = match (event_id, amends, amendment, reason) {
            (Some(id), Some(amends), Some(amendment), Some(reason)) => Some(Correction {
                id,
                amends,
                amendment,
                reason,
            }),
            _ => None,
        };
        fields.finish(correction)
    }
}

/// `POST /v1/attendance/corrections`: voids or re-times an earlier event, with a reason.
#[utoipa::path(
    post,
    path = "/v1/attendance/corrections",
    tag = "attendance",
    request_body = CorrectionIn,
    responses(
        (status = 200, description = "The correction was already recorded under this id",
            body = super::RecordedOut,
            headers(("Idempotent-Replayed" = String, description = "`true`"))),
        (status = 201, description = "The correction", body = super::RecordedOut),
        (status = 404, description = "No such event in the centre (or it is a correction)"),
        (status = 409, description = "The day would not make sense with it \
            (`attendance.invalid_correction`, `attendance.not_checked_in`, ...)"),
    )
)]
pub(crate) async fn correct(ctx: Ctx) -> Result<Reply, ApiError> {
    let correction = ctx.json::<CorrectionIn>()?.into_domain()?;
    let done = ctx
        .app()
        .attendance
        .correct(ctx.scope()?, correction)
        .await?;
    recorded(&done)
}
