//! Passwords forgotten, reset and changed, over HTTP on both hosts: the same answer for known and
//! unknown addresses, a mailed token that works once and for 30 minutes, sessions that end
//! everywhere, and the change that keeps the session it is made from.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cubby_domain::{AuditAction, Queue, Role};
use cubby_ports::AuditQuery;
use cubby_tests::world::TEST_ORIGIN;
use cubby_tests::{Call, Centre, Host, Reply, World};
use serde_json::{Value, json};

crate::on_both_hosts!(
    forgot_answers_the_same_for_an_unknown_and_a_known_address,
    the_guardian_resets_a_forgotten_password_and_the_old_session_is_refused,
    a_reset_token_expires_after_thirty_minutes,
    forgot_is_throttled_per_address_whether_or_not_it_has_an_account,
    a_reset_with_a_weak_password_or_a_forged_token_is_refused,
    a_change_keeps_this_session_and_ends_the_others,
    a_change_needs_a_session_and_in_cookie_mode_the_csrf_token,
);

/// Runs the critical queue's jobs (the lookups `forgot` queues, and the mail they queue).
async fn deliver(world: &World) {
    while world.app().jobs.work_once(Queue::Critical).await.unwrap() > 0 {}
}

/// How many mails the outbox holds for `address`, once the queued ones are sent.
async fn mails_to(world: &World, address: &str) -> usize {
    deliver(world).await;
    let outbox = world.app().ports().outbox.as_ref().unwrap();
    outbox
        .sent()
        .iter()
        .filter(|sent| sent.mail.to.as_str() == address)
        .count()
}

/// The reset token in the newest mail to `address` (once the queued ones are sent): the one
/// word of its text that is 32 bytes in base64url, in the link.
pub(crate) async fn reset_token_mailed_to(world: &World, address: &str) -> String {
    deliver(world).await;
    let outbox = world.app().ports().outbox.as_ref().unwrap();
    let sent = outbox.sent();
    let mail = &sent
        .iter()
        .find(|sent| sent.mail.to.as_str() == address)
        .expect("a mail to the address")
        .mail;
    mail.text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .find(|word| URL_SAFE_NO_PAD.decode(word).is_ok_and(|b| b.len() == 32))
        .expect("a token in the mail")
        .to_owned()
}

async fn forgot(host: &impl Host, address: &str) -> Reply {
    host.send(Call::post("/v1/auth/password/forgot").json(&json!({ "email": address })))
        .await
}

async fn reset(host: &impl Host, token: &str, password: &str) -> Reply {
    host.send(
        Call::post("/v1/auth/password/reset")
            .json(&json!({ "token": token, "password": password })),
    )
    .await
}

async fn sign_in(host: &impl Host, centre: &Centre, role: Role, password: &str) -> Reply {
    let member = centre.member(role);
    let body = json!({ "tenant_code": centre.tenant.code().as_str(), "email": member.email, "password": password });
    host.send(Call::post("/v1/auth/login").json(&body)).await
}

