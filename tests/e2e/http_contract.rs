//! The REST contract every route shares: content types, body caps, malformed JSON, unknown
//! routes and methods, request ids, health.

use cubby_tests::{Call, Host, World};
use http::Method;
use serde_json::json;

crate::on_both_hosts!(
    a_body_that_is_not_json_is_415,
    a_body_over_the_cap_is_413,
    malformed_json_is_400_with_where_and_why,
    an_integer_may_be_written_as_a_whole_float,
    a_duplicate_field_is_400_however_the_numbers_are_written,
    unknown_routes_are_404_and_wrong_methods_405,
    a_well_formed_request_id_is_echoed_and_a_bad_one_replaced,
    health_and_readiness_answer_without_a_session,
    cors_answers_the_allowed_origins_only,
);

async fn a_body_that_is_not_json_is_415(host: &impl Host, world: &World) {
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        host.send(
            Call::post("/v1/rooms")
                .bearer(&world.a.director)
                .raw(content_type, "name=Koalas"),
        )
        .await
        .expect_error(415, "request.unsupported_media_type");
    }
    let listed = host
        .send(Call::get("/v1/rooms").bearer(&world.a.director))
        .await;
    assert_eq!(listed.json()["total"], 0);
}

async fn a_body_over_the_cap_is_413(host: &impl Host, world: &World) {
    // Over the host-wide cap, and over a record route's own cap though well under the host's.
    let room = |name_bytes: usize| {
        let body = json!({ "name": "x".repeat(name_bytes), "age_range": { "min_months": 0, "max_months": 60 }, "capacity": 20, "ratio": "1:4" });
        Call::post("/v1/rooms")
            .bearer(&world.a.director)
            .raw("application/json", body.to_string())
    };
    host.send(room(2 * 1024 * 1024))
        .await
        .expect_error(413, "request.too_large");
    let reply = host.send(room(cubby_api::RECORD_BODY_LIMIT)).await;
    reply.expect_error(413, "request.too_large");
    let limit = cubby_api::RECORD_BODY_LIMIT.to_string();
    assert!(reply.json()["message"].as_str().unwrap().contains(&limit));
    // Just under the route's cap the body is read (and the name refused as too long).
    host.send(room(cubby_api::RECORD_BODY_LIMIT - 200))
        .await
        .expect(422);
}

async fn an_integer_may_be_written_as_a_whole_float(host: &impl Host, world: &World) {
    // JSON has one number type; JSON Schema (and so the OpenAPI document) calls 20.0 an integer.
    let room = |capacity: f64| json!({ "name": format!("Room {capacity}"), "age_range": { "min_months": 0.0, "max_months": 60 }, "capacity": capacity, "ratio": "1:4" });
    let reply = host
        .send(
            Call::post("/v1/rooms")
                .bearer(&world.a.director)
                .json(&room(20.0)),
        )
        .await;
    reply.expect(201);
    assert_eq!(reply.json()["capacity"], 20);
    host.send(
        Call::post("/v1/rooms")
            .bearer(&world.a.director)
            .json(&room(20.5)),
    )
    .await
    .expect_error(400, "request.malformed_json");
}

async fn a_duplicate_field_is_400_however_the_numbers_are_written(host: &impl Host, world: &World) {
    // The whole-float retry parses the same text as strictly as the first try: a later `name`
    // never replaces an earlier one, and nothing is stored.
    for capacity in ["12", "12.0", "1.2e1"] {
        let body = format!(
            r#"{{"name": "Koalas", "name": "Sneaky", "age_range": {{"min_months": 0, "max_months": 60}}, "capacity": {capacity}, "ratio": "1:4"}}"#
        );
        let reply = host
            .send(
                Call::post("/v1/rooms")
                    .bearer(&world.a.director)
                    .raw("application/json", body),
            )
            .await;
        reply.expect_error(400, "request.malformed_json");
        assert!(
            reply.json()["details"]["reason"]
                .as_str()
                .unwrap()
                .contains("duplicate field"),
            "{capacity}: {}",
            reply.json()
        );
    }
    let listed = host
        .send(Call::get("/v1/rooms").bearer(&world.a.director))
        .await;
    assert_eq!(listed.json()["total"], 0);
}

