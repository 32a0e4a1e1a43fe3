//! People in several centres, over HTTP on both hosts: a sign-in without a centre lists the
//! person's own centres (only once the password was right), `GET /v1/me/centres` lists them
//! again, and `POST /v1/auth/switch` ends the session used and opens one in the other centre,
//! in the mode the session was used in; the first session's tokens are refused from then on.
//! None of it logs an address, a password or a token.

use cubby_domain::{Email, EntitlementSet, Role};
use cubby_tests::logs::Logs;
use cubby_tests::world::TEST_ORIGIN;
use cubby_tests::{ActixHost, Call, Centre, Host, Reply, World};
use serde_json::{Value, json};

use crate::identity::{cookie_header, login_body, set_cookies};

crate::on_both_hosts!(
    a_two_centre_person_gets_the_list_switches_and_the_first_sessions_tokens_are_refused,
    a_one_centre_person_signs_in_without_a_code,
    the_list_is_only_ever_the_callers_own,
    a_switch_to_a_centre_that_is_not_the_callers_is_404_and_ends_nothing,
    a_cookie_session_switches_into_new_cookies_with_the_csrf_token,
    a_switch_is_never_replayed_for_an_idempotency_key,
);

/// Makes A's director a teacher of B too: a person of two centres, with one password.
async fn in_both_centres(world: &World) -> cubby_tests::world::Member {
    let director = world.a.member(Role::Director).clone();
    let scope = cubby_ports::contract::scope_in(world.b.tenant.id());
    let new = cubby_app::members::NewMember {
        email: Email::parse(&director.email).unwrap(),
        password: None,
        email_verified: true,
        roles: vec![Role::Teacher.into()],
        entitlements: EntitlementSet::all(),
    };
    world.app().members.enroll(&scope, new).await.unwrap();
    director
}

/// The two centres as a sign-in lists them: `{code, name}`, ordered by code.
fn both(world: &World) -> Vec<Value> {
    let mut both: Vec<&Centre> = vec![&world.a, &world.b];
    both.sort_by_key(|centre| centre.tenant.code().as_str().to_owned());
    both.iter()
        .map(|centre| {
            json!({ "code": centre.tenant.code().as_str(), "name": centre.tenant.name().as_str() })
        })
        .collect()
}

fn without_code(email: &str, password: &str) -> Value {
    json!({ "email": email, "password": password })
}

async fn login(host: &impl Host, body: &Value) -> Reply {
    host.send(Call::post("/v1/auth/login").json(body)).await
}

async fn centres(host: &impl Host, token: &str) -> Value {
    let reply = host.send(Call::get("/v1/me/centres").bearer(token)).await;
    reply.expect(200);
    reply.json()
}

async fn switch(host: &impl Host, token: &str, code: &str) -> Reply {
    host.send(
        Call::post("/v1/auth/switch")
            .bearer(token)
            .json(&json!({ "tenant_code": code })),
    )
    .await
}

/// The centre code of the session `token` opens.
async fn context_code(host: &impl Host, token: &str) -> Value {
    let reply = host.send(Call::get("/v1/me/context").bearer(token)).await;
    reply.expect(200);
    reply.json()["tenant"]["code"].clone()
}

async fn a_two_centre_person_gets_the_list_switches_and_the_first_sessions_tokens_are_refused(
    host: &impl Host,
    world: &World,
) {
    let person = in_both_centres(world).await;
    let reply = login(host, &without_code(&person.email, &person.password)).await;
    reply.expect_error(400, "auth.tenant_required");
    assert_eq!(reply.json()["details"]["centres"], json!(both(world)));
    // A wrong password learns nothing about the account's centres.
    let reply = login(host, &without_code(&person.email, "not-the-password")).await;
    reply.expect_error(401, "auth.invalid_credentials");
    assert!(reply.json().get("details").is_none(), "{}", reply.json());

    let mut body = without_code(&person.email, &person.password);
    body["tenant_code"] = json!(world.a.tenant.code().as_str());
    let reply = login(host, &body).await;
    reply.expect(200);
    let first = reply.json();
    let access = first["access_token"].as_str().unwrap();
    let listed = centres(host, access).await;
    assert_eq!(listed["total"], 2);
    for item in listed["items"].as_array().unwrap() {
        let code = item["code"].as_str().unwrap();
        assert_eq!(item["current"], code == world.a.tenant.code().as_str());
        assert!(both(world).iter().any(|c| c["code"] == code), "{item}");
    }
    assert_eq!(
        listed["items"][0]["code"],
        both(world)[0]["code"],
        "ordered by code"
    );

    let reply = switch(host, access, world.b.tenant.code().as_str()).await;
    reply.expect(200);
    let second = reply.json();
    assert_eq!(second["token_type"], "Bearer");
    assert_eq!(second["tenant"]["code"], world.b.tenant.code().as_str());
    assert_ne!(second["session_id"], first["session_id"]);
    let new_access = second["access_token"].as_str().unwrap();
    assert_eq!(
        context_code(host, new_access).await,
        world.b.tenant.code().as_str()
    );
    let listed = centres(host, new_access).await;
    let current: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["current"] == true)
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["code"], world.b.tenant.code().as_str());

    // The first session is over: its access token and its refresh token are refused.
    host.send(Call::get("/v1/me/context").bearer(access))
        .await
        .expect_error(401, "auth.invalid_token");
    host.send(
        Call::post("/v1/auth/refresh").json(&json!({ "refresh_token": first["refresh_token"] })),
    )
    .await
    .expect_error(401, "auth.invalid_token");
    // The new session refreshes, in the other centre.
    let reply = host
        .send(
            Call::post("/v1/auth/refresh")
                .json(&json!({ "refresh_token": second["refresh_token"] })),
        )
        .await;
    reply.expect(200);
    assert_eq!(
        reply.json()["tenant"]["code"],
        world.b.tenant.code().as_str()
    );
}

