//! `/v1/children/{id}/contacts`: adding, changing and removing a child's contacts.

use cubby_app::children::{ContactChanges, NewContact};
use cubby_domain::{
    Capabilities, Capability, ChildId, ContactId, ErrorCode, Phone, Pin, Relationship,
};
use http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ChildOut, NameDto, staff_view, user_id};
use crate::openapi::schemas::{self as doc, IfMatch, with};
use crate::routes::fields::{Fields, Unknown, email, nullable};
use crate::{ApiError, Ctx, Reply};

fn capabilities(fields: &mut Fields, names: &[String]) -> Option<Capabilities> {
    let parsed: Result<Capabilities, Unknown> = names
        .iter()
        .map(|name| {
            Capability::parse(name).ok_or_else(|| Unknown {
                code: ErrorCode::ContactUnknownCapability,
                value: name.clone(),
            })
        })
        .collect();
    fields.check("capabilities", parsed)
}

/// The body of `POST /v1/children/{id}/contacts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ContactIn {
    name: NameDto,
    /// How the contact relates to the child (`mother`, `neighbour`).
    #[schema(schema_with = with::line40)]
    relationship: String,
    #[serde(default)]
    #[schema(schema_with = with::phone_or_null)]
    phone: Option<String>,
    #[serde(default)]
    #[schema(schema_with = with::email_or_null)]
    email: Option<String>,
    /// A user of the centre to link to the contact.
    #[serde(default)]
    #[schema(value_type = Option<doc::User>)]
    user_id: Option<String>,
    #[serde(default)]
    #[schema(schema_with = with::capabilities)]
    capabilities: Vec<String>,
    /// The PIN the contact types at pickup (only its hash is kept).
    #[serde(default)]
    #[schema(schema_with = with::pin_or_null)]
    pickup_pin: Option<String>,
}

impl ContactIn {
    fn into_new(self) -> Result<NewContact, ApiError> {
        let mut fields = Fields::default();
        let name = fields.check("name", self.name.parse());
        let relationship = fields.check("relationship", Relationship::parse(&self.relationship));
        let phone = match &self.phone {
            Some(text) => fields.check("phone", Phone::parse(text)).map(Some),
            None => Some(None),
        };
        let address = match &self.email {
            Some(text) => fields.check("email", email(text)).map(Some),
            None => Some(None),
        };
        let user = match &self.user_id {
            Some(text) => user_id(&mut fields, text).map(Some),
            None => Some(None),
        };
        let capabilities = capabilities(&mut fields, &self.capabilities);
        let pin = match &self.pickup_pin {
            Some(text) => fields.check("pickup_pin", Pin::parse(text)).map(Some),
            None => Some(None),
        };
        let new = match (name, relationship, phone, address, user, capabilities, pin) {
            (
                Some(name),
                Some(relationship),
                Some(phone),
                Some(email),
                Some(user_id),
                Some(capabilities),
                Some(pickup_pin),
            ) => Some(NewContact {
                name,
                relationship,
                phone,
                email,
                user_id,
                capabilities,
                pickup_pin,
            }),
            _ => None,
        };
        fields.finish(new)
    }
}

/// The body of `PATCH /v1/children/{id}/contacts/{contact_id}`: absent keeps a field; `null`
/// clears `phone`, `email`, `user_id` and `pickup_pin` (and keeps the others).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ContactPatchIn {
    name: Option<NameDto>,
    #[schema(schema_with = with::line40_or_null)]
    relationship: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = with::phone_or_null)]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = with::email_or_null)]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<doc::User>)]
    user_id: Option<Option<String>>,
    #[schema(schema_with = with::capabilities_or_null)]
    capabilities: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = with::pin_or_null)]
    pickup_pin: Option<Option<String>>,
}

/// Parses a nullable field of a PATCH body.
fn patch<T, E: crate::routes::fields::Coded>(
    fields: &mut Fields,
    field: &str,
    value: Option<Option<String>>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<Option<T>> {
    match value {
        Some(Some(text)) => fields.check(field, parse(&text)).map(Some),
        Some(None) => Some(None),
        None => None,
    }
}

impl ContactPatchIn {
    fn into_changes(self) -> Result<ContactChanges, ApiError> {
        let mut fields = Fields::default();
        let user = match &self.user_id {
            Some(Some(text)) => user_id(&mut fields, text).map(Some),
            Some(None) => Some(None),
            None => None,
        };
        let changes = ContactChanges {
            name: self
                .name
                .and_then(|name| fields.check("name", name.parse())),
            relationship: self
                .relationship
                .and_then(|text| fields.check("relationship", Relationship::parse(&text))),
            phone: patch(&mut fields, "phone", self.phone, Phone::parse),
            email: patch(&mut fields, "email", self.email, email),
            user_id: user,
            capabilities: self
                .capabilities
                .and_then(|names| capabilities(&mut fields, &names)),
            pickup_pin: patch(&mut fields, "pickup_pin", self.pickup_pin, Pin::parse),
        };
        fields.finish(Some(changes))
    }
}

/// `POST /v1/children/{id}/contacts`: adds a contact; needs `If-Match`; 201 with the child.
#[utoipa::path(
    post,
    path = "/v1/children/{id}/contacts",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), IfMatch),
    request_body = ContactIn,
    responses(
        (status = 201, description = "The child, with the contact", body = ChildOut, headers(("ETag" = String))),
        (status = 409, description = "The child is archived (`child.archived`)"),
    )
)]
pub(crate) async fn add_contact(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let new = ctx.json::<ContactIn>()?.into_new()?;
    let (child, _) = ctx
        .app()
        .children
        .add_contact(ctx.scope()?, id, expected, new)
        .await?;
    staff_view(StatusCode::CREATED, &child)
}

/// `PATCH /v1/children/{id}/contacts/{contact_id}`: changes a contact; needs `If-Match`.
#[utoipa::path(
    patch,
    path = "/v1/children/{id}/contacts/{contact_id}",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), ("contact_id" = doc::Contact, Path, description = "The contact"), IfMatch),
    request_body = ContactPatchIn,
    responses(
        (status = 200, description = "The child", body = ChildOut, headers(("ETag" = String))),
        (status = 409, description = "The child is archived (`child.archived`)"),
    )
)]
pub(crate) async fn update_contact(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let contact: ContactId = ctx.param("contact_id")?;
    let expected = ctx.if_match()?;
    let changes = ctx.json::<ContactPatchIn>()?.into_changes()?;
    let child = ctx
        .app()
        .children
        .update_contact(ctx.scope()?, id, contact, expected, changes)
        .await?;
    staff_view(StatusCode::OK, &child)
}

/// `DELETE /v1/children/{id}/contacts/{contact_id}`: removes a contact; needs `If-Match`.
#[utoipa::path(
    delete,
    path = "/v1/children/{id}/contacts/{contact_id}",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), ("contact_id" = doc::Contact, Path, description = "The contact"), IfMatch),
    responses(
        (status = 200, description = "The child", body = ChildOut, headers(("ETag" = String))),
        (status = 409, description = "The child is archived (`child.archived`)"),
    )
)]
pub(crate) async fn remove_contact(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let contact: ContactId = ctx.param("contact_id")?;
    let expected = ctx.if_match()?;
    let child = ctx
        .app()
        .children
        .remove_contact(ctx.scope()?, id, contact, expected)
        .await?;
    staff_view(StatusCode::OK, &child)
}
