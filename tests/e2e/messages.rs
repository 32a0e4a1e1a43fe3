//! Announcements and threads over HTTP, on both hosts: who sees which, read receipts, tenant
//! isolation and roles.

use cubby_domain::Role;
use cubby_tests::{Call, Host, World};
use serde_json::{Value, json};

use crate::children::{add_contact, child, contact, room};

crate::on_both_hosts!(
    announcements_reach_the_centre_or_a_room_and_record_reads,
    threads_are_between_staff_and_contacts_who_may_message,
    a_guardian_sees_only_threads_they_are_in,
    another_tenant_gets_404_on_every_message_route,
    roles_without_the_permission_get_403,
    invalid_messages_are_422,
);

fn user(world: &World, role: Role) -> String {
    world.a.member(role).user_id.to_string()
}

async fn announce(host: &impl Host, token: &str, body: &Value) -> Value {
    let reply = host
        .send(Call::post("/v1/announcements").bearer(token).json(body))
        .await;
    reply.expect(201);
    reply.json()
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_owned())
        .collect()
}

/// A child in a new room "Koalas" whose contact is the guardian, with `capabilities`.
async fn guardians_child(
    host: &impl Host,
    world: &World,
    capabilities: &[&str],
) -> (String, Value) {
    let director = &world.a.director;
    let koalas = room(host, director, "Koalas").await;
    let kid = child(host, director, "Aino", Some(&koalas)).await;
    let kid = add_contact(
        host,
        director,
        &kid,
        &contact("Maria", Some(user(world, Role::Guardian)), capabilities),
    )
    .await;
    (koalas, kid)
}

async fn announcements_reach_the_centre_or_a_room_and_record_reads(
    host: &impl Host,
    world: &World,
) {
    let director = &world.a.director;
    let (koalas, _) = guardians_child(host, world, &["guardian", "messaging"]).await;
    let wombats = room(host, director, "Wombats").await;
    announce(
        host,
        director,
        &json!({ "title": "Closed Friday", "body": "Staff training.\nSee you Monday." }),
    )
    .await;
    let to_koalas = announce(
        host,
        director,
        &json!({ "room_id": koalas, "title": "Koalas: pyjama day", "body": "Bring pyjamas." }),
    )
    .await;
    let to_wombats = announce(
        host,
        director,
        &json!({ "room_id": wombats, "title": "Wombats: swimming", "body": "Bring towels." }),
    )
    .await;
    assert_eq!(
        to_koalas["audience"],
        json!({ "kind": "room", "room_id": koalas })
    );
    assert_eq!(to_koalas["receipts"], json!([]));

    let guardian = &world.a.guardian;
    let seen = host
        .send(Call::get("/v1/announcements").bearer(guardian))
        .await;
    seen.expect(200);
    assert_eq!(
        titles(&seen.json()),
        ["Koalas: pyjama day", "Closed Friday"]
    );
    let wombat_path = format!("/v1/announcements/{}", to_wombats["id"].as_str().unwrap());
    host.send(Call::get(&wombat_path).bearer(guardian))
        .await
        .expect_error(404, "not_found");
    host.send(Call::post(&format!("{wombat_path}/read")).bearer(guardian))
        .await
        .expect_error(404, "not_found");

    let koala_path = format!("/v1/announcements/{}", to_koalas["id"].as_str().unwrap());
    let read = host
        .send(Call::post(&format!("{koala_path}/read")).bearer(guardian))
        .await;
    read.expect(200);
    let read_at = read.json()["read_at"].clone();
    assert!(read_at.is_string());
    assert!(
        read.json().get("receipts").is_none(),
        "only senders see who read"
    );
    let again = host
        .send(Call::post(&format!("{koala_path}/read")).bearer(guardian))
        .await;
    assert_eq!(again.json()["read_at"], read_at, "the first read stands");
    let for_director = host.send(Call::get(&koala_path).bearer(director)).await;
    assert_eq!(
        for_director.json()["receipts"],
        json!([{ "user_id": user(world, Role::Guardian), "read_at": read_at }])
    );

    // A teacher sees the centre's and their rooms' announcements.
    host.send(Call::post("/v1/staff").bearer(director).json(&json!({
        "user_id": user(world, Role::Teacher),
        "name": { "given": "Tiina", "family": "Teacher" },
        "room_ids": [wombats],
    })))
    .await
    .expect(201);
    let seen = host
        .send(Call::get("/v1/announcements").bearer(&world.a.teacher))
        .await;
    assert_eq!(titles(&seen.json()), ["Wombats: swimming", "Closed Friday"]);
    let all = host
        .send(Call::get("/v1/announcements").bearer(director))
        .await;
    assert_eq!(all.json()["total"], 3);
}

