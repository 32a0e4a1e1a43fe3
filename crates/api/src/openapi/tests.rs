use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;
use cubby_app::{App, AppConfig, TokenKeys, TokenPolicy};
use http::{Method, Request, StatusCode};
use serde_json::Value;

use super::docs::DOCS_CSP;
use crate::router::{Access, RouteSpec};
use crate::{Api, ApiConfig};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn routes() -> Vec<RouteSpec> {
    super::every_route().specs().cloned().collect()
}

fn spec() -> Value {
    serde_json::from_slice(&super::json()).unwrap()
}

fn operation<'a>(spec: &'a Value, route: &RouteSpec) -> &'a Value {
    &spec["paths"][route.path][route.method.as_str().to_lowercase()]
}

#[test]
fn every_route_is_an_operation_and_every_operation_a_route() {
    let router = super::every_route();
    assert!(router.conflicts.is_empty(), "{:?}", router.conflicts);
    let routes: BTreeSet<String> = router
        .specs()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let spec = spec();
    let mut operations = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                operations.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let undocumented: Vec<&String> = routes.difference(&operations).collect();
    let unrouted: Vec<&String> = operations.difference(&routes).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "routes missing from the OpenAPI document (give their handler #[utoipa::path] and list \
         it in openapi.rs): {undocumented:?}; operations that are no route: {unrouted:?}"
    );
}

#[test]
fn access_shows_as_security_permission_and_answers() {
    let spec = spec();
    for route in routes() {
        let op = operation(&spec, &route);
        let name = format!("{} {}", route.method, route.path);
        let responses = op["responses"].as_object().unwrap();
        let permission = op["x-permission"].as_str().unwrap();
        let description = op["description"].as_str().unwrap();
        match route.access {
            Access::Public => {
                assert!(op.get("security").is_none(), "{name} is public");
                assert_eq!(permission, "public", "{name}");
            }
            Access::Session | Access::Permission(_) => {
                let schemes: Vec<&str> = op["security"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|requirement| requirement.as_object().unwrap().keys())
                    .map(String::as_str)
                    .collect();
                assert_eq!(schemes, ["bearer", "cookie"], "{name}");
                for status in ["401", "403"] {
                    assert!(responses.contains_key(status), "{name} lacks {status}");
                }
            }
            Access::Operator => {
                assert_eq!(
                    op["security"],
                    serde_json::json!([{ "platformKey": [] }]),
                    "{name}"
                );
                assert_eq!(permission, "operator", "{name}");
                assert!(responses.contains_key("401"), "{name} lacks 401");
                assert!(
                    !responses.contains_key("403"),
                    "{name}: nothing is forbidden"
                );
            }
        }
        if let Access::Permission(p) = route.access {
            assert_eq!(permission, p.as_str(), "{name}");
            assert!(description.contains(p.as_str()), "{name}: {description}");
        }
        if route.path.contains('{') {
            assert!(responses.contains_key("404"), "{name} lacks 404");
        }
        let statuses: Vec<&String> = responses.keys().collect();
        assert!(
            statuses.iter().any(|s| s.starts_with('2')),
            "{name} declares no success: {statuses:?}"
        );
    }
}

#[test]
fn the_document_is_openapi_3_1_with_unique_operation_ids_and_resolving_refs() {
    let spec = spec();
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        spec["openapi"]
    );
    assert_eq!(spec["info"]["title"], "Cubby");
    assert_eq!(spec["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(spec["servers"][0]["url"], "/");
    let mut ids = BTreeSet::new();
    for route in routes() {
        let id = operation(&spec, &route)["operationId"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(ids.insert(id.clone()), "operationId {id} is used twice");
    }
    let mut refs = Vec::new();
    collect_refs(&spec, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let pointer = reference.trim_start_matches('#');
        assert!(
            spec.pointer(pointer).is_some(),
            "{reference} does not resolve"
        );
    }
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => refs.push(reference.clone()),
                    _ => collect_refs(value, refs),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, refs)),
        _ => {}
    }
}

