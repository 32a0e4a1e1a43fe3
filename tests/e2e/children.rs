//! `/v1/children` and `/v1/staff` over HTTP, on both hosts: the record and its parts, who
//! reaches which child (guardians through their contact entries, teachers through their rooms,
//! nobody through a records restriction), tenant isolation and roles.

use cubby_domain::Role;
use cubby_tests::{Call, Host, World};
use serde_json::{Value, json};

crate::on_both_hosts!(
    a_child_is_created_read_changed_and_archived,
    sensitive_fields_need_their_permission_and_every_read_is_audited,
    contacts_and_restrictions_change_with_if_match,
    another_tenant_gets_404_on_every_child_and_staff_route,
    roles_without_the_permission_get_403,
    a_guardian_sees_only_their_children_and_what_their_flags_allow,
    a_records_restriction_hides_the_child_from_the_person_it_names,
    a_teacher_reaches_the_children_of_their_rooms_only,
    invalid_values_are_422_with_every_field,
    staff_records_link_members_to_rooms,
    concurrent_duplicate_creates_store_one_child,
    lists_filter_sort_and_page,
);

pub(crate) async fn room(host: &impl Host, token: &str, name: &str) -> String {
    let body = json!({ "name": name, "age_range": { "min_months": 0, "max_months": 60 }, "capacity": 20, "ratio": "1:4" });
    let reply = host
        .send(Call::post("/v1/rooms").bearer(token).json(&body))
        .await;
    reply.expect(201);
    reply.json()["id"].as_str().unwrap().to_owned()
}

pub(crate) fn child_body(given: &str, room: Option<&str>) -> Value {
    json!({
        "name": { "given": given, "family": "Virtanen" },
        "date_of_birth": "2024-03-31",
        "room_id": room,
        "enrolment": { "status": "enrolled", "starts_on": "2025-08-01" },
        "photo_consent": true,
    })
}

pub(crate) async fn child(host: &impl Host, token: &str, given: &str, room: Option<&str>) -> Value {
    let reply = host
        .send(
            Call::post("/v1/children")
                .bearer(token)
                .json(&child_body(given, room)),
        )
        .await;
    reply.expect(201);
    reply.json()
}

/// Adds a contact to the child at `version`; answers the child.
pub(crate) async fn add_contact(
    host: &impl Host,
    token: &str,
    child: &Value,
    body: &Value,
) -> Value {
    let path = format!("/v1/children/{}/contacts", child["id"].as_str().unwrap());
    let reply = host
        .send(
            Call::post(&path)
                .bearer(token)
                .if_match(child["version"].as_u64().unwrap())
                .json(body),
        )
        .await;
    reply.expect(201);
    reply.json()
}

pub(crate) fn contact(given: &str, user: Option<String>, capabilities: &[&str]) -> Value {
    json!({
        "name": { "given": given, "family": "Virtanen" },
        "relationship": "parent",
        "phone": "+358 40 123 4567",
        "user_id": user,
        "capabilities": capabilities,
    })
}

fn guardian_user(world: &World) -> String {
    world.a.member(Role::Guardian).user_id.to_string()
}

