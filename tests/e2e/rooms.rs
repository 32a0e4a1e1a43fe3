//! `/v1/rooms` over HTTP, on both hosts: the lifecycle, tenant isolation, roles, validation.

use cubby_tests::{Call, Host, World};
use serde_json::{Value, json};

crate::on_both_hosts!(
    a_room_is_created_read_listed_changed_and_archived,
    another_tenant_gets_404_and_never_sees_the_room,
    a_tenant_id_in_a_body_or_query_changes_nothing,
    roles_without_the_permission_get_403,
    a_duplicate_name_is_409_within_a_tenant_only,
    invalid_values_are_422_with_every_field,
    lists_page_sort_and_filter,
);

fn koalas() -> Value {
    json!({ "name": "Koalas", "age_range": { "min_months": 12, "max_months": 24 }, "capacity": 12, "ratio": "1:4" })
}

async fn create(host: &impl Host, token: &str, body: &Value) -> Value {
    let reply = host
        .send(Call::post("/v1/rooms").bearer(token).json(body))
        .await;
    reply.expect(201);
    reply.json()
}

async fn a_room_is_created_read_listed_changed_and_archived(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let reply = host
        .send(Call::post("/v1/rooms").bearer(token).json(&koalas()))
        .await;
    reply.expect(201);
    let room = reply.json();
    let id = room["id"].as_str().unwrap();
    assert!(id.starts_with("room_"));
    assert_eq!(reply.header("etag"), Some("\"1\""));
    assert_eq!(
        reply.header("location"),
        Some(format!("/v1/rooms/{id}").as_str())
    );
    assert_eq!(room["name"], "Koalas");
    assert_eq!(room["ratio"], "1:4");
    assert_eq!(room["archived"], false);
    assert_eq!(room["version"], 1);
    assert!(room["created_by"].as_str().unwrap().starts_with("user_"));
    assert!(
        room.get("archived_at").is_none(),
        "absent fields are left out: {room}"
    );

    let read = host
        .send(Call::get(&format!("/v1/rooms/{id}")).bearer(token))
        .await;
    read.expect(200);
    assert_eq!(read.json(), room);
    assert_eq!(read.header("etag"), Some("\"1\""));

    let listed = host.send(Call::get("/v1/rooms").bearer(token)).await;
    listed.expect(200);
    assert_eq!(listed.json()["total"], 1);
    assert_eq!(listed.json()["items"][0]["id"], id);

    let path = format!("/v1/rooms/{id}");
    let change = json!({ "capacity": 14, "name": "Big Koalas" });
    host.send(Call::patch(&path).bearer(token).json(&change))
        .await
        .expect_error(428, "precondition.required");
    host.send(
        Call::patch(&path)
            .bearer(token)
            .header("if-match", "3")
            .json(&change),
    )
    .await
    .expect_error(400, "request.invalid_if_match");
    let changed = host
        .send(Call::patch(&path).bearer(token).if_match(1).json(&change))
        .await;
    changed.expect(200);
    assert_eq!(changed.json()["capacity"], 14);
    assert_eq!(changed.json()["name"], "Big Koalas");
    assert_eq!(
        changed.json()["age_range"]["max_months"],
        24,
        "fields not sent stay as they were"
    );
    assert_eq!(changed.header("etag"), Some("\"2\""));
    host.send(
        Call::patch(&path)
            .bearer(token)
            .if_match(1)
            .json(&json!({ "capacity": 9 })),
    )
    .await
    .expect_error(412, "precondition.failed");

    let archived = host
        .send(Call::delete(&path).bearer(token).if_match(2))
        .await;
    archived.expect(200);
    assert_eq!(archived.json()["archived"], true);
    assert!(archived.json()["archived_at"].is_string());
    let again = host
        .send(Call::delete(&path).bearer(token).if_match(3))
        .await;
    again.expect(200);
    assert_eq!(
        again.json()["version"],
        3,
        "archiving twice changes nothing"
    );

    let still_readable = host.send(Call::get(&path).bearer(token)).await;
    still_readable.expect(200);
    assert_eq!(still_readable.json()["archived"], true);
    host.send(
        Call::patch(&path)
            .bearer(token)
            .if_match(3)
            .json(&json!({ "capacity": 9 })),
    )
    .await
    .expect_error(409, "room.archived");

    let default_list = host.send(Call::get("/v1/rooms").bearer(token)).await;
    assert_eq!(
        default_list.json()["total"],
        0,
        "archived rooms leave default lists"
    );
    let with_archived = host
        .send(Call::get("/v1/rooms?include_archived=true").bearer(token))
        .await;
    assert_eq!(with_archived.json()["total"], 1);
}

