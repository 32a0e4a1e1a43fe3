//! `/v1/rooms`: a centre's rooms.

use cubby_domain::{
    AgeBand, AgeRange, Capacity, NewRoom, RatioError, RatioRule, Room, RoomChanges, RoomError,
    RoomId, RoomName, StaffChildRatio,
};
use cubby_ports::{RoomQuery, RoomSort, RoomSortKey, SortDirection};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::fields::{Fields, date, date_text};
use crate::context::{page, sort};
use crate::{ApiError, Ctx, Reply};

/// An age range on the wire.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgeRangeDto {
    min_months: i64,
    max_months: i64,
}

/// The body of `POST /v1/rooms`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoomIn {
    name: String,
    age_range: AgeRangeDto,
    capacity: i64,
    ratio: String,
}

/// The body of `PATCH /v1/rooms/{id}`: every field optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoomPatchIn {
    name: Option<String>,
    age_range: Option<AgeRangeDto>,
    capacity: Option<i64>,
    ratio: Option<String>,
}

/// A room on the wire.
#[derive(Debug, Serialize)]
pub(crate) struct RoomOut {
    id: String,
    name: String,
    age_range: AgeRangeDto,
    capacity: u16,
    ratio: String,
    /// The ratio rule history, oldest first.
    ratio_rules: Vec<RuleOut>,
    archived: bool,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    archived_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    updated_by: String,
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
#[derive(Debug, Serialize)]
struct RuleOut {
    effective_from: String,
    bands: Vec<BandDto>,
    max_group_size: u16,
}

/// An age band on the wire.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BandDto {
    from_months: i64,
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleIn {
    effective_from: String,
    bands: Vec<BandDto>,
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

/// A list of rooms on the wire.
#[derive(Debug, Serialize)]
struct RoomPage {
    items: Vec<RoomOut>,
    total: u64,
    limit: u32,
    offset: u64,
}

/// The query of `GET /v1/rooms`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomListQuery {
    limit: Option<u32>,
    offset: Option<u64>,
    sort: Option<String>,
    include_archived: Option<bool>,
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
pub(crate) async fn create(ctx: Ctx) -> Result<Reply, ApiError> {
    let new = ctx.json::<RoomIn>()?.into_domain()?;
    let room = ctx.app().rooms.create(ctx.scope()?, new).await?;
    Ok(one(StatusCode::CREATED, &room)?.with_location(&format!("/v1/rooms/{}", room.id())))
}

/// `GET /v1/rooms`: a page of rooms. Archived rooms are left out unless
/// `include_archived=true`; `name` filters by prefix; `sort` is `created_at` or `name`, with a
/// leading `-` for descending (default `-created_at`).
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: RoomListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let (key, direction) = sort(
        query.sort.as_deref(),
        &[
            ("created_at", RoomSortKey::CreatedAt),
            ("name", RoomSortKey::Name),
        ],
        (RoomSortKey::CreatedAt, SortDirection::Descending),
    )?;
    let room_query = RoomQuery {
        include_archived: query.include_archived.unwrap_or(false),
        name_prefix: query.name.filter(|prefix| !prefix.is_empty()),
        sort: RoomSort { key, direction },
        page,
    };
    let found = ctx.app().rooms.list(ctx.scope()?, &room_query).await?;
    Reply::ok(&RoomPage {
        items: found.items.iter().map(RoomOut::from).collect(),
        total: found.total,
        limit: page.limit(),
        offset: page.offset(),
    })
}

/// `GET /v1/rooms/{id}`: one room, archived or not, with its `ETag`.
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: RoomId = ctx.param("id")?;
    let room = ctx.app().rooms.get(ctx.scope()?, id).await?;
    one(StatusCode::OK, &room)
}

/// `PATCH /v1/rooms/{id}`: changes the fields given; needs `If-Match`.
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
pub(crate) async fn archive(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: RoomId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let room = ctx.app().rooms.archive(ctx.scope()?, id, expected).await?;
    one(StatusCode::OK, &room)
}