async fn malformed_json_is_400_with_where_and_why(host: &impl Host, world: &World) {
    let reply = host
        .send(Call::post("/v1/rooms").bearer(&world.a.director).raw(
            "application/json",
            "{\"name\": \"Koalas\",\n \"capacity\": }",
        ))
        .await;
    reply.expect_error(400, "request.malformed_json");
    let details = &reply.json()["details"];
    assert_eq!(details["line"], 2);
    assert!(details["column"].as_u64().unwrap() > 0);
    assert!(details["reason"].is_string());

    let wrong_type = json!({ "name": "Koalas", "age_range": { "min_months": 1, "max_months": 2 }, "capacity": "twelve", "ratio": "1:4" });
    host.send(
        Call::post("/v1/rooms")
            .bearer(&world.a.director)
            .json(&wrong_type),
    )
    .await
    .expect_error(400, "request.malformed_json");
    host.send(Call::post("/v1/rooms").bearer(&world.a.director))
        .await
        .expect_error(400, "request.body_required");
}

async fn unknown_routes_are_404_and_wrong_methods_405(host: &impl Host, world: &World) {
    for path in [
        "/",
        "/v1",
        "/v1/nothing-here",
        "/v1/rooms/",
        "/v2/rooms",
        "/v1/rooms/room_x/extra",
    ] {
        host.send(Call::get(path).bearer(&world.a.director))
            .await
            .expect_error(404, "not_found");
    }
    let reply = host
        .send(
            Call::new(Method::PUT, "/v1/rooms")
                .bearer(&world.a.director)
                .json(&json!({})),
        )
        .await;
    reply.expect_error(405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("POST, GET"));
    host.send(Call::get("/v1/rooms/not-an-id").bearer(&world.a.director))
        .await
        .expect_error(404, "not_found");
}

async fn a_well_formed_request_id_is_echoed_and_a_bad_one_replaced(
    host: &impl Host,
    _world: &World,
) {
    let echoed = host
        .send(Call::get("/healthz").header("x-request-id", "trace-abc_123"))
        .await;
    assert_eq!(echoed.header("x-request-id"), Some("trace-abc_123"));
    let error = host
        .send(Call::get("/v1/rooms").header("x-request-id", "trace-abc_124"))
        .await;
    assert_eq!(error.json()["request_id"], "trace-abc_124");
    let replaced = host
        .send(Call::get("/healthz").header("x-request-id", "bad id <script>"))
        .await;
    let id = replaced.header("x-request-id").unwrap();
    assert_ne!(id, "bad id <script>");
    assert!(!id.is_empty());
    let fresh_a = host.send(Call::get("/healthz")).await;
    let fresh_b = host.send(Call::get("/healthz")).await;
    assert_ne!(
        fresh_a.header("x-request-id"),
        fresh_b.header("x-request-id")
    );
}

async fn health_and_readiness_answer_without_a_session(host: &impl Host, _world: &World) {
    for path in ["/healthz", "/health/live"] {
        let reply = host.send(Call::get(path)).await;
        reply.expect(200);
        assert_eq!(reply.json()["status"], "ok");
    }
    for path in ["/readyz", "/health/ready"] {
        let reply = host.send(Call::get(path)).await;
        reply.expect(200);
        assert_eq!(reply.json()["status"], "ready");
        assert!(reply.json()["checks"].is_object());
    }
}

mod every_route {
    use super::*;

    crate::on_both_hosts!(every_route_of_the_table_is_served);

    /// Every route of the api's table is reachable on the host: with no session, routes that
    /// need one answer 401 and public ones answer (without a body, 400 for those that need
    /// one); none is unknown (404) or of another method (405).
    async fn every_route_of_the_table_is_served(host: &impl Host, world: &World) {
        for route in world.api.routes() {
            let path = route
                .path
                .replace("{id}", "room_01h455vb4pex5vsknk084sn02q");
            let reply = host.send(Call::new(route.method.clone(), &path)).await;
            let status = reply.status.as_u16();
            let served = match route.access {
                cubby_api::Access::Public => [200, 400, 401].contains(&status),
                cubby_api::Access::Session
                | cubby_api::Access::Permission(_)
                | cubby_api::Access::Operator => status == 401,
            };
            assert!(served, "{} {} answered {status}", route.method, route.path);
        }
    }
}

