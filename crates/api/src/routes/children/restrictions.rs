//! `/v1/children/{id}/restrictions`: placing and lifting custody restrictions.

use cubby_app::children::NewRestriction;
use cubby_domain::{ChildError, ChildId, ContactId, RestrictionId};
use http::StatusCode;
use serde::Deserialize;
use time::Date;
use utoipa::ToSchema;

use super::{ChildOut, NameDto, note, staff_view, user_id};
use crate::openapi::schemas::{self as doc, IfMatch, with};
use crate::routes::fields::{Fields, date};
use crate::{ApiError, Ctx, Reply};

/// The body of `POST /v1/children/{id}/restrictions`: it blocks pickup or records (or both),
/// and ends on or after the day it starts (`restriction.invalid`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RestrictionIn {
    /// Who it restricts.
    person: NameDto,
    /// The child's contact it restricts.
    #[serde(default)]
    #[schema(value_type = Option<doc::Contact>)]
    contact_id: Option<String>,
    /// The user it restricts.
    #[serde(default)]
    #[schema(value_type = Option<doc::User>)]
    user_id: Option<String>,
    #[serde(default)]
    blocks_pickup: bool,
    #[serde(default)]
    blocks_records: bool,
    #[schema(schema_with = with::date)]
    starts_on: String,
    #[serde(default)]
    #[schema(schema_with = with::date_or_null)]
    ends_on: Option<String>,
    #[serde(default)]
    #[schema(schema_with = with::note_or_null)]
    note: Option<String>,
}

impl RestrictionIn {
    fn into_new(self) -> Result<NewRestriction, ApiError> {
        let mut fields = Fields::default();
        let person = fields.check("person", self.person.parse());
        let contact = match &self.contact_id {
            Some(text) => fields
                .check(
                    "contact_id",
                    text.parse::<ContactId>()
                        .map_err(|_| ChildError::UnknownContact),
                )
                .map(Some),
            None => Some(None),
        };
        let user = match &self.user_id {
            Some(text) => user_id(&mut fields, text).map(Some),
            None => Some(None),
        };
        let starts_on = fields.check("starts_on", date(&self.starts_on));
        let ends_on: Option<Option<Date>> = match &self.ends_on {
            Some(text) => fields.check("ends_on", date(text)).map(Some),
            None => Some(None),
        };
        let note = note(&mut fields, "note", self.note.as_deref());
        let new = match (person, contact, user, starts_on, ends_on, note) {
            (
                Some(person),
                Some(contact_id),
                Some(user_id),
                Some(starts_on),
                Some(ends_on),
                Some(note),
            ) => Some(NewRestriction {
                person,
                contact_id,
                user_id,
                blocks_pickup: self.blocks_pickup,
                blocks_records: self.blocks_records,
                starts_on,
                ends_on,
                note,
            }),
            _ => None,
        };
        fields.finish(new)
    }
}

/// `POST /v1/children/{id}/restrictions`: places a custody restriction; needs `If-Match`;
/// 201 with the child.
#[utoipa::path(
    post,
    path = "/v1/children/{id}/restrictions",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), IfMatch),
    request_body = RestrictionIn,
    responses(
        (status = 201, description = "The child", body = ChildOut, headers(("ETag" = String))),
        (status = 409, description = "The child is archived (`child.archived`)"),
    )
)]
pub(crate) async fn add_restriction(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let new = ctx.json::<RestrictionIn>()?.into_new()?;
    let (child, _) = ctx
        .app()
        .children
        .add_restriction(ctx.scope()?, id, expected, new)
        .await?;
    staff_view(StatusCode::CREATED, &child)
}

/// `DELETE /v1/children/{id}/restrictions/{restriction_id}`: lifts a restriction; needs
/// `If-Match`.
#[utoipa::path(
    delete,
    path = "/v1/children/{id}/restrictions/{restriction_id}",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), ("restriction_id" = doc::Restriction, Path, description = "The restriction"), IfMatch),
    responses(
        (status = 200, description = "The child", body = ChildOut, headers(("ETag" = String))),
        (status = 409, description = "The child is archived (`child.archived`)"),
    )
)]
pub(crate) async fn remove_restriction(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let restriction: RestrictionId = ctx.param("restriction_id")?;
    let expected = ctx.if_match()?;
    let child = ctx
        .app()
        .children
        .remove_restriction(ctx.scope()?, id, restriction, expected)
        .await?;
    staff_view(StatusCode::OK, &child)
}