async fn a_one_centre_person_signs_in_without_a_code(host: &impl Host, world: &World) {
    let teacher = world.a.member(Role::Teacher);
    let reply = login(host, &without_code(&teacher.email, &teacher.password)).await;
    reply.expect(200);
    assert_eq!(
        reply.json()["tenant"]["code"],
        world.a.tenant.code().as_str()
    );
    // Without a code, every mistake is still the one 401.
    login(host, &without_code(&teacher.email, "not-the-password"))
        .await
        .expect_error(401, "auth.invalid_credentials");
    login(
        host,
        &without_code("nobody@nowhere.example", &teacher.password),
    )
    .await
    .expect_error(401, "auth.invalid_credentials");
}

async fn the_list_is_only_ever_the_callers_own(host: &impl Host, world: &World) {
    in_both_centres(world).await;
    for token in [&world.a.guardian, &world.b.owner] {
        let listed = centres(host, token).await;
        assert_eq!(listed["total"], 1, "{listed}");
        assert_eq!(listed["items"][0]["current"], true);
    }
    let listed = centres(host, &world.b.owner).await;
    assert_eq!(listed["items"][0]["code"], world.b.tenant.code().as_str());
    host.send(Call::get("/v1/me/centres?sort=name").bearer(&world.a.guardian))
        .await
        .expect_error(400, "request.invalid_query");
    host.send(Call::get("/v1/me/centres"))
        .await
        .expect_error(401, "auth.required");
}

async fn a_switch_to_a_centre_that_is_not_the_callers_is_404_and_ends_nothing(
    host: &impl Host,
    world: &World,
) {
    // B's director is not a member of A: A's code is answered as a centre that does not exist.
    let director = &world.b.director;
    for code in [
        world.a.tenant.code().as_str(),
        "no-such-centre",
        "Not A Code",
    ] {
        switch(host, director, code)
            .await
            .expect_error(404, "not_found");
    }
    host.send(
        Call::post("/v1/auth/switch")
            .bearer(director)
            .json(&json!({})),
    )
    .await
    .expect(400);
    // Switching needs a session, and none of it ended the one used.
    host.send(
        Call::post("/v1/auth/switch")
            .json(&json!({ "tenant_code": world.b.tenant.code().as_str() })),
    )
    .await
    .expect_error(401, "auth.required");
    assert_eq!(
        context_code(host, director).await,
        world.b.tenant.code().as_str()
    );
}