async fn threads_are_between_staff_and_contacts_who_may_message(host: &impl Host, world: &World) {
    let director = &world.a.director;
    let guardian = &world.a.guardian;
    let (_, kid) = guardians_child(host, world, &["guardian", "messaging"]).await;
    let kid = add_contact(host, director, &kid, &contact("Pekka", None, &["guardian"])).await;
    let maria = kid["contacts"][0]["id"].clone();
    let pekka = kid["contacts"][1]["id"].clone();

    host.send(Call::post("/v1/threads").bearer(director).json(&json!({
        "child_id": kid["id"], "contact_ids": [pekka], "title": "Nap times", "body": "Hello",
    })))
    .await
    .expect_field_error("thread.invalid_participants");
    let started = host
        .send(Call::post("/v1/threads").bearer(director).json(&json!({
            "child_id": kid["id"], "contact_ids": [maria], "title": "Nap times", "body": "Aino slept well today.",
        })))
        .await;
    started.expect(201);
    let thread = started.json();
    assert_eq!(thread["participants"], json!([user(world, Role::Guardian)]));
    assert_eq!(thread["first_message"]["body"], "Aino slept well today.");
    let path = format!("/v1/threads/{}", thread["id"].as_str().unwrap());

    let listed = host.send(Call::get("/v1/threads").bearer(guardian)).await;
    listed.expect(200);
    assert_eq!(listed.json()["total"], 1);
    assert_eq!(listed.json()["items"][0]["unread"], true);
    let replied = host
        .send(
            Call::post(&format!("{path}/messages"))
                .bearer(guardian)
                .json(&json!({ "body": "Thank you!" })),
        )
        .await;
    replied.expect(201);
    assert_eq!(
        replied.json()["read_by"],
        json!([user(world, Role::Guardian)]),
        "the author has read it"
    );

    let read = host.send(Call::get(&path).bearer(director)).await;
    read.expect(200);
    assert_eq!(read.json()["messages"], 2);
    assert_eq!(read.json()["unread"], true);
    let messages = read.json()["messages_page"]["items"].clone();
    assert_eq!(messages.as_array().unwrap().len(), 2);
    assert_eq!(messages[1]["body"], "Thank you!");
    host.send(Call::post(&format!("{path}/read")).bearer(director))
        .await
        .expect(200);
    let read = host.send(Call::get(&path).bearer(director)).await;
    assert_eq!(read.json()["unread"], false);
    let read_by = read.json()["messages_page"]["items"][1]["read_by"].clone();
    assert_eq!(read_by.as_array().unwrap().len(), 2, "{read_by}");

    // A contact's user starts a thread about their child with the staff.
    let own = host
        .send(Call::post("/v1/threads").bearer(guardian).json(&json!({
            "child_id": kid["id"], "title": "Allergy update", "body": "New allergy letter coming.",
        })))
        .await;
    own.expect(201);
    assert_eq!(
        own.json()["participants"],
        json!([user(world, Role::Guardian)])
    );
    let listed = host
        .send(
            Call::get(&format!(
                "/v1/threads?child={}",
                kid["id"].as_str().unwrap()
            ))
            .bearer(director),
        )
        .await;
    assert_eq!(listed.json()["total"], 2);
}