async fn a_child_is_created_read_changed_and_archived(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let koalas = room(host, token, "Koalas").await;
    let reply = host
        .send(
            Call::post("/v1/children")
                .bearer(token)
                .json(&child_body("Aino", Some(&koalas))),
        )
        .await;
    reply.expect(201);
    let created = reply.json();
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("child_"), "{created}");
    assert_eq!(reply.header("etag"), Some("\"1\""));
    assert_eq!(
        reply.header("location"),
        Some(format!("/v1/children/{id}").as_str())
    );
    assert_eq!(
        created["name"],
        json!({ "given": "Aino", "family": "Virtanen" })
    );
    assert_eq!(created["date_of_birth"], "2024-03-31");
    assert_eq!(created["room_id"], koalas.as_str());
    assert_eq!(created["enrolment"]["status"], "enrolled");
    assert_eq!(created["access"], "staff");
    assert_eq!(created["contacts"], json!([]));
    assert!(created.get("allergies").is_none(), "{created}");

    let path = format!("/v1/children/{id}");
    let read = host.send(Call::get(&path).bearer(token)).await;
    read.expect(200);
    assert_eq!(read.json(), created);

    let change = json!({ "name": { "given": "Aino", "family": "Korhonen" }, "room_id": null, "photo_consent": false });
    host.send(Call::patch(&path).bearer(token).json(&change))
        .await
        .expect_error(428, "precondition.required");
    let changed = host
        .send(Call::patch(&path).bearer(token).if_match(1).json(&change))
        .await;
    changed.expect(200);
    assert_eq!(changed.json()["name"]["family"], "Korhonen");
    // No room: the optional field is left out, not sent as `null`.
    assert!(changed.json().get("room_id").is_none());
    assert_eq!(changed.json()["photo_consent"], false);
    assert_eq!(changed.json()["date_of_birth"], "2024-03-31");
    assert_eq!(changed.header("etag"), Some("\"2\""));
    host.send(Call::patch(&path).bearer(token).if_match(1).json(&change))
        .await
        .expect_error(412, "precondition.failed");

    let archived = host
        .send(Call::delete(&path).bearer(token).if_match(2))
        .await;
    archived.expect(200);
    assert_eq!(archived.json()["archived"], true);
    host.send(
        Call::patch(&path)
            .bearer(token)
            .if_match(3)
            .json(&json!({ "photo_consent": true })),
    )
    .await
    .expect_error(409, "child.archived");
    let listed = host.send(Call::get("/v1/children").bearer(token)).await;
    assert_eq!(listed.json()["total"], 0, "archived children are left out");
    let all = host
        .send(Call::get("/v1/children?include_archived=true").bearer(token))
        .await;
    assert_eq!(all.json()["total"], 1);
}

async fn sensitive_fields_need_their_permission_and_every_read_is_audited(
    host: &impl Host,
    world: &World,
) {
    let token = &world.a.director;
    let created = child(host, token, "Aino", None).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/v1/children/{id}/sensitive");
    let notes = json!({ "allergies": "Peanuts", "medical_notes": "Asthma", "medication": null });
    let put = host
        .send(Call::put(&path).bearer(token).if_match(1).json(&notes))
        .await;
    put.expect(200);
    assert!(
        !put.text().contains("Peanuts"),
        "writing answers the child, not the notes"
    );

    for _ in 0..2 {
        let read = host.send(Call::get(&path).bearer(token)).await;
        read.expect(200);
        assert_eq!(read.json()["allergies"], "Peanuts");
        assert_eq!(read.json()["medical_notes"], "Asthma");
        assert!(read.json().get("medication").is_none());
        assert_eq!(read.json()["restrictions"], json!([]));
    }
    let plain = host
        .send(Call::get(&format!("/v1/children/{id}")).bearer(token))
        .await;
    assert!(!plain.text().contains("Peanuts"), "{}", plain.text());

    let audit = host
        .send(Call::get("/v1/audit?action=children.sensitive_read").bearer(&world.a.owner))
        .await;
    audit.expect(200);
    let events = audit.json();
    let reads: Vec<&Value> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == id)
        .collect();
    assert_eq!(reads.len(), 2, "one audit event per read: {}", audit.text());
    assert!(!audit.text().contains("Peanuts"));
}

