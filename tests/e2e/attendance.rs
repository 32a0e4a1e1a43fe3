//! Attendance, live ratios, breaches, ratio rules and centre settings over HTTP, on both hosts.

use cubby_domain::{Role, TimeZone};
use cubby_tests::{Call, Host, World};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::children::{add_contact, child, contact, room};

crate::on_both_hosts!(
    a_day_of_check_ins_and_check_outs_adds_up,
    replaying_one_check_in_ten_times_concurrently_stores_one_event,
    the_state_machine_refuses_double_check_in_and_check_out_without_check_in,
    pickup_by_a_blocked_or_unauthorized_contact_is_refused_and_audited,
    a_check_in_that_breaches_warns_or_is_refused_by_setting_and_is_recorded,
    corrections_void_or_retime_with_a_reason,
    ratio_rules_take_effect_today_or_later,
    centre_settings_are_read_by_members_and_changed_by_the_owner,
    another_tenant_gets_404_on_every_attendance_route,
    roles_without_the_permission_get_403,
    a_guardian_sees_only_their_childs_attendance,
    a_teacher_outside_the_room_gets_404,
);

fn event_id() -> String {
    // What a kiosk does: a fresh time-ordered id per tap.
    cubby_domain::AttendanceEventId::from_uuid(Uuid::now_v7()).to_string()
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Yesterday at `hour:00` in the test centres' time zone: always in the past, never older
/// than the seven days a kiosk may deliver late.
fn yesterday_at(hour: u8) -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    let offset = TimeZone::parse("Europe/Helsinki").unwrap().offset_at(now);
    let day = now.to_offset(offset).date().previous_day().unwrap();
    day.with_hms(hour, 0, 0).unwrap().assume_offset(offset)
}

