//! Signing in, staying in and signing out, over HTTP on both hosts: password login, refresh
//! rotation with reuse detection, logout, the caller's context, throttling, suspension, browser
//! cookie sessions with CSRF, and the audit trail.

use cubby_domain::{Actor, AuditAction, Role, UserStatus};
use cubby_ports::AuditQuery;
use cubby_tests::world::TEST_ORIGIN;
use cubby_tests::{Call, Centre, Host, Reply, World};
use serde_json::{Value, json};

crate::on_both_hosts!(
    login_context_refresh_and_logout,
    a_reused_refresh_token_ends_the_whole_session,
    every_wrong_sign_in_gets_the_same_401,
    failed_sign_ins_are_throttled_per_account_and_per_address,
    a_refresh_token_is_not_an_access_token,
    a_suspended_user_is_refused_at_once,
    cookie_sessions_need_the_csrf_token_and_an_allowed_origin,
    sign_in_events_are_audited,
);

pub(crate) fn login_body(centre: &Centre, role: Role) -> Value {
    let member = centre.member(role);
    json!({ "tenant_code": centre.tenant.code().as_str(), "email": member.email, "password": member.password })
}

async fn login(host: &impl Host, centre: &Centre, role: Role) -> Value {
    let reply = host
        .send(Call::post("/v1/auth/login").json(&login_body(centre, role)))
        .await;
    reply.expect(200);
    reply.json()
}

async fn refresh(host: &impl Host, token: &str) -> Reply {
    host.send(Call::post("/v1/auth/refresh").json(&json!({ "refresh_token": token })))
        .await
}

async fn login_context_refresh_and_logout(host: &impl Host, world: &World) {
    let session = login(host, &world.a, Role::Director).await;
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["expires_in"], 900);
    assert!(session["refresh_expires_in"].as_i64().unwrap() > 29 * 86_400);
    assert_eq!(session["tenant"]["code"], world.a.tenant.code().as_str());
    let access = session["access_token"].as_str().unwrap();

    let context = host.send(Call::get("/v1/me/context").bearer(access)).await;
    context.expect(200);
    let context = context.json();
    let director = world.a.member(Role::Director);
    assert_eq!(context["user"]["id"], director.user_id.to_string());
    assert_eq!(context["user"]["email"], director.email);
    assert_eq!(context["tenant"]["id"], world.a.tenant.id().to_string());
    assert_eq!(context["membership"]["roles"], json!(["director"]));
    assert_eq!(context["session"]["id"], session["session_id"]);

    let refreshed = refresh(host, session["refresh_token"].as_str().unwrap()).await;
    refreshed.expect(200);
    let refreshed = refreshed.json();
    assert_ne!(refreshed["refresh_token"], session["refresh_token"]);
    assert_eq!(refreshed["session_id"], session["session_id"]);
    let new_access = refreshed["access_token"].as_str().unwrap();
    host.send(Call::get("/v1/rooms").bearer(new_access))
        .await
        .expect(200);

    // Two access tokens of the session are outstanding: the one minted at login and the one
    // the refresh minted. Logging out with either ends both at once.
    host.send(Call::get("/v1/me/context").bearer(access))
        .await
        .expect(200);
    host.send(Call::post("/v1/auth/logout").bearer(new_access))
        .await
        .expect(204);
    host.send(Call::get("/v1/rooms").bearer(new_access))
        .await
        .expect_error(401, "auth.invalid_token");
    host.send(Call::get("/v1/me/context").bearer(access))
        .await
        .expect_error(401, "auth.invalid_token");
    refresh(host, refreshed["refresh_token"].as_str().unwrap())
        .await
        .expect_error(401, "auth.invalid_token");
    // Logging out again with a token of the ended session is refused like any other request.
    host.send(Call::post("/v1/auth/logout").bearer(access))
        .await
        .expect_error(401, "auth.invalid_token");
    // Other sessions of the same user are untouched.
    host.send(Call::get("/v1/rooms").bearer(&world.a.director))
        .await
        .expect(200);
}

