//! One credential per request, and cookie sessions that survive a page reload, on both hosts.
//!
//! A request is judged on one credential only: two `Authorization` headers (whatever their
//! order), or a bearer token with cookies of another session, are 401, so a gateway that checked
//! one copy cannot be bypassed with another. The actix host receives repeated headers as they
//! were sent; API Gateway joins them with commas, as the Lambda host's events here do, and the
//! joined value reaches the api intact. `GET /v1/auth/csrf` gives a reloaded page its CSRF token
//! again from the cookies alone.

use cubby_domain::Role;
use cubby_tests::tokens::{TEST_KID, director_claims, sign};
use cubby_tests::world::TEST_ORIGIN;
use cubby_tests::{Call, Centre, Host, Reply, World};
use serde_json::{Value, json};

use crate::identity::{cookie_header, login_body, set_cookies};

crate::on_both_hosts!(
    two_authorization_headers_are_refused_even_when_the_first_is_valid,
    public_routes_refuse_two_authorization_headers_too,
    a_bearer_with_cookies_of_another_session_is_refused,
    a_bearer_with_cookies_of_the_same_session_is_served,
    a_reloaded_page_recovers_its_csrf_token_from_the_cookies,
    the_refresh_cookie_alone_recovers_the_csrf_token,
    csrf_needs_cookies_of_a_live_session_and_never_takes_a_rotated_refresh_cookie,
    csrf_is_not_readable_from_an_origin_that_is_not_allowed,
    csrf_answers_every_role_for_its_own_session_only,
);

/// A cookie jar as a browser keeps it: name to value.
type Jar = Vec<(String, String, String)>;

fn room(name: &str) -> Value {
    json!({ "name": name, "age_range": { "min_months": 1, "max_months": 2 }, "capacity": 3, "ratio": "1:3" })
}

/// A token signed with a key Cubby does not have.
fn forged(centre: &Centre) -> String {
    sign(
        &director_claims(centre),
        Some(TEST_KID),
        b"not-the-cubby-secret-not-the-cubby-secret",
    )
}

/// Signs in `role` of `centre` in cookie mode from the allowed origin: the cookies and the
/// CSRF token.
async fn cookie_login(host: &impl Host, centre: &Centre, role: Role) -> (Jar, String) {
    let mut body = login_body(centre, role);
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
    (set_cookies(&reply), csrf)
}

/// The value of cookie `name` in `jar`.
fn cookie<'a>(jar: &'a Jar, name: &str) -> &'a str {
    &jar.iter().find(|(n, _, _)| n == name).unwrap().1
}

/// `jar` with only the cookies named.
fn only(jar: &Jar, names: &[&str]) -> Jar {
    jar.iter()
        .filter(|(name, _, _)| names.contains(&name.as_str()))
        .cloned()
        .collect()
}

/// `jar` after a reply's `Set-Cookie` headers, as a browser keeps it.
fn update(jar: &Jar, reply: &Reply) -> Jar {
    let set = set_cookies(reply);
    let mut kept: Jar = jar
        .iter()
        .filter(|(name, _, _)| set.iter().all(|(n, _, _)| n != name))
        .cloned()
        .collect();
    kept.extend(set.into_iter().filter(|(_, value, _)| !value.is_empty()));
    kept
}

async fn csrf(host: &impl Host, jar: &Jar) -> Reply {
    host.send(
        Call::get("/v1/auth/csrf")
            .header("origin", TEST_ORIGIN)
            .header("cookie", &cookie_header(jar)),
    )
    .await
}

/// Asserts a 401 `auth.invalid_token` with `WWW-Authenticate: Bearer`.
#[track_caller]
fn refused(reply: &Reply) {
    reply.expect_error(401, "auth.invalid_token");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
}

async fn rooms_named(host: &impl Host, world: &World, name: &str) -> usize {
    let listed = host
        .send(Call::get("/v1/rooms").bearer(&world.a.director))
        .await;
    listed.expect(200);
    listed.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|room| room["name"] == name)
        .count()
}

async fn two_authorization_headers_are_refused_even_when_the_first_is_valid(
    host: &impl Host,
    world: &World,
) {
    let valid = world.a.director.as_str();
    let forged = forged(&world.a);
    // A write with the valid token first and a forged one second: nothing is written.
    refused(
        &host
            .send(
                Call::post("/v1/rooms")
                    .bearer(valid)
                    .bearer(&forged)
                    .json(&room("Twice")),
            )
            .await,
    );
    assert_eq!(rooms_named(host, world, "Twice").await, 0);
    // Forged first, two valid copies, two valid tokens of different centres: all refused.
    for (first, second) in [
        (forged.as_str(), valid),
        (valid, valid),
        (valid, world.b.director.as_str()),
    ] {
        refused(
            &host
                .send(Call::get("/v1/rooms").bearer(first).bearer(second))
                .await,
        );
    }
    // What API Gateway makes of two headers: one value, joined with a comma.
    refused(
        &host
            .send(
                Call::get("/v1/rooms")
                    .header("authorization", &format!("Bearer {valid},Bearer {forged}")),
            )
            .await,
    );
    // One header still opens the session.
    host.send(Call::get("/v1/rooms").bearer(valid))
        .await
        .expect(200);
}

