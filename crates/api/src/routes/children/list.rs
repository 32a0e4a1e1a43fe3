//! `GET /v1/children`: a page of the children the caller reaches, and its query.

use cubby_domain::{EnrolmentStatus, ErrorCode, RoomId};
use cubby_ports::{ChildQuery, ChildSortKey, SortDirection};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa::openapi::Object;

use super::ChildOut;
use crate::context::{SortKeys, page};
use crate::openapi::schemas::{self as doc, with};
use crate::routes::page::Page;
use crate::{ApiError, Ctx, Reply};

/// How children sort.
const CHILD_SORT: SortKeys<ChildSortKey> = SortKeys(&[
    ("name", ChildSortKey::Name),
    ("created_at", ChildSortKey::CreatedAt),
    ("date_of_birth", ChildSortKey::DateOfBirth),
]);

fn child_sort() -> Object {
    with::sort(&CHILD_SORT)
}

/// The query of `GET /v1/children`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ChildListQuery {
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
    /// The order (default `name`).
    #[param(schema_with = child_sort)]
    sort: Option<String>,
    /// Children of this room.
    #[param(value_type = Option<doc::Room>)]
    room: Option<String>,
    /// Children of this enrolment status.
    #[param(schema_with = with::enrolment_status)]
    status: Option<String>,
    /// Children whose "family given" name starts with this, regardless of case.
    name: Option<String>,
    /// Whether archived children are listed too.
    include_archived: Option<bool>,
}

/// `GET /v1/children`: a page of the children the caller reaches. Filters: `room`, `status`
/// (`waitlisted`, `enrolled`, `withdrawn`), `name` (prefix of "family given"),
/// `include_archived`; `sort` is `name` (default), `created_at` or `date_of_birth`, `-` for
/// descending.
#[utoipa::path(
    get,
    path = "/v1/children",
    tag = "children",
    params(ChildListQuery),
    responses(
        (status = 200, description = "A page of children", body = Page<ChildOut>),
    )
)]
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: ChildListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let (key, direction) = CHILD_SORT.parse(
        query.sort.as_deref(),
        (ChildSortKey::Name, SortDirection::Ascending),
    )?;
    let invalid = |name: &str| {
        ApiError::bad_request(
            ErrorCode::RequestInvalidQuery,
            format!("{name} is not valid"),
        )
    };
    let room = match &query.room {
        Some(text) => Some(text.parse::<RoomId>().map_err(|_| invalid("room"))?),
        None => None,
    };
    let status = match &query.status {
        Some(text) => Some(EnrolmentStatus::parse(text).ok_or_else(|| invalid("status"))?),
        None => None,
    };
    let child_query = ChildQuery {
        room,
        status,
        name_prefix: query
            .name
            .map(|prefix| prefix.trim().to_lowercase())
            .filter(|prefix| !prefix.is_empty()),
        include_archived: query.include_archived.unwrap_or(false),
        sort: key,
        direction,
        page,
        ..ChildQuery::default()
    };
    let found = ctx.app().children.list(ctx.scope()?, child_query).await?;
    Reply::ok(&Page::of(&found, page, |s| {
        ChildOut::new(&s.child, s.access)
    }))
}
