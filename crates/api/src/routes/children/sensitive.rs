//! `GET` and `PUT /v1/children/{id}/sensitive`: a child's sensitive notes and custody
//! restrictions, read with an audit event, and replacing the notes.

use cubby_domain::{Child, ChildId, CustodyRestriction, Note, SensitiveInfo};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ChildOut, NameDto, note, staff_view};
use crate::openapi::schemas::{self as doc, IfMatch, with};
use crate::routes::fields::{Fields, date_text};
use crate::{ApiError, Ctx, Reply};

/// A custody restriction on the wire.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Restriction)]
struct RestrictionOut {
    #[schema(value_type = doc::Restriction)]
    id: String,
    /// Who it restricts.
    person: NameDto,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = doc::Contact)]
    contact_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = doc::User)]
    user_id: Option<String>,
    blocks_pickup: bool,
    blocks_records: bool,
    #[schema(schema_with = with::date)]
    starts_on: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::date)]
    ends_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::note)]
    note: Option<String>,
}

impl From<&CustodyRestriction> for RestrictionOut {
    fn from(r: &CustodyRestriction) -> Self {
        Self {
            id: r.id.to_string(),
            person: NameDto::from(&r.person),
            contact_id: r.contact_id.map(|c| c.to_string()),
            user_id: r.user_id.map(|u| u.to_string()),
            blocks_pickup: r.blocks_pickup,
            blocks_records: r.blocks_records,
            starts_on: date_text(r.starts_on),
            ends_on: r.ends_on.map(date_text),
            note: r.note.as_ref().map(|n| n.as_str().to_owned()),
        }
    }
}

/// The sensitive part of a child's record on the wire; a note is left out when there is none.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SensitiveInfo)]
struct SensitiveOut {
    #[schema(value_type = doc::Child)]
    child_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::note, required = false)]
    allergies: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::note, required = false)]
    medical_notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::note, required = false)]
    medication: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::note, required = false)]
    custody_notes: Option<String>,
    restrictions: Vec<RestrictionOut>,
    /// The child's version.
    #[schema(minimum = 1)]
    version: u64,
}

impl From<&Child> for SensitiveOut {
    fn from(child: &Child) -> Self {
        let text = |note: &Option<Note>| note.as_ref().map(|n| n.as_str().to_owned());
        Self {
            child_id: child.id().to_string(),
            allergies: text(&child.sensitive().allergies),
            medical_notes: text(&child.sensitive().medical_notes),
            medication: text(&child.sensitive().medication),
            custody_notes: text(&child.sensitive().custody_notes),
            restrictions: child
                .restrictions()
                .iter()
                .map(RestrictionOut::from)
                .collect(),
            version: child.version().get(),
        }
    }
}

/// The body of `PUT /v1/children/{id}/sensitive`: every field, `null` or absent for none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SensitiveIn {
    #[schema(schema_with = with::note_or_null)]
    allergies: Option<String>,
    #[schema(schema_with = with::note_or_null)]
    medical_notes: Option<String>,
    #[schema(schema_with = with::note_or_null)]
    medication: Option<String>,
    #[schema(schema_with = with::note_or_null)]
    custody_notes: Option<String>,
}

impl SensitiveIn {
    fn into_domain(self) -> Result<SensitiveInfo, ApiError> {
        let mut fields = Fields::default();
        let allergies = note(&mut fields, "allergies", self.allergies.as_deref());
        let medical = note(&mut fields, "medical_notes", self.medical_notes.as_deref());
        let medication = note(&mut fields, "medication", self.medication.as_deref());
        let custody = note(&mut fields, "custody_notes", self.custody_notes.as_deref());
        let info = match (allergies, medical, medication, custody) {
            (Some(allergies), Some(medical_notes), Some(medication), Some(custody_notes)) => {
                Some(SensitiveInfo {
                    allergies,
                    medical_notes,
                    medication,
                    custody_notes,
                })
            }
            _ => None,
        };
        fields.finish(info)
    }
}

/// `GET /v1/children/{id}/sensitive`: allergies, medical notes, medication, custody notes and
/// restrictions; every read is audited.
#[utoipa::path(
    get,
    path = "/v1/children/{id}/sensitive",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child")),
    responses(
        (status = 200, description = "The sensitive notes and restrictions", body = SensitiveOut, headers(("ETag" = String))),
        (status = 503, description = "The audit event of the read could not be stored, so nothing is answered (`unavailable`), or the request ran past its deadline"),
    )
)]
pub(crate) async fn sensitive(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let child = ctx.app().children.sensitive(ctx.scope()?, id).await?;
    Ok(Reply::json(StatusCode::OK, &SensitiveOut::from(&child))?.with_etag(child.version()))
}

/// `PUT /v1/children/{id}/sensitive`: replaces the four notes; needs `If-Match`. Answers the
/// child (not the notes: writing them does not need `children:read_sensitive`).
#[utoipa::path(
    put,
    path = "/v1/children/{id}/sensitive",
    tag = "children",
    params(("id" = doc::Child, Path, description = "The child"), IfMatch),
    request_body = SensitiveIn,
    responses(
        (status = 200, description = "The child", body = ChildOut, headers(("ETag" = String))),
        (status = 409, description = "The child is archived (`child.archived`)"),
    )
)]
pub(crate) async fn replace_sensitive(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ChildId = ctx.param("id")?;
    let expected = ctx.if_match()?;
    let info = ctx.json::<SensitiveIn>()?.into_domain()?;
    let child = ctx
        .app()
        .children
        .replace_sensitive(ctx.scope()?, id, expected, info)
        .await?;
    staff_view(StatusCode::OK, &child)
}
