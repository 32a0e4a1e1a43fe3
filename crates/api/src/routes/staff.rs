//! `/v1/staff`: staff records, their qualifications and room assignments.

use cubby_app::staff::{NewStaff, StaffChanges};
use cubby_domain::{Qualification, RoomId, StaffError, StaffId, StaffMember, UserId};
use cubby_ports::StaffQuery;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::children::NameDto;
use super::fields::{Fields, Unknown};
use crate::context::page;
use crate::{ApiError, Ctx, Reply};

/// A staff record on the wire.
#[derive(Debug, Serialize)]
struct StaffOut {
    id: String,
    user_id: String,
    name: NameDto,
    qualifications: Vec<String>,
    room_ids: Vec<String>,
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffIn {
    user_id: String,
    name: NameDto,
    #[serde(default)]
    qualifications: Vec<String>,
    #[serde(default)]
    room_ids: Vec<String>,
}

/// The body of `PATCH /v1/staff/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffPatchIn {
    name: Option<NameDto>,
    qualifications: Option<Vec<String>>,
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
                code: "staff.unknown_room",
                value: text.clone(),
            })
        })
        .collect();
    fields.check("room_ids", parsed)
}

/// The query of `GET /v1/staff`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffListQuery {
    limit: Option<u32>,
    offset: Option<u64>,
    room: Option<String>,
    include_archived: Option<bool>,
}

/// A list of staff on the wire.
#[derive(Debug, Serialize)]
struct StaffPage {
    items: Vec<StaffOut>,
    total: u64,
    limit: u32,
    offset: u64,
}

fn one(status: StatusCode, member: &StaffMember) -> Result<Reply, ApiError> {
    Ok(Reply::json(status, &StaffOut::from(member))?.with_etag(member.version))
}

/// `POST /v1/staff`: creates the staff record of a member; 201.
pub(crate) async fn create(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: StaffIn = ctx.json()?;
    let mut fields = Fields::default();
    let user = fields.check(
        "user_id",
        body.user_id.parse::<UserId>().map_err(|_| Unknown {
            code: "staff.unknown_user",
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

/// `GET /v1/staff`: a page of staff by name; `room` filters by assignment.
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: StaffListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let room = match &query.room {
        Some(text) => Some(
            text.parse::<RoomId>()
                .map_err(|_| ApiError::bad_request("request.invalid_query", "room is not valid"))?,
        ),
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
                page,
            },
        )
        .await?;
    Reply::ok(&StaffPage {
        items: found.items.iter().map(StaffOut::from).collect(),
        total: found.total,
        limit: page.limit(),
        offset: page.offset(),
    })
}

/// `GET /v1/staff/{id}`.
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: StaffId = ctx.param("id")?;
    let member = ctx.app().staff.get(ctx.scope()?, id).await?;
    one(StatusCode::OK, &member)
}

/// `PATCH /v1/staff/{id}`: changes name, qualifications or rooms; needs `If-Match`.
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
pub(crate) async fn archive(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: StaffId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let member = ctx.app().staff.archive(ctx.scope()?, id, expected).await?;
    one(StatusCode::OK, &member)
}
