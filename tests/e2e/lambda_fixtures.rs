//! The Lambda api function fed the API Gateway HTTP API (payload v2) event fixtures in
//! `tests/fixtures/apigw-v2`: cookies, query strings, base64 bodies. The fixtures hold
//! `{{DIRECTOR_TOKEN}}` where a session goes.

use cubby_tests::{LambdaHost, World};
use serde_json::Value;

async fn invoke(world: &World, fixture: &str) -> Value {
    let path = format!("{}/fixtures/apigw-v2/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("{{DIRECTOR_TOKEN}}", &world.a.director);
    LambdaHost::start(world)
        .invoke(serde_json::from_str(&text).unwrap())
        .await
}

fn body(response: &Value) -> Value {
    assert_eq!(
        response["isBase64Encoded"], false,
        "JSON answers travel as text"
    );
    serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn a_health_check_event_is_answered() {
    let world = World::in_memory().await;
    let response = invoke(&world, "get-healthz.json").await;
    assert_eq!(response["statusCode"], 200);
    assert_eq!(body(&response)["status"], "ok");
    assert_eq!(response["headers"]["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn a_base64_body_creates_a_room_and_the_query_string_filters_the_list() {
    let world = World::in_memory().await;
    let created = invoke(&world, "post-room-base64-body.json").await;
    assert_eq!(created["statusCode"], 201, "{created}");
    assert_eq!(body(&created)["name"], "Kiwis");
    assert_eq!(created["headers"]["etag"], "\"1\"");

    let listed = invoke(&world, "get-rooms-cookies-query.json").await;
    assert_eq!(listed["statusCode"], 200, "{listed}");
    let page = body(&listed);
    assert_eq!(page["total"], 1);
    assert_eq!(page["limit"], 1);
    assert_eq!(page["items"][0]["name"], "Kiwis");
    assert_eq!(listed["headers"]["x-request-id"], "fixture-get-rooms");
    assert!(
        listed["cookies"].as_array().is_none_or(Vec::is_empty),
        "the api sets no cookie here: {listed}"
    );
}

#[tokio::test]
async fn a_text_body_is_refused_with_415_in_the_error_shape() {
    let world = World::in_memory().await;
    let response = invoke(&world, "post-room-text-plain.json").await;
    assert_eq!(response["statusCode"], 415);
    let error = body(&response);
    assert_eq!(error["code"], "request.unsupported_media_type");
    assert_eq!(error["request_id"], response["headers"]["x-request-id"]);
}
