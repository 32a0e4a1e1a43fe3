//! `/v1/staff`: staff records, their qualifications and room assignments.

use cubby_app::staff::{NewStaff, StaffChanges};
use cubby_domain::{ErrorCode, Qualification, RoomId, StaffError, StaffId, StaffMember, UserId};
use cubby_ports::{SortDirection, StaffQuery};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::openapi::Object;
use utoipa::{IntoParams, ToSchema};

use super::children::NameDto;
use super::fields::{Fields, Unknown};
use super::page::Page;
use crate::context::{SortKeys, page};
use crate::openapi::schemas::{self as doc, IfMatch, with};
use crate::{ApiError, Ctx, Reply};

/// A staff record on the wire.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = StaffMember)]
struct StaffOut {
    #[schema(value_type = doc::Staff)]
    id: String,
    #[schema(value_type = doc::User)]
    user_id: String,
    name: NameDto,
    #[schema(schema_with = with::qualifications)]
    qualifications: Vec<String>,
    /// The rooms the member works in.
    #[schema(value_type = Vec<doc::Room>)]
    room_ids: Vec<String>,
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

impl From<&StaffMember> for StaffOut {
    fn from(m: &StaffMember) -> Self {
        Self {
            id: m.id.to_string(),
            user_id: m.user_id.to_string(),
            name: NameDto::from(&m.name),
            qualifications: m
                .qualifications
                .iter()
                .map(|q| q.as_str().to_owned())
                .collect(),
            room_ids: m.room_ids.iter().map(ToString::to_string).collect(),
            archived: m.is_archived(),
            archived_at: m.archived_at,
            created_at: m.audit.created_at(),
            created_by: m.audit.created_by().to_string(),
            updated_at: m.audit.updated_at(),
            updated_by: m.audit.updated_by().to_string(),
            version: m.version.get(),
        }
    }
}

/// The body of `POST /v1/staff`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct StaffIn {
    /// A member of the centre.
    #[schema(value_type = doc::User)]
    user_id: String,
    name: NameDto,
    #[serde(default)]
    #[schema(schema_with = with::qualifications)]
    qualifications: Vec<String>,
    /// The rooms the member works in.
    #[serde(default)]
    #[schema(value_type = Vec<doc::Room>)]
    room_ids: Vec<String>,
}

/// The body of `PATCH /v1/staff/{id}`: absent or `null` keeps a field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct StaffPatchIn {
    name: Option<NameDto>,
    #[schema(schema_with = with::qualifications_or_null)]
    qualifications: Option<Vec<String>>,
    #[schema(value_type = Option<Vec<doc::Room>>)]
    room_ids: Option<Vec<String>>,
}

fn qualifications(fields: &mut Fields, list: &[String]) -> Option<Vec<Qualification>> {
    let parsed: Result<Vec<Qualification>, StaffError> =
        list.iter().map(|q| Qualification::parse(q)).collect();
    fields.check("qualifications", parsed)
}

fn rooms(fields: &mut Fields, list: &[String]) -> Option<Vec<RoomId>> {
    let parsed: Result<Vec<RoomId>, Unknown> = list
        .iter()
        .map(|text| {
            text.parse::<RoomId>().map_err(|_| Unknown {
                code: ErrorCode::StaffUnknownRoom,
                value: text.clone(),
            })
        })
        .collect();
    fields.check("room_ids", parsed)
}

/// How staff sort.
const STAFF_SORT: SortKeys<()> = SortKeys(&[("name", ())]);

fn staff_sort() -> Object {
    with::sort(&STAFF_SORT)
}

/// The query of `GET /v1/staff`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StaffListQuery {
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
    /// The order (default `name`).
    #[param(schema_with = staff_sort)]
    sort: Option<String>,
    /// Staff assigned to this room.
    #[param(value_type = Option<doc::Room>)]
    room: Option<String>,
    /// Whether archived records are listed too.
    include_archived: Option<bool>,
}

fn one(status: StatusCode, member: &StaffMember) -> Result<Reply, ApiError> {
    Ok(Reply::json(status, &StaffOut::from(member))?.with_etag(member.version))
}

