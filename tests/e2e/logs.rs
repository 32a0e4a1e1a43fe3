//! What reaches the logs: a full sign-in scenario is run with every log line captured at debug
//! level, and no password, token, CSRF token or e-mail address appears in any of them.

use cubby_domain::Role;
use cubby_tests::logs::Logs;
use cubby_tests::world::TEST_ORIGIN;
use cubby_tests::{ActixHost, Call, Host, World};
use serde_json::json;

use crate::checked::Checked;

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

    let body = json!({ "tenant_code": world.a.tenant.code.as_str(), "email": director.email, "password": director.password });
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
