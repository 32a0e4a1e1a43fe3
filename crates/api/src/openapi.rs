//! The REST API's OpenAPI 3.1 document, and the routes that serve it: `GET /openapi.json` and
//! Swagger UI at `GET /docs`, registered only when [`crate::ApiConfig::serve_docs`] is on.
//!
//! The document is generated: each handler carries `#[utoipa::path]` with its parameters,
//! body and answers, the wire types derive `ToSchema`, and [`decorate`] adds what the route
//! table and the pipeline decide for every operation (security and permission, the errors the
//! pipeline answers, the headers every request and answer may carry).

mod codes;
mod decorate;
mod docs;
mod refine;
mod responses;
pub(crate) mod schemas;
#[cfg(test)]
mod tests;
mod with_lists;
mod with_text;

use std::sync::OnceLock;

use bytes::Bytes;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Components, Server};

pub(crate) use docs::register;

use crate::cookies;
use crate::router::RouteSpec;
use crate::router::Router;
use crate::routes::{
    attendance, audit, auth, centre, centres, children, files, health, invitations, jobs, members,
    messages, metrics, password, platform, roles, rooms, staff,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cubby",
        description = "The REST API of Cubby, a multi-tenant backend for daycare centres. See \
                       docs/API.md for the rules every route keeps."
    ),
    servers((url = "/")),
    paths(
        health::live, health::ready, metrics::serve, auth::jwks, auth::login, auth::exchange, auth::refresh,
        auth::csrf, auth::logout, auth::context, centres::list, centres::switch, password::forgot,
        password::reset, password::change,
        rooms::create, rooms::list, rooms::get, rooms::update, rooms::archive, rooms::add_rule,
        members::list, members::get, members::update, members::remove,
        roles::list, roles::create, roles::get, roles::update, roles::delete,
        invitations::create, invitations::list, invitations::accept, invitations::get,
        invitations::revoke, invitations::resend,
        audit::list,
        children::child::create, children::list::list, children::child::get,
        children::child::update, children::child::archive, children::sensitive::sensitive,
        children::sensitive::replace_sensitive, children::contacts::add_contact,
        children::contacts::update_contact, children::contacts::remove_contact,
        children::restrictions::add_restriction, children::restrictions::remove_restriction,
        centre::get, centre::update,
        attendance::ratio::ratio, attendance::ratio::breaches, attendance::record::record,
        attendance::corrections::correct, attendance::days::day, attendance::days::child_days,
        messages::announce, messages::announcements, messages::get_announcement,
        messages::read_announcement, messages::start, messages::threads, messages::get_thread,
        messages::post, messages::read_thread,
        files::presign, files::confirm, files::get,
        jobs::attendance_report, jobs::roster_import, jobs::get,
        staff::create, staff::list, staff::get, staff::update, staff::archive,
        platform::create, platform::list, platform::get, platform::suspend, platform::resume,
        platform::invite_owner,
        docs::spec, docs::page, docs::init, docs::bundle, docs::styles,
    ),
    components(schemas(schemas::ErrorBody, codes::FieldErrorBody, centres::CentreChoiceOut)),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "Signing in and out, sessions, the caller's context"),
        (name = "centre", description = "The caller's centre and its settings"),
        (name = "rooms", description = "Rooms and their ratio rules"),
        (name = "children", description = "Children, their contacts, sensitive notes and custody restrictions"),
        (name = "staff", description = "Staff records and room assignments"),
        (name = "attendance", description = "Check-ins and check-outs, clock-ins, days and ratios"),
        (name = "messages", description = "Announcements, threads and read receipts"),
        (name = "files", description = "Presigned uploads and downloads"),
        (name = "jobs", description = "Reports, imports and background jobs"),
        (name = "members", description = "The people of a centre"),
        (name = "roles", description = "Built-in and custom roles"),
        (name = "invitations", description = "Inviting people to a centre"),
        (name = "audit", description = "The centre's audit log"),
        (name = "platform", description = "The platform API, for the people who run the service: \
            centres, by operator API key (404 where no key is configured)"),
        (name = "docs", description = "This document and Swagger UI (not served in production)"),
    )
)]
struct ApiDoc;

/// The document describing `routes`: what the handlers declare, decorated with what the route
/// table and the pipeline decide.
pub(crate) fn document(routes: &[RouteSpec]) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.servers = Some(vec![Server::new("/")]);
    decorate::aliases(&mut doc.paths);
    for route in routes {
        let operation = doc
            .paths
            .paths
            .get_mut(route.path)
            .and_then(|item| decorate::operation_mut(item, &route.method));
        if let Some(operation) = operation {
            decorate::operation(operation, route);
        }
    }
    let components = doc.components.get_or_insert_with(Components::new);
    components.schemas.extend(schemas::id_schemas());
    components.responses.extend(responses::shared_responses());
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An access token from a sign-in, in `Authorization: Bearer`",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        "cookie",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            cookies::ACCESS,
            "The access cookie of a cookie-mode sign-in; every POST, PUT, PATCH and DELETE must \
             also send the session's CSRF token in `X-CSRF-Token`",
        ))),
    );
    components.add_security_scheme(
        "platformKey",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An operator API key of the platform API, in `Authorization: Bearer`: \
                     one whose SHA-256 digest is in `CUBBY_PLATFORM_KEYS` (never a centre's \
                     access token)",
                ))
                .build(),
        ),
    );
    doc
}

/// Every route an API may serve, those its configuration turns on included: the document
/// describes them all.
pub(crate) fn every_route() -> Router {
    let mut router = crate::routes::all(true);
    metrics::register(&mut router);
    platform::register(&mut router);
    router
}

/// The document of every route, as JSON, built once.
pub(crate) fn json() -> Bytes {
    static JSON: OnceLock<Bytes> = OnceLock::new();
    JSON.get_or_init(|| {
        let router = every_route();
        let routes: Vec<RouteSpec> = router.specs().cloned().collect();
        let mut doc = serde_json::to_value(document(&routes)).unwrap_or_default();
        refine::refine(&mut doc);
        Bytes::from(serde_json::to_vec(&doc).unwrap_or_default())
    })
    .clone()
}
