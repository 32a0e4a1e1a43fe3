//! What reaches the logs: full scenarios are run with every log line captured at debug level
//! through the production JSON layer, and no password, token, CSRF token, e-mail address or
//! child's data appears in any of them; request lines carry their fields and are sampled only
//! when they are successful reads.

use cubby_api::ApiConfig;
use cubby_domain::Role;
use cubby_tests::logs::Logs;
use cubby_tests::world::TEST_ORIGIN;
use cubby_tests::{ActixHost, Call, Host, World};
use serde_json::json;

use crate::checked::Checked;
use crate::children::{add_contact, child, contact, room};

#[tokio::test]
async fn a_sign_in_scenario_logs_no_secret_and_no_address() {
    let logs = Logs::capture();
    let world = World::in_memory().await;
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    let director = world.a.member(Role::Director);
    let mut secrets: Vec<String> = Vec::new();
    for centre in [&world.a, &world.b] {
        for (_, member) in &centre.members {
            secrets.extend([
                member.password.clone(),
                member.email.clone(),
                member.token.clone(),
                member.refresh_token.clone(),
            ]);
        }
    }

    let body = json!({ "tenant_code": world.a.tenant.code().as_str(), "email": director.email, "password": director.password });
    let bearer = host
        .send(Call::post("/v1/auth/login").json(&body))
        .await
        .json();
    let mut cookie_body = body.clone();
    cookie_body["mode"] = json!("cookie");
    let cookie = host
        .send(
            Call::post("/v1/auth/login")
                .header("origin", TEST_ORIGIN)
                .json(&cookie_body),
        )
        .await;
    let csrf = cookie.json()["csrf_token"].as_str().unwrap().to_owned();
    // A reloaded page recovering its CSRF token from the cookies, and two credentials at once.
    let jar: Vec<String> = cookie
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect();
    let recovered = host
        .send(
            Call::get("/v1/auth/csrf")
                .header("origin", TEST_ORIGIN)
                .header("cookie", &jar.join("; ")),
        )
        .await;
    recovered.expect(200);
    let recovered = recovered.json()["csrf_token"].as_str().unwrap().to_owned();
    host.send(
        Call::get("/v1/rooms")
            .bearer(&director.token)
            .header("cookie", &jar.join("; ")),
    )
    .await
    .expect(401);
    secrets.extend(
        jar.iter()
            .filter_map(|pair| Some(pair.split_once('=')?.1.to_owned())),
    );
    let mut wrong = body.clone();
    wrong["password"] = json!("Tr0ub4dor&3-wrong-guess");
    host.send(Call::post("/v1/auth/login").json(&wrong))
        .await
        .expect(401);
    let refreshed = host
        .send(
            Call::post("/v1/auth/refresh")
                .json(&json!({ "refresh_token": bearer["refresh_token"] })),
        )
        .await
        .json();
    // The same refresh token again (a second tab, within the grace period), a forged access
    // token, the context, a logout.
    host.send(
        Call::post("/v1/auth/refresh").json(&json!({ "refresh_token": bearer["refresh_token"] })),
    )
    .await
    .expect(200);
    host.send(
        Call::get("/v1/rooms").bearer("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged-signature"),
    )
    .await
    .expect(401);
    let access = refreshed["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    host.send(Call::get("/v1/me/context").bearer(&director.token))
        .await
        .expect(200);
    host.send(Call::post("/v1/auth/logout").bearer(&director.token))
        .await
        .expect(204);

    secrets.extend([
        "Tr0ub4dor&3-wrong-guess".to_owned(),
        csrf,
        recovered,
        access,
        bearer["access_token"].as_str().unwrap().to_owned(),
        bearer["refresh_token"].as_str().unwrap().to_owned(),
        refreshed["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        "forged-signature".to_owned(),
    ]);
    let text = logs.text();
    assert!(
        text.lines().count() >= 10,
        "the scenario should have been logged:\n{text}"
    );
    assert!(
        text.contains("\"route\":\"/v1/auth/login\""),
        "request lines are captured:\n{text}"
    );
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        assert!(
            !text.contains(secret.as_str()),
            "a log line holds `{secret}`:\n{text}"
        );
    }
    assert!(
        !text.contains('@'),
        "a log line holds an e-mail address:\n{text}"
    );
}

#[tokio::test]
async fn the_platform_api_logs_no_operator_key_owner_address_or_invitation_token() {
    use cubby_tests::tokens::TEST_OPERATOR_KEY;
    let logs = Logs::capture();
    let world = World::in_memory().await;
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    let created = host
        .send(
            Call::post("/platform/v1/centres")
                .bearer(TEST_OPERATOR_KEY)
                .json(&json!({
                    "code": "wattle-tree",
                    "name": "Wattle Tree Kindergarten",
                    "time_zone": "Australia/Perth",
                    "owner_email": "owner@wattle-tree.example",
                })),
        )
        .await;
    created.expect(201);
    let body = created.json();
    let token = body["owner_invitation"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let centre = body["centre"]["id"].as_str().unwrap().to_owned();
    // The owner's mail is sent (the job runs), the centre suspended and resumed, wrong keys
    // and a centre's token refused.
    while world
        .app()
        .jobs
        .work_once(cubby_domain::Queue::Critical)
        .await
        .unwrap()
        > 0
    {}
    for action in ["suspend", "resume"] {
        host.send(
            Call::post(&format!("/platform/v1/centres/{centre}/{action}"))
                .bearer(TEST_OPERATOR_KEY),
        )
        .await
        .expect(200);
    }
    for wrong in ["a-guessed-operator-key", world.a.owner.as_str()] {
        host.send(Call::get("/platform/v1/centres").bearer(wrong))
            .await
            .expect(401);
    }
    let text = logs.text();
    assert!(
        text.contains("\"route\":\"/platform/v1/centres\""),
        "request lines are captured:\n{text}"
    );
    assert!(
        text.contains("a wrong operator key was refused"),
        "wrong keys are a security event:\n{text}"
    );
    for secret in [
        TEST_OPERATOR_KEY,
        token.as_str(),
        token.split('.').nth(1).unwrap(),
        "a-guessed-operator-key",
        world.a.owner.as_str(),
        "wattle-tree.example",
    ] {
        assert!(
            !text.contains(secret),
            "a log line holds `{secret}`:\n{text}"
        );
    }
}

/// The fields every request line carries (user and tenant when signed in).
const REQUEST_FIELDS: [&str; 6] = [
    "request_id",
    "trace_id",
    "route",
    "status",
    "dur_ms",
    "method",
];

#[tokio::test]
async fn a_password_recovery_scenario_logs_no_address_link_or_token() {
    let logs = Logs::capture();
    let world = World::in_memory().await;
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    let guardian = world.a.member(Role::Guardian);
    let unknown = "nobody-here@centre-a.example";
    for address in [guardian.email.as_str(), unknown] {
        host.send(Call::post("/v1/auth/password/forgot").json(&json!({ "email": address })))
            .await
            .expect(202);
    }
    let token = crate::passwords::reset_token_mailed_to(&world, &guardian.email).await;
    let outbox = world.app().ports().outbox.clone().unwrap();
    let mail = outbox.sent()[0].mail.clone();
    let weak = json!({ "token": token, "password": "short-pw" });
    host.send(Call::post("/v1/auth/password/reset").json(&weak))
        .await
        .expect(422);
    let new_password = "Correct-Horse-Battery-9";
    let body = json!({ "token": token, "password": new_password });
    host.send(Call::post("/v1/auth/password/reset").json(&body))
        .await
        .expect(204);
    host.send(Call::post("/v1/auth/password/reset").json(&body))
        .await
        .expect_error(404, "auth.reset_token_invalid");
    host.send(Call::get("/v1/me/context").bearer(&guardian.token))
        .await
        .expect(401);
    let login = json!({ "tenant_code": world.a.tenant.code().as_str(), "email": guardian.email, "password": new_password });
    let session = host
        .send(Call::post("/v1/auth/login").json(&login))
        .await
        .json();
    let access = session["access_token"].as_str().unwrap().to_owned();
    let changed_password = "Another-Correct-Horse-7";
    for current in ["Wrong-Current-Password-1", new_password] {
        let change = json!({ "current_password": current, "password": changed_password });
        host.send(
            Call::post("/v1/auth/password/change")
                .bearer(&access)
                .json(&change),
        )
        .await;
    }

    let text = logs.text();
    assert!(
        text.contains("\"route\":\"/v1/auth/password/reset\""),
        "request lines are captured:\n{text}"
    );
    let link_or_body = mail
        .text
        .lines()
        .find(|line| line.contains(&token))
        .unwrap();
    for secret in [
        guardian.email.as_str(),
        unknown,
        &token,
        link_or_body.trim(),
        "short-pw",
        new_password,
        changed_password,
        "Wrong-Current-Password-1",
        &access,
        &guardian.token,
    ] {
        assert!(
            !text.contains(secret),
            "a log line holds `{secret}`:\n{text}"
        );
    }
    assert!(
        !text.contains('@'),
        "a log line holds an e-mail address:\n{text}"
    );
}

#[tokio::test]
async fn a_day_at_the_centre_logs_every_request_and_no_child_data() {
    let logs = Logs::capture();
    let world = World::in_memory().await;
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    let director = &world.a.director;
    let guardian = world.a.member(Role::Guardian);

    let koalas = room(&host, director, "Koalas").await;
    let kid = child(&host, director, "Marjatta", Some(&koalas)).await;
    let pickup = contact(
        "Sirkka",
        Some(guardian.user_id.to_string()),
        &["guardian", "messaging"],
    );
    let kid = add_contact(&host, director, &kid, &pickup).await;
    let id = kid["id"].as_str().unwrap();
    host.send(Call::post("/v1/attendance").bearer(director).json(&json!({
        "id": cubby_domain::AttendanceEventId::from_uuid(uuid::Uuid::now_v7()).to_string(), "kind": "check_in", "child_id": id,
    })))
    .await
    .expect(201);
    let thread = json!({
        "child_id": id, "contact_ids": [kid["contacts"][0]["id"]], "title": "Lunch",
        "body": "Marjatta ate all her peanut-free lunch",
    });
    host.send(Call::post("/v1/threads").bearer(director).json(&thread))
        .await
        .expect(201);
    host.send(Call::get("/v1/children?limit=25").bearer(director))
        .await
        .expect(200);
    host.send(Call::get(&format!("/v1/children/{id}")).bearer(&guardian.token))
        .await
        .expect(200);
    host.send(Call::get(&format!("/v1/children/{id}")).bearer(&world.b.director))
        .await
        .expect(404);
    host.send(
        Call::post("/v1/rooms")
            .bearer(&guardian.token)
            .json(&json!({})),
    )
    .await
    .expect(403);

    let lines = logs.lines();
    let requests: Vec<_> = lines.iter().filter(|l| l["message"] == "request").collect();
    assert!(
        requests.len() >= 9,
        "every request has its line: {requests:?}"
    );
    for line in &requests {
        for field in REQUEST_FIELDS {
            assert!(!line[field].is_null(), "`{field}` missing from {line}");
        }
        assert_eq!(line["trace_id"].as_str().map(str::len), Some(32), "{line}");
        if line["route"]
            .as_str()
            .is_some_and(|r| r.starts_with("/v1/children"))
        {
            assert!(
                !line["tenant_id"].is_null() && !line["user_id"].is_null(),
                "{line}"
            );
        }
    }
    let text = logs.text();
    for private in [
        "Marjatta",
        "Sirkka",
        "Virtanen",
        "peanut",
        "2024-03-31",
        "+358",
        "123 4567",
        guardian.email.as_str(),
        guardian.token.as_str(),
        director.as_str(),
    ] {
        assert!(
            !text.contains(private),
            "a log line holds `{private}`:\n{text}"
        );
    }
}

#[tokio::test]
async fn successful_reads_are_sampled_and_failures_and_changes_never_are() {
    let logs = Logs::capture();
    let api_config = ApiConfig {
        log_sample_rate: 0.0,
        ..cubby_tests::world::test_api_config()
    };
    let world = World::on(
        cubby_adapters_memory::embedded_ports(),
        cubby_tests::world::test_config(),
        api_config,
    )
    .await;
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    let director = &world.a.director;
    for _ in 0..20 {
        host.send(Call::get("/v1/rooms").bearer(director))
            .await
            .expect(200);
    }
    room(&host, director, "Koalas").await;
    host.send(Call::get("/v1/rooms").bearer("not-a-token"))
        .await
        .expect(401);
    host.send(Call::get("/v1/rooms/room_missing").bearer(director))
        .await
        .expect(404);
    let wrong = json!({ "tenant_code": world.a.tenant.code().as_str(), "email": "nobody@example.org", "password": "wrong-wrong-wrong" });
    host.send(Call::post("/v1/auth/login").json(&wrong))
        .await
        .expect(401);

    let statuses: Vec<(String, String, u64)> = logs
        .lines()
        .iter()
        .filter(|l| l["message"] == "request")
        .map(|l| {
            let text = |f: &str| l[f].as_str().unwrap_or_default().to_owned();
            (
                text("method"),
                text("route"),
                l["status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let has = |method: &str, route: &str, status: u64| {
        statuses.contains(&(method.to_owned(), route.to_owned(), status))
    };
    assert!(
        !has("GET", "/v1/rooms", 200),
        "reads at rate 0 are not written: {statuses:?}"
    );
    assert!(has("POST", "/v1/rooms", 201), "{statuses:?}");
    assert!(has("GET", "/v1/rooms", 401), "{statuses:?}");
    assert!(has("GET", "/v1/rooms/{id}", 404), "{statuses:?}");
    assert!(has("POST", "/v1/auth/login", 401), "{statuses:?}");
}
