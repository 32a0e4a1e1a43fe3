//! Access tokens: the only way in. Every malformed, forged, expired or misdirected token gets
//! the same 401 in the uniform shape, on both hosts.

use cubby_tests::tokens::{TEST_KID, TEST_SECRET, director_claims, sign, sign_valid, unsigned};
use cubby_tests::{Call, Host, World};
use serde_json::json;

crate::on_both_hosts!(
    a_valid_token_opens_a_session,
    a_missing_or_malformed_authorization_is_401,
    tokens_that_are_forged_expired_or_misdirected_are_401,
    a_token_of_a_suspended_or_unknown_tenant_is_401,
);

async fn rooms_with(host: &impl Host, token: &str) -> cubby_tests::Reply {
    host.send(Call::get("/v1/rooms").bearer(token)).await
}

async fn a_valid_token_opens_a_session(host: &impl Host, world: &World) {
    rooms_with(host, &sign_valid(&director_claims(&world.a)))
        .await
        .expect(200);
}

async fn a_missing_or_malformed_authorization_is_401(host: &impl Host, _world: &World) {
    let reply = host.send(Call::get("/v1/rooms")).await;
    reply.expect_error(401, "auth.required");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    for header in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Token abc",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
    ] {
        host.send(Call::get("/v1/rooms").header("authorization", header))
            .await
            .expect_error(401, "auth.invalid_token");
    }
}

async fn tokens_that_are_forged_expired_or_misdirected_are_401(host: &impl Host, world: &World) {
    let claims = director_claims(&world.a);
    let now = claims["iat"].as_i64().unwrap();
    let with = |key: &str, value: serde_json::Value| {
        let mut changed = claims.clone();
        changed[key] = value;
        changed
    };
    let without = |key: &str| {
        let mut changed = claims.clone();
        changed.as_object_mut().unwrap().remove(key);
        changed
    };
    let mut refused = vec![
        ("expired", sign_valid(&with("exp", json!(now - 120)))),
        ("not yet valid", sign_valid(&with("nbf", json!(now + 3600)))),
        (
            "issued in the future",
            sign_valid(&with("iat", json!(now + 3600))),
        ),
        ("no exp", sign_valid(&without("exp"))),
        (
            "another audience",
            sign_valid(&with("aud", json!("someone-else"))),
        ),
        ("another issuer", sign_valid(&with("iss", json!("evil")))),
        (
            "another key",
            sign(
                &claims,
                Some(TEST_KID),
                b"another-secret-another-secret-another!",
            ),
        ),
        ("no kid", sign(&claims, None, TEST_SECRET)),
        ("unknown kid", sign(&claims, Some("other-key"), TEST_SECRET)),
        (
            "path-like kid",
            sign(&claims, Some("../../dev/null"), TEST_SECRET),
        ),
        ("malformed sub", sign_valid(&with("sub", json!("root")))),
        (
            "room id as tenant",
            sign_valid(&with("tenant_id", json!("room_01h455vb4pex5vsknk084sn02q"))),
        ),
        (
            "another tenant's code",
            sign_valid(&with("tenant_code", json!(world.b.tenant.code().as_str()))),
        ),
    ];
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = json!({ "alg": alg, "typ": "JWT", "kid": TEST_KID });
        refused.push(("unsigned", unsigned(&header, &claims)));
    }
    let valid = sign_valid(&claims);
    let mut parts: Vec<&str> = valid.split('.').collect();
    parts[2] = "";
    refused.push(("signature stripped", parts.join(".")));
    let header_with_jku = json!({ "alg": "HS256", "typ": "JWT", "kid": TEST_KID, "jku": "https://evil.example/jwks.json" });
    refused.push(("jku header", unsigned(&header_with_jku, &claims)));

    for (why, token) in refused {
        let reply = rooms_with(host, &token).await;
        assert_eq!(
            reply.status.as_u16(),
            401,
            "{why}: {}",
            String::from_utf8_lossy(&reply.bytes)
        );
        reply.expect_error(401, "auth.invalid_token");
    }
}

async fn a_token_of_a_suspended_or_unknown_tenant_is_401(host: &impl Host, world: &World) {
    let mut claims = director_claims(&world.a);
    claims["tenant_id"] =
        json!(cubby_domain::TenantId::from_uuid(uuid::Uuid::now_v7()).to_string());
    rooms_with(host, &sign_valid(&claims))
        .await
        .expect_error(401, "auth.invalid_token");
}
