//! People in several centres: `GET /v1/me/centres`, `POST /v1/auth/switch`, and the list of
//! centres a sign-in without a centre answers to a person of several
//! (`400 auth.tenant_required`, in `details.centres`).
//!
//! Every list here is the caller's own, shown only once their password, Supabase token or
//! session was verified; a centre that is not theirs is answered as one that does not exist.

use cubby_app::auth::CentreChoice;
use cubby_domain::ErrorCode;
use cubby_ports::SortDirection;
use serde::{Deserialize, Serialize};
use utoipa::openapi::Object;
use utoipa::{IntoParams, ToSchema};

use super::auth::{Mode, signed_in};
use super::page::Page;
use crate::context::{SortKeys, page};
use crate::openapi::schemas::{self as doc, with};
use crate::pipeline::bearer;
use crate::{ApiError, Ctx, Reply};

/// A centre the caller may sign into, an item of `details.centres` of a 400
/// `auth.tenant_required`: send its `code` as `tenant_code`.
#[derive(Serialize, ToSchema)]
#[schema(as = CentreChoice)]
pub(crate) struct CentreChoiceOut {
    /// The centre's code (`sunny-days`).
    code: String,
    /// The centre's name.
    name: String,
}

/// The details of a 400 `auth.tenant_required`.
#[derive(Serialize)]
struct TenantRequiredDetails {
    /// The account's centres, ordered by code.
    centres: Vec<CentreChoiceOut>,
}

/// `400 auth.tenant_required`, listing the centres of the account that signed in in
/// `details.centres`. Only for credentials that were verified: the list is the account's.
pub(crate) fn tenant_required(centres: &[CentreChoice]) -> ApiError {
    let refused = ApiError::bad_request(
        ErrorCode::AuthTenantRequired,
        "this account belongs to several centres: send tenant_code, one of details.centres",
    );
    let details = TenantRequiredDetails {
        centres: centres
            .iter()
            .map(|centre| CentreChoiceOut {
                code: centre.code.to_string(),
                name: centre.name.as_str().to_owned(),
            })
            .collect(),
    };
    match serde_json::to_value(details) {
        Ok(details) => refused.with_details(details),
        Err(_) => refused,
    }
}

/// One of the caller's centres.
#[derive(Serialize, ToSchema)]
#[schema(as = MyCentre)]
struct CentreOut {
    #[schema(value_type = doc::Tenant)]
    id: String,
    /// The centre's code: send it to `POST /v1/auth/switch`.
    code: String,
    name: String,
    /// Whether the session used is in this centre.
    current: bool,
}

/// The one order of the caller's centres: by code.
const CENTRE_SORT: SortKeys<()> = SortKeys(&[("code", ())]);

fn centre_sort() -> Object {
    with::sort(&CENTRE_SORT)
}

/// The query of `GET /v1/me/centres`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CentreListQuery {
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
    /// The order (default: `code`).
    #[param(schema_with = centre_sort)]
    sort: Option<String>,
}

/// `GET /v1/me/centres`: the centres the caller may sign into (their active memberships of
/// active centres), the session's own marked `current`; `sort` is `code` (the default) or
/// `-code`.
#[utoipa::path(
    get,
    path = "/v1/me/centres",
    tag = "auth",
    params(CentreListQuery),
    responses((status = 200, description = "A page of the caller's centres",
        body = Page<CentreOut>))
)]
pub(crate) async fn list(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: CentreListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let direction = CENTRE_SORT.direction(query.sort.as_deref(), SortDirection::Ascending)?;
    let scope = ctx.scope()?;
    // A person's centres are few, and listed whole by the use case in code order; the page is
    // cut here.
    let mut centres = ctx.app().auth.centres(scope).await?;
    if direction == SortDirection::Descending {
        centres.reverse();
    }
    let total = centres.len() as u64;
    let items: Vec<CentreOut> = centres
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(page.limit() as usize)
        .map(|centre| CentreOut {
            id: centre.id.to_string(),
            code: centre.code.to_string(),
            name: centre.name.as_str().to_owned(),
            current: centre.id == scope.tenant_id(),
        })
        .collect();
    Reply::ok(&Page::new(items, total, page))
}

/// The body of `POST /v1/auth/switch`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SwitchIn {
    /// The code of one of the caller's centres (`GET /v1/me/centres`).
    tenant_code: String,
}

/// `POST /v1/auth/switch`: ends the caller's session and opens one in another of their
/// centres, answered as a sign-in is, in the mode the session was used in: a bearer token
/// gets tokens in the body, cookies get new cookies.
#[utoipa::path(
    post,
    path = "/v1/auth/switch",
    tag = "auth",
    request_body = SwitchIn,
    responses(
        (status = 200, description = "The new session, in the mode of the one that ended; in \
            cookie mode with new `__Host-cubby_access`, `__Host-cubby_refresh` and \
            `__Host-cubby_csrf` cookies", body = super::auth::SignedInOut,
            headers(("Set-Cookie" = String, description = "The new session's cookies, in cookie mode"))),
        (status = 404, description = "Not one of the caller's active centres, or no such \
            centre (`not_found`); the session goes on"),
    )
)]
pub(crate) async fn switch(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: SwitchIn = ctx.json()?;
    // The pipeline opened the session from the bearer token if there is one, else from the
    // access cookie: the new session is handed over the same way.
    let mode = if bearer(ctx.headers())?.is_some() {
        Mode::Bearer
    } else {
        Mode::Cookie
    };
    let session = ctx
        .app()
        .auth
        .switch(ctx.session()?, &body.tenant_code)
        .await?;
    signed_in(&ctx, mode, session)
}
