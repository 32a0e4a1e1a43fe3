//! Exchanging a Supabase session for a Cubby session: against a JWK Set served on loopback and
//! against a project's HS256 secret; a token of another issuer or audience is refused.

use std::sync::Arc;

use cubby_adapters_jwks::{SupabaseConfig, SupabaseVerifier};
use cubby_app::TokenKeys;
use cubby_domain::{AuditAction, Email, Role};
use cubby_ports::AuditQuery;
use cubby_tests::http_stub::JsonStub;
use cubby_tests::world::test_config;
use cubby_tests::{Call, Host, World};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::SecretString;
use serde_json::{Value, json};

const ISSUER: &str = "https://cubbytest.supabase.co/auth/v1";
const RSA_PRIVATE: &str = include_str!("../fixtures/keys/rsa-2048.private.pem");
const HS_SECRET: &str = "supabase-project-secret-supabase-project-secret";

/// The JWK Set of the Supabase project: its RSA key, as `sb-1`.
fn project_jwks() -> String {
    let set = json!([{ "kid": "sb-1", "alg": "RS256", "private_key_pem": RSA_PRIVATE }]);
    TokenKeys::from_key_set(&set.to_string(), "sb-1")
        .unwrap()
        .jwks()
        .to_string()
}

/// A world accepting the Supabase project whose JWK Set a loopback server serves.
async fn jwks_world() -> World {
    let stub = JsonStub::serve(project_jwks());
    let verifier = SupabaseVerifier::new(SupabaseConfig {
        hs256_secret: None,
        jwks_url: Some(stub.url().to_owned()),
        issuer: ISSUER.to_owned(),
        audience: "authenticated".to_owned(),
    });
    std::mem::forget(stub);
    World::with_config(cubby_app::AppConfig {
        supabase: Some(Arc::new(verifier)),
        ..test_config()
    })
    .await
}

/// A world accepting the Supabase project with an HS256 secret.
async fn secret_world() -> World {
    let verifier = SupabaseVerifier::new(SupabaseConfig {
        hs256_secret: Some(SecretString::from(HS_SECRET.to_owned())),
        jwks_url: None,
        issuer: ISSUER.to_owned(),
        audience: "authenticated".to_owned(),
    });
    World::with_config(cubby_app::AppConfig {
        supabase: Some(Arc::new(verifier)),
        ..test_config()
    })
    .await
}

fn supabase_claims(subject: &str, email: &str) -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    json!({
        "sub": subject, "aud": "authenticated", "iss": ISSUER, "iat": now, "exp": now + 3600,
        "role": "authenticated", "email": email, "is_anonymous": false,
        "app_metadata": { "provider": "email", "email_verified": true },
        "user_metadata": {},
    })
}