async fn another_tenant_gets_404_and_never_sees_the_room(host: &impl Host, world: &World) {
    let room = create(host, &world.a.director, &koalas()).await;
    let path = format!("/v1/rooms/{}", room["id"].as_str().unwrap());
    let intruder = &world.b.director;

    host.send(Call::get(&path).bearer(intruder))
        .await
        .expect_error(404, "not_found");
    host.send(
        Call::patch(&path)
            .bearer(intruder)
            .if_match(1)
            .json(&json!({ "name": "Mine" })),
    )
    .await
    .expect_error(404, "not_found");
    host.send(Call::delete(&path).bearer(intruder).if_match(1))
        .await
        .expect_error(404, "not_found");
    let listed = host
        .send(Call::get("/v1/rooms?include_archived=true").bearer(intruder))
        .await;
    listed.expect(200);
    assert_eq!(listed.json()["total"], 0);

    // A missing room answers exactly the same.
    let missing = host
        .send(Call::get("/v1/rooms/room_01h455vb4pex5vsknk084sn02q").bearer(intruder))
        .await;
    missing.expect_error(404, "not_found");
    assert_eq!(
        missing.json()["message"],
        host.send(Call::get(&path).bearer(intruder)).await.json()["message"]
    );

    let untouched = host.send(Call::get(&path).bearer(&world.a.director)).await;
    assert_eq!(untouched.json(), room);
}

async fn a_tenant_id_in_a_body_or_query_changes_nothing(host: &impl Host, world: &World) {
    let a_id = world.a.tenant.id().to_string();
    let mut smuggled = koalas();
    smuggled["tenant_id"] = json!(a_id);
    let refused = host
        .send(
            Call::post("/v1/rooms")
                .bearer(&world.b.director)
                .json(&smuggled),
        )
        .await;
    refused.expect_error(400, "request.malformed_json");
    assert!(
        refused.json()["details"]["reason"]
            .as_str()
            .unwrap()
            .contains("tenant_id")
    );

    host.send(Call::get(&format!("/v1/rooms?tenant_id={a_id}")).bearer(&world.b.director))
        .await
        .expect_error(400, "request.invalid_query");

    let room = create(host, &world.a.director, &koalas()).await;
    let path = format!("/v1/rooms/{}", room["id"].as_str().unwrap());
    let mut patch = json!({ "name": "Moved" });
    patch["tenant_id"] = json!(world.b.tenant.id().to_string());
    host.send(
        Call::patch(&path)
            .bearer(&world.a.director)
            .if_match(1)
            .json(&patch),
    )
    .await
    .expect_error(400, "request.malformed_json");

    for centre in [&world.a, &world.b] {
        let listed = host
            .send(Call::get("/v1/rooms").bearer(&centre.director))
            .await;
        let expected = if centre.tenant.id() == world.a.tenant.id() {
            1
        } else {
            0
        };
        assert_eq!(listed.json()["total"], expected);
    }
    assert_eq!(
        host.send(Call::get(&path).bearer(&world.a.director))
            .await
            .json()["name"],
        "Koalas"
    );
}

