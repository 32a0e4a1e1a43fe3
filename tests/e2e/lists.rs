//! What every list shares, over HTTP on both hosts: `sort` on each list's natural key (both
//! directions, a bad key refused), the paginated roles list, and answers that leave an empty
//! optional field out rather than send `null`.

use cubby_domain::Role;
use cubby_tests::{Call, Host, World};
use serde_json::{Value, json};

use crate::children::{add_contact, child, contact, room};

crate::on_both_hosts!(
    roles_are_paginated_and_sort_by_name,
    invitations_and_audit_events_sort_by_time_both_ways,
    staff_sort_by_name_both_ways,
    announcements_and_threads_sort_by_time_both_ways,
    answers_leave_empty_optional_fields_out,
);

/// The `field` of each item of a page.
fn column(page: &Value, field: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|item| item[field].as_str().unwrap().to_owned())
        .collect()
}

/// `path` sorted by `key` both ways: the `field` of its items in ascending and in descending
/// order, after checking that the two are each other's reverse, that one of them is the
/// default order, and that an unknown key is refused naming `key`.
async fn both_ways(
    host: &impl Host,
    token: &str,
    path: &str,
    key: &str,
    field: &str,
) -> (Vec<String>, Vec<String>) {
    let join = if path.contains('?') { '&' } else { '?' };
    let get = |sort: String| {
        let path = format!("{path}{join}sort={sort}");
        async move {
            let reply = host.send(Call::get(&path).bearer(token)).await;
            reply.expect(200);
            reply.json()
        }
    };
    let ascending = get(key.to_owned()).await;
    let descending = get(format!("-{key}")).await;
    let default = {
        let reply = host.send(Call::get(path).bearer(token)).await;
        reply.expect(200);
        reply.json()
    };
    let ids = |page: &Value| column(page, "id");
    let mut reversed = ids(&descending);
    reversed.reverse();
    assert_eq!(
        ids(&ascending),
        reversed,
        "{path}: -{key} is not {key} reversed"
    );
    assert!(ids(&ascending).len() >= 2, "{path}: too few items to tell");
    assert!(
        ids(&default) == ids(&ascending) || ids(&default) == ids(&descending),
        "{path}: the default order is neither way"
    );
    for bad in ["nope", "-", "--at", "id"] {
        let reply = host
            .send(Call::get(&format!("{path}{join}sort={bad}")).bearer(token))
            .await;
        reply.expect_error(400, "request.invalid_query");
        let message = reply.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains(key), "{path}: `{message}` names no key");
    }
    (column(&ascending, field), column(&descending, field))
}

async fn roles_are_paginated_and_sort_by_name(host: &impl Host, world: &World) {
    let director = &world.a.director;
    for name in ["Room lead", "assistant"] {
        host.send(
            Call::post("/v1/roles")
                .bearer(director)
                .json(&json!({ "name": name, "permissions": ["rooms:read"] })),
        )
        .await
        .expect(201);
    }
    let all = host
        .send(Call::get("/v1/roles").bearer(director))
        .await
        .json();
    assert_eq!(
        column(&all, "name"),
        [
            "owner",
            "director",
            "teacher",
            "guardian",
            "Room lead",
            "assistant"
        ]
    );
    assert_eq!(
        (all["total"].clone(), all["limit"].clone()),
        (json!(6), json!(25))
    );
    assert_eq!(all["offset"], 0);

    let page = host
        .send(Call::get("/v1/roles?limit=2&offset=3").bearer(director))
        .await;
    page.expect(200);
    let page = page.json();
    assert_eq!(column(&page, "name"), ["guardian", "Room lead"]);
    assert_eq!(
        (&page["total"], &page["limit"], &page["offset"]),
        (&json!(6), &json!(2), &json!(3))
    );

    let by_name = host
        .send(Call::get("/v1/roles?sort=name&limit=3").bearer(director))
        .await
        .json();
    assert_eq!(
        column(&by_name, "name"),
        ["assistant", "director", "guardian"]
    );
    let by_name_down = host
        .send(Call::get("/v1/roles?sort=-name").bearer(director))
        .await
        .json();
    assert_eq!(
        column(&by_name_down, "name"),
        [
            "teacher",
            "Room lead",
            "owner",
            "guardian",
            "director",
            "assistant"
        ]
    );
    for bad in [
        "sort=created_at",
        "sort=",
        "limit=0",
        "limit=101",
        "offset=-1",
    ] {
        host.send(Call::get(&format!("/v1/roles?{bad}")).bearer(director))
            .await
            .expect_error(400, "request.invalid_query");
    }
}

async fn invitations_and_audit_events_sort_by_time_both_ways(host: &impl Host, world: &World) {
    let director = &world.a.director;
    for email in ["first@invited.example", "second@invited.example"] {
        host.send(
            Call::post("/v1/invitations")
                .bearer(director)
                .json(&json!({ "email": email, "roles": ["teacher"] })),
        )
        .await
        .expect(201);
    }
    let (up, down) = both_ways(host, director, "/v1/invitations", "created_at", "email").await;
    assert_eq!(up, ["first@invited.example", "second@invited.example"]);
    assert_eq!(down, ["second@invited.example", "first@invited.example"]);
    let newest = host
        .send(Call::get("/v1/invitations?sort=-created_at&limit=1&offset=1").bearer(director))
        .await
        .json();
    assert_eq!(column(&newest, "email"), ["first@invited.example"]);
    assert_eq!(newest["total"], 2);

    let owner = &world.a.owner;
    let (up, _) = both_ways(host, owner, "/v1/audit", "at", "at").await;
    let at = |text: &String| {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
    };
    assert!(
        up.windows(2).all(|pair| at(&pair[0]) <= at(&pair[1])),
        "sort=at is oldest first: {up:?}"
    );
}

