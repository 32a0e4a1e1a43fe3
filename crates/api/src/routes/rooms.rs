//! `/v1/rooms`: a centre's rooms.

use cubby_domain::{
    AgeBand, AgeRange, Capacity, NewRoom, RatioError, RatioRule, Room, RoomChanges, RoomError,
    RoomId, RoomName, StaffChildRatio,
};
use cubby_ports::{RoomQuery, RoomSort, RoomSortKey, SortDirection};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::openapi::Object;
use utoipa::{IntoParams, ToSchema};

use super::fields::{Fields, date, date_text};
use super::page::Page;
use crate::context::{SortKeys, page};
use crate::openapi::schemas::{self as doc, IfMatch, with};
use crate::{ApiError, Ctx, Reply};

/// An age range on the wire, in whole months (0 to 216), minimum not above maximum.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AgeRange)]
pub(crate) struct AgeRangeDto {
    #[schema(minimum = 0, maximum = 216)]
    min_months: i64,
    #[schema(minimum = 0, maximum = 216)]
    max_months: i64,
}

/// The body of `POST /v1/rooms`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoomIn {
    /// Unique among the centre's active rooms, regardless of case.
    #[schema(schema_with = with::line80)]
    name: String,
    age_range: AgeRangeDto,
    #[schema(minimum = 1, maximum = 500)]
    capacity: i64,
    #[schema(schema_with = with::ratio)]
    ratio: String,
}

/// The body of `PATCH /v1/rooms/{id}`: every field optional (absent or `null` keeps it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoomPatchIn {
    #[schema(schema_with = with::line80_or_null)]
    name: Option<String>,
    age_range: Option<AgeRangeDto>,
    #[schema(minimum = 1, maximum = 500)]
    capacity: Option<i64>,
    #[schema(schema_with = with::ratio_or_null)]
    ratio: Option<String>,
}

/// A room on the wire.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Room)]
pub(crate) struct RoomOut {
    #[schema(value_type = doc::Room)]
    id: String,
    #[schema(schema_with = with::line80)]
    name: String,
    age_range: AgeRangeDto,
    #[schema(minimum = 1, maximum = 500)]
    capacity: u16,
    #[schema(schema_with = with::ratio)]
    ratio: String,
    /// The ratio rule history, oldest first.
    ratio_rules: Vec<RuleOut>,
    archived: bool,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = String, format = DateTime)]
    archived_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
    /// A user id, or `system:<job>`.
    created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    updated_at: OffsetDateTime,
    /// A user id, or `system:<job>`.
    updated_by: String,
    #[schema(minimum = 1)]
    version: u64,
}

impl From<&Room> for RoomOut {
    fn from(room: &Room) -> Self {
        Self {
            id: room.id().to_string(),
            name: room.name().as_str().to_owned(),
            age_range: AgeRangeDto {
                min_months: room.age_range().min_months().into(),
                max_months: room.age_range().max_months().into(),
            },
            capacity: room.capacity().get(),
            ratio: room.ratio().to_string(),
            ratio_rules: room.ratio_rules().iter().map(RuleOut::from).collect(),
            archived: room.is_archived(),
            archived_at: room.archived_at(),
            created_at: room.audit().created_at(),
            created_by: room.audit().created_by().to_string(),
            updated_at: room.audit().updated_at(),
            updated_by: room.audit().updated_by().to_string(),
            version: room.version().get(),
        }
    }
}

/// A ratio rule set on the wire.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RatioRule)]
struct RuleOut {
    #[schema(schema_with = with::date)]
    effective_from: String,
    bands: Vec<BandDto>,
    #[schema(minimum = 1, maximum = 500)]
    max_group_size: u16,
}

/// An age band on the wire: from an age in months (the first band from 0, then increasing),
/// with its ratio.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AgeBand)]
struct BandDto {
    #[schema(minimum = 0, maximum = 216)]
    from_months: i64,
    #[schema(schema_with = with::ratio)]
    ratio: String,
}

impl From<&RatioRule> for RuleOut {
    fn from(rule: &RatioRule) -> Self {
        Self {
            effective_from: date_text(rule.effective_from()),
            bands: rule
                .bands()
                .iter()
                .map(|band| BandDto {
                    from_months: band.from_months.into(),
                    ratio: band.ratio.to_string(),
                })
                .collect(),
            max_group_size: rule.max_group_size(),
        }
    }
}