async fn public_routes_refuse_two_authorization_headers_too(host: &impl Host, world: &World) {
    let body = login_body(&world.a, Role::Director);
    let valid = &world.a.director;
    refused(
        &host
            .send(
                Call::post("/v1/auth/login")
                    .bearer(valid)
                    .bearer(valid)
                    .json(&body),
            )
            .await,
    );
    refused(
        &host
            .send(
                Call::get("/.well-known/jwks.json")
                    .bearer(valid)
                    .bearer("x"),
            )
            .await,
    );
    refused(
        &host
            .send(Call::get("/v1/auth/csrf").bearer(valid).bearer(valid))
            .await,
    );
    // A public route reads no credential: one header, even a stray one, changes nothing.
    host.send(Call::post("/v1/auth/login").bearer("stray").json(&body))
        .await
        .expect(200);
}

async fn a_bearer_with_cookies_of_another_session_is_refused(host: &impl Host, world: &World) {
    let (jar, csrf) = cookie_login(host, &world.a, Role::Director).await;
    // The world's director token is a session of its own, not the cookies'.
    let bearer = &world.a.director;
    let cases = [
        (
            "the access cookie of another session",
            only(&jar, &["__Host-cubby_access"]),
        ),
        (
            "the refresh cookie of another session",
            only(&jar, &["__Host-cubby_refresh"]),
        ),
        ("every cookie of another session", jar.clone()),
    ];
    for (case, cookies) in cases {
        let reply = host
            .send(
                Call::get("/v1/rooms")
                    .bearer(bearer)
                    .header("cookie", &cookie_header(&cookies)),
            )
            .await;
        assert_eq!(reply.status, 401, "{case}");
        refused(&reply);
    }
    // A cookie-authenticated write with the right CSRF token, plus a bearer of another centre.
    refused(
        &host
            .send(
                Call::post("/v1/rooms")
                    .bearer(&world.b.director)
                    .header("cookie", &cookie_header(&jar))
                    .header("x-csrf-token", &csrf)
                    .header("origin", TEST_ORIGIN)
                    .json(&room("Mixed")),
            )
            .await,
    );
    assert_eq!(rooms_named(host, world, "Mixed").await, 0);
    // A bearer with a cookie that is not valid, or a valid bearer with a cookie that is.
    for (bearer, cookies) in [
        (
            bearer.as_str(),
            "__Host-cubby_access=not-a-token".to_owned(),
        ),
        (
            bearer.as_str(),
            "__Host-cubby_refresh=not-a-token".to_owned(),
        ),
        ("not-a-token", cookie_header(&jar)),
    ] {
        refused(
            &host
                .send(
                    Call::get("/v1/rooms")
                        .bearer(bearer)
                        .header("cookie", &cookies),
                )
                .await,
        );
    }
    // Two access cookies of different sessions, without a bearer.
    let twice = format!(
        "{}; __Host-cubby_access={bearer}",
        cookie_header(&only(&jar, &["__Host-cubby_access"]))
    );
    refused(
        &host
            .send(Call::get("/v1/rooms").header("cookie", &twice))
            .await,
    );
}

async fn a_bearer_with_cookies_of_the_same_session_is_served(host: &impl Host, world: &World) {
    let (jar, csrf) = cookie_login(host, &world.a, Role::Director).await;
    let access = cookie(&jar, "__Host-cubby_access").to_owned();
    host.send(
        Call::get("/v1/rooms")
            .bearer(&access)
            .header("cookie", &cookie_header(&jar)),
    )
    .await
    .expect(200);
    // A bearer request needs no CSRF token, cookies or not.
    host.send(
        Call::post("/v1/rooms")
            .bearer(&access)
            .header("cookie", &cookie_header(&jar))
            .json(&room("Same session")),
    )
    .await
    .expect(201);
    // Another access token of the same session (the one before a refresh) is the same session.
    let refreshed = host
        .send(
            Call::post("/v1/auth/refresh")
                .header("cookie", &cookie_header(&jar))
                .header("x-csrf-token", &csrf),
        )
        .await;
    refreshed.expect(200);
    let renewed = update(&jar, &refreshed);
    assert_ne!(cookie(&renewed, "__Host-cubby_access"), access);
    host.send(
        Call::get("/v1/me/context")
            .bearer(&access)
            .header("cookie", &cookie_header(&renewed)),
    )
    .await
    .expect(200);
    // A bearer client's own refresh token in the refresh cookie is its session too.
    let director = world.a.member(Role::Director);
    host.send(Call::get("/v1/rooms").bearer(&director.token).header(
        "cookie",
        &format!("__Host-cubby_refresh={}", director.refresh_token),
    ))
    .await
    .expect(200);
}