async fn a_reused_refresh_token_ends_the_whole_session(host: &impl Host, world: &World) {
    let session = login(host, &world.a, Role::Teacher).await;
    let first = session["refresh_token"].as_str().unwrap();
    let second = refresh(host, first).await;
    second.expect(200);
    let second = second.json();
    let third = refresh(host, second["refresh_token"].as_str().unwrap()).await;
    third.expect(200);
    let third = third.json();
    let newest = third["refresh_token"].as_str().unwrap().to_owned();
    // Every access token the session minted, one per step, works until the reuse.
    let accesses =
        [&session, &second, &third].map(|step| step["access_token"].as_str().unwrap().to_owned());
    for access in &accesses {
        host.send(Call::get("/v1/rooms").bearer(access))
            .await
            .expect(200);
    }

    // The first token, rotated away twice, shows up again: it was copied.
    refresh(host, first)
        .await
        .expect_error(401, "auth.invalid_token");
    refresh(host, &newest)
        .await
        .expect_error(401, "auth.invalid_token");
    for access in &accesses {
        host.send(Call::get("/v1/rooms").bearer(access))
            .await
            .expect_error(401, "auth.invalid_token");
    }
    let reuse = events(world, &world.a, AuditAction::RefreshReuse).await;
    assert_eq!(reuse.len(), 1, "{reuse:?}");

    // A token that was never issued (guessing) refuses without ending anything.
    let other = login(host, &world.a, Role::Teacher).await;
    let id = other["session_id"].as_str().unwrap();
    refresh(
        host,
        &format!("{id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    )
    .await
    .expect_error(401, "auth.invalid_token");
    refresh(host, other["refresh_token"].as_str().unwrap())
        .await
        .expect(200);
    for bad in [
        "",
        "nonsense",
        "ses_01h455vb4pex5vsknk084sn02q.",
        &"x".repeat(300),
    ] {
        refresh(host, bad)
            .await
            .expect_error(401, "auth.invalid_token");
    }
}

async fn every_wrong_sign_in_gets_the_same_401(host: &impl Host, world: &World) {
    let right = login_body(&world.a, Role::Guardian);
    let mut wrong_password = right.clone();
    wrong_password["password"] = json!("not the password");
    let mut unknown_email = right.clone();
    unknown_email["email"] = json!("nobody@nowhere.example");
    let mut other_centre = right.clone();
    other_centre["tenant_code"] = json!(world.b.tenant.code().as_str());
    let mut unknown_centre = right.clone();
    unknown_centre["tenant_code"] = json!("no-such-centre");
    let mut malformed_email = right.clone();
    malformed_email["email"] = json!("not an address");
    let mut empty_password = right.clone();
    empty_password["password"] = json!("");

    let mut answers = Vec::new();
    for body in [
        wrong_password,
        unknown_email,
        other_centre,
        unknown_centre,
        malformed_email,
        empty_password,
    ] {
        let reply = host.send(Call::post("/v1/auth/login").json(&body)).await;
        reply.expect_error(401, "auth.invalid_credentials");
        let body = reply.json();
        answers.push((
            body["code"].clone(),
            body["message"].clone(),
            body.get("details").cloned(),
        ));
    }
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "the answers differ: {answers:?}"
    );
    // The right credentials still work (five failures of several accounts throttle none).
    host.send(Call::post("/v1/auth/login").json(&right))
        .await
        .expect(200);
    // The case and surrounding spaces of the address do not matter.
    let mut shouting = right.clone();
    shouting["email"] = json!(format!(
        "  {}  ",
        right["email"].as_str().unwrap().to_uppercase()
    ));
    host.send(Call::post("/v1/auth/login").json(&shouting))
        .await
        .expect(200);
    host.send(Call::post("/v1/auth/login").json(&json!({ "tenant_code": "x" })))
        .await
        .expect_error(400, "request.malformed_json");
}

async fn failed_sign_ins_are_throttled_per_account_and_per_address(
    host: &impl Host,
    world: &World,
) {
    let right = login_body(&world.a, Role::Owner);
    let mut wrong = right.clone();
    wrong["password"] = json!("wrong");
    for _ in 0..5 {
        host.send(Call::post("/v1/auth/login").json(&wrong))
            .await
            .expect_error(401, "auth.invalid_credentials");
    }
    let throttled = host.send(Call::post("/v1/auth/login").json(&right)).await;
    throttled.expect_error(429, "auth.throttled");
    let retry_after: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");

    // Other accounts from the same address go on until the address has failed 20 times.
    let mut other = login_body(&world.a, Role::Teacher);
    other["password"] = json!("wrong");
    for n in 0..15 {
        let mut attempt = other.clone();
        attempt["email"] = json!(format!("someone{n}@nowhere.example"));
        host.send(Call::post("/v1/auth/login").json(&attempt))
            .await
            .expect_error(401, "auth.invalid_credentials");
    }
    host.send(Call::post("/v1/auth/login").json(&login_body(&world.a, Role::Teacher)))
        .await
        .expect_error(429, "auth.throttled");
    let throttled_events = events(world, &world.a, AuditAction::LoginFailed).await;
    assert!(throttled_events.iter().any(|e| {
        e.details
            .iter()
            .any(|(k, v)| k == "reason" && v == "throttled")
    }));
}

async fn a_refresh_token_is_not_an_access_token(host: &impl Host, world: &World) {
    let session = login(host, &world.b, Role::Director).await;
    let refresh_token = session["refresh_token"].as_str().unwrap();
    host.send(Call::get("/v1/rooms").bearer(refresh_token))
        .await
        .expect_error(401, "auth.invalid_token");
    // Nor is an access token a refresh token.
    refresh(host, session["access_token"].as_str().unwrap())
        .await
        .expect_error(401, "auth.invalid_token");
}

async fn a_suspended_user_is_refused_at_once(host: &impl Host, world: &World) {
    let session = login(host, &world.a, Role::Teacher).await;
    let teacher = world.a.member(Role::Teacher);
    host.send(Call::get("/v1/rooms").bearer(&teacher.token))
        .await
        .expect(200);

    let by = Actor::User(world.a.member(Role::Owner).user_id);
    world
        .app()
        .members
        .set_user_status(teacher.user_id, UserStatus::Suspended, by.clone())
        .await
        .unwrap();
    host.send(Call::get("/v1/rooms").bearer(&teacher.token))
        .await
        .expect_error(401, "auth.invalid_token");
    refresh(host, session["refresh_token"].as_str().unwrap())
        .await
        .expect_error(401, "auth.invalid_token");
    host.send(Call::post("/v1/auth/login").json(&login_body(&world.a, Role::Teacher)))
        .await
        .expect_error(401, "auth.invalid_credentials");

    world
        .app()
        .members
        .set_user_status(teacher.user_id, UserStatus::Active, by)
        .await
        .unwrap();
    host.send(Call::get("/v1/rooms").bearer(&teacher.token))
        .await
        .expect(200);
}

/// The cookies a reply sets, as `name=value` pairs, with their attributes.
pub(crate) fn set_cookies(reply: &Reply) -> Vec<(String, String, String)> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|value| {
            let text = value.to_str().unwrap().to_owned();
            let (pair, attributes) = text.split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            (
                name.to_owned(),
                value.to_owned(),
                attributes.trim().to_owned(),
            )
        })
        .collect()
}

