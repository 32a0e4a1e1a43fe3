//! `GET /openapi.json` and Swagger UI: the page at `GET /docs`, its start script and the
//! vendored Swagger UI assets (see `crates/api/assets/swagger-ui/README.md`). Nothing is
//! fetched from elsewhere, so the page's Content-Security-Policy allows this origin only.

use bytes::Bytes;
use http::{HeaderValue, Method, header};

use crate::router::Router;
use crate::{ApiError, Ctx, Reply};

/// The Content-Security-Policy of the page and its assets: this origin's scripts, styles and
/// images (and the `data:` images Swagger UI draws), nothing inline, no framing.
pub(crate) const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                                   img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
                                   frame-ancestors 'none'";

/// How long browsers may keep the assets.
const ASSET_CACHE: &str = "public, max-age=604800";

const PAGE: &[u8] = include_bytes!("../../assets/docs/index.html");
const INIT: &[u8] = include_bytes!("../../assets/docs/init.js");
const BUNDLE: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js");
const STYLES: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui.css");

/// Adds the document's and Swagger UI's routes, all public.
pub(crate) fn register(router: &mut Router) {
    router.public(Method::GET, "/openapi.json", spec);
    router.public(Method::GET, "/docs", page);
    router.public(Method::GET, "/docs/init.js", init);
    router.public(Method::GET, "/docs/swagger-ui-bundle.js", bundle);
    router.public(Method::GET, "/docs/swagger-ui.css", styles);
}

/// A docs answer: `body` as `content_type`, under the docs' Content-Security-Policy.
fn asset(content_type: &'static str, body: &'static [u8], cache: Option<&'static str>) -> Reply {
    let reply = Reply::bytes(content_type, Bytes::from_static(body)).with_header(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCS_CSP),
    );
    match cache {
        Some(cache) => reply.with_header(header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        None => reply,
    }
}

/// `GET /openapi.json`: this API's OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "docs",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object))
)]
pub(crate) async fn spec(_ctx: Ctx) -> Result<Reply, ApiError> {
    Ok(Reply::bytes("application/json", super::json()))
}

/// `GET /docs`: Swagger UI on this API's document.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "docs",
    responses((status = 200, description = "The page", content_type = "text/html", body = String))
)]
pub(crate) async fn page(_ctx: Ctx) -> Result<Reply, ApiError> {
    Ok(asset("text/html; charset=utf-8", PAGE, None))
}

/// `GET /docs/init.js`: the script that starts Swagger UI.
#[utoipa::path(
    get,
    path = "/docs/init.js",
    tag = "docs",
    responses((status = 200, description = "The script", content_type = "text/javascript", body = String))
)]
pub(crate) async fn init(_ctx: Ctx) -> Result<Reply, ApiError> {
    Ok(asset("text/javascript; charset=utf-8", INIT, None))
}

/// `GET /docs/swagger-ui-bundle.js`: Swagger UI.
#[utoipa::path(
    get,
    path = "/docs/swagger-ui-bundle.js",
    tag = "docs",
    responses((status = 200, description = "The script", content_type = "text/javascript", body = String))
)]
pub(crate) async fn bundle(_ctx: Ctx) -> Result<Reply, ApiError> {
    Ok(asset(
        "text/javascript; charset=utf-8",
        BUNDLE,
        Some(ASSET_CACHE),
    ))
}

/// `GET /docs/swagger-ui.css`: Swagger UI's styles.
#[utoipa::path(
    get,
    path = "/docs/swagger-ui.css",
    tag = "docs",
    responses((status = 200, description = "The styles", content_type = "text/css", body = String))
)]
pub(crate) async fn styles(_ctx: Ctx) -> Result<Reply, ApiError> {
    Ok(asset("text/css; charset=utf-8", STYLES, Some(ASSET_CACHE)))
}