async fn contacts_and_restrictions_change_with_if_match(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let created = child(host, token, "Aino", None).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let mut body = contact("Maria", None, &["guardian", "may_pick_up"]);
    body["pickup_pin"] = json!("4821");
    let with_contact = add_contact(host, token, &created, &body).await;
    let entry = &with_contact["contacts"][0];
    assert_eq!(entry["capabilities"], json!(["guardian", "may_pick_up"]));
    assert_eq!(entry["has_pickup_pin"], true);
    assert!(
        !with_contact.to_string().contains("4821"),
        "the PIN is never answered"
    );
    let contact_id = entry["id"].as_str().unwrap().to_owned();
    let contact_path = format!("/v1/children/{id}/contacts/{contact_id}");

    let changed = host
        .send(
            Call::patch(&contact_path).bearer(token).if_match(2).json(
                &json!({ "capabilities": ["may_pick_up"], "pickup_pin": null, "phone": null }),
            ),
        )
        .await;
    changed.expect(200);
    let entry = &changed.json()["contacts"][0];
    assert_eq!(entry["capabilities"], json!(["may_pick_up"]));
    assert_eq!(entry["has_pickup_pin"], false);
    assert!(entry.get("phone").is_none());

    let restriction = json!({
        "person": { "given": "Pekka", "family": "Virtanen" },
        "contact_id": contact_id,
        "blocks_pickup": true,
        "starts_on": "2026-01-01",
        "note": "Interim court order",
    });
    let restrictions = format!("/v1/children/{id}/restrictions");
    host.send(
        Call::post(&restrictions)
            .bearer(token)
            .if_match(2)
            .json(&restriction),
    )
    .await
    .expect_error(412, "precondition.failed");
    let placed = host
        .send(
            Call::post(&restrictions)
                .bearer(token)
                .if_match(3)
                .json(&restriction),
        )
        .await;
    placed.expect(201);
    assert!(
        !placed.text().contains("Interim"),
        "restrictions are read through /sensitive only"
    );
    let sensitive = host
        .send(Call::get(&format!("/v1/children/{id}/sensitive")).bearer(token))
        .await;
    let listed = &sensitive.json()["restrictions"];
    assert_eq!(listed[0]["blocks_pickup"], true);
    assert_eq!(listed[0]["note"], "Interim court order");
    let restriction_id = listed[0]["id"].as_str().unwrap().to_owned();

    host.send(
        Call::delete(&format!("{restrictions}/{restriction_id}"))
            .bearer(token)
            .if_match(4),
    )
    .await
    .expect(200);
    host.send(
        Call::delete(&format!("{restrictions}/{restriction_id}"))
            .bearer(token)
            .if_match(5),
    )
    .await
    .expect_error(404, "not_found");
    let removed = host
        .send(Call::delete(&contact_path).bearer(token).if_match(5))
        .await;
    removed.expect(200);
    assert_eq!(removed.json()["contacts"], json!([]));
}