async fn a_reloaded_page_recovers_its_csrf_token_from_the_cookies(host: &impl Host, world: &World) {
    let (jar, old_csrf) = cookie_login(host, &world.a, Role::Director).await;
    // The reload: the page kept nothing but the cookies the browser holds.
    let reply = csrf(host, &jar).await;
    reply.expect(200);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(TEST_ORIGIN)
    );
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );
    let body = reply.json();
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["csrf_token"]
    );
    let token = body["csrf_token"].as_str().unwrap().to_owned();
    assert_ne!(token, old_csrf, "every token has its own nonce");
    let set = set_cookies(&reply);
    assert_eq!(set.len(), 1, "only the CSRF cookie is set again: {set:?}");
    let (name, value, attributes) = &set[0];
    assert_eq!(name, "__Host-cubby_csrf");
    assert_eq!(value, &token);
    assert!(
        attributes.starts_with("Path=/; Secure; SameSite=Strict; Max-Age=")
            && !attributes.contains("HttpOnly"),
        "{attributes}"
    );
    let max_age: i64 = attributes.rsplit('=').next().unwrap().parse().unwrap();
    assert!(
        max_age > 29 * 86_400,
        "the cookie lives as long as the session"
    );

    let jar = update(&jar, &reply);
    host.send(
        Call::post("/v1/rooms")
            .header("cookie", &cookie_header(&jar))
            .header("x-csrf-token", &token)
            .header("origin", TEST_ORIGIN)
            .json(&room("After reload")),
    )
    .await
    .expect(201);
    let refreshed = host
        .send(
            Call::post("/v1/auth/refresh")
                .header("cookie", &cookie_header(&jar))
                .header("x-csrf-token", &token)
                .header("origin", TEST_ORIGIN),
        )
        .await;
    refreshed.expect(200);
    assert_eq!(refreshed.json()["token_type"], "cookie");
}

async fn the_refresh_cookie_alone_recovers_the_csrf_token(host: &impl Host, world: &World) {
    let (jar, _) = cookie_login(host, &world.a, Role::Teacher).await;
    // The access cookie has expired (the browser dropped it), the page lost its token.
    let jar = only(&jar, &["__Host-cubby_refresh"]);
    let reply = csrf(host, &jar).await;
    reply.expect(200);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let token = reply.json()["csrf_token"].as_str().unwrap().to_owned();
    let jar = update(&jar, &reply);
    // Reading the token does not rotate the refresh token: refreshing with it works.
    let refreshed = host
        .send(
            Call::post("/v1/auth/refresh")
                .header("cookie", &cookie_header(&jar))
                .header("x-csrf-token", &token)
                .header("origin", TEST_ORIGIN),
        )
        .await;
    refreshed.expect(200);
    let jar = update(&jar, &refreshed);
    let token = refreshed.json()["csrf_token"].as_str().unwrap().to_owned();
    host.send(Call::get("/v1/rooms").header("cookie", &cookie_header(&jar)))
        .await
        .expect(200);
    // An access cookie that no longer opens a session leaves the refresh cookie to speak.
    let mut stale = only(&jar, &["__Host-cubby_refresh", "__Host-cubby_csrf"]);
    stale.push((
        "__Host-cubby_access".to_owned(),
        forged(&world.a),
        String::new(),
    ));
    csrf(host, &stale).await.expect(200);
    // The refreshed session signs out with the token its refresh answered.
    host.send(
        Call::post("/v1/auth/logout")
            .header("cookie", &cookie_header(&jar))
            .header("x-csrf-token", &token),
    )
    .await
    .expect(204);
}