#[test]
fn request_bodies_refuse_unknown_fields_and_pages_follow_the_port_limits() {
    let spec = spec();
    let room_in = &spec["components"]["schemas"]["RoomIn"];
    assert_eq!(room_in["additionalProperties"], false, "{room_in}");
    let limit = spec["paths"]["/v1/rooms"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(
        limit["schema"]["maximum"],
        u64::from(cubby_ports::MAX_LIMIT)
    );
    assert_eq!(
        limit["schema"]["default"],
        u64::from(cubby_ports::DEFAULT_LIMIT)
    );
}

#[test]
fn every_paged_list_documents_its_sort_keys() {
    let spec = spec();
    let mut paged = 0;
    for route in routes().iter().filter(|r| r.method == Method::GET) {
        let op = operation(&spec, route);
        let parameters: Vec<&Value> = op["parameters"]
            .as_array()
            .map(|p| p.iter().collect())
            .unwrap_or_default();
        let named = |name: &str| parameters.iter().find(|p| p["name"] == name).copied();
        if named("limit").is_none() {
            continue;
        }
        paged += 1;
        let name = format!("{} {}", route.method, route.path);
        assert!(named("offset").is_some(), "{name} pages without offset");
        let sort = named("sort").unwrap_or_else(|| panic!("{name} pages without sort"));
        let keys: Vec<&str> = sort["schema"]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: sort has no enum: {sort}"))
            .iter()
            .map(|key| key.as_str().unwrap())
            .collect();
        assert!(!keys.is_empty(), "{name}");
        for key in keys.iter().filter(|key| !key.starts_with('-')) {
            assert!(
                keys.contains(&format!("-{key}").as_str()),
                "{name}: no -{key}"
            );
        }
    }
    // rooms, children, members, roles, invitations, audit, staff, breaches, announcements,
    // threads, a thread's messages, the caller's centres and the platform's centres.
    assert_eq!(paged, 13);
}

#[test]
fn every_list_answers_one_page_shape_whose_items_refer_to_their_component() {
    let spec = spec();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let pages: Vec<(&String, &Value)> = schemas
        .iter()
        .filter(|(name, _)| name.starts_with("Page_"))
        .collect();
    // The thirteen paged lists' items: a thread's messages are a page too, and no list has a
    // page of its own.
    assert_eq!(
        pages.len(),
        13,
        "{:?}",
        pages.iter().map(|p| p.0).collect::<Vec<_>>()
    );
    assert!(!schemas.keys().any(|name| name.ends_with("Page")));
    for (name, page) in pages {
        let item = name.trim_start_matches("Page_");
        assert!(schemas.contains_key(item), "{name}");
        assert_eq!(
            page["properties"]["items"]["items"]["$ref"],
            format!("#/components/schemas/{item}"),
            "{name}"
        );
        for field in ["items", "total", "limit", "offset"] {
            assert!(
                page["required"]
                    .as_array()
                    .unwrap()
                    .contains(&Value::from(field)),
                "{name}.{field}"
            );
        }
    }
}

#[test]
fn optional_answer_fields_are_left_out_never_null() {
    let spec = spec();
    for (schema, field) in [
        ("Child", "room_id"),
        ("SensitiveInfo", "allergies"),
        ("CentreSettings", "closing_time"),
        ("DayView", "room_id"),
        ("Interval", "to"),
        ("Announcement", "read_at"),
        ("Job", "result_file_id"),
        ("Progress", "total"),
    ] {
        let object = &spec["components"]["schemas"][schema];
        let required = object["required"].as_array().cloned().unwrap_or_default();
        assert!(
            !required.contains(&Value::from(field)),
            "{schema}.{field} is required: {object}"
        );
        let property = object["properties"][field].to_string();
        assert!(
            !property.contains("\"null\""),
            "{schema}.{field} is nullable: {property}"
        );
    }
}

fn api(serve_docs: bool) -> Api {
    let config = AppConfig {
        keys: TokenKeys::hs256("test", b"a test secret of thirty-two bytes or more"),
        policy: TokenPolicy::default(),
        passwords: cubby_app::passwords::PasswordParams::for_tests(),
        login: cubby_app::auth::LoginPolicy {
            max_failures_per_account: 5,
            max_failures_per_address: 20,
            window: std::time::Duration::from_secs(900),
        },
        session_lifetime: time::Duration::days(30),
        supabase: None,
        jobs: cubby_app::jobs::RetryPolicy::default(),
        operators: cubby_app::platform::OperatorKeys::none(),
        links: cubby_app::mail::Links::new("https://app.cubby.example"),
    };
    let app = App::new(cubby_adapters_memory::embedded_ports(), config).unwrap();
    Api::new(
        Arc::new(app),
        ApiConfig {
            serve_docs,
            ..ApiConfig::default()
        },
    )
}

async fn get(api: &Api, path: &str) -> http::Response<Bytes> {
    let request = Request::builder()
        .method(Method::GET)
        .uri(path)
        .body(Bytes::new())
        .unwrap();
    api.handle(request).await
}

const DOCS: [&str; 5] = [
    "/openapi.json",
    "/docs",
    "/docs/init.js",
    "/docs/swagger-ui-bundle.js",
    "/docs/swagger-ui.css",
];

#[tokio::test]
async fn the_document_and_swagger_ui_are_served_when_asked_for() {
    let api = api(true);
    let spec = spec();
    for route in api.routes() {
        assert!(
            operation(&spec, route).is_object(),
            "{} {}",
            route.method,
            route.path
        );
    }
    for path in DOCS {
        let response = get(&api, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(!response.body().is_empty(), "{path}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        if path == "/openapi.json" {
            assert_eq!(
                csp,
                "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            );
            let doc: Value = serde_json::from_slice(response.body()).unwrap();
            assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
        } else {
            assert_eq!(csp, DOCS_CSP, "{path}");
        }
    }
    let page = get(&api, "/docs").await;
    let html = String::from_utf8_lossy(page.body()).to_string();
    assert!(!html.contains("<script>"), "no inline script: {html}");
    for asset in [
        "docs/init.js",
        "docs/swagger-ui-bundle.js",
        "docs/swagger-ui.css",
    ] {
        assert!(html.contains(asset), "{asset}");
    }
    let bundle = get(&api, "/docs/swagger-ui-bundle.js").await;
    assert!(
        bundle.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let rooms = get(&api, "/v1/rooms").await;
    assert_eq!(
        rooms.headers()["content-security-policy"],
        "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        "other answers keep the strict policy"
    );
}

#[tokio::test]
async fn nothing_of_it_is_served_when_not_asked_for() {
    let api = api(false);
    for path in DOCS {
        assert_eq!(
            get(&api, path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert!(api.routes().all(|r| !DOCS.contains(&r.path)));
}

#[test]
fn the_docs_are_served_everywhere_but_in_production() {
    use cubby_settings::Environment;
    assert!(ApiConfig::default().serve_docs);
    let mut settings = cubby_settings::Settings::from_vars(Vec::new()).unwrap();
    for (env, served) in [
        (Environment::Dev, true),
        (Environment::Staging, true),
        (Environment::Prod, false),
    ] {
        settings.env = env;
        assert_eq!(
            ApiConfig::from_settings(&settings).serve_docs,
            served,
            "{env:?}"
        );
    }
}

#[tokio::test]
async fn the_dev_object_endpoint_is_served_but_not_in_the_contract() {
    let api = api(true);
    assert!(api.routes().all(|r| !r.path.starts_with("/local-objects")));
    assert!(
        spec()["paths"]
            .as_object()
            .unwrap()
            .keys()
            .all(|path| !path.starts_with("/local-objects"))
    );
    // Served (the store refuses a request without its grant, in S3's words), with a body cap
    // of its own for the hosts.
    let refused = get(&api, "/local-objects/tenants/x/document/y").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(refused.body().as_ref(), b"SignatureDoesNotMatch");
    assert_eq!(refused.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        api.body_limit_for("/local-objects/tenants/x/document/y"),
        64 * 1024 * 1024
    );
    assert_eq!(api.body_limit_for("/v1/rooms"), api.body_limit());
    // The 413 a host answers names the limit of the path it stopped reading.
    for (path, limit) in [
        ("/local-objects/tenants/x/document/y", 64 * 1024 * 1024),
        ("/v1/rooms", api.body_limit()),
    ] {
        let refused = api.payload_too_large(path, &http::HeaderMap::new());
        assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body: Value = serde_json::from_slice(refused.body()).unwrap();
        assert_eq!(
            body["message"],
            format!("the request body is larger than {limit} bytes")
        );
    }
    let delete = Request::builder()
        .method(Method::DELETE)
        .uri("/local-objects/a")
        .body(Bytes::new())
        .unwrap();
    assert_eq!(
        api.handle(delete).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
}