fn rs256(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("sb-1".to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn hs256(claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(HS_SECRET.as_bytes()),
    )
    .unwrap()
}

async fn exchange(host: &impl Host, token: &str, tenant: Option<&str>) -> cubby_tests::Reply {
    let mut body = json!({ "supabase_access_token": token });
    if let Some(code) = tenant {
        body["tenant_code"] = json!(code);
    }
    host.send(Call::post("/v1/auth/exchange").json(&body)).await
}

crate::on_both_hosts_of!(jwks_world;
    a_supabase_session_is_exchanged_and_the_user_linked,
    tokens_of_another_issuer_or_audience_or_unknown_users_are_refused,
    a_user_of_several_centres_must_name_one,
);

mod with_a_secret {
    use super::*;

    crate::on_both_hosts_of!(secret_world; a_token_signed_with_the_project_secret_is_exchanged);

    async fn a_token_signed_with_the_project_secret_is_exchanged(host: &impl Host, world: &World) {
        let director = world.a.member(Role::Director);
        let reply = exchange(
            host,
            &hs256(&supabase_claims(
                "9a7b3f00-0000-4000-8000-000000000001",
                &director.email,
            )),
            None,
        )
        .await;
        reply.expect(200);
        assert_eq!(
            reply.json()["tenant"]["code"],
            world.a.tenant.code().as_str()
        );
        // An RS256 token is not what this project signs with.
        exchange(
            host,
            &rs256(&supabase_claims(
                "9a7b3f00-0000-4000-8000-000000000001",
                &director.email,
            )),
            None,
        )
        .await
        .expect_error(401, "auth.invalid_token");
    }
}

async fn a_supabase_session_is_exchanged_and_the_user_linked(host: &impl Host, world: &World) {
    let guardian = world.b.member(Role::Guardian);
    let subject = "0d5f1c8e-0000-4000-8000-000000000002";
    let reply = exchange(
        host,
        &rs256(&supabase_claims(subject, &guardian.email)),
        None,
    )
    .await;
    reply.expect(200);
    let session = reply.json();
    assert_eq!(session["tenant"]["code"], world.b.tenant.code().as_str());
    let context = host
        .send(Call::get("/v1/me/context").bearer(session["access_token"].as_str().unwrap()))
        .await;
    assert_eq!(context.json()["user"]["id"], guardian.user_id.to_string());

    // Linked: the Supabase id alone now finds the user, whatever the address says.
    let mut later = supabase_claims(subject, "changed@elsewhere.example");
    later["app_metadata"] = json!({ "provider": "email" });
    exchange(host, &rs256(&later), Some(world.b.tenant.code().as_str()))
        .await
        .expect(200);

    let scope = cubby_ports::contract::scope_in(world.b.tenant.id());
    let query = AuditQuery {
        action: Some(AuditAction::Exchange),
        ..AuditQuery::default()
    };
    assert_eq!(
        world
            .app()
            .ports()
            .audit
            .list_events(&scope, &query)
            .await
            .unwrap()
            .total,
        2
    );
}

async fn tokens_of_another_issuer_or_audience_or_unknown_users_are_refused(
    host: &impl Host,
    world: &World,
) {
    let email = world.a.member(Role::Teacher).email.clone();
    let subject = "3c2e0f00-0000-4000-8000-000000000003";
    let mut other_issuer = supabase_claims(subject, &email);
    other_issuer["iss"] = json!("https://other-project.supabase.co/auth/v1");
    let mut other_audience = supabase_claims(subject, &email);
    other_audience["aud"] = json!("anon");
    let mut self_verified = supabase_claims(subject, &email);
    self_verified["app_metadata"] = json!({ "provider": "email" });
    self_verified["user_metadata"] = json!({ "email_verified": true });
    let unknown = supabase_claims(subject, "stranger@nowhere.example");
    let mut expired = supabase_claims(subject, &email);
    expired["exp"] = json!(time::OffsetDateTime::now_utc().unix_timestamp() - 600);
    for claims in [
        other_issuer,
        other_audience,
        self_verified,
        unknown,
        expired,
    ] {
        exchange(host, &rs256(&claims), None)
            .await
            .expect_error(401, "auth.invalid_token");
    }
    exchange(host, "not-a-token", None)
        .await
        .expect_error(401, "auth.invalid_token");
    // A centre the user is not a member of.
    exchange(
        host,
        &rs256(&supabase_claims(subject, &email)),
        Some(world.b.tenant.code().as_str()),
    )
    .await
    .expect_error(401, "auth.invalid_token");
}

async fn a_user_of_several_centres_must_name_one(host: &impl Host, world: &World) {
    let owner = world.a.member(Role::Owner);
    let scope = cubby_ports::contract::scope_in(world.b.tenant.id());
    let new = cubby_app::members::NewMember {
        email: Email::parse(&owner.email).unwrap(),
        password: None,
        email_verified: true,
        roles: vec![Role::Teacher.into()],
        entitlements: cubby_domain::EntitlementSet::all(),
    };
    world.app().members.enroll(&scope, new).await.unwrap();
    let token = rs256(&supabase_claims(
        "77aa0000-0000-4000-8000-000000000004",
        &owner.email,
    ));
    let refused = exchange(host, &token, None).await;
    refused.expect_error(400, "auth.tenant_required");
    // The token was verified: the user's own centres are listed to choose from.
    let body = refused.json();
    let codes: Vec<&str> = body["details"]["centres"]
        .as_array()
        .unwrap()
        .iter()
        .map(|centre| centre["code"].as_str().unwrap())
        .collect();
    let mut both = vec![
        world.a.tenant.code().as_str(),
        world.b.tenant.code().as_str(),
    ];
    both.sort_unstable();
    assert_eq!(codes, both);
    let reply = exchange(host, &token, Some(world.b.tenant.code().as_str())).await;
    reply.expect(200);
    assert_eq!(
        reply.json()["tenant"]["code"],
        world.b.tenant.code().as_str()
    );
}