/// The body of `POST /v1/rooms/{id}/ratio-rules`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RuleIn {
    /// Today or later (`ratio.effective_in_the_past`); one rule set per day (`ratio.rule_exists`).
    #[schema(schema_with = with::date)]
    effective_from: String,
    /// From 0 months, increasing; at most 12 (`ratio.invalid_bands`).
    #[schema(min_items = 1, max_items = 12)]
    bands: Vec<BandDto>,
    #[schema(minimum = 1, maximum = 500)]
    max_group_size: i64,
}

impl RuleIn {
    fn into_domain(self) -> Result<RatioRule, ApiError> {
        let mut fields = Fields::default();
        let effective_from = fields.check("effective_from", date(&self.effective_from));
        let bands: Option<Vec<AgeBand>> = self
            .bands
            .iter()
            .enumerate()
            .map(|(index, band)| {
                let field = format!("bands[{index}]");
                let ratio = fields.check(
                    &format!("{field}.ratio"),
                    StaffChildRatio::parse(&band.ratio),
                );
                let from_months = fields.check(
                    &format!("{field}.from_months"),
                    u16::try_from(band.from_months).map_err(|_| RatioError::InvalidBands),
                );
                Some(AgeBand {
                    from_months: from_months?,
                    ratio: ratio?,
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect();
        let size = fields.check(
            "max_group_size",
            u16::try_from(self.max_group_size).map_err(|_| RatioError::InvalidGroupSize),
        );
        let rule = match (effective_from, bands, size) {
            (Some(day), Some(bands), Some(size)) => match RatioRule::new(day, bands, size) {
                Ok(rule) => Some(rule),
                Err(error @ RatioError::InvalidGroupSize) => {
                    fields.check::<RatioRule, _>("max_group_size", Err(error))
                }
                Err(error) => fields.check::<RatioRule, _>("bands", Err(error)),
            },
            _ => None,
        };
        fields.finish(rule)
    }
}

/// `POST /v1/rooms/{id}/ratio-rules`: adds a ratio rule set taking effect on
/// `effective_from` (today or later; the past keeps its rules); needs `If-Match`.
#[utoipa::path(
    post,
    path = "/v1/rooms/{id}/ratio-rules",
    tag = "rooms",
    params(("id" = doc::Room, Path, description = "The room"), IfMatch),
    request_body = RuleIn,
    responses(
        (status = 201, description = "The room, with the rule in its history", body = RoomOut,
            headers(("ETag" = String))),
        (status = 409, description = "The room is archived, or already has a rule set taking \
            effect that day (`ratio.rule_exists`), or the day is past \
            (`ratio.effective_in_the_past`)"),
    )
)]
pub(crate) async fn add_rule(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: RoomId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let rule = ctx.json::<RuleIn>()?.into_domain()?;
    let room = ctx
        .app()
        .centre
        .add_ratio_rule(ctx.scope()?, id, expected, rule)
        .await?;
    one(StatusCode::CREATED, &room)
}

/// How rooms sort.
const ROOM_SORT: SortKeys<RoomSortKey> = SortKeys(&[
    ("created_at", RoomSortKey::CreatedAt),
    ("name", RoomSortKey::Name),
]);

fn room_sort() -> Object {
    with::sort(&ROOM_SORT)
}

/// The query of `GET /v1/rooms`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RoomListQuery {
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many rooms to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
    /// The order (default `-created_at`).
    #[param(schema_with = room_sort)]
    sort: Option<String>,
    /// Whether archived rooms are listed too.
    include_archived: Option<bool>,
    /// Rooms whose name starts with this, regardless of case.
    name: Option<String>,
}

fn age_range(dto: AgeRangeDto) -> Result<AgeRange, RoomError> {
    let months = |value: i64| u16::try_from(value).map_err(|_| RoomError::InvalidAgeRange);
    AgeRange::new(months(dto.min_months)?, months(dto.max_months)?)
}

fn capacity(value: i64) -> Result<Capacity, RoomError> {
    Capacity::new(u16::try_from(value).map_err(|_| RoomError::InvalidCapacity)?)
}

impl RoomIn {
    fn into_domain(self) -> Result<NewRoom, ApiError> {
        let mut fields = Fields::default();
        let name = fields.check("name", RoomName::parse(&self.name));
        let age_range = fields.check("age_range", age_range(self.age_range));
        let capacity = fields.check("capacity", capacity(self.capacity));
        let ratio = fields.check("ratio", StaffChildRatio::parse(&self.ratio));
        let new = match (name, age_range, capacity, ratio) {
            (Some(name), Some(age_range), Some(capacity), Some(ratio)) => Some(NewRoom {
                name,
                age_range,
                capacity,
                ratio,
            }),
            _ => None,
        };
        fields.finish(new)
    }
}

impl RoomPatchIn {
    fn into_domain(self) -> Result<RoomChanges, ApiError> {
        let mut fields = Fields::default();
        let changes = RoomChanges {
            name: self
                .name
                .and_then(|name| fields.check("name", RoomName::parse(&name))),
            age_range: self
                .age_range
                .and_then(|range| fields.check("age_range", age_range(range))),
            capacity: self
                .capacity
                .and_then(|value| fields.check("capacity", capacity(value))),
            ratio: self
                .ratio
                .and_then(|ratio| fields.check("ratio", StaffChildRatio::parse(&ratio))),
        };
        fields.finish(Some(changes))
    }
}

fn one(status: StatusCode, room: &Room) -> Result<Reply, ApiError> {
    Ok(Reply::json(status, &RoomOut::from(room))?.with_etag(room.version()))
}

/// `POST /v1/rooms`: creates a room; 201 with the room, its `ETag` and `Location`.
#[utoipa::path(
    post,
    path = "/v1/rooms",
    tag = "rooms",
    request_body = RoomIn,
    responses(
        (status = 201, description = "The new room", body = RoomOut,
            headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "An active room of the centre already has this name \
            (`room.name_taken`)"),
    )
)]
pub(crate) async fn create(ctx: Ctx) -> Result<Reply, ApiError> {
    let new = ctx.json::<RoomIn>()?.into_domain()?;
    let room = ctx.app().rooms.create(ctx.scope()?, new).await?;
    Ok(one(StatusCode::CREATED, &room)?.with_location(&format!("/v1/rooms/{}", room.id())))
}