async fn a_guardian_sees_only_threads_they_are_in(host: &impl Host, world: &World) {
    let director = &world.a.director;
    let guardian = &world.a.guardian;
    // The guardian may see the child but not message about it.
    let (_, kid) = guardians_child(host, world, &["guardian"]).await;
    let kid = add_contact(
        host,
        director,
        &kid,
        &contact("Olli", Some(user(world, Role::Owner)), &["messaging"]),
    )
    .await;
    let olli = kid["contacts"][1]["id"].clone();
    let other = host
        .send(Call::post("/v1/threads").bearer(director).json(&json!({
            "child_id": kid["id"], "contact_ids": [olli], "title": "Pickup", "body": "Who collects on Friday?",
        })))
        .await;
    other.expect(201);
    let path = format!("/v1/threads/{}", other.json()["id"].as_str().unwrap());
    host.send(Call::get(&path).bearer(guardian))
        .await
        .expect_error(404, "not_found");
    host.send(
        Call::post(&format!("{path}/messages"))
            .bearer(guardian)
            .json(&json!({ "body": "Me!" })),
    )
    .await
    .expect_error(404, "not_found");
    let listed = host.send(Call::get("/v1/threads").bearer(guardian)).await;
    assert_eq!(listed.json()["total"], 0);
    host.send(Call::post("/v1/threads").bearer(guardian).json(&json!({
        "child_id": kid["id"], "title": "Hello", "body": "Hi",
    })))
    .await
    .expect_error(403, "thread.not_allowed");
    let theirs = child(host, director, "Eero", None).await;
    host.send(Call::post("/v1/threads").bearer(guardian).json(&json!({
        "child_id": theirs["id"], "title": "Hello", "body": "Hi",
    })))
    .await
    .expect_error(404, "not_found");
}

async fn another_tenant_gets_404_on_every_message_route(host: &impl Host, world: &World) {
    let director = &world.a.director;
    let (koalas, kid) = guardians_child(host, world, &["guardian", "messaging"]).await;
    let notice = announce(
        host,
        director,
        &json!({ "room_id": koalas, "title": "Hi", "body": "Hello" }),
    )
    .await;
    let thread = host
        .send(Call::post("/v1/threads").bearer(director).json(&json!({
            "child_id": kid["id"], "contact_ids": [kid["contacts"][0]["id"]], "title": "Nap", "body": "Hello",
        })))
        .await
        .json();
    let intruder = &world.b.owner;
    let notice_path = format!("/v1/announcements/{}", notice["id"].as_str().unwrap());
    let thread_path = format!("/v1/threads/{}", thread["id"].as_str().unwrap());
    let calls = [
        Call::get(&notice_path),
        Call::post(&format!("{notice_path}/read")),
        Call::get(&thread_path),
        Call::post(&format!("{thread_path}/messages")).json(&json!({ "body": "Hi" })),
        Call::post(&format!("{thread_path}/read")),
        Call::post("/v1/threads").json(&json!({ "child_id": kid["id"], "contact_ids": [kid["contacts"][0]["id"]], "title": "x", "body": "x" })),
    ];
    for call in calls {
        host.send(call.bearer(intruder))
            .await
            .expect_error(404, "not_found");
    }
    host.send(
        Call::post("/v1/announcements")
            .bearer(intruder)
            .json(&json!({ "room_id": koalas, "title": "x", "body": "x" })),
    )
    .await
    .expect_field_error("announcement.unknown_room");
    for path in ["/v1/announcements", "/v1/threads"] {
        let listed = host.send(Call::get(path).bearer(intruder)).await;
        assert_eq!(listed.json()["total"], 0, "{path}");
    }
}

async fn roles_without_the_permission_get_403(host: &impl Host, world: &World) {
    for token in [&world.a.teacher, &world.a.guardian] {
        host.send(
            Call::post("/v1/announcements")
                .bearer(token)
                .json(&json!({ "title": "x", "body": "x" })),
        )
        .await
        .expect_error(403, "forbidden");
    }
}

async fn invalid_messages_are_422(host: &impl Host, world: &World) {
    let director = &world.a.director;
    let reply = host
        .send(
            Call::post("/v1/announcements")
                .bearer(director)
                .json(&json!({ "title": "x".repeat(121), "body": "  ", "room_id": "nope" })),
        )
        .await;
    reply.expect_error(422, "validation.failed");
    let text = reply.text();
    for code in [
        "message.invalid_title",
        "message.invalid_body",
        "announcement.unknown_room",
    ] {
        assert!(text.contains(code), "{code} in {text}");
    }
    let (_, kid) = guardians_child(host, world, &["guardian", "messaging"]).await;
    host.send(
        Call::post("/v1/threads")
            .bearer(director)
            .json(&json!({ "child_id": kid["id"], "contact_ids": [], "title": "x", "body": "x" })),
    )
    .await
    .expect_field_error("thread.invalid_participants");
}