async fn a_cookie_session_switches_into_new_cookies_with_the_csrf_token(
    host: &impl Host,
    world: &World,
) {
    in_both_centres(world).await;
    let mut body = login_body(&world.a, Role::Director);
    body["mode"] = json!("cookie");
    let reply = host
        .send(
            Call::post("/v1/auth/login")
                .header("origin", TEST_ORIGIN)
                .json(&body),
        )
        .await;
    reply.expect(200);
    let csrf = reply.json()["csrf_token"].as_str().unwrap().to_owned();
    let jar = set_cookies(&reply);
    let to_b = json!({ "tenant_code": world.b.tenant.code().as_str() });
    // A cookie POST without the CSRF token, or from another origin, switches nothing.
    host.send(
        Call::post("/v1/auth/switch")
            .header("origin", TEST_ORIGIN)
            .header("cookie", &cookie_header(&jar))
            .json(&to_b),
    )
    .await
    .expect_error(403, "auth.csrf");
    host.send(
        Call::post("/v1/auth/switch")
            .header("origin", "https://evil.example")
            .header("cookie", &cookie_header(&jar))
            .header("x-csrf-token", &csrf)
            .json(&to_b),
    )
    .await
    .expect_error(403, "auth.origin_not_allowed");

    let reply = host
        .send(
            Call::post("/v1/auth/switch")
                .header("origin", TEST_ORIGIN)
                .header("cookie", &cookie_header(&jar))
                .header("x-csrf-token", &csrf)
                .json(&to_b),
        )
        .await;
    reply.expect(200);
    let switched = reply.json();
    assert_eq!(switched["token_type"], "cookie");
    assert_eq!(switched["tenant"]["code"], world.b.tenant.code().as_str());
    assert!(switched.get("access_token").is_none(), "{switched}");
    let new_jar = set_cookies(&reply);
    let names: Vec<&str> = new_jar.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "__Host-cubby_access",
            "__Host-cubby_refresh",
            "__Host-cubby_csrf"
        ]
    );

    // The old cookies open nothing; the new ones open the session in B, and write with the
    // new CSRF token.
    host.send(Call::get("/v1/me/context").header("cookie", &cookie_header(&jar)))
        .await
        .expect_error(401, "auth.invalid_token");
    let reply = host
        .send(Call::get("/v1/me/context").header("cookie", &cookie_header(&new_jar)))
        .await;
    reply.expect(200);
    assert_eq!(
        reply.json()["tenant"]["code"],
        world.b.tenant.code().as_str()
    );
    host.send(
        Call::post("/v1/auth/logout")
            .header("origin", TEST_ORIGIN)
            .header("cookie", &cookie_header(&new_jar))
            .header("x-csrf-token", switched["csrf_token"].as_str().unwrap()),
    )
    .await
    .expect(204);
}

async fn a_switch_is_never_replayed_for_an_idempotency_key(host: &impl Host, world: &World) {
    let person = in_both_centres(world).await;
    let mut body = without_code(&person.email, &person.password);
    body["tenant_code"] = json!(world.a.tenant.code().as_str());
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let reply = login(host, &body).await;
        reply.expect(200);
        sessions.push(reply.json()["access_token"].as_str().unwrap().to_owned());
    }
    let to_b = json!({ "tenant_code": world.b.tenant.code().as_str() });
    let mut opened = Vec::new();
    for access in &sessions {
        let reply = host
            .send(
                Call::post("/v1/auth/switch")
                    .bearer(access)
                    .header("idempotency-key", "switch-to-b")
                    .json(&to_b),
            )
            .await;
        reply.expect(200);
        assert_eq!(reply.header("idempotent-replayed"), None);
        opened.push(reply.json()["session_id"].clone());
    }
    // Each session was moved on its own: the second got a session of its own, not the first
    // one's tokens, and both sessions that asked are over.
    assert_ne!(opened[0], opened[1]);
    for access in &sessions {
        host.send(Call::get("/v1/me/context").bearer(access))
            .await
            .expect_error(401, "auth.invalid_token");
    }
}

#[tokio::test]
async fn a_two_centre_scenario_logs_no_secret_and_no_address() {
    let logs = Logs::capture();
    let world = World::in_memory().await;
    let actix = ActixHost::start(&world).await;
    let host = crate::checked::Checked(&actix);
    let person = in_both_centres(&world).await;
    login(&host, &without_code(&person.email, &person.password))
        .await
        .expect(400);
    login(
        &host,
        &without_code(&person.email, "Tr0ub4dor&3-wrong-guess"),
    )
    .await
    .expect(401);
    let mut body = without_code(&person.email, &person.password);
    body["tenant_code"] = json!(world.a.tenant.code().as_str());
    let first = login(&host, &body).await.json();
    let access = first["access_token"].as_str().unwrap();
    centres(&host, access).await;
    let second = switch(&host, access, world.b.tenant.code().as_str())
        .await
        .json();
    host.send(Call::get("/v1/me/context").bearer(access))
        .await
        .expect(401);

    let text = logs.text();
    assert!(
        text.contains("\"route\":\"/v1/auth/switch\""),
        "request lines are captured:\n{text}"
    );
    let mut secrets = vec![
        person.email.clone(),
        person.password.clone(),
        "Tr0ub4dor&3-wrong-guess".to_owned(),
    ];
    for session in [&first, &second] {
        for token in ["access_token", "refresh_token"] {
            secrets.push(session[token].as_str().unwrap().to_owned());
        }
    }
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a log line holds `{secret}`:\n{text}"
        );
    }
}