async fn staff_sort_by_name_both_ways(host: &impl Host, world: &World) {
    let director = &world.a.director;
    for (role, given) in [(Role::Teacher, "Tiina"), (Role::Director, "aapo")] {
        host.send(Call::post("/v1/staff").bearer(director).json(&json!({
            "user_id": world.a.member(role).user_id.to_string(),
            "name": { "given": given, "family": "Staff" },
        })))
        .await
        .expect(201);
    }
    let (up, _) = both_ways(host, director, "/v1/staff", "name", "id").await;
    assert_eq!(up.len(), 2);
    let given = |sort: &str| {
        let path = format!("/v1/staff?sort={sort}");
        async move {
            let page = host.send(Call::get(&path).bearer(director)).await.json();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["name"]["given"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    // By name regardless of case; the default is ascending.
    assert_eq!(given("name").await, ["aapo", "Tiina"]);
    assert_eq!(given("-name").await, ["Tiina", "aapo"]);
}

async fn announcements_and_threads_sort_by_time_both_ways(host: &impl Host, world: &World) {
    let director = &world.a.director;
    for title in ["First notice", "Second notice"] {
        host.send(
            Call::post("/v1/announcements")
                .bearer(director)
                .json(&json!({ "title": title, "body": "Hello." })),
        )
        .await
        .expect(201);
    }
    let (up, down) = both_ways(host, director, "/v1/announcements", "sent_at", "title").await;
    assert_eq!(up, ["First notice", "Second notice"]);
    assert_eq!(down, ["Second notice", "First notice"]);

    let koalas = room(host, director, "Koalas").await;
    let kid = child(host, director, "Aino", Some(&koalas)).await;
    let guardian = world.a.member(Role::Guardian).user_id.to_string();
    let kid = add_contact(
        host,
        director,
        &kid,
        &contact("Maria", Some(guardian), &["guardian", "messaging"]),
    )
    .await;
    let maria = kid["contacts"][0]["id"].clone();
    let mut threads = Vec::new();
    for title in ["Nap times", "Lunch"] {
        let started = host
            .send(Call::post("/v1/threads").bearer(director).json(&json!({
                "child_id": kid["id"], "contact_ids": [maria], "title": title, "body": "Hello",
            })))
            .await;
        started.expect(201);
        threads.push(format!(
            "/v1/threads/{}",
            started.json()["id"].as_str().unwrap()
        ));
    }
    let (up, down) = both_ways(host, director, "/v1/threads", "last_message_at", "title").await;
    assert_eq!(up, ["Nap times", "Lunch"]);
    assert_eq!(down, ["Lunch", "Nap times"]);

    // A thread's messages: oldest first by default, `-sent_at` newest first.
    let nap = &threads[0];
    host.send(
        Call::post(&format!("{nap}/messages"))
            .bearer(director)
            .json(&json!({ "body": "Slept well." })),
    )
    .await
    .expect(201);
    let bodies = |sort: &str| {
        let path = format!("{nap}{sort}");
        async move {
            let reply = host.send(Call::get(&path).bearer(director)).await;
            reply.expect(200);
            column(&reply.json()["messages_page"], "body")
        }
    };
    assert_eq!(bodies("").await, ["Hello", "Slept well."]);
    assert_eq!(bodies("?sort=sent_at").await, ["Hello", "Slept well."]);
    assert_eq!(bodies("?sort=-sent_at").await, ["Slept well.", "Hello"]);
    assert_eq!(bodies("?sort=-sent_at&limit=1&offset=1").await, ["Hello"]);
    host.send(Call::get(&format!("{nap}?sort=body")).bearer(director))
        .await
        .expect_error(400, "request.invalid_query");
}

/// The paths of every `null` in `value`, at any depth.
fn nulls(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Null => found.push(path.to_owned()),
        Value::Object(fields) => {
            for (name, field) in fields {
                nulls(field, &format!("{path}.{name}"), found);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                nulls(item, &format!("{path}[{index}]"), found);
            }
        }
        _ => {}
    }
}

async fn answers_leave_empty_optional_fields_out(host: &impl Host, world: &World) {
    let director = &world.a.director;
    // A child with no room and no notes, an unread announcement, a custom role: each has
    // optional fields with no value.
    let kid = child(host, director, "Eero", None).await;
    let kid_path = format!("/v1/children/{}", kid["id"].as_str().unwrap());
    host.send(
        Call::post("/v1/announcements")
            .bearer(director)
            .json(&json!({ "title": "Closed Friday", "body": "Staff training." })),
    )
    .await
    .expect(201);
    let mut paths = vec![
        "/v1/me/context".to_owned(),
        "/v1/centre".to_owned(),
        "/v1/rooms".to_owned(),
        "/v1/roles".to_owned(),
        "/v1/members".to_owned(),
        "/v1/children".to_owned(),
        kid_path.clone(),
        format!("{kid_path}/sensitive"),
        format!("{kid_path}/attendance"),
        "/v1/attendance".to_owned(),
        "/v1/announcements".to_owned(),
        "/v1/threads".to_owned(),
        "/v1/staff".to_owned(),
        "/v1/invitations".to_owned(),
    ];
    paths.push("/v1/audit".to_owned());
    for path in &paths {
        let token = if path == "/v1/audit" {
            &world.a.owner
        } else {
            director
        };
        let reply = host.send(Call::get(path).bearer(token)).await;
        reply.expect(200);
        let mut found = Vec::new();
        nulls(&reply.json(), "", &mut found);
        assert!(found.is_empty(), "{path} sends null at {found:?}");
    }
    assert!(kid.get("room_id").is_none(), "{kid}");
}