async fn another_tenant_gets_404_on_every_child_and_staff_route(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let created = child(host, token, "Aino", None).await;
    let with_contact = add_contact(
        host,
        token,
        &created,
        &contact("Maria", None, &["guardian"]),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let contact_id = with_contact["contacts"][0]["id"].as_str().unwrap();
    let staff = host
        .send(Call::post("/v1/staff").bearer(token).json(&json!({
            "user_id": world.a.member(Role::Teacher).user_id.to_string(),
            "name": { "given": "Tiina", "family": "Teacher" },
        })))
        .await;
    staff.expect(201);
    let staff_id = staff.json()["id"].as_str().unwrap().to_owned();

    let intruder = &world.b.owner;
    let child_path = format!("/v1/children/{id}");
    let calls = [
        Call::get(&child_path),
        Call::patch(&child_path).if_match(2).json(&json!({ "photo_consent": false })),
        Call::delete(&child_path).if_match(2),
        Call::get(&format!("{child_path}/sensitive")),
        Call::put(&format!("{child_path}/sensitive")).if_match(2).json(&json!({})),
        Call::post(&format!("{child_path}/contacts"))
            .if_match(2)
            .json(&contact("Eve", None, &["guardian"])),
        Call::patch(&format!("{child_path}/contacts/{contact_id}"))
            .if_match(2)
            .json(&json!({ "capabilities": [] })),
        Call::delete(&format!("{child_path}/contacts/{contact_id}")).if_match(2),
        Call::post(&format!("{child_path}/restrictions"))
            .if_match(2)
            .json(&json!({ "person": { "given": "E", "family": "F" }, "blocks_pickup": true, "starts_on": "2026-01-01" })),
        Call::delete(&format!("{child_path}/restrictions/rst_01j00000000000000000000000")).if_match(2),
        Call::get(&format!("/v1/staff/{staff_id}")),
        Call::patch(&format!("/v1/staff/{staff_id}")).if_match(1).json(&json!({ "qualifications": [] })),
        Call::delete(&format!("/v1/staff/{staff_id}")).if_match(1),
    ];
    for call in calls {
        host.send(call.bearer(intruder))
            .await
            .expect_error(404, "not_found");
    }
    let listed = host.send(Call::get("/v1/children").bearer(intruder)).await;
    assert_eq!(listed.json()["total"], 0);
    let listed = host.send(Call::get("/v1/staff").bearer(intruder)).await;
    assert_eq!(listed.json()["total"], 0);

    let untouched = host.send(Call::get(&child_path).bearer(token)).await;
    assert_eq!(untouched.json(), with_contact);
}

async fn roles_without_the_permission_get_403(host: &impl Host, world: &World) {
    let created = child(host, &world.a.director, "Aino", None).await;
    let id = created["id"].as_str().unwrap();
    let teacher = &world.a.teacher;
    let guardian = &world.a.guardian;
    let refusals = [
        (
            teacher,
            Call::post("/v1/children").json(&child_body("Eve", None)),
        ),
        (
            teacher,
            Call::patch(&format!("/v1/children/{id}"))
                .if_match(1)
                .json(&json!({})),
        ),
        (
            teacher,
            Call::delete(&format!("/v1/children/{id}")).if_match(1),
        ),
        (
            teacher,
            Call::post(&format!("/v1/children/{id}/contacts"))
                .if_match(1)
                .json(&json!({})),
        ),
        (teacher, Call::post("/v1/staff").json(&json!({}))),
        (guardian, Call::get(&format!("/v1/children/{id}/sensitive"))),
        (
            guardian,
            Call::put(&format!("/v1/children/{id}/sensitive"))
                .if_match(1)
                .json(&json!({})),
        ),
        (guardian, Call::get("/v1/staff")),
    ];
    for (token, call) in refusals {
        host.send(call.bearer(token))
            .await
            .expect_error(403, "forbidden");
    }
}

async fn a_guardian_sees_only_their_children_and_what_their_flags_allow(
    host: &impl Host,
    world: &World,
) {
    let director = &world.a.director;
    let guardian = &world.a.guardian;
    let mine = child(host, director, "Aino", None).await;
    let mine = add_contact(
        host,
        director,
        &mine,
        &contact("Maria", Some(guardian_user(world)), &["daily_feed"]),
    )
    .await;
    let mine = add_contact(
        host,
        director,
        &mine,
        &contact("Other", None, &["guardian"]),
    )
    .await;
    let theirs = child(host, director, "Eero", None).await;
    let mine_id = mine["id"].as_str().unwrap();
    let theirs_id = theirs["id"].as_str().unwrap();

    let listed = host.send(Call::get("/v1/children").bearer(guardian)).await;
    listed.expect(200);
    let page = listed.json();
    assert_eq!(page["total"], 1, "{page}");
    let seen = &page["items"][0];
    assert_eq!(seen["id"], mine_id);
    assert_eq!(seen["access"], "guardian");
    assert_eq!(seen["my_capabilities"], json!(["daily_feed"]));
    assert!(
        seen.get("contacts").is_none(),
        "daily feed only: no contacts: {seen}"
    );

    host.send(Call::get(&format!("/v1/children/{theirs_id}")).bearer(guardian))
        .await
        .expect_error(404, "not_found");
    let read = host
        .send(Call::get(&format!("/v1/children/{mine_id}")).bearer(guardian))
        .await;
    read.expect(200);
    assert_eq!(read.json()["name"]["given"], "Aino");

    // With the guardian capability, the contacts show.
    let contact_id = mine["contacts"][0]["id"].as_str().unwrap();
    host.send(
        Call::patch(&format!("/v1/children/{mine_id}/contacts/{contact_id}"))
            .bearer(director)
            .if_match(mine["version"].as_u64().unwrap())
            .json(&json!({ "capabilities": ["guardian", "messaging"] })),
    )
    .await
    .expect(200);
    let read = host
        .send(Call::get(&format!("/v1/children/{mine_id}")).bearer(guardian))
        .await;
    assert_eq!(read.json()["contacts"].as_array().unwrap().len(), 2);
    assert_eq!(
        read.json()["my_capabilities"],
        json!(["guardian", "messaging"])
    );
}

async fn a_records_restriction_hides_the_child_from_the_person_it_names(
    host: &impl Host,
    world: &World,
) {
    let director = &world.a.director;
    let guardian = &world.a.guardian;
    let created = child(host, director, "Aino", None).await;
    let linked = add_contact(
        host,
        director,
        &created,
        &contact(
            "Pekka",
            Some(guardian_user(world)),
            &["guardian", "may_pick_up"],
        ),
    )
    .await;
    let id = linked["id"].as_str().unwrap();
    host.send(Call::get(&format!("/v1/children/{id}")).bearer(guardian))
        .await
        .expect(200);

    let restriction = json!({
        "person": { "given": "Pekka", "family": "Virtanen" },
        "user_id": guardian_user(world),
        "blocks_records": true,
        "starts_on": "2020-01-01",
    });
    host.send(
        Call::post(&format!("/v1/children/{id}/restrictions"))
            .bearer(director)
            .if_match(2)
            .json(&restriction),
    )
    .await
    .expect(201);
    host.send(Call::get(&format!("/v1/children/{id}")).bearer(guardian))
        .await
        .expect_error(404, "not_found");
    let listed = host.send(Call::get("/v1/children").bearer(guardian)).await;
    assert_eq!(listed.json()["total"], 0, "{}", listed.text());
    // Staff still see the child.
    host.send(Call::get(&format!("/v1/children/{id}")).bearer(director))
        .await
        .expect(200);
}

async fn a_teacher_reaches_the_children_of_their_rooms_only(host: &impl Host, world: &World) {
    let director = &world.a.director;
    let teacher = &world.a.teacher;
    let koalas = room(host, director, "Koalas").await;
    let wombats = room(host, director, "Wombats").await;
    let in_koalas = child(host, director, "Aino", Some(&koalas)).await;
    let in_wombats = child(host, director, "Eero", Some(&wombats)).await;
    let koala_path = format!("/v1/children/{}", in_koalas["id"].as_str().unwrap());
    let wombat_path = format!("/v1/children/{}", in_wombats["id"].as_str().unwrap());

    // Not yet staff of any room: nothing.
    let listed = host.send(Call::get("/v1/children").bearer(teacher)).await;
    assert_eq!(listed.json()["total"], 0);
    host.send(Call::get(&koala_path).bearer(teacher))
        .await
        .expect_error(404, "not_found");

    host.send(Call::post("/v1/staff").bearer(director).json(&json!({
        "user_id": world.a.member(Role::Teacher).user_id.to_string(),
        "name": { "given": "Tiina", "family": "Teacher" },
        "qualifications": ["ECE diploma"],
        "room_ids": [koalas],
    })))
    .await
    .expect(201);

    let listed = host.send(Call::get("/v1/children").bearer(teacher)).await;
    assert_eq!(listed.json()["total"], 1);
    assert_eq!(listed.json()["items"][0]["id"], in_koalas["id"]);
    assert_eq!(listed.json()["items"][0]["access"], "staff");
    host.send(Call::get(&koala_path).bearer(teacher))
        .await
        .expect(200);
    host.send(Call::get(&format!("{koala_path}/sensitive")).bearer(teacher))
        .await
        .expect(200);
    for path in [wombat_path.clone(), format!("{wombat_path}/sensitive")] {
        host.send(Call::get(&path).bearer(teacher))
            .await
            .expect_error(404, "not_found");
    }
    // The owner's role grants the whole centre.
    let listed = host
        .send(Call::get("/v1/children").bearer(&world.a.owner))
        .await;
    assert_eq!(listed.json()["total"], 2);
}

async fn invalid_values_are_422_with_every_field(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let bad = json!({
        "name": { "given": "", "family": "Virtanen" },
        "date_of_birth": "2099-01-01",
        "room_id": "room_nope",
        "enrolment": { "status": "maybe", "starts_on": "2025-13-01" },
    });
    let reply = host
        .send(Call::post("/v1/children").bearer(token).json(&bad))
        .await;
    reply.expect_error(422, "validation.failed");
    let fields: Vec<String> = reply.json()["details"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    for field in ["name", "room_id", "enrolment.status", "enrolment.starts_on"] {
        assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
    }

    let future = json!({
        "name": { "given": "Aino", "family": "Virtanen" },
        "date_of_birth": "2099-01-01",
        "enrolment": { "status": "enrolled", "starts_on": "2025-08-01" },
    });
    host.send(Call::post("/v1/children").bearer(token).json(&future))
        .await
        .expect_field_error("child.invalid_date_of_birth");
    let mut unknown_room = child_body("Aino", None);
    unknown_room["room_id"] = json!("room_01j00000000000000000000000");
    host.send(Call::post("/v1/children").bearer(token).json(&unknown_room))
        .await
        .expect_field_error("child.unknown_room");

    let created = child(host, token, "Aino", None).await;
    let contacts = format!("/v1/children/{}/contacts", created["id"].as_str().unwrap());
    let mut bad_contact = contact("Maria", None, &["guardian", "telepathy"]);
    bad_contact["pickup_pin"] = json!("12");
    let reply = host
        .send(
            Call::post(&contacts)
                .bearer(token)
                .if_match(1)
                .json(&bad_contact),
        )
        .await;
    reply.expect_error(422, "validation.failed");
    let text = reply.text();
    assert!(
        text.contains("contact.unknown_capability") && text.contains("contact.invalid_pin"),
        "{text}"
    );
    let stranger = contact(
        "Maria",
        Some("user_01j00000000000000000000000".into()),
        &["guardian"],
    );
    host.send(
        Call::post(&contacts)
            .bearer(token)
            .if_match(1)
            .json(&stranger),
    )
    .await
    .expect_field_error("contact.unknown_user");
    let restrictions = format!(
        "/v1/children/{}/restrictions",
        created["id"].as_str().unwrap()
    );
    let restricts_nothing =
        json!({ "person": { "given": "P", "family": "V" }, "starts_on": "2026-01-01" });
    host.send(
        Call::post(&restrictions)
            .bearer(token)
            .if_match(1)
            .json(&restricts_nothing),
    )
    .await
    .expect_field_error("restriction.invalid");
    let unchanged = host
        .send(Call::get(&format!("/v1/children/{}", created["id"].as_str().unwrap())).bearer(token))
        .await;
    assert_eq!(unchanged.json()["version"], 1, "nothing refused was stored");
}

async fn staff_records_link_members_to_rooms(host: &impl Host, world: &World) {
    let director = &world.a.director;
    let koalas = room(host, director, "Koalas").await;
    let teacher_user = world.a.member(Role::Teacher).user_id.to_string();
    let body = json!({
        "user_id": teacher_user,
        "name": { "given": "Tiina", "family": "Teacher" },
        "qualifications": ["ECE diploma", "First aid"],
        "room_ids": [koalas, koalas],
    });
    let reply = host
        .send(Call::post("/v1/staff").bearer(director).json(&body))
        .await;
    reply.expect(201);
    let created = reply.json();
    assert_eq!(created["room_ids"], json!([koalas]), "repeats are dropped");
    assert_eq!(created["qualifications"].as_array().unwrap().len(), 2);
    host.send(Call::post("/v1/staff").bearer(director).json(&body))
        .await
        .expect_error(409, "staff.user_taken");
    let mut stranger = body.clone();
    stranger["user_id"] = json!("user_01j00000000000000000000000");
    host.send(Call::post("/v1/staff").bearer(director).json(&stranger))
        .await
        .expect_field_error("staff.unknown_user");
    let mut nowhere = body.clone();
    nowhere["room_ids"] = json!(["room_01j00000000000000000000000"]);
    nowhere["user_id"] = json!(world.a.member(Role::Director).user_id.to_string());
    host.send(Call::post("/v1/staff").bearer(director).json(&nowhere))
        .await
        .expect_field_error("staff.unknown_room");

    let path = format!("/v1/staff/{}", created["id"].as_str().unwrap());
    let changed = host
        .send(
            Call::patch(&path)
                .bearer(director)
                .if_match(1)
                .json(&json!({ "room_ids": [] })),
        )
        .await;
    changed.expect(200);
    assert_eq!(changed.json()["room_ids"], json!([]));
    let listed = host
        .send(Call::get("/v1/staff").bearer(&world.a.teacher))
        .await;
    listed.expect(200);
    assert_eq!(listed.json()["total"], 1);
    host.send(Call::delete(&path).bearer(director).if_match(2))
        .await
        .expect(200);
    let listed = host.send(Call::get("/v1/staff").bearer(director)).await;
    assert_eq!(listed.json()["total"], 0);
    host.send(Call::post("/v1/staff").bearer(director).json(&body))
        .await
        .expect(201);
}

async fn concurrent_duplicate_creates_store_one_child(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let sends = (0..8).map(|_| {
        host.send(
            Call::post("/v1/children")
                .bearer(token)
                .header("idempotency-key", "enrol-aino")
                .json(&child_body("Aino", None)),
        )
    });
    let replies = futures::future::join_all(sends).await;
    let created: Vec<_> = replies.iter().filter(|r| r.status == 201).collect();
    assert!(!created.is_empty());
    let ids: std::collections::BTreeSet<String> = created
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "every 201 is the same child");
    for reply in &replies {
        assert!(
            [201, 409].contains(&reply.status.as_u16()),
            "a duplicate in flight is 201 (replayed) or 409: {}",
            reply.status
        );
    }
    let listed = host.send(Call::get("/v1/children").bearer(token)).await;
    assert_eq!(listed.json()["total"], 1);
}

async fn lists_filter_sort_and_page(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let koalas = room(host, token, "Koalas").await;
    for (given, room) in [
        ("Ella", Some(&koalas)),
        ("Aino", None),
        ("Onni", Some(&koalas)),
    ] {
        child(host, token, given, room.map(String::as_str)).await;
    }
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"]["given"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = host
        .send(Call::get("/v1/children").bearer(token))
        .await
        .json();
    assert_eq!(names(&all), ["Aino", "Ella", "Onni"]);
    let desc = host
        .send(Call::get("/v1/children?sort=-name&limit=2&offset=1").bearer(token))
        .await
        .json();
    assert_eq!(names(&desc), ["Ella", "Aino"]);
    assert_eq!(desc["total"], 3);
    let in_room = host
        .send(Call::get(&format!("/v1/children?room={koalas}")).bearer(token))
        .await
        .json();
    assert_eq!(names(&in_room), ["Ella", "Onni"]);
    let by_name = host
        .send(Call::get("/v1/children?name=virtanen%20o").bearer(token))
        .await
        .json();
    assert_eq!(names(&by_name), ["Onni"]);
    host.send(Call::get("/v1/children?sort=age").bearer(token))
        .await
        .expect_error(400, "request.invalid_query");
    host.send(Call::get("/v1/children?status=asleep").bearer(token))
        .await
        .expect_error(400, "request.invalid_query");
}
