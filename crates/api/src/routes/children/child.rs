//! `POST /v1/children` and `GET`, `PATCH`, `DELETE /v1/children/{id}`: adding a child,
//! reading it, changing it and archiving it.

use cubby_app::children::{ChildChanges, NewChild};
use cubby_domain::{ChildId, Enrolment, EnrolmentStatus, ErrorCode, RoomId};
use http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ChildOut, EnrolmentDto, NameDto, seen, staff_view};
use crate::openapi::schemas::{self as doc, IfMatch, with};
use crate::routes::fields::{Fields, Unknown, date, nullable};
use crate::{ApiError, Ctx, Reply};

fn enrolment(fields: &mut Fields, dto: &EnrolmentDto) -> Option<Enrolment> {
    let status = fields.check(
        "enrolment.status",
        EnrolmentStatus::parse(&dto.status).ok_or_else(|| Unknown {
            code: ErrorCode::ChildInvalidEnrolmentStatus,
            value: dto.status.clone(),
        }),
    );
    let starts_on = fields.check("enrolment.starts_on", date(&dto.starts_on));
    let ends_on = match &dto.ends_on {
        Some(text) => Some(fields.check("enrolment.ends_on", date(text))?),
        None => None,
    };
    fields.check("enrolment", Enrolment::new(status?, starts_on?, ends_on))
}

fn room_id(fields: &mut Fields, text: &str) -> Option<RoomId> {
    fields.check(
        "room_id",
        text.parse::<RoomId>().map_err(|_| Unknown {
            code: ErrorCode::ChildUnknownRoom,
            value: text.to_owned(),
        }),
    )
}

/// The body of `POST /v1/children`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChildIn {
    name: NameDto,
    #[schema(schema_with = with::date)]
    date_of_birth: String,
    #[serde(default)]
    #[schema(value_type = Option<doc::Room>)]
    room_id: Option<String>,
    enrolment: EnrolmentDto,
    #[serde(default)]
    photo_consent: bool,
}

impl ChildIn {
    fn into_new(self) -> Result<NewChild, ApiError> {
        let mut fields = Fields::default();
        let name = fields.check("name", self.name.parse());
        let born = fields.check("date_of_birth", date(&self.date_of_birth));
        let room = match &self.room_id {
            Some(text) => room_id(&mut fields, text).map(Some),
            None => Some(None),
        };
        let enrolment = enrolment(&mut fields, &self.enrolment);
        let new = match (name, born, room, enrolment) {
            (Some(name), Some(date_of_birth), Some(room_id), Some(enrolment)) => Some(NewChild {
                name,
                date_of_birth,
                room_id,
                enrolment,
                photo_consent: self.photo_consent,
            }),
            _ => None,
        };
        fields.finish(new)
    }
}

/// The body of `PATCH /v1/children/{id}`: absent keeps a field; `"room_id": null` takes the
/// child out of its room (`null` keeps the others).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChildPatchIn {
    name: Option<NameDto>,
    #[schema(schema_with = with::date_or_null)]
    date_of_birth: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<doc::Room>)]
    room_id: Option<Option<String>>,
    enrolment: Option<EnrolmentDto>,
    photo_consent: Option<bool>,
}

impl ChildPatchIn {
    fn into_changes(self) -> Result<ChildChanges, ApiError> {
        let mut fields = Fields::default();
        let changes = ChildChanges {
            name: self
                .name
                .and_then(|name| fields.check("name", name.parse())),
            date_of_birth: self
                .date_of_birth
                .and_then(|text| fields.check("date_of_birth", date(&text))),
            room_id: match &self.room_id {
                Some(Some(text)) => room_id(&mut fields, text).map(Some),
                Some(None) => Some(None),
                None => None,
            },
            enrolment: self.enrolment.and_then(|dto| enrolment(&mut fields, &dto)),
            photo_consent: self.photo_consent,
        };
        fields.finish(Some(changes))
    }
}

/// `POST /v1/children`: adds a child; 201 with it, its `ETag` and `Location`.
#[utoipa::path(
    post,
    path = "/v1/children",
    tag = "children",
    request_body = ChildIn,
    responses(
        (status = 201, description = "The new child", body = ChildOut, headers(("ETag" = String), ("Location" = String))),
        (status = 404, description = "No such room in the centre"),
    )
)]
pub(crate) async fn create(ctx: Ctx) -> Result<Reply, ApiError> {
    let new = ctx.json::<ChildIn>()?.into_new()?;
    let child = ctx.app().children.create(ctx.scope()?, new).await?;
    Ok(staff_view(StatusCode::CREATED, &child)?
        .with_location(&format!("/v1/children/{}", child.id())))
}

/// `GET /v1/children/{id}`: one child the caller reaches, with its `ETag`.
#[utoipa::path(
    get,
    path = "/v1/children/{id}",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child")),
    responses(
        (status = 200, description = "The child", body = ChildOut, headers(("ETag" = String))),
    )
)]
pub(crate) async fn get(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let found = ctx.app().children.get(ctx.scope()?, id).await?;
    seen(StatusCode::OK, &found)
}

/// `PATCH /v1/children/{id}`: changes the fields given; needs `If-Match`.
#[utoipa::path(
    patch,
    path = "/v1/children/{id}",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), IfMatch),
    request_body = ChildPatchIn,
    responses(
        (status = 200, description = "The changed child", body = ChildOut, headers(("ETag" = String))),
        (status = 409, description = "The child is archived (`child.archived`)"),
    )
)]
pub(crate) async fn update(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let changes = ctx.json::<ChildPatchIn>()?.into_changes()?;
    let child = ctx
        .app()
        .children
        .update(ctx.scope()?, id, expected, changes)
        .await?;
    staff_view(StatusCode::OK, &child)
}

/// `DELETE /v1/children/{id}`: archives the child (it stays readable); needs `If-Match`.
#[utoipa::path(
    delete,
    path = "/v1/children/{id}",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), IfMatch),
    responses(
        (status = 200, description = "The archived child", body = ChildOut, headers(("ETag" = String))),
    )
)]
pub(crate) async fn archive(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let child = ctx
        .app()
        .children
        .archive(ctx.scope()?, id, expected)
        .await?;
    staff_view(StatusCode::OK, &child)
}