async fn roles_without_the_permission_get_403(host: &impl Host, world: &World) {
    let room = create(host, &world.a.owner, &koalas()).await;
    let path = format!("/v1/rooms/{}", room["id"].as_str().unwrap());
    let guardian = &world.a.guardian;
    for call in [
        Call::get("/v1/rooms"),
        Call::get(&path),
        Call::post("/v1/rooms").json(&koalas()),
        Call::patch(&path)
            .if_match(1)
            .json(&json!({ "capacity": 3 })),
        Call::delete(&path).if_match(1),
    ] {
        let reply = host.send(call.bearer(guardian)).await;
        reply.expect_error(403, "forbidden");
    }
    let teacher = &world.a.teacher;
    host.send(Call::get("/v1/rooms").bearer(teacher))
        .await
        .expect(200);
    host.send(Call::get(&path).bearer(teacher))
        .await
        .expect(200);
    let denied = host
        .send(Call::post("/v1/rooms").bearer(teacher).json(&koalas()))
        .await;
    denied.expect_error(403, "forbidden");
    assert_eq!(denied.json()["details"]["permission"], "rooms:write");
    host.send(Call::delete(&path).bearer(teacher).if_match(1))
        .await
        .expect_error(403, "forbidden");
    host.send(Call::get(&path).bearer(&world.a.director))
        .await
        .expect(200);
}

async fn a_duplicate_name_is_409_within_a_tenant_only(host: &impl Host, world: &World) {
    create(host, &world.a.director, &koalas()).await;
    let mut shouting = koalas();
    shouting["name"] = json!("KOALAS");
    host.send(
        Call::post("/v1/rooms")
            .bearer(&world.a.director)
            .json(&shouting),
    )
    .await
    .expect_error(409, "room.name_taken");
    create(host, &world.b.director, &koalas()).await;
}

async fn invalid_values_are_422_with_every_field(host: &impl Host, world: &World) {
    let body = json!({ "name": "  ", "age_range": { "min_months": 30, "max_months": 12 }, "capacity": 100000, "ratio": "4" });
    let reply = host
        .send(
            Call::post("/v1/rooms")
                .bearer(&world.a.director)
                .json(&body),
        )
        .await;
    reply.expect_error(422, "validation.failed");
    let fields: Vec<(String, String)> = reply.json()["details"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("name".to_owned(), "room.invalid_name".to_owned()),
            ("age_range".to_owned(), "room.invalid_age_range".to_owned()),
            ("capacity".to_owned(), "room.invalid_capacity".to_owned()),
            ("ratio".to_owned(), "room.invalid_ratio".to_owned()),
        ]
    );
    let listed = host
        .send(Call::get("/v1/rooms").bearer(&world.a.director))
        .await;
    assert_eq!(
        listed.json()["total"],
        0,
        "nothing is stored from an invalid request"
    );
}

async fn lists_page_sort_and_filter(host: &impl Host, world: &World) {
    let token = &world.a.director;
    for name in ["Wombats", "Koalas", "Kangaroos", "Emus"] {
        let mut body = koalas();
        body["name"] = json!(name);
        create(host, token, &body).await;
    }
    let names = |reply: &cubby_tests::Reply| -> Vec<String> {
        reply.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let page = host
        .send(Call::get("/v1/rooms?sort=name&limit=2&offset=1").bearer(token))
        .await;
    page.expect(200);
    assert_eq!(names(&page), ["Kangaroos", "Koalas"]);
    assert_eq!(page.json()["total"], 4);
    assert_eq!(page.json()["limit"], 2);
    assert_eq!(page.json()["offset"], 1);

    let newest = host.send(Call::get("/v1/rooms").bearer(token)).await;
    assert_eq!(names(&newest), ["Emus", "Kangaroos", "Koalas", "Wombats"]);
    assert_eq!(newest.json()["limit"], 25);

    let filtered = host
        .send(Call::get("/v1/rooms?name=k&sort=-name").bearer(token))
        .await;
    assert_eq!(names(&filtered), ["Koalas", "Kangaroos"]);

    for bad in [
        "limit=0",
        "limit=101",
        "limit=x",
        "offset=-1",
        "sort=capacity",
        "sort=",
        "include_archived=maybe",
    ] {
        host.send(Call::get(&format!("/v1/rooms?{bad}")).bearer(token))
            .await
            .expect_error(400, "request.invalid_query");
    }
}