pub(crate) fn cookie_header(cookies: &[(String, String, String)]) -> String {
    cookies
        .iter()
        .map(|(name, value, _)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn cookie_sessions_need_the_csrf_token_and_an_allowed_origin(
    host: &impl Host,
    world: &World,
) {
    let mut body = login_body(&world.a, Role::Director);
    body["mode"] = json!("cookie");
    host.send(
        Call::post("/v1/auth/login")
            .header("origin", "https://evil.example")
            .json(&body),
    )
    .await
    .expect_error(403, "auth.origin_not_allowed");
    let reply = host
        .send(
            Call::post("/v1/auth/login")
                .header("origin", TEST_ORIGIN)
                .json(&body),
        )
        .await;
    reply.expect(200);
    let session = reply.json();
    assert_eq!(session["token_type"], "cookie");
    assert!(
        session.get("access_token").is_none() && session.get("refresh_token").is_none(),
        "{session}"
    );
    let csrf = session["csrf_token"].as_str().unwrap().to_owned();

    let cookies = set_cookies(&reply);
    let attributes = |name: &str| {
        cookies
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, a)| a.clone())
            .unwrap()
    };
    assert_eq!(cookies.len(), 3, "{cookies:?}");
    assert!(
        attributes("__Host-cubby_access")
            .starts_with("Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=900")
    );
    assert!(
        attributes("__Host-cubby_refresh")
            .starts_with("Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=")
    );
    let csrf_attributes = attributes("__Host-cubby_csrf");
    assert!(
        csrf_attributes.starts_with("Path=/; Secure; SameSite=Strict")
            && !csrf_attributes.contains("HttpOnly")
    );
    assert!(cookies.iter().all(|(_, _, a)| !a.contains("Domain")));
    let jar = cookie_header(&cookies);
    let room = json!({ "name": "Cookies", "age_range": { "min_months": 1, "max_months": 2 }, "capacity": 3, "ratio": "1:3" });

    // Safe methods need no CSRF token; unsafe ones do, signed for this session.
    host.send(Call::get("/v1/rooms").header("cookie", &jar))
        .await
        .expect(200);
    host.send(Call::post("/v1/rooms").header("cookie", &jar).json(&room))
        .await
        .expect_error(403, "auth.csrf");
    host.send(
        Call::post("/v1/rooms")
            .header("cookie", &jar)
            .header("x-csrf-token", "nonce.forged")
            .json(&room),
    )
    .await
    .expect_error(403, "auth.csrf");
    // A token of another session, planted as the cookie and echoed: refused.
    let mut owner_body = login_body(&world.a, Role::Owner);
    owner_body["mode"] = json!("cookie");
    let other = host
        .send(Call::post("/v1/auth/login").json(&owner_body))
        .await;
    let planted = other.json()["csrf_token"].as_str().unwrap().to_owned();
    let planted_jar = jar.replace(&csrf, &planted);
    host.send(
        Call::post("/v1/rooms")
            .header("cookie", &planted_jar)
            .header("x-csrf-token", &planted)
            .json(&room),
    )
    .await
    .expect_error(403, "auth.csrf");
    host.send(
        Call::post("/v1/rooms")
            .header("cookie", &jar)
            .header("x-csrf-token", &csrf)
            .header("origin", "https://evil.example")
            .json(&room),
    )
    .await
    .expect_error(403, "auth.origin_not_allowed");
    host.send(
        Call::post("/v1/rooms")
            .header("cookie", &jar)
            .header("x-csrf-token", &csrf)
            .header("origin", TEST_ORIGIN)
            .json(&room),
    )
    .await
    .expect(201);

    // Refresh by cookie needs the CSRF token too, and sets new cookies.
    host.send(Call::post("/v1/auth/refresh").header("cookie", &jar))
        .await
        .expect_error(403, "auth.csrf");
    let refreshed = host
        .send(
            Call::post("/v1/auth/refresh")
                .header("cookie", &jar)
                .header("x-csrf-token", &csrf),
        )
        .await;
    refreshed.expect(200);
    let renewed = set_cookies(&refreshed);
    assert_eq!(renewed.len(), 3);
    let new_jar = cookie_header(&renewed);
    let new_csrf = refreshed.json()["csrf_token"].as_str().unwrap().to_owned();

    // Logout clears the cookies; the old ones then open nothing.
    let out = host
        .send(
            Call::post("/v1/auth/logout")
                .header("cookie", &new_jar)
                .header("x-csrf-token", &new_csrf),
        )
        .await;
    out.expect(204);
    assert!(
        set_cookies(&out)
            .iter()
            .all(|(_, value, attributes)| value.is_empty() && attributes.contains("Max-Age=0"))
    );
    host.send(Call::get("/v1/rooms").header("cookie", &new_jar))
        .await
        .expect_error(401, "auth.invalid_token");

    // Bearer clients never need a CSRF token.
    host.send(Call::post("/v1/rooms").bearer(&world.a.director).json(&json!({ "name": "Bearer", "age_range": { "min_months": 1, "max_months": 2 }, "capacity": 3, "ratio": "1:3" })))
        .await
        .expect(201);
}