fn day_text(at: OffsetDateTime) -> String {
    let offset = TimeZone::parse("Europe/Helsinki").unwrap().offset_at(at);
    let day = at.to_offset(offset).date();
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

async fn post(host: &impl Host, token: &str, body: &Value) -> cubby_tests::Reply {
    host.send(Call::post("/v1/attendance").bearer(token).json(body))
        .await
}

fn check_in(child: &Value, at: Option<OffsetDateTime>) -> Value {
    json!({ "id": event_id(), "kind": "check_in", "child_id": child["id"], "at": at.map(rfc3339) })
}

fn check_out(child: &Value, contact: &Value, at: Option<OffsetDateTime>) -> Value {
    json!({ "id": event_id(), "kind": "check_out", "child_id": child["id"], "contact_id": contact["id"], "at": at.map(rfc3339) })
}

/// A child in `room` with one contact who may pick up; answers (child, contact).
async fn child_with_pickup(
    host: &impl Host,
    token: &str,
    name: &str,
    room: &str,
) -> (Value, Value) {
    let created = child(host, token, name, Some(room)).await;
    let with = add_contact(
        host,
        token,
        &created,
        &contact("Maria", None, &["guardian", "may_pick_up"]),
    )
    .await;
    let pickup = with["contacts"][0].clone();
    (with, pickup)
}

async fn a_day_of_check_ins_and_check_outs_adds_up(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let koalas = room(host, token, "Koalas").await;
    let (aino, maria) = child_with_pickup(host, token, "Aino", &koalas).await;
    let morning = yesterday_at(8);

    let reply = post(host, token, &check_in(&aino, Some(morning))).await;
    reply.expect(201);
    let recorded = reply.json();
    assert_eq!(recorded["event"]["kind"], "check_in");
    assert_eq!(recorded["event"]["room_id"], koalas.as_str());
    assert_eq!(recorded["event"]["seq"], 1);
    assert_eq!(recorded["event"]["day"], day_text(morning));
    assert!(
        recorded["event"]["recorded_by"]
            .as_str()
            .unwrap()
            .starts_with("user_")
    );
    // Nobody clocked in: one child is already out of ratio, and the centre warns.
    assert_eq!(recorded["warnings"], json!(["ratio.breach"]), "{recorded}");
    assert_eq!(recorded["ratio"]["staff_short"], 1);

    let out = post(
        host,
        token,
        &check_out(&aino, &maria, Some(morning + Duration::hours(3))),
    )
    .await;
    out.expect(201);
    assert_eq!(out.json()["event"]["contact_id"], maria["id"]);
    assert_eq!(out.json()["event"]["pin_verified"], false);
    post(
        host,
        token,
        &check_in(&aino, Some(morning + Duration::hours(4))),
    )
    .await
    .expect(201);
    post(
        host,
        token,
        &check_out(
            &aino,
            &maria,
            Some(morning + Duration::hours(5) + Duration::minutes(30)),
        ),
    )
    .await
    .expect(201);

    let day = host
        .send(
            Call::get(&format!(
                "/v1/attendance?date={}&room={koalas}",
                day_text(morning)
            ))
            .bearer(token),
        )
        .await;
    day.expect(200);
    let subjects = day.json()["subjects"].clone();
    assert_eq!(subjects.as_array().unwrap().len(), 1, "{subjects}");
    assert_eq!(
        subjects[0]["subject"],
        json!({ "kind": "child", "id": aino["id"] })
    );
    assert_eq!(subjects[0]["minutes_present"], 270);
    assert_eq!(subjects[0]["present"], false);
    assert_eq!(subjects[0]["intervals"].as_array().unwrap().len(), 2);
    assert_eq!(subjects[0]["events"].as_array().unwrap().len(), 4);

    let id = aino["id"].as_str().unwrap();
    let days = host
        .send(
            Call::get(&format!(
                "/v1/children/{id}/attendance?from={}&to={}",
                day_text(morning),
                day_text(morning)
            ))
            .bearer(token),
        )
        .await;
    days.expect(200);
    assert_eq!(days.json()["minutes_in_care"], 270);
    assert_eq!(days.json()["days"][0]["date"], day_text(morning));
}

async fn replaying_one_check_in_ten_times_concurrently_stores_one_event(
    host: &impl Host,
    world: &World,
) {
    let token = &world.a.director;
    let koalas = room(host, token, "Koalas").await;
    let aino = child(host, token, "Aino", Some(&koalas)).await;
    let body = check_in(&aino, Some(yesterday_at(9)));
    let replies = futures::future::join_all((0..10).map(|_| post(host, token, &body))).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let replayed = replies
        .iter()
        .filter(|r| r.status == 200 && r.header("idempotent-replayed") == Some("true"))
        .count();
    assert_eq!(
        (created, replayed),
        (1, 9),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let ids: std::collections::BTreeSet<String> = replies
        .iter()
        .map(|r| r.json()["event"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1);
    let day = host
        .send(
            Call::get(&format!(
                "/v1/attendance?date={}",
                day_text(yesterday_at(9))
            ))
            .bearer(token),
        )
        .await;
    assert_eq!(
        day.json()["subjects"][0]["events"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn the_state_machine_refuses_double_check_in_and_check_out_without_check_in(
    host: &impl Host,
    world: &World,
) {
    let token = &world.a.director;
    let koalas = room(host, token, "Koalas").await;
    let (aino, maria) = child_with_pickup(host, token, "Aino", &koalas).await;
    post(host, token, &check_out(&aino, &maria, None))
        .await
        .expect_error(409, "attendance.not_checked_in");
    post(host, token, &check_in(&aino, None)).await.expect(201);
    post(host, token, &check_in(&aino, None))
        .await
        .expect_error(409, "attendance.already_checked_in");
    post(host, token, &check_out(&aino, &maria, None))
        .await
        .expect(201);
    post(host, token, &check_out(&aino, &maria, None))
        .await
        .expect_error(409, "attendance.not_checked_in");
    // Staff: no staff record, then clock in twice.
    post(
        host,
        token,
        &json!({ "id": event_id(), "kind": "clock_in", "room_id": koalas }),
    )
    .await
    .expect_field_error("attendance.not_staff");
    let staff = host
        .send(Call::post("/v1/staff").bearer(token).json(&json!({
            "user_id": world.a.member(Role::Director).user_id.to_string(),
            "name": { "given": "Dana", "family": "Director" },
            "room_ids": [koalas],
        })))
        .await;
    staff.expect(201);
    post(
        host,
        token,
        &json!({ "id": event_id(), "kind": "clock_in", "room_id": koalas }),
    )
    .await
    .expect(201);
    post(
        host,
        token,
        &json!({ "id": event_id(), "kind": "clock_in", "room_id": koalas }),
    )
    .await
    .expect_error(409, "attendance.already_clocked_in");
    post(
        host,
        token,
        &json!({ "id": event_id(), "kind": "clock_out" }),
    )
    .await
    .expect(201);
    post(
        host,
        token,
        &json!({ "id": event_id(), "kind": "clock_out" }),
    )
    .await
    .expect_error(409, "attendance.not_clocked_in");
    // Bad input is 422 with every field.
    let reply = post(host, token, &json!({ "id": "nope", "kind": "teleport" })).await;
    reply.expect_error(422, "validation.failed");
    let text = reply.text();
    assert!(
        text.contains("attendance.invalid_id") && text.contains("attendance.unknown_kind"),
        "{text}"
    );
    let future = OffsetDateTime::now_utc() + Duration::hours(1);
    post(host, token, &check_in(&aino, Some(future)))
        .await
        .expect_field_error("attendance.in_the_future");
}

async fn pickup_by_a_blocked_or_unauthorized_contact_is_refused_and_audited(
    host: &impl Host,
    world: &World,
) {
    let token = &world.a.director;
    let koalas = room(host, token, "Koalas").await;
    let aino = child(host, token, "Aino", Some(&koalas)).await;
    let aino = add_contact(
        host,
        token,
        &aino,
        &contact("Maria", None, &["guardian", "may_pick_up"]),
    )
    .await;
    let aino = add_contact(host, token, &aino, &contact("Eve", None, &["daily_feed"])).await;
    let aino = add_contact(
        host,
        token,
        &aino,
        &contact("Pekka", None, &["may_pick_up"]),
    )
    .await;
    let mut with_pin = contact("Granny", None, &["may_pick_up"]);
    with_pin["pickup_pin"] = json!("4821");
    let aino = add_contact(host, token, &aino, &with_pin).await;
    let contacts = aino["contacts"].as_array().unwrap().clone();
    let (maria, eve, pekka, granny) = (&contacts[0], &contacts[1], &contacts[2], &contacts[3]);
    let id = aino["id"].as_str().unwrap();
    host.send(
        Call::post(&format!("/v1/children/{id}/restrictions"))
            .bearer(token)
            .if_match(aino["version"].as_u64().unwrap())
            .json(&json!({
                "person": { "given": "Pekka", "family": "Virtanen" },
                "contact_id": pekka["id"],
                "blocks_pickup": true,
                "starts_on": "2020-01-01",
            })),
    )
    .await
    .expect(201);
    post(host, token, &check_in(&aino, None)).await.expect(201);

    post(host, token, &check_out(&aino, eve, None))
        .await
        .expect_error(403, "pickup.not_authorized");
    post(host, token, &check_out(&aino, pekka, None))
        .await
        .expect_error(403, "pickup.restricted");
    post(host, token, &check_out(&aino, granny, None))
        .await
        .expect_error(403, "pickup.pin_required");
    let mut wrong = check_out(&aino, granny, None);
    wrong["pin"] = json!("9731");
    post(host, token, &wrong)
        .await
        .expect_error(403, "pickup.wrong_pin");
    let stranger = json!({ "id": "ctc_01j00000000000000000000000" });
    post(host, token, &check_out(&aino, &stranger, None))
        .await
        .expect_error(403, "pickup.unknown_contact");

    let audit = host
        .send(Call::get("/v1/audit?action=attendance.pickup_refused").bearer(&world.a.owner))
        .await;
    let events = audit.json();
    let codes: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["details"]
                .as_array()
                .and_then(|d| d.iter().find(|kv| kv[0] == "code"))
                .map_or_else(
                    || e["details"]["code"].as_str().unwrap_or(""),
                    |kv| kv[1].as_str().unwrap(),
                )
        })
        .collect();
    assert_eq!(codes.len(), 5, "every refusal is audited: {events}");
    for code in [
        "pickup.not_authorized",
        "pickup.restricted",
        "pickup.pin_required",
        "pickup.wrong_pin",
        "pickup.unknown_contact",
    ] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    assert!(
        !audit.text().contains("9731") && !audit.text().contains("4821"),
        "a PIN is never logged"
    );

    let mut right = check_out(&aino, granny, None);
    right["pin"] = json!("4821");
    let done = post(host, token, &right).await;
    done.expect(201);
    assert_eq!(done.json()["event"]["pin_verified"], true);
    post(host, token, &check_in(&aino, None)).await.expect(201);
    post(host, token, &check_out(&aino, maria, None))
        .await
        .expect(201);
}

async fn a_check_in_that_breaches_warns_or_is_refused_by_setting_and_is_recorded(
    host: &impl Host,
    world: &World,
) {
    let director = &world.a.director;
    let nursery = room(host, director, "Nursery").await;
    // Babies 1:3, toddlers from 24 months 1:4, at most 5 children.
    let rule = json!({
        "effective_from": day_text(OffsetDateTime::now_utc()),
        "bands": [{ "from_months": 0, "ratio": "1:3" }, { "from_months": 24, "ratio": "1:4" }],
        "max_group_size": 5,
    });
    let ruled = host
        .send(
            Call::post(&format!("/v1/rooms/{nursery}/ratio-rules"))
                .bearer(director)
                .if_match(1)
                .json(&rule),
        )
        .await;
    ruled.expect(201);
    assert_eq!(ruled.json()["ratio_rules"].as_array().unwrap().len(), 1);
    host.send(Call::post("/v1/staff").bearer(director).json(&json!({
        "user_id": world.a.member(Role::Teacher).user_id.to_string(),
        "name": { "given": "Tiina", "family": "Teacher" },
        "room_ids": [nursery],
    })))
    .await
    .expect(201);
    let teacher = &world.a.teacher;
    post(
        host,
        teacher,
        &json!({ "id": event_id(), "kind": "clock_in", "room_id": nursery }),
    )
    .await
    .expect(201);

    let mut children = Vec::new();
    for (n, born) in [
        "2024-01-15",
        "2024-02-15",
        "2024-03-15",
        "2026-06-01",
        "2024-04-15",
    ]
    .iter()
    .enumerate()
    {
        let mut body = crate::children::child_body(&format!("Kid{n}"), Some(&nursery));
        body["date_of_birth"] = json!(born);
        let reply = host
            .send(Call::post("/v1/children").bearer(director).json(&body))
            .await;
        reply.expect(201);
        children.push(reply.json());
    }
    // Three toddlers with one teacher: within 1:4.
    for kid in &children[..3] {
        let reply = post(host, teacher, &check_in(kid, None)).await;
        reply.expect(201);
        assert_eq!(reply.json()["ratio"]["complies"], true, "{}", reply.text());
    }
    // A baby makes 1:3 apply to all four: two staff needed. The centre warns by default.
    let warned = post(host, teacher, &check_in(&children[3], None)).await;
    warned.expect(201);
    let body = warned.json();
    assert_eq!(body["warnings"], json!(["ratio.breach"]));
    assert_eq!(body["ratio"]["complies"], false);
    assert_eq!(body["ratio"]["staff_needed"], 2);
    assert_eq!(body["ratio"]["staff_short"], 1);
    assert_eq!(body["ratio"]["applied_band_from_months"], 0);

    let live = host
        .send(Call::get(&format!("/v1/rooms/{nursery}/ratio")).bearer(teacher))
        .await;
    live.expect(200);
    let live = live.json();
    assert_eq!(
        (live["children"].as_u64(), live["staff"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(live["complies"], false);
    assert_eq!(live["staff_short"], 1);
    assert_eq!(live["bands"][0]["children"], 1);
    assert_eq!(live["bands"][1]["children"], 3);

    // The owner makes the centre refuse breaching check-ins.
    let centre = host
        .send(Call::get("/v1/centre").bearer(&world.a.owner))
        .await;
    let version = centre.json()["version"].as_u64().unwrap();
    host.send(
        Call::patch("/v1/centre")
            .bearer(&world.a.owner)
            .if_match(version)
            .json(&json!({ "ratio_enforcement": "refuse" })),
    )
    .await
    .expect(200);
    post(host, teacher, &check_in(&children[4], None))
        .await
        .expect_error(409, "ratio.would_breach");
    let live = host
        .send(Call::get(&format!("/v1/rooms/{nursery}/ratio")).bearer(teacher))
        .await;
    assert_eq!(live.json()["children"], 4, "the refused child is not in");

    let breaches = host
        .send(Call::get(&format!("/v1/ratio-breaches?room={nursery}")).bearer(director))
        .await;
    breaches.expect(200);
    let items = breaches.json()["items"].clone();
    assert_eq!(breaches.json()["total"], 2, "{items}");
    assert_eq!(items[0]["refused"], true);
    assert_eq!(items[1]["refused"], false);
    assert_eq!(items[1]["staff_needed"], 2);
    // `sort=at` is oldest first, `-at` (the default) newest first; other keys are refused.
    let sorted = |sort: &str| {
        let path = format!("/v1/ratio-breaches?room={nursery}&sort={sort}");
        async move { host.send(Call::get(&path).bearer(director)).await }
    };
    let oldest_first = sorted("at").await;
    oldest_first.expect(200);
    let ids = |page: &Value| -> Vec<Value> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].clone())
            .collect()
    };
    assert_eq!(
        ids(&oldest_first.json()),
        [items[1]["id"].clone(), items[0]["id"].clone()]
    );
    assert_eq!(ids(&sorted("-at").await.json()), ids(&breaches.json()));
    sorted("room")
        .await
        .expect_error(400, "request.invalid_query");
    // A teacher lists the breaches of their room, and must name it.
    host.send(Call::get("/v1/ratio-breaches").bearer(teacher))
        .await
        .expect_field_error("ratio.room_required");
    host.send(Call::get(&format!("/v1/ratio-breaches?room={nursery}")).bearer(teacher))
        .await
        .expect(200);
}

async fn corrections_void_or_retime_with_a_reason(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let koalas = room(host, token, "Koalas").await;
    let (aino, maria) = child_with_pickup(host, token, "Aino", &koalas).await;
    let morning = yesterday_at(8);
    let arrived = post(host, token, &check_in(&aino, Some(morning)))
        .await
        .json()["event"]
        .clone();
    let left = post(
        host,
        token,
        &check_out(&aino, &maria, Some(morning + Duration::hours(4))),
    )
    .await
    .json()["event"]
        .clone();

    let correct = |body: Value| {
        Call::post("/v1/attendance/corrections")
            .bearer(token)
            .json(&body)
    };
    let retime = json!({
        "id": event_id(), "amends": left["id"], "at": rfc3339(morning + Duration::hours(3)), "reason": "Left at eleven, recorded late",
    });
    let reply = host.send(correct(retime)).await;
    reply.expect(201);
    assert_eq!(reply.json()["event"]["kind"], "correction");
    assert_eq!(reply.json()["event"]["amends"], left["id"]);
    assert_eq!(
        reply.json()["event"]["reason"],
        "Left at eleven, recorded late"
    );
    let days = host
        .send(
            Call::get(&format!(
                "/v1/children/{}/attendance?from={}&to={}",
                aino["id"].as_str().unwrap(),
                day_text(morning),
                day_text(morning)
            ))
            .bearer(token),
        )
        .await;
    assert_eq!(days.json()["minutes_in_care"], 180);
    assert_eq!(
        days.json()["days"][0]["events"].as_array().unwrap().len(),
        3,
        "nothing is changed in place"
    );

    // Voiding the check-in would leave a check-out without a check-in.
    host.send(correct(
        json!({ "id": event_id(), "amends": arrived["id"], "void": true, "reason": "wrong child" }),
    ))
    .await
    .expect_error(409, "attendance.not_checked_in");
    // A corrected time on another day, both or neither of void and at, no reason: refused.
    host.send(correct(json!({ "id": event_id(), "amends": left["id"], "at": rfc3339(morning - Duration::days(2)), "reason": "x" })))
        .await
        .expect_field_error("attendance.wrong_day");
    host.send(correct(
        json!({ "id": event_id(), "amends": left["id"], "reason": "x" }),
    ))
    .await
    .expect_field_error("attendance.invalid_correction");
    host.send(correct(
        json!({ "id": event_id(), "amends": left["id"], "void": true, "reason": "" }),
    ))
    .await
    .expect_field_error("child.invalid_note");
    host.send(correct(json!({ "id": event_id(), "amends": "att_01j00000000000000000000000", "void": true, "reason": "x" })))
        .await
        .expect_error(404, "not_found");
    // Voiding the check-out leaves the child in.
    host.send(correct(json!({ "id": event_id(), "amends": left["id"], "void": true, "reason": "tapped the wrong child" })))
        .await
        .expect(201);
    let day = host
        .send(Call::get(&format!("/v1/attendance?date={}", day_text(morning))).bearer(token))
        .await;
    assert_eq!(day.json()["subjects"][0]["present"], true);
}

async fn ratio_rules_take_effect_today_or_later(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let koalas = room(host, token, "Koalas").await;
    let path = format!("/v1/rooms/{koalas}/ratio-rules");
    let rule = |day: String| json!({ "effective_from": day, "bands": [{ "from_months": 0, "ratio": "1:4" }], "max_group_size": 12 });
    host.send(
        Call::post(&path)
            .bearer(token)
            .if_match(1)
            .json(&rule(day_text(yesterday_at(12)))),
    )
    .await
    .expect_field_error("ratio.effective_in_the_past");
    let tomorrow = day_text(OffsetDateTime::now_utc() + Duration::days(2));
    let added = host
        .send(
            Call::post(&path)
                .bearer(token)
                .if_match(1)
                .json(&rule(tomorrow.clone())),
        )
        .await;
    added.expect(201);
    assert_eq!(added.json()["ratio_rules"][0]["effective_from"], tomorrow);
    assert_eq!(added.json()["ratio_rules"][0]["bands"][0]["ratio"], "1:4");
    host.send(
        Call::post(&path)
            .bearer(token)
            .if_match(2)
            .json(&rule(tomorrow)),
    )
    .await
    .expect_field_error("ratio.rule_exists");
    let bad = json!({ "effective_from": day_text(OffsetDateTime::now_utc() + Duration::days(3)), "bands": [{ "from_months": 6, "ratio": "1:4" }], "max_group_size": 12 });
    host.send(Call::post(&path).bearer(token).if_match(2).json(&bad))
        .await
        .expect_field_error("ratio.invalid_bands");
    // Until a rule takes effect, the room's own ratio and capacity apply.
    let live = host
        .send(Call::get(&format!("/v1/rooms/{koalas}/ratio")).bearer(token))
        .await;
    live.expect(200);
    assert_eq!(live.json()["bands"][0]["ratio"], "1:4");
    assert_eq!(live.json()["max_group_size"], 20);
    assert_eq!(live.json()["complies"], true);
}

async fn centre_settings_are_read_by_members_and_changed_by_the_owner(
    host: &impl Host,
    world: &World,
) {
    let read = host
        .send(Call::get("/v1/centre").bearer(&world.a.guardian))
        .await;
    read.expect(200);
    let centre = read.json();
    assert_eq!(centre["id"], world.a.tenant.id().to_string());
    assert_eq!(centre["time_zone"], "Europe/Helsinki");
    // No closing time set: the optional field is left out, not sent as `null`.
    assert_eq!(centre["settings"], json!({ "ratio_enforcement": "warn" }));
    let version = centre["version"].as_u64().unwrap();
    let owner = &world.a.owner;
    let bad = host
        .send(
            Call::patch("/v1/centre")
                .bearer(owner)
                .if_match(version)
                .json(&json!({ "ratio_enforcement": "ignore", "closing_time": "25:00" })),
        )
        .await;
    bad.expect_error(422, "validation.failed");
    assert!(
        bad.text().contains("centre.invalid_ratio_enforcement")
            && bad.text().contains("centre.invalid_closing_time")
    );
    let changed = host
        .send(
            Call::patch("/v1/centre")
                .bearer(owner)
                .if_match(version)
                .json(&json!({ "closing_time": "18:30" })),
        )
        .await;
    changed.expect(200);
    assert_eq!(changed.json()["settings"]["closing_time"], "18:30");
    host.send(
        Call::patch("/v1/centre")
            .bearer(owner)
            .if_match(version)
            .json(&json!({ "closing_time": null })),
    )
    .await
    .expect_error(412, "precondition.failed");
    let other = host
        .send(Call::get("/v1/centre").bearer(&world.b.owner))
        .await;
    assert_eq!(other.json()["id"], world.b.tenant.id().to_string());
    // No closing time: the optional field is left out, not sent as `null`.
    assert!(other.json()["settings"].get("closing_time").is_none());
}

async fn another_tenant_gets_404_on_every_attendance_route(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let koalas = room(host, token, "Koalas").await;
    let (aino, _) = child_with_pickup(host, token, "Aino", &koalas).await;
    let arrived = post(host, token, &check_in(&aino, None)).await.json()["event"].clone();
    let intruder = &world.b.owner;
    let id = aino["id"].as_str().unwrap();
    let calls = [
        Call::post("/v1/attendance").json(&check_in(&aino, None)),
        Call::post("/v1/attendance/corrections").json(&json!({ "id": event_id(), "amends": arrived["id"], "void": true, "reason": "x" })),
        Call::get(&format!("/v1/attendance?room={koalas}")),
        Call::get(&format!("/v1/children/{id}/attendance")),
        Call::get(&format!("/v1/rooms/{koalas}/ratio")),
        Call::get(&format!("/v1/ratio-breaches?room={koalas}")),
        Call::post(&format!("/v1/rooms/{koalas}/ratio-rules")).if_match(1).json(&json!({ "effective_from": day_text(OffsetDateTime::now_utc() + Duration::days(2)), "bands": [{ "from_months": 0, "ratio": "1:4" }], "max_group_size": 12 })),
    ];
    for call in calls {
        host.send(call.bearer(intruder))
            .await
            .expect_error(404, "not_found");
    }
    // Replaying A's event id in B stores B's own event, never shows A's.
    let day = host
        .send(Call::get("/v1/attendance").bearer(intruder))
        .await;
    assert_eq!(day.json()["subjects"], json!([]));
}

async fn roles_without_the_permission_get_403(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let koalas = room(host, token, "Koalas").await;
    let aino = child(host, token, "Aino", Some(&koalas)).await;
    let guardian = &world.a.guardian;
    let teacher = &world.a.teacher;
    let refusals = [
        (
            guardian,
            Call::post("/v1/attendance").json(&check_in(&aino, None)),
        ),
        (
            teacher,
            Call::post("/v1/attendance/corrections").json(&json!({})),
        ),
        (guardian, Call::get(&format!("/v1/rooms/{koalas}/ratio"))),
        (guardian, Call::get("/v1/ratio-breaches")),
        (
            teacher,
            Call::post(&format!("/v1/rooms/{koalas}/ratio-rules"))
                .if_match(1)
                .json(&json!({})),
        ),
        (
            teacher,
            Call::patch("/v1/centre").if_match(1).json(&json!({})),
        ),
        (
            &world.a.director,
            Call::patch("/v1/centre").if_match(1).json(&json!({})),
        ),
    ];
    for (token, call) in refusals {
        host.send(call.bearer(token))
            .await
            .expect_error(403, "forbidden");
    }
}

async fn a_guardian_sees_only_their_childs_attendance(host: &impl Host, world: &World) {
    let director = &world.a.director;
    let guardian = &world.a.guardian;
    let koalas = room(host, director, "Koalas").await;
    let me = world.a.member(Role::Guardian).user_id.to_string();
    let mine = child(host, director, "Aino", Some(&koalas)).await;
    let mine = add_contact(
        host,
        director,
        &mine,
        &contact("Maria", Some(me.clone()), &["daily_feed"]),
    )
    .await;
    let pickup_only = child(host, director, "Eero", Some(&koalas)).await;
    let pickup_only = add_contact(
        host,
        director,
        &pickup_only,
        &contact("Maria", Some(me), &["may_pick_up"]),
    )
    .await;
    let theirs = child(host, director, "Onni", Some(&koalas)).await;
    for kid in [&mine, &pickup_only, &theirs] {
        post(host, director, &check_in(kid, None)).await.expect(201);
    }

    let own = host
        .send(
            Call::get(&format!(
                "/v1/children/{}/attendance",
                mine["id"].as_str().unwrap()
            ))
            .bearer(guardian),
        )
        .await;
    own.expect(200);
    assert_eq!(own.json()["days"][0]["present"], true);
    for other in [&pickup_only, &theirs] {
        host.send(
            Call::get(&format!(
                "/v1/children/{}/attendance",
                other["id"].as_str().unwrap()
            ))
            .bearer(guardian),
        )
        .await
        .expect_error(404, "not_found");
    }
    let day = host
        .send(Call::get("/v1/attendance").bearer(guardian))
        .await;
    day.expect(200);
    let subjects = day.json()["subjects"].clone();
    assert_eq!(subjects.as_array().unwrap().len(), 1, "{subjects}");
    assert_eq!(subjects[0]["subject"]["id"], mine["id"]);
    host.send(Call::get(&format!("/v1/attendance?room={koalas}")).bearer(guardian))
        .await
        .expect_error(404, "not_found");
}

async fn a_teacher_outside_the_room_gets_404(host: &impl Host, world: &World) {
    let director = &world.a.director;
    let teacher = &world.a.teacher;
    let koalas = room(host, director, "Koalas").await;
    let wombats = room(host, director, "Wombats").await;
    host.send(Call::post("/v1/staff").bearer(director).json(&json!({
        "user_id": world.a.member(Role::Teacher).user_id.to_string(),
        "name": { "given": "Tiina", "family": "Teacher" },
        "room_ids": [wombats],
    })))
    .await
    .expect(201);
    let aino = child(host, director, "Aino", Some(&koalas)).await;
    let arrived = post(host, director, &check_in(&aino, None)).await.json()["event"].clone();
    let calls = [
        Call::post("/v1/attendance").json(&check_in(&aino, None)),
        Call::get(&format!("/v1/rooms/{koalas}/ratio")),
        Call::get(&format!("/v1/attendance?room={koalas}")),
        Call::get(&format!(
            "/v1/children/{}/attendance",
            aino["id"].as_str().unwrap()
        )),
        Call::get(&format!("/v1/ratio-breaches?room={koalas}")),
    ];
    for call in calls {
        host.send(call.bearer(teacher))
            .await
            .expect_error(404, "not_found");
    }
    let own_rooms = host.send(Call::get("/v1/attendance").bearer(teacher)).await;
    assert_eq!(
        own_rooms.json()["subjects"],
        json!([]),
        "Koalas is not theirs"
    );
    let _ = arrived;
    host.send(Call::get(&format!("/v1/rooms/{wombats}/ratio")).bearer(teacher))
        .await
        .expect(200);
}