async fn csrf_needs_cookies_of_a_live_session_and_never_takes_a_rotated_refresh_cookie(
    host: &impl Host,
    world: &World,
) {
    let reply = host.send(Call::get("/v1/auth/csrf")).await;
    reply.expect_error(401, "auth.required");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    assert!(set_cookies(&reply).is_empty());
    for cookies in [
        "__Host-cubby_access=not-a-token",
        "__Host-cubby_refresh=not-a-token",
        "__Host-cubby_refresh=ses_01jd0000000000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        refused(
            &host
                .send(Call::get("/v1/auth/csrf").header("cookie", cookies))
                .await,
        );
    }

    // Cookies of two sessions.
    let (first, _) = cookie_login(host, &world.a, Role::Director).await;
    let (second, _) = cookie_login(host, &world.a, Role::Director).await;
    let mut mixed = only(&first, &["__Host-cubby_access"]);
    mixed.extend(only(&second, &["__Host-cubby_refresh"]));
    refused(&csrf(host, &mixed).await);

    // A refresh cookie rotated away moments ago gets no token, and ends nothing.
    let (jar, _) = cookie_login(host, &world.a, Role::Director).await;
    let refresh = |jar: Jar| {
        // Each refresh sets a new CSRF cookie; the page echoes the one it holds.
        let token = cookie(&jar, "__Host-cubby_csrf").to_owned();
        async move {
            let reply = host
                .send(
                    Call::post("/v1/auth/refresh")
                        .header("cookie", &cookie_header(&jar))
                        .header("x-csrf-token", &token),
                )
                .await;
            reply.expect(200);
            update(&jar, &reply)
        }
    };
    let rotated = refresh(jar.clone()).await;
    let old_refresh = only(&jar, &["__Host-cubby_refresh"]);
    refused(&csrf(host, &old_refresh).await);
    csrf(host, &only(&rotated, &["__Host-cubby_refresh"]))
        .await
        .expect(200);
    // Rotated away twice: reuse. No token, and the whole session ends.
    let newest = refresh(rotated).await;
    refused(&csrf(host, &old_refresh).await);
    refused(&csrf(host, &only(&newest, &["__Host-cubby_refresh"])).await);

    // After logout neither cookie opens anything.
    let (jar, token) = cookie_login(host, &world.a, Role::Director).await;
    host.send(
        Call::post("/v1/auth/logout")
            .header("cookie", &cookie_header(&jar))
            .header("x-csrf-token", &token),
    )
    .await
    .expect(204);
    refused(&csrf(host, &jar).await);
    refused(&csrf(host, &only(&jar, &["__Host-cubby_refresh"])).await);
}

async fn csrf_is_not_readable_from_an_origin_that_is_not_allowed(host: &impl Host, world: &World) {
    let (jar, _) = cookie_login(host, &world.a, Role::Director).await;
    let reply = host
        .send(
            Call::get("/v1/auth/csrf")
                .header("origin", "https://evil.example")
                .header("cookie", &cookie_header(&jar)),
        )
        .await;
    reply.expect_error(403, "auth.origin_not_allowed");
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_eq!(reply.header("access-control-allow-credentials"), None);
    assert!(
        set_cookies(&reply).is_empty(),
        "another origin cannot replace the page's CSRF cookie"
    );
    let preflight = host
        .send(
            Call::new(http::Method::OPTIONS, "/v1/auth/csrf")
                .header("origin", "https://evil.example")
                .header("access-control-request-method", "GET"),
        )
        .await;
    preflight.expect_error(403, "cors.origin_not_allowed");
    assert_eq!(preflight.header("access-control-allow-origin"), None);
    // The allowed origin reads it.
    let reply = csrf(host, &jar).await;
    reply.expect(200);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(TEST_ORIGIN)
    );
}

/// The route has no permission and no tenant input: it answers the session the caller's own
/// cookies name, for every role, and the token works for that session only.
async fn csrf_answers_every_role_for_its_own_session_only(host: &impl Host, world: &World) {
    let (other, _) = cookie_login(host, &world.b, Role::Owner).await;
    for role in Role::ALL {
        let (jar, _) = cookie_login(host, &world.a, role).await;
        let reply = csrf(host, &only(&jar, &["__Host-cubby_refresh"])).await;
        reply.expect(200);
        let token = reply.json()["csrf_token"].as_str().unwrap().to_owned();
        let jar = update(&jar, &reply);
        // Planted with the cookies of a session in another centre: refused there.
        let mut planted = only(&other, &["__Host-cubby_access", "__Host-cubby_refresh"]);
        planted.push(("__Host-cubby_csrf".to_owned(), token.clone(), String::new()));
        host.send(
            Call::post("/v1/auth/refresh")
                .header("cookie", &cookie_header(&planted))
                .header("x-csrf-token", &token),
        )
        .await
        .expect_error(403, "auth.csrf");
        // Its own session takes it.
        let refreshed = host
            .send(
                Call::post("/v1/auth/refresh")
                    .header("cookie", &cookie_header(&jar))
                    .header("x-csrf-token", &token),
            )
            .await;
        refreshed.expect(200);
        assert_eq!(
            refreshed.json()["tenant"]["id"],
            world.a.tenant.id().to_string()
        );
    }
}