/// The access token of a new session of `role` in `centre`, signed in with `password`.
async fn new_session(host: &impl Host, centre: &Centre, role: Role, password: &str) -> String {
    let reply = sign_in(host, centre, role, password).await;
    reply.expect(200);
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

async fn forgot_answers_the_same_for_an_unknown_and_a_known_address(
    host: &impl Host,
    world: &World,
) {
    let guardian = world.a.member(Role::Guardian);
    let unknown = "nobody-here@centre-a.example";
    let known = forgot(host, &guardian.email).await;
    let nobody = forgot(host, unknown).await;
    known.expect(202);
    nobody.expect(202);
    assert_eq!(known.json(), nobody.json());
    assert_eq!(known.json()["status"], "accepted");
    assert_eq!(mails_to(world, &guardian.email).await, 1);
    assert_eq!(mails_to(world, unknown).await, 0);
    // An address as typed, in another case and with spaces, is the same account.
    forgot(host, &format!(" {} ", guardian.email.to_uppercase()))
        .await
        .expect(202);
    assert_eq!(mails_to(world, &guardian.email).await, 2);
    host.send(Call::post("/v1/auth/password/forgot").json(&json!({ "email": "not an address" })))
        .await
        .expect_error(422, "validation.failed");
    host.send(Call::post("/v1/auth/password/forgot").json(&json!({ "mail": guardian.email })))
        .await
        .expect(400);
}

async fn the_guardian_resets_a_forgotten_password_and_the_old_session_is_refused(
    host: &impl Host,
    world: &World,
) {
    let guardian = world.a.member(Role::Guardian);
    host.send(Call::get("/v1/me/context").bearer(&guardian.token))
        .await
        .expect(200);
    forgot(host, &guardian.email).await.expect(202);
    let token = reset_token_mailed_to(world, &guardian.email).await;

    reset(host, &token, "a brand new password")
        .await
        .expect(204);
    host.send(Call::get("/v1/me/context").bearer(&guardian.token))
        .await
        .expect_error(401, "auth.invalid_token");
    host.send(
        Call::post("/v1/auth/refresh").json(&json!({ "refresh_token": guardian.refresh_token })),
    )
    .await
    .expect_error(401, "auth.invalid_token");
    sign_in(host, &world.a, Role::Guardian, &guardian.password)
        .await
        .expect_error(401, "auth.invalid_credentials");
    let access = new_session(host, &world.a, Role::Guardian, "a brand new password").await;
    host.send(Call::get("/v1/me/context").bearer(&access))
        .await
        .expect(200);

    // Once only.
    reset(host, &token, "another new password")
        .await
        .expect_error(404, "auth.reset_token_invalid");
    host.send(Call::get("/v1/me/context").bearer(&access))
        .await
        .expect(200);
    // Audited in the guardian's centre, by the guardian; not in the other centre.
    let query = AuditQuery {
        action: Some(AuditAction::PasswordReset),
        ..AuditQuery::default()
    };
    let app = world.app();
    for (centre, expected) in [(&world.a, 1), (&world.b, 0)] {
        let scope = cubby_ports::contract::scope_in(centre.tenant.id());
        let events = app.ports().audit.list_events(&scope, &query).await.unwrap();
        assert_eq!(events.total, expected);
    }
    // Another member's session in the centre is untouched.
    host.send(Call::get("/v1/me/context").bearer(&world.a.director))
        .await
        .expect(200);
}

async fn a_reset_token_expires_after_thirty_minutes(host: &impl Host, world: &World) {
    let teacher = world.a.member(Role::Teacher);
    forgot(host, &teacher.email).await.expect(202);
    let token = reset_token_mailed_to(world, &teacher.email).await;
    world.clock.advance(time::Duration::minutes(30));
    reset(host, &token, "a brand new password")
        .await
        .expect_error(404, "auth.reset_token_invalid");
    forgot(host, &teacher.email).await.expect(202);
    let fresh = reset_token_mailed_to(world, &teacher.email).await;
    assert_ne!(fresh, token);
    world.clock.advance(time::Duration::minutes(29));
    reset(host, &fresh, "a brand new password")
        .await
        .expect(204);
}

async fn forgot_is_throttled_per_address_whether_or_not_it_has_an_account(
    host: &impl Host,
    world: &World,
) {
    let guardian = world.a.member(Role::Guardian);
    for address in [guardian.email.as_str(), "nobody-here@centre-a.example"] {
        for _ in 0..cubby_app::auth::MAX_RESETS_PER_ACCOUNT {
            forgot(host, address).await.expect(202);
        }
        let throttled = forgot(host, address).await;
        throttled.expect_error(429, "auth.throttled");
        assert!(throttled.headers.get("retry-after").is_some());
    }
    assert_eq!(
        mails_to(world, &guardian.email).await,
        cubby_app::auth::MAX_RESETS_PER_ACCOUNT as usize
    );
}

async fn a_reset_with_a_weak_password_or_a_forged_token_is_refused(
    host: &impl Host,
    world: &World,
) {
    let director = world.a.member(Role::Director);
    forgot(host, &director.email).await.expect(202);
    let token = reset_token_mailed_to(world, &director.email).await;
    let weak = reset(host, &token, "short").await;
    weak.expect_error(422, "validation.failed");
    assert_eq!(
        weak.json()["details"]["fields"][0]["code"],
        "auth.password_unacceptable"
    );
    for forged in ["", "not-a-token", &URL_SAFE_NO_PAD.encode([7_u8; 32])] {
        reset(host, forged, "a brand new password")
            .await
            .expect_error(404, "auth.reset_token_invalid");
    }
    // The weak password did not use the token up.
    reset(host, &token, "a brand new password")
        .await
        .expect(204);
    host.send(Call::post("/v1/auth/password/reset").json(&json!({ "token": token })))
        .await
        .expect(400);
}

async fn a_change_keeps_this_session_and_ends_the_others(host: &impl Host, world: &World) {
    let guardian = world.a.member(Role::Guardian);
    let this = new_session(host, &world.a, Role::Guardian, &guardian.password).await;
    let change = |current: &str, new: &str| {
        Call::post("/v1/auth/password/change")
            .bearer(&this)
            .json(&json!({ "current_password": current, "password": new }))
    };
    host.send(change("not the password", "a brand new password"))
        .await
        .expect_error(403, "auth.wrong_password");
    let weak = host.send(change(&guardian.password, "short")).await;
    weak.expect_error(422, "validation.failed");
    assert_eq!(
        weak.json()["details"]["fields"][0]["code"],
        "auth.password_unacceptable"
    );
    host.send(Call::get("/v1/me/context").bearer(&guardian.token))
        .await
        .expect(200);

    host.send(change(&guardian.password, "a brand new password"))
        .await
        .expect(204);
    host.send(Call::get("/v1/me/context").bearer(&this))
        .await
        .expect(200);
    host.send(Call::get("/v1/me/context").bearer(&guardian.token))
        .await
        .expect_error(401, "auth.invalid_token");
    sign_in(host, &world.a, Role::Guardian, &guardian.password)
        .await
        .expect_error(401, "auth.invalid_credentials");
    new_session(host, &world.a, Role::Guardian, "a brand new password").await;
    // Another centre's member is not touched by it.
    host.send(Call::get("/v1/me/context").bearer(&world.b.guardian))
        .await
        .expect(200);
}

async fn a_change_needs_a_session_and_in_cookie_mode_the_csrf_token(
    host: &impl Host,
    world: &World,
) {
    let teacher = world.a.member(Role::Teacher);
    let body = json!({ "current_password": teacher.password, "password": "a brand new password" });
    host.send(Call::post("/v1/auth/password/change").json(&body))
        .await
        .expect_error(401, "auth.required");

    let login = json!({ "tenant_code": world.a.tenant.code().as_str(), "email": teacher.email, "password": teacher.password, "mode": "cookie" });
    let signed_in = host
        .send(
            Call::post("/v1/auth/login")
                .header("origin", TEST_ORIGIN)
                .json(&login),
        )
        .await;
    signed_in.expect(200);
    let csrf = signed_in.json()["csrf_token"].as_str().unwrap().to_owned();
    let jar: Vec<String> = signed_in
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect();
    let cookies = jar.join("; ");
    let change = || {
        Call::post("/v1/auth/password/change")
            .header("origin", TEST_ORIGIN)
            .header("cookie", &cookies)
            .json(&body)
    };
    host.send(change()).await.expect_error(403, "auth.csrf");
    host.send(change().header("x-csrf-token", &csrf))
        .await
        .expect(204);
    let context: Value = host
        .send(
            Call::get("/v1/me/context")
                .header("origin", TEST_ORIGIN)
                .header("cookie", &cookies),
        )
        .await
        .json();
    assert_eq!(context["user"]["id"], teacher.user_id.to_string());
}