/// `POST /v1/staff`: creates the staff record of a member; 201.
#[utoipa::path(
    post,
    path = "/v1/staff",
    tag = "staff",
    request_body = StaffIn,
    responses(
        (status = 201, description = "The new staff record", body = StaffOut,
            headers(("ETag" = String), ("Location" = String))),
        (status = 404, description = "No such member or room in the centre"),
        (status = 409, description = "The member already has a staff record"),
    )
)]
pub(crate) async fn create(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: StaffIn = ctx.json()?;
    let mut fields = Fields::default();
    let user = fields.check(
        "user_id",
        body.user_id.parse::<UserId>().map_err(|_| Unknown {
            code: ErrorCode::StaffUnknownUser,
            value: body.user_id.clone(),
        }),
    );
    let name = fields.check("name", body.name.parse());
    let quals = qualifications(&mut fields, &body.qualifications);
    let room_ids = rooms(&mut fields, &body.room_ids);
    let new = match (user, name, quals, room_ids) {
        (Some(user_id), Some(name), Some(qualifications), Some(room_ids)) => Some(NewStaff {
            user_id,
            name,
            qualifications,
            room_ids,
        }),
        _ => None,
    };
    let new = fields.finish(new)?;
    let member = ctx.app().staff.create(ctx.scope()?, new).await?;
    Ok(one(StatusCode::CREATED, &member)?.with_location(&format!("/v1/staff/{}", member.id)))
}

/// `GET /v1/staff`: a page of staff by name; `room` filters by assignment; `sort` is `name`
/// (the default) or `-name`.
#[utoipa::path(
    get,
    path = "/v1/staff",
    tag = "staff",
    params(StaffListQuery),
    responses((status = 200, description = "A page of staff", body = Page<StaffOut>))
)]
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: StaffListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let direction = STAFF_SORT.direction(query.sort.as_deref(), SortDirection::Ascending)?;
    let room = match &query.room {
        Some(text) => Some(text.parse::<RoomId>().map_err(|_| {
            ApiError::bad_request(ErrorCode::RequestInvalidQuery, "room is not valid")
        })?),
        None => None,
    };
    let found = ctx
        .app()
        .staff
        .list(
            ctx.scope()?,
            &StaffQuery {
                room,
                include_archived: query.include_archived.unwrap_or(false),
                direction,
                page,
            },
        )
        .await?;
    Reply::ok(&Page::of(&found, page, StaffOut::from))
}

/// `GET /v1/staff/{id}`: one staff record.
#[utoipa::path(
    get,
    path = "/v1/staff/{id}",
    tag = "staff",
    params(("id" = doc::Staff, Path, description = "The staff record")),
    responses((status = 200, description = "The staff record", body = StaffOut, headers(("ETag" = String))))
)]
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: StaffId = ctx.param("id")?;
    let member = ctx.app().staff.get(ctx.scope()?, id).await?;
    one(StatusCode::OK, &member)
}

/// `PATCH /v1/staff/{id}`: changes name, qualifications or rooms; needs `If-Match`.
#[utoipa::path(
    patch,
    path = "/v1/staff/{id}",
    tag = "staff",
    params(("id" = doc::Staff, Path, description = "The staff record"), IfMatch),
    request_body = StaffPatchIn,
    responses(
        (status = 200, description = "The changed staff record", body = StaffOut, headers(("ETag" = String))),
        (status = 404, description = "No such staff record or room in the centre"),
        (status = 409, description = "The record is archived (`staff.archived`)"),
    )
)]
pub(crate) async fn update(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: StaffId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let body: StaffPatchIn = ctx.json()?;
    let mut fields = Fields::default();
    let changes = StaffChanges {
        name: body
            .name
            .and_then(|name| fields.check("name", name.parse())),
        qualifications: body
            .qualifications
            .and_then(|list| qualifications(&mut fields, &list)),
        room_ids: body.room_ids.and_then(|list| rooms(&mut fields, &list)),
    };
    let changes = fields.finish(Some(changes))?;
    let member = ctx
        .app()
        .staff
        .update(ctx.scope()?, id, expected, changes)
        .await?;
    one(StatusCode::OK, &member)
}

/// `DELETE /v1/staff/{id}`: archives the record; needs `If-Match`.
#[utoipa::path(
    delete,
    path = "/v1/staff/{id}",
    tag = "staff",
    params(("id" = doc::Staff, Path, description = "The staff record"), IfMatch),
    responses((status = 200, description = "The archived staff record", body = StaffOut, headers(("ETag" = String))))
)]
pub(crate) async fn archive(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: StaffId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let member = ctx.app().staff.archive(ctx.scope()?, id, expected).await?;
    one(StatusCode::OK, &member)
}
