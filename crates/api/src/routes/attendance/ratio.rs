//! `GET /v1/rooms/{id}/ratio` and `GET /v1/ratio-breaches`: a room's live ratio and the
//! breaches recorded.

use cubby_app::attendance::LiveRatio;
use cubby_domain::{Breach, RoomId};
use cubby_ports::{BreachQuery, SortDirection};
use serde::{Deserialize, Serialize};
use utoipa::openapi::Object;
use utoipa::{IntoParams, ToSchema};

use super::{RatioReportOut, bad_query};
use crate::context::{SortKeys, page};
use crate::openapi::schemas::{self as doc, with};
use crate::routes::fields::{date, date_text, rfc3339};
use crate::routes::page::Page;
use crate::{ApiError, Ctx, Reply};

/// Who is in a room now, against the rule in force.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LiveRatio)]
struct LiveRatioOut {
    #[serde(flatten)]
    report: RatioReportOut,
    #[schema(value_type = doc::Room)]
    room_id: String,
    #[schema(schema_with = with::date)]
    day: String,
    #[schema(value_type = String, format = DateTime)]
    at: String,
    /// The day the rule in force took effect.
    #[schema(schema_with = with::date)]
    rule_effective_from: String,
}

impl From<&LiveRatio> for LiveRatioOut {
    fn from(ratio: &LiveRatio) -> Self {
        Self {
            report: RatioReportOut::from(&ratio.report),
            room_id: ratio.room.to_string(),
            day: date_text(ratio.day),
            at: rfc3339(ratio.at),
            rule_effective_from: date_text(ratio.rule_effective_from),
        }
    }
}

/// `GET /v1/rooms/{id}/ratio`: who is in the room now against the rule in force.
#[utoipa::path(
    get,
    path = "/v1/rooms/{id}/ratio",
    tag = "attendance",
    params(("id" = doc::Room, Path, description = "The room")),
    responses(
        (status = 200, description = "The room's live ratio", body = LiveRatioOut),
        (status = 409, description = "A stored day does not add up"),
    )
)]
pub(crate) async fn ratio(ctx: Ctx) -> Result<Reply, ApiError> {
    let room: RoomId = ctx.param("id")?;
    let found = ctx.app().attendance.live_ratio(ctx.scope()?, room).await?;
    Reply::ok(&LiveRatioOut::from(&found))
}

/// How ratio breaches sort.
const BREACH_SORT: SortKeys<()> = SortKeys(&[("at", ())]);

fn breach_sort() -> Object {
    with::sort(&BREACH_SORT)
}

/// The query of `GET /v1/ratio-breaches`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct BreachListQuery {
    /// One room's breaches (callers without `centre:all_rooms` must name one of theirs).
    #[param(value_type = Option<doc::Room>)]
    room: Option<String>,
    /// From this day.
    #[param(format = Date)]
    from: Option<String>,
    /// To this day.
    #[param(format = Date)]
    to: Option<String>,
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
    /// The order (default `-at`).
    #[param(schema_with = breach_sort)]
    sort: Option<String>,
}

/// A breach on the wire.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Breach)]
pub(crate) struct BreachOut {
    #[schema(value_type = doc::Breach)]
    id: String,
    #[schema(value_type = doc::Room)]
    room_id: String,
    #[schema(schema_with = with::date)]
    day: String,
    #[schema(format = DateTime)]
    at: String,
    /// The check-in or clock-out that broke the ratio.
    #[schema(value_type = doc::AttendanceEvent)]
    event_id: String,
    /// Whether the check-in was refused.
    refused: bool,
    children: u32,
    staff: u32,
    staff_needed: u32,
    over_group_size: u32,
    /// A user id, or `system:<job>`.
    recorded_by: String,
}

impl From<&Breach> for BreachOut {
    fn from(b: &Breach) -> Self {
        Self {
            id: b.id.to_string(),
            room_id: b.room.to_string(),
            day: date_text(b.day),
            at: rfc3339(b.at),
            event_id: b.event.to_string(),
            refused: b.refused,
            children: b.children,
            staff: b.staff,
            staff_needed: b.staff_needed,
            over_group_size: b.over_group_size,
            recorded_by: b.actor.to_string(),
        }
    }
}

/// `GET /v1/ratio-breaches`: every recorded breach, newest first; `room`, `from`, `to`;
/// `sort` is `at` or `-at` (the default).
#[utoipa::path(
    get,
    path = "/v1/ratio-breaches",
    tag = "attendance",
    params(BreachListQuery),
    responses(
        (status = 200, description = "A page of breaches", body = Page<BreachOut>),
        (status = 404, description = "No such room the caller works in"),
        (status = 422, description = "Callers without `centre:all_rooms` must name a room \
            (`ratio.room_required`)"),
    )
)]
pub(crate) async fn breaches(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: BreachListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let parse_day = |text: &Option<String>, name: &str| match text {
        Some(text) => date(text).map(Some).map_err(|_| bad_query(name)),
        None => Ok(None),
    };
    let breach_query = BreachQuery {
        room: match &query.room {
            Some(text) => Some(text.parse::<RoomId>().map_err(|_| bad_query("room"))?),
            None => None,
        },
        from: parse_day(&query.from, "from")?,
        to: parse_day(&query.to, "to")?,
        direction: BREACH_SORT.direction(query.sort.as_deref(), SortDirection::Descending)?,
        page,
    };
    let found = ctx
        .app()
        .attendance
        .breaches(ctx.scope()?, &breach_query)
        .await?;
    Reply::ok(&Page::of(&found, page, BreachOut::from))
}
