//! `/v1/centre`: the caller's centre and its settings.

use cubby_app::centre::SettingsChanges;
use cubby_domain::time_of_day::{clock_time, parse_clock_time};
use cubby_domain::{ErrorCode, RatioEnforcement, Tenant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::fields::{Fields, Unknown, nullable};
use crate::openapi::schemas::{self as doc, IfMatch, with};
use crate::{ApiError, Ctx, Reply};

/// How a centre answers a check-in that breaks its ratio.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = RatioEnforcement)]
enum RatioEnforcementOut {
    /// Accept it with a warning.
    Warn,
    /// Refuse it (409 `ratio.would_breach`).
    Refuse,
}

impl From<RatioEnforcement> for RatioEnforcementOut {
    fn from(enforcement: RatioEnforcement) -> Self {
        match enforcement {
            RatioEnforcement::Warn => Self::Warn,
            RatioEnforcement::Refuse => Self::Refuse,
        }
    }
}

/// A centre's settings.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CentreSettings)]
struct CentreSettingsOut {
    ratio_enforcement: RatioEnforcementOut,
    /// When the centre closes (`HH:MM`); absent when not set.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::clock_time, required = false)]
    closing_time: Option<String>,
}

/// The caller's centre.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Centre)]
struct CentreOut {
    #[schema(value_type = doc::Tenant)]
    id: String,
    code: String,
    name: String,
    /// An IANA time zone (`Europe/London`).
    time_zone: String,
    settings: CentreSettingsOut,
    #[schema(minimum = 1)]
    version: u64,
}

impl From<&Tenant> for CentreOut {
    fn from(tenant: &Tenant) -> Self {
        Self {
            id: tenant.id().to_string(),
            code: tenant.code().to_string(),
            name: tenant.name().as_str().to_owned(),
            time_zone: tenant.time_zone().name().to_owned(),
            settings: CentreSettingsOut {
                ratio_enforcement: tenant.settings().ratio_enforcement.into(),
                closing_time: tenant.settings().closing_time.map(clock_time),
            },
            version: tenant.version().get(),
        }
    }
}

fn centre(tenant: &Tenant) -> Result<Reply, ApiError> {
    Ok(Reply::ok(&CentreOut::from(tenant))?.with_etag(tenant.version()))
}

/// `GET /v1/centre`: the caller's centre, its time zone and settings, with its `ETag`.
#[utoipa::path(
    get,
    path = "/v1/centre",
    tag = "centre",
    responses((status = 200, description = "The centre", body = CentreOut, headers(("ETag" = String))))
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
    #[schema(value_type = Option<RatioEnforcementOut>)]
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
    responses((status = 200, description = "The centre", body = CentreOut, headers(("ETag" = String))))
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
