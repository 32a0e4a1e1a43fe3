//! `/v1/centre`: the caller's centre and its settings.

use cubby_app::centre::SettingsChanges;
use cubby_domain::time_of_day::{clock_time, parse_clock_time};
use cubby_domain::{ErrorCode, RatioEnforcement, Tenant};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::fields::{Fields, Unknown, nullable, omit_nulls};
use crate::openapi::schemas::{IfMatch, with};
use crate::openapi::shapes::Centre;
use crate::{ApiError, Ctx, Reply};

fn centre(tenant: &Tenant) -> Result<Reply, ApiError> {
    Ok(Reply::ok(&omit_nulls(json!({
        "id": tenant.id.to_string(),
        "code": tenant.code.to_string(),
        "name": tenant.name.as_str(),
        "time_zone": tenant.time_zone.name(),
        "settings": {
            "ratio_enforcement": tenant.settings.ratio_enforcement.as_str(),
            "closing_time": tenant.settings.closing_time.map(clock_time),
        },
        "version": tenant.version.get(),
    })))?
    .with_etag(tenant.version))
}

/// `GET /v1/centre`: the caller's centre, its time zone and settings, with its `ETag`.
#[utoipa::path(
    get,
    path = "/v1/centre",
    tag = "centre",
    responses((status = 200, description = "The centre", body = Centre, headers(("ETag" = String))))
)]
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let tenant = ctx.app().centre.get(ctx.scope()?).await?;
    centre(&tenant)
}

/// The body of `PATCH /v1/centre`: absent keeps a setting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SettingsIn {
    /// `warn` or `refuse` (`null` keeps it).
    #[schema(value_type = Option<crate::openapi::shapes::RatioEnforcement>)]
    ratio_enforcement: Option<String>,
    /// `HH:MM` in the centre's time zone; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = with::clock_time_or_null)]
    closing_time: Option<Option<String>>,
}

/// `PATCH /v1/centre`: changes `ratio_enforcement` (`warn`, `refuse`) and `closing_time`
/// (`HH:MM`, or `null`); needs `If-Match`.
#[utoipa::path(
    patch,
    path = "/v1/centre",
    tag = "centre",
    params(IfMatch),
    request_body = SettingsIn,
    responses((status = 200, description = "The centre", body = Centre, headers(("ETag" = String))))
)]
pub(crate) async fn update(ctx: Ctx) -> Result<Reply, ApiError> {
    let expected = ctx.if_match()?;
    let body: SettingsIn = ctx.json()?;
    let mut fields = Fields::default();
    let changes = SettingsChanges {
        ratio_enforcement: body.ratio_enforcement.and_then(|text| {
            fields.check(
                "ratio_enforcement",
                RatioEnforcement::parse(&text).ok_or(Unknown {
                    code: ErrorCode::CentreInvalidRatioEnforcement,
                    value: text.clone(),
                }),
            )
        }),
        closing_time: match body.closing_time {
            Some(Some(text)) => fields
                .check(
                    "closing_time",
                    parse_clock_time(&text).ok_or(Unknown {
                        code: ErrorCode::CentreInvalidClosingTime,
                        value: text.clone(),
                    }),
                )
                .map(Some),
            Some(None) => Some(None),
            None => None,
        },
    };
    let changes = fields.finish(Some(changes))?;
    let tenant = ctx
        .app()
        .centre
        .update_settings(ctx.scope()?, expected, changes)
        .await?;
    centre(&tenant)
}