/// `GET /v1/rooms`: a page of rooms. Archived rooms are left out unless
/// `include_archived=true`; `name` filters by prefix; `sort` is `created_at` or `name`, with a
/// leading `-` for descending (default `-created_at`).
#[utoipa::path(
    get,
    path = "/v1/rooms",
    tag = "rooms",
    params(RoomListQuery),
    responses((status = 200, description = "A page of rooms", body = Page<RoomOut>))
)]
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: RoomListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let (key, direction) = ROOM_SORT.parse(
        query.sort.as_deref(),
        (RoomSortKey::CreatedAt, SortDirection::Descending),
    )?;
    let room_query = RoomQuery {
        include_archived: query.include_archived.unwrap_or(false),
        name_prefix: query.name.filter(|prefix| !prefix.is_empty()),
        sort: RoomSort { key, direction },
        page,
    };
    let found = ctx.app().rooms.list(ctx.scope()?, &room_query).await?;
    Reply::ok(&Page::of(&found, page, RoomOut::from))
}

/// `GET /v1/rooms/{id}`: one room, archived or not, with its `ETag`.
#[utoipa::path(
    get,
    path = "/v1/rooms/{id}",
    tag = "rooms",
    params(("id" = doc::Room, Path, description = "The room")),
    responses((status = 200, description = "The room", body = RoomOut, headers(("ETag" = String))))
)]
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: RoomId = ctx.param("id")?;
    let room = ctx.app().rooms.get(ctx.scope()?, id).await?;
    one(StatusCode::OK, &room)
}

/// `PATCH /v1/rooms/{id}`: changes the fields given; needs `If-Match`.
#[utoipa::path(
    patch,
    path = "/v1/rooms/{id}",
    tag = "rooms",
    params(("id" = doc::Room, Path, description = "The room"), IfMatch),
    request_body = RoomPatchIn,
    responses(
        (status = 200, description = "The changed room", body = RoomOut, headers(("ETag" = String))),
        (status = 409, description = "The room is archived (`room.archived`), or another active \
            room has the name (`room.name_taken`)"),
    )
)]
pub(crate) async fn update(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: RoomId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let changes = ctx.json::<RoomPatchIn>()?.into_domain()?;
    let room = ctx
        .app()
        .rooms
        .update(ctx.scope()?, id, expected, changes)
        .await?;
    one(StatusCode::OK, &room)
}

/// `DELETE /v1/rooms/{id}`: archives the room (it stays readable); needs `If-Match`.
#[utoipa::path(
    delete,
    path = "/v1/rooms/{id}",
    tag = "rooms",
    params(("id" = doc::Room, Path, description = "The room"), IfMatch),
    responses((status = 200, description = "The archived room", body = RoomOut, headers(("ETag" = String))))
)]
pub(crate) async fn archive(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: RoomId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let room = ctx.app().rooms.archive(ctx.scope()?, id, expected).await?;
    one(StatusCode::OK, &room)
}