/// The events of `action` in `centre`'s audit log.
async fn events(
    world: &World,
    centre: &Centre,
    action: AuditAction,
) -> Vec<cubby_domain::AuditEvent> {
    let scope = cubby_ports::contract::scope_in(centre.tenant.id());
    let query = AuditQuery {
        action: Some(action),
        ..AuditQuery::default()
    };
    world
        .app()
        .ports()
        .audit
        .list_events(&scope, &query)
        .await
        .unwrap()
        .items
}

async fn sign_in_events_are_audited(host: &impl Host, world: &World) {
    let session = login(host, &world.b, Role::Guardian).await;
    let mut wrong = login_body(&world.b, Role::Guardian);
    wrong["password"] = json!("wrong");
    host.send(Call::post("/v1/auth/login").json(&wrong))
        .await
        .expect(401);
    let refreshed = refresh(host, session["refresh_token"].as_str().unwrap())
        .await
        .json();
    host.send(Call::post("/v1/auth/logout").bearer(refreshed["access_token"].as_str().unwrap()))
        .await
        .expect(204);

    let guardian = world.b.member(Role::Guardian);
    let actor = Actor::User(guardian.user_id);
    for action in [
        AuditAction::Login,
        AuditAction::LoginFailed,
        AuditAction::Refresh,
        AuditAction::Logout,
    ] {
        let found = events(world, &world.b, action).await;
        assert_eq!(found.len(), 1, "{action:?}: {found:?}");
        assert_eq!(found[0].actor.as_ref(), Some(&actor), "{action:?}");
    }
    let login_event = &events(world, &world.b, AuditAction::Login).await[0];
    assert_eq!(
        login_event.target.as_deref(),
        session["session_id"].as_str()
    );
    // Centre A's log has none of it.
    assert!(events(world, &world.a, AuditAction::Login).await.is_empty());
    // No event holds a password, a token or an address.
    let scope = cubby_ports::contract::scope_in(world.b.tenant.id());
    let all = world
        .app()
        .ports()
        .audit
        .list_events(&scope, &AuditQuery::default())
        .await
        .unwrap()
        .items;
    let text = format!("{all:?}");
    for secret in [
        guardian.password.as_str(),
        guardian.email.as_str(),
        "wrong",
        session["refresh_token"].as_str().unwrap(),
    ] {
        assert!(!text.contains(secret), "an audit event holds `{secret}`");
    }
}