async fn cors_answers_the_allowed_origins_only(host: &impl Host, world: &World) {
    use cubby_tests::world::TEST_ORIGIN;
    let preflight = |origin: &str, path: &str| {
        Call::new(Method::OPTIONS, path)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, authorization",
            )
    };

    // A preflight from the allowed origin: the path's methods, the headers the API reads.
    let allowed = host.send(preflight(TEST_ORIGIN, "/v1/rooms")).await;
    allowed.expect(204);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some(TEST_ORIGIN)
    );
    assert_eq!(
        allowed.header("access-control-allow-credentials"),
        Some("true")
    );
    let methods = allowed.header("access-control-allow-methods").unwrap();
    assert!(
        methods.contains("GET") && methods.contains("POST"),
        "{methods}"
    );
    let headers = allowed.header("access-control-allow-headers").unwrap();
    for name in [
        "authorization",
        "content-type",
        "idempotency-key",
        "if-match",
        "x-csrf-token",
    ] {
        assert!(headers.contains(name), "{headers}");
    }
    assert_eq!(allowed.header("access-control-max-age"), Some("600"));

    // From another origin: refused in the error shape, with no CORS header for the browser.
    let other = host
        .send(preflight("https://evil.example", "/v1/rooms"))
        .await;
    other.expect_error(403, "cors.origin_not_allowed");
    assert_eq!(other.header("access-control-allow-origin"), None);
    // A path that does not exist is 404 whoever asks.
    host.send(preflight(TEST_ORIGIN, "/v1/nothing-here"))
        .await
        .expect_error(404, "not_found");

    // Actual requests: the allowed origin may read the answer (and its headers), another not.
    let read = host
        .send(
            Call::get("/v1/rooms")
                .bearer(&world.a.director)
                .header("origin", TEST_ORIGIN),
        )
        .await;
    read.expect(200);
    assert_eq!(
        read.header("access-control-allow-origin"),
        Some(TEST_ORIGIN)
    );
    assert_eq!(
        read.header("access-control-allow-credentials"),
        Some("true")
    );
    assert!(
        read.header("access-control-expose-headers")
            .is_some_and(|exposed| exposed.contains("x-request-id") && exposed.contains("etag"))
    );
    assert!(
        read.header("vary")
            .is_some_and(|vary| vary.contains("Origin"))
    );
    let foreign = host
        .send(
            Call::get("/v1/rooms")
                .bearer(&world.a.director)
                .header("origin", "https://evil.example"),
        )
        .await;
    assert_eq!(foreign.header("access-control-allow-origin"), None);
    assert_eq!(foreign.header("access-control-allow-credentials"), None);
    assert!(
        foreign
            .header("vary")
            .is_some_and(|vary| vary.contains("Origin"))
    );
}

mod rate_limited {
    use super::*;
    use cubby_api::{ApiConfig, RateLimits};
    use cubby_tests::world::{test_api_config, test_config};

    crate::on_both_hosts_of!(limited_world; requests_past_a_limit_are_429_per_centre_and_per_address);

    async fn limited_world() -> World {
        let api = ApiConfig {
            rate_limits: Some(RateLimits {
                per_address: 8,
                per_tenant: 3,
                window: std::time::Duration::from_secs(60),
            }),
            ..test_api_config()
        };
        World::on(cubby_adapters_memory::embedded_ports(), test_config(), api).await
    }

    fn retry_after(reply: &cubby_tests::Reply) -> u64 {
        reply.header("retry-after").unwrap().parse().unwrap()
    }

    async fn requests_past_a_limit_are_429_per_centre_and_per_address(
        host: &impl Host,
        world: &World,
    ) {
        let rooms = |token: &str| Call::get("/v1/rooms").bearer(token);
        // Centre A's members share three requests a minute; the fourth waits.
        for token in [&world.a.director, &world.a.teacher, &world.a.director] {
            host.send(rooms(token)).await.expect(200);
        }
        let refused = host.send(rooms(&world.a.owner)).await;
        refused.expect_error(429, "rate_limited");
        assert!((1..=60).contains(&retry_after(&refused)));
        // Centre B counts on its own; health checks are never counted.
        host.send(rooms(&world.b.director)).await.expect(200);
        for _ in 0..10 {
            host.send(Call::get("/health/live")).await.expect(200);
        }
        // The address has sent five counted requests; three more without a session...
        for _ in 0..3 {
            host.send(Call::get("/v1/rooms"))
                .await
                .expect_error(401, "auth.required");
        }
        // ...and then nobody from it is answered, whatever the centre.
        let refused = host.send(rooms(&world.b.director)).await;
        refused.expect_error(429, "rate_limited");
        assert!((1..=60).contains(&retry_after(&refused)));
    }
}
