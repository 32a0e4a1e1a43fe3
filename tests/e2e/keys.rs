//! Access tokens signed with an asymmetric key set, as staging and production run: the JWK Set
//! is published, keys rotate (an old key verifies while a new one signs), and a token "signed"
//! with HS256 using a public key as the secret is refused.

use cubby_app::TokenKeys;
use cubby_domain::Role;
use cubby_tests::tokens::{director_claims, unsigned};
use cubby_tests::world::test_config;
use cubby_tests::{Call, Host, World};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const ED_A_PRIVATE: &str = include_str!("../fixtures/keys/ed25519-a.private.pem");
const ED_A_PUBLIC: &str = include_str!("../fixtures/keys/ed25519-a.public.pem");
const ED_B_PRIVATE: &str = include_str!("../fixtures/keys/ed25519-b.private.pem");
const ED_B_PUBLIC: &str = include_str!("../fixtures/keys/ed25519-b.public.pem");
const RSA_PUBLIC: &str = include_str!("../fixtures/keys/rsa-2048.public.pem");

/// A world signing with Ed25519 key `ed-a`, still verifying the retired key `ed-b` and an RSA key.
async fn rotated_world() -> World {
    let set = json!([
        { "kid": "ed-a", "alg": "EdDSA", "private_key_pem": ED_A_PRIVATE },
        { "kid": "ed-b", "alg": "EdDSA", "public_key_pem": ED_B_PUBLIC },
        { "kid": "rsa-1", "alg": "RS256", "public_key_pem": RSA_PUBLIC },
    ]);
    let keys = TokenKeys::from_key_set(&set.to_string(), "ed-a").unwrap();
    World::with_config(cubby_app::AppConfig {
        keys,
        ..test_config()
    })
    .await
}

crate::on_both_hosts_of!(rotated_world;
    the_public_keys_are_published_without_private_parts,
    sessions_are_signed_by_the_new_key_and_the_retired_key_still_verifies,
    an_hs256_token_keyed_with_a_public_key_is_refused,
);

fn header_of(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').next().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

async fn the_public_keys_are_published_without_private_parts(host: &impl Host, _world: &World) {
    let reply = host.send(Call::get("/.well-known/jwks.json")).await;
    reply.expect(200);
    assert_eq!(reply.header("cache-control"), Some("public, max-age=300"));
    let keys = reply.json()["keys"].as_array().unwrap().clone();
    let kids: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, ["ed-a", "ed-b", "rsa-1"]);
    for key in &keys {
        assert_eq!(key["use"], "sig");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "{key}");
        }
    }
    assert_eq!(keys[0]["kty"], "OKP");
    assert_eq!(keys[0]["crv"], "Ed25519");
    assert_eq!(keys[2]["kty"], "RSA");
}

async fn sessions_are_signed_by_the_new_key_and_the_retired_key_still_verifies(
    host: &impl Host,
    world: &World,
) {
    let header = header_of(&world.a.director);
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("EdDSA"), Some("ed-a"))
    );
    host.send(Call::get("/v1/rooms").bearer(&world.a.director))
        .await
        .expect(200);
    let login = host
        .send(Call::post("/v1/auth/login").json(&json!({
            "tenant_code": world.a.tenant.code().as_str(),
            "email": world.a.member(Role::Teacher).email,
            "password": world.a.member(Role::Teacher).password,
        })))
        .await;
    login.expect(200);
    assert_eq!(
        header_of(login.json()["access_token"].as_str().unwrap())["kid"],
        "ed-a"
    );

    // A token the retired key signed before the rotation still opens its session.
    let mut old = Header::new(Algorithm::EdDSA);
    old.kid = Some("ed-b".to_owned());
    let retired = jsonwebtoken::encode(
        &old,
        &director_claims(&world.a),
        &EncodingKey::from_ed_pem(ED_B_PRIVATE.as_bytes()).unwrap(),
    )
    .unwrap();
    host.send(Call::get("/v1/rooms").bearer(&retired))
        .await
        .expect(200);
    // The same claims signed by a key that is not in the set: refused.
    let mut stranger = Header::new(Algorithm::EdDSA);
    stranger.kid = Some("ed-a".to_owned());
    let forged = jsonwebtoken::encode(
        &stranger,
        &director_claims(&world.a),
        &EncodingKey::from_ed_pem(ED_B_PRIVATE.as_bytes()).unwrap(),
    )
    .unwrap();
    host.send(Call::get("/v1/rooms").bearer(&forged))
        .await
        .expect_error(401, "auth.invalid_token");
}

async fn an_hs256_token_keyed_with_a_public_key_is_refused(host: &impl Host, world: &World) {
    let claims = director_claims(&world.a);
    for (kid, public) in [("ed-a", ED_A_PUBLIC), ("rsa-1", RSA_PUBLIC)] {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.to_owned());
        let confused = jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_secret(public.as_bytes()),
        )
        .unwrap();
        host.send(Call::get("/v1/rooms").bearer(&confused))
            .await
            .expect_error(401, "auth.invalid_token");
    }
    for (name, value) in [
        ("x5u", json!("https://evil.example/cert.pem")),
        ("x5c", json!(["MIIB"])),
        (
            "jwk",
            json!({ "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }),
        ),
        ("jku", json!("https://evil.example/jwks.json")),
    ] {
        let mut header = json!({ "alg": "EdDSA", "typ": "JWT", "kid": "ed-a" });
        header[name] = value;
        host.send(Call::get("/v1/rooms").bearer(&unsigned(&header, &claims)))
            .await
            .expect_error(401, "auth.invalid_token");
    }
}
