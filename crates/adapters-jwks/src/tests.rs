//! The verifier's unit tests, against a JWKS server on loopback, and the port's contract.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cubby_ports::contract::identity::{AUDIENCE, TokenClaims, TrustedIssuer};
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

use super::*;
use crate::jwks::{MAX_JWKS_BYTES, MIN_REFETCH_INTERVAL, http_client};

const RSA_PRIVATE: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.private.pem");
const RSA_PUBLIC: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.public.pem");
const ED_PRIVATE: &str = include_str!("../../../tests/fixtures/keys/ed25519-a.private.pem");
const ED_OTHER_PRIVATE: &str = include_str!("../../../tests/fixtures/keys/ed25519-b.private.pem");
const EC_PRIVATE: &str = include_str!("../../../tests/fixtures/keys/ec-p256.private.pem");

const SECRET: &str = "super-secret-jwt-token-with-at-least-32-characters-long";
const ISSUER: &str = "https://abcdefghijklmnop.supabase.co/auth/v1";
const SUBJECT: &str = "8f0c5e0e-2d7e-4f57-9a7b-2a1f3c4d5e6f";

// --- tokens ---------------------------------------------------------------------------

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The claims of a Supabase access token for a confirmed e-mail user.
fn claims() -> Value {
    json!({
        "sub": SUBJECT,
        "aud": "authenticated",
        "iss": ISSUER,
        "iat": now(),
        "exp": now() + 3600,
        "role": "authenticated",
        "aal": "aal1",
        "email": "Ada@Example.COM",
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"], "email_verified": true},
        "user_metadata": {"email": "ada@example.com", "email_verified": true},
        "is_anonymous": false,
        "session_id": "5b1c7a4e-0000-4000-8000-000000000000",
    })
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

fn rsa() -> EncodingKey {
    EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap()
}

fn ed() -> EncodingKey {
    EncodingKey::from_ed_pem(ED_PRIVATE.as_bytes()).unwrap()
}

fn ec() -> EncodingKey {
    EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).unwrap()
}

fn hs() -> EncodingKey {
    EncodingKey::from_secret(SECRET.as_bytes())
}

fn signed(header: &Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).unwrap()
}

fn token(algorithm: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    signed(&header, claims, key)
}

/// The public JWK of `key`, as Supabase publishes it.
fn jwk(kid: &str, algorithm: Algorithm, key: &EncodingKey) -> Value {
    let mut jwk = Jwk::from_encoding_key(key, algorithm).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    serde_json::to_value(jwk).unwrap()
}

fn jwks(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

fn all_keys() -> String {
    jwks(&[
        jwk("rsa-1", Algorithm::RS256, &rsa()),
        jwk("ed-1", Algorithm::EdDSA, &ed()),
        jwk("ec-1", Algorithm::ES256, &ec()),
    ])
}

// --- a JWKS server on loopback -----------------------------------------------------------

#[derive(Clone)]
struct Reply {
    status: u16,
    body: String,
    location: Option<String>,
}

fn ok(body: String) -> Reply {
    Reply {
        status: 200,
        body,
        location: None,
    }
}

/// An HTTP/1.1 server answering every request with its current reply, counting requests.
struct Server {
    url: String,
    hits: Arc<AtomicUsize>,
    reply: Arc<std::sync::Mutex<Reply>>,
}

impl Server {
    fn start(reply: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/auth/v1/.well-known/jwks.json",
            listener.local_addr().unwrap()
        );
        let hits = Arc::new(AtomicUsize::new(0));
        let reply = Arc::new(std::sync::Mutex::new(reply));
        let (counter, current) = (hits.clone(), reply.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                stream
                    .set_read_timeout(Some(Duration::from_secs(2)))
                    .unwrap();
                let mut request = Vec::new();
                let mut buffer = [0_u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let reply = current.lock().unwrap().clone();
                let location = reply
                    .location
                    .map(|to| format!("Location: {to}\r\n"))
                    .unwrap_or_default();
                let response = format!(
                    "HTTP/1.1 {} Test\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\n{location}Connection: close\r\n\r\n{}",
                    reply.status,
                    reply.body.len(),
                    reply.body
                );
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Self { url, hits, reply }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    fn answer(&self, reply: Reply) {
        *self.reply.lock().unwrap() = reply;
    }
}

/// A loopback URL nothing listens on.
fn closed_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/jwks.json")
}

// --- verifiers ---------------------------------------------------------------------------

fn config(secret: bool, jwks_url: Option<&str>) -> SupabaseConfig {
    SupabaseConfig {
        hs256_secret: secret.then(|| SecretString::from(SECRET)),
        jwks_url: jwks_url.map(str::to_owned),
        issuer: ISSUER.to_owned(),
        audience: "authenticated".to_owned(),
    }
}

fn hs_verifier() -> SupabaseVerifier {
    SupabaseVerifier::build(config(true, None), false)
}

fn jwks_verifier(url: &str) -> SupabaseVerifier {
    SupabaseVerifier::build(config(false, Some(url)), false)
}

/// Moves the last JWKS request `by` into the past.
async fn backdate(verifier: &SupabaseVerifier, by: Duration) {
    let mut cache = verifier.jwks.as_ref().unwrap().cache.write().await;
    cache.attempted_at = cache.attempted_at.map(|at| at.checked_sub(by).unwrap());
    cache.fetched_at = cache.fetched_at.map(|at| at.checked_sub(by).unwrap());
}

/// Checks that `result` is a refusal, for `reason`; `why` names the case.
#[track_caller]
fn assert_invalid(result: Result<ExternalIdentity, IdentityError>, why: &str, reason: &str) {
    match result {
        Err(IdentityError::Invalid(refused)) => assert_eq!(refused, reason, "{why}"),
        other => panic!("{why}: expected Invalid({reason}), got {other:?}"),
    }
}

// --- the HS256 project secret ----------------------------------------------------------

#[tokio::test]
async fn a_token_signed_with_the_project_secret_is_accepted() {
    let verifier = hs_verifier();
    let identity = verifier
        .verify(&token(Algorithm::HS256, None, &hs(), &claims()))
        .await
        .unwrap();
    assert_eq!(identity.subject.as_str(), SUBJECT);
    assert_eq!(identity.email.unwrap().as_str(), "ada@example.com");
    assert!(identity.email_verified);

    // Newer HS256 tokens name a kid; it does not matter with the project secret.
    let with_kid = token(Algorithm::HS256, Some("abc"), &hs(), &claims());
    verifier.verify(&with_kid).await.unwrap();
    // Within the leeway.
    let just_expired = with(claims(), "exp", json!(now() - 10));
    verifier
        .verify(&token(Algorithm::HS256, None, &hs(), &just_expired))
        .await
        .unwrap();
    // An audience list containing ours.
    let audiences = with(claims(), "aud", json!(["other", "authenticated"]));
    verifier
        .verify(&token(Algorithm::HS256, None, &hs(), &audiences))
        .await
        .unwrap();
}

#[tokio::test]
async fn tokens_that_must_not_open_a_session_are_refused() {
    let verifier = hs_verifier();
    let wrong_secret = EncodingKey::from_secret(b"another-secret-another-secret-another");
    let hs256 = |claims: &Value| token(Algorithm::HS256, None, &hs(), claims);
    let payload = hs256(&claims()).split('.').nth(1).unwrap().to_owned();
    // {"alg":"none","typ":"JWT"}
    let alg_none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    // The signature of one token over the claims of another.
    let tampered = {
        let good = hs256(&claims());
        let other = hs256(&with(claims(), "sub", json!("someone-else")));
        let good: Vec<&str> = good.split('.').collect();
        let other: Vec<&str> = other.split('.').collect();
        format!("{}.{}.{}", good[0], other[1], good[2])
    };
    let cases = [
        (
            "wrong secret",
            token(Algorithm::HS256, None, &wrong_secret, &claims()),
            "signature",
        ),
        (
            "other issuer",
            hs256(&with(
                claims(),
                "iss",
                json!("https://evil.supabase.co/auth/v1"),
            )),
            "issuer",
        ),
        (
            "other audience",
            hs256(&with(claims(), "aud", json!("anon"))),
            "audience",
        ),
        (
            "no audience",
            hs256(&without(claims(), "aud")),
            "missing claim",
        ),
        (
            "expired",
            hs256(&with(claims(), "exp", json!(now() - 120))),
            "expired",
        ),
        ("no exp", hs256(&without(claims(), "exp")), "missing claim"),
        (
            "not yet valid",
            hs256(&with(claims(), "nbf", json!(now() + 300))),
            "not yet valid",
        ),
        ("alg none", alg_none, "header"),
        (
            "anonymous",
            hs256(&with(claims(), "is_anonymous", json!(true))),
            "anonymous",
        ),
        ("no sub", hs256(&without(claims(), "sub")), "missing claim"),
        ("empty sub", hs256(&with(claims(), "sub", json!(""))), "sub"),
        (
            "service role",
            hs256(&with(claims(), "role", json!("service_role"))),
            "role",
        ),
        (
            "anon role",
            hs256(&with(claims(), "role", json!("anon"))),
            "role",
        ),
        ("no role", hs256(&without(claims(), "role")), "role"),
        (
            "HS384",
            token(Algorithm::HS384, None, &hs(), &claims()),
            "algorithm",
        ),
        (
            "RS256 without a JWKS",
            token(Algorithm::RS256, Some("rsa-1"), &rsa(), &claims()),
            "asymmetric token without a JWKS",
        ),
        ("not a JWT", "not.a.jwt".to_owned(), "header"),
        ("tampered", tampered, "signature"),
    ];
    for (why, token, reason) in cases {
        assert_invalid(verifier.verify(&token).await, why, reason);
    }
}

#[tokio::test]
async fn the_email_is_verified_only_when_a_claim_says_so() {
    let verifier = hs_verifier();
    let identity = |claims: Value| {
        let token = token(Algorithm::HS256, None, &hs(), &claims);
        let verifier = &verifier;
        async move { verifier.verify(&token).await.unwrap() }
    };
    // No server-side claim: not verified, whatever user_metadata says.
    let base = with(claims(), "app_metadata", json!({"provider": "email"}));
    let unverified = identity(with(
        base.clone(),
        "user_metadata",
        json!({"email_verified": false}),
    ))
    .await;
    assert!(!unverified.email_verified);
    assert!(unverified.email.is_some());
    // user_metadata is writable by the user: its claim proves nothing.
    let self_declared = with(
        base.clone(),
        "user_metadata",
        json!({"email_verified": true}),
    );
    assert!(!identity(self_declared).await.email_verified);
    let string_true = with(
        base.clone(),
        "app_metadata",
        json!({"email_verified": "true"}),
    );
    assert!(!identity(string_true).await.email_verified);
    // What the server writes is trusted: the top-level claim or app_metadata.
    assert!(
        identity(with(base.clone(), "email_verified", json!(true)))
            .await
            .email_verified
    );
    assert!(
        identity(with(base, "app_metadata", json!({"email_verified": true})))
            .await
            .email_verified
    );

    // A phone user: no usable address, so nothing is verified.
    let phone = identity(with(claims(), "email", json!(""))).await;
    assert_eq!((phone.email, phone.email_verified), (None, false));
    let absent = identity(without(claims(), "email")).await;
    assert_eq!((absent.email, absent.email_verified), (None, false));
}

#[tokio::test]
async fn tokens_naming_or_carrying_a_key_are_refused_before_any_request() {
    let elsewhere = Server::start(ok(all_keys()));
    let server = Server::start(ok(all_keys()));
    let verifier = SupabaseVerifier::build(config(true, Some(&server.url)), false);

    let mut jku = Header::new(Algorithm::RS256);
    jku.kid = Some("rsa-1".to_owned());
    jku.jku = Some(elsewhere.url.clone());
    let mut x5u = Header::new(Algorithm::RS256);
    x5u.kid = Some("rsa-1".to_owned());
    x5u.x5u = Some(elsewhere.url.clone());
    let mut x5c = Header::new(Algorithm::HS256);
    x5c.x5c = Some(vec!["MIIB".to_owned()]);
    let mut inline = Header::new(Algorithm::RS256);
    inline.kid = Some("rsa-1".to_owned());
    inline.jwk = Some(serde_json::from_value(jwk("rsa-1", Algorithm::RS256, &rsa())).unwrap());
    let mut crit = Header::new(Algorithm::HS256);
    crit.crit = Some(vec!["exp".to_owned()]);
    for (why, header, key, reason) in [
        ("jku", jku, rsa(), "key reference in header"),
        ("x5u", x5u, rsa(), "key reference in header"),
        ("x5c", x5c, hs(), "key reference in header"),
        ("jwk", inline, rsa(), "key reference in header"),
        ("crit", crit, hs(), "critical header"),
    ] {
        assert_invalid(
            verifier.verify(&signed(&header, &claims(), &key)).await,
            why,
            reason,
        );
    }
    assert_eq!(elsewhere.hits(), 0, "a URL from a token was fetched");
    assert_eq!(server.hits(), 0);
}

// --- the JWK Set ---------------------------------------------------------------------------

#[tokio::test]
async fn rs256_eddsa_and_es256_tokens_verify_with_the_fetched_keys() {
    let server = Server::start(ok(all_keys()));
    let verifier = jwks_verifier(&server.url);
    for (kid, algorithm, key) in [
        ("rsa-1", Algorithm::RS256, rsa()),
        ("ed-1", Algorithm::EdDSA, ed()),
        ("ec-1", Algorithm::ES256, ec()),
    ] {
        let identity = verifier
            .verify(&token(algorithm, Some(kid), &key, &claims()))
            .await
            .unwrap();
        assert_eq!(identity.subject.as_str(), SUBJECT);
    }
    assert_eq!(server.hits(), 1, "the set is fetched once and cached");

    // The claims are checked as with the secret.
    let expired = with(claims(), "exp", json!(now() - 120));
    assert_invalid(
        verifier
            .verify(&token(Algorithm::EdDSA, Some("ed-1"), &ed(), &expired))
            .await,
        "expired",
        "expired",
    );
    // An HS256 token is never checked against the JWK Set.
    assert_invalid(
        verifier
            .verify(&token(Algorithm::HS256, None, &hs(), &claims()))
            .await,
        "HS256 without a secret",
        "HS256 without a project secret",
    );
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_key_is_used_only_with_its_own_algorithm() {
    let server = Server::start(ok(all_keys()));
    let verifier = jwks_verifier(&server.url);
    // RS256 under the Ed25519 key's kid.
    let confused = token(Algorithm::RS256, Some("ed-1"), &rsa(), &claims());
    assert_invalid(
        verifier.verify(&confused).await,
        "RS256 under an EdDSA kid",
        "algorithm of another key",
    );
    // Signed by another Ed25519 key under the published kid.
    let other = EncodingKey::from_ed_pem(ED_OTHER_PRIVATE.as_bytes()).unwrap();
    let forged = token(Algorithm::EdDSA, Some("ed-1"), &other, &claims());
    assert_invalid(verifier.verify(&forged).await, "another key", "signature");
    // HMAC keyed with the RSA public key (the classic confusion).
    let hmac = EncodingKey::from_secret(RSA_PUBLIC.as_bytes());
    let hmac = token(Algorithm::HS256, Some("rsa-1"), &hmac, &claims());
    assert_invalid(
        verifier.verify(&hmac).await,
        "HS256 keyed with the public key",
        "HS256 without a project secret",
    );
    // A token without a kid.
    let no_kid = token(Algorithm::RS256, None, &rsa(), &claims());
    assert_invalid(verifier.verify(&no_kid).await, "no kid", "kid");
}

#[tokio::test]
async fn unknown_kids_refetch_at_most_once_per_interval() {
    let server = Server::start(ok(jwks(&[jwk("rsa-1", Algorithm::RS256, &rsa())])));
    let verifier = jwks_verifier(&server.url);
    verifier
        .verify(&token(Algorithm::RS256, Some("rsa-1"), &rsa(), &claims()))
        .await
        .unwrap();
    assert_eq!(server.hits(), 1);

    // The provider rotates in a new key; the cache is older than the refetch interval.
    server.answer(ok(all_keys()));
    backdate(&verifier, MIN_REFETCH_INTERVAL + Duration::from_secs(1)).await;
    let rotated = token(Algorithm::EdDSA, Some("ed-1"), &ed(), &claims());
    verifier.verify(&rotated).await.unwrap();
    assert_eq!(server.hits(), 2, "an unknown kid refetches the set");

    // Made-up kids right after: no request.
    for kid in ["random-1", "random-2", "random-3"] {
        let made_up = token(Algorithm::EdDSA, Some(kid), &ed(), &claims());
        assert_invalid(verifier.verify(&made_up).await, kid, "unknown kid");
    }
    assert_eq!(server.hits(), 2, "no refetch within the interval");

    // Once the interval has passed, one more.
    backdate(&verifier, MIN_REFETCH_INTERVAL + Duration::from_secs(1)).await;
    let made_up = token(Algorithm::EdDSA, Some("random-4"), &ed(), &claims());
    assert_invalid(verifier.verify(&made_up).await, "random-4", "unknown kid");
    let made_up = token(Algorithm::EdDSA, Some("random-5"), &ed(), &claims());
    assert_invalid(verifier.verify(&made_up).await, "random-5", "unknown kid");
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn concurrent_misses_make_one_request() {
    let server = Server::start(ok(all_keys()));
    let verifier = jwks_verifier(&server.url);
    let tokens: Vec<String> = (0..8)
        .map(|i| {
            let kid = if i % 2 == 0 { "ed-1" } else { "unknown" };
            token(Algorithm::EdDSA, Some(kid), &ed(), &claims())
        })
        .collect();
    let results =
        futures::future::join_all(tokens.iter().map(|token| verifier.verify(token))).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 4);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn an_old_set_is_refreshed_and_kept_while_the_provider_is_down() {
    let server = Server::start(ok(all_keys()));
    let mut verifier = jwks_verifier(&server.url);
    let rs256 = token(Algorithm::RS256, Some("rsa-1"), &rsa(), &claims());
    verifier.verify(&rs256).await.unwrap();
    assert_eq!(server.hits(), 1);

    // Every set is now too old and may be refetched at once.
    let cached = verifier.jwks.as_mut().unwrap();
    cached.max_age = Duration::ZERO;
    cached.min_refetch_interval = Duration::ZERO;
    verifier.verify(&rs256).await.unwrap();
    assert_eq!(
        server.hits(),
        2,
        "an old set is refetched even for a known kid"
    );

    // The provider fails: the last keys fetched keep working.
    server.answer(Reply {
        status: 503,
        body: String::new(),
        location: None,
    });
    verifier.verify(&rs256).await.unwrap();
    assert_eq!(server.hits(), 3);
    // But a kid it never published cannot be checked.
    let unknown = token(Algorithm::RS256, Some("rsa-2"), &rsa(), &claims());
    assert!(matches!(
        verifier.verify(&unknown).await,
        Err(IdentityError::Unavailable(_))
    ));

    // The provider drops a key: it stops verifying.
    server.answer(ok(jwks(&[jwk("ed-1", Algorithm::EdDSA, &ed())])));
    assert_invalid(
        verifier.verify(&rs256).await,
        "key withdrawn",
        "unknown kid",
    );
}

#[tokio::test]
async fn without_a_reachable_jwks_and_nothing_cached_the_provider_is_unavailable() {
    let rs256 = token(Algorithm::RS256, Some("rsa-1"), &rsa(), &claims());

    let down = jwks_verifier(&closed_url());
    let error = down.verify(&rs256).await.unwrap_err();
    assert!(matches!(error, IdentityError::Unavailable(_)), "{error:?}");
    // Within the refetch interval the failure is remembered, not retried.
    assert!(matches!(
        down.verify(&rs256).await,
        Err(IdentityError::Unavailable(_))
    ));

    let failing = Server::start(Reply {
        status: 500,
        body: "oops".to_owned(),
        location: None,
    });
    let verifier = jwks_verifier(&failing.url);
    assert!(matches!(
        verifier.verify(&rs256).await,
        Err(IdentityError::Unavailable(_))
    ));
    assert_eq!(failing.hits(), 1);

    let garbage = Server::start(ok("<html>".to_owned()));
    assert!(matches!(
        jwks_verifier(&garbage.url).verify(&rs256).await,
        Err(IdentityError::Unavailable(_))
    ));

    let huge = Server::start(ok(format!(
        "{{\"keys\": [], \"pad\": \"{}\"}}",
        "x".repeat(MAX_JWKS_BYTES)
    )));
    assert!(matches!(
        jwks_verifier(&huge.url).verify(&rs256).await,
        Err(IdentityError::Unavailable(_))
    ));
}

#[tokio::test]
async fn redirects_to_another_origin_are_not_followed() {
    let elsewhere = Server::start(ok(all_keys()));
    let redirecting = Server::start(Reply {
        status: 302,
        body: String::new(),
        location: Some(elsewhere.url.clone()),
    });
    let verifier = jwks_verifier(&redirecting.url);
    let rs256 = token(Algorithm::RS256, Some("rsa-1"), &rsa(), &claims());
    assert!(matches!(
        verifier.verify(&rs256).await,
        Err(IdentityError::Unavailable(_))
    ));
    assert_eq!(redirecting.hits(), 1);
    assert_eq!(elsewhere.hits(), 0);
}

#[tokio::test]
async fn unusable_jwks_entries_are_ignored() {
    let mut encryption = jwk("enc-1", Algorithm::RS256, &rsa());
    encryption["use"] = json!("enc");
    let mut mislabelled = jwk("ed-as-rsa", Algorithm::EdDSA, &ed());
    mislabelled["alg"] = json!("RS256");
    let secret = json!({"kty": "oct", "kid": "oct-1", "alg": "HS256", "k": "c2VjcmV0"});
    let twin_a = jwk("twin", Algorithm::EdDSA, &ed());
    let twin_b = jwk(
        "twin",
        Algorithm::EdDSA,
        &EncodingKey::from_ed_pem(ED_OTHER_PRIVATE.as_bytes()).unwrap(),
    );
    let set = jwks(&[
        encryption,
        mislabelled,
        secret,
        twin_a,
        twin_b,
        json!({"kty": "unknown"}),
        jwk("rsa-1", Algorithm::RS256, &rsa()),
    ]);
    let server = Server::start(ok(set));
    let verifier = jwks_verifier(&server.url);
    verifier
        .verify(&token(Algorithm::RS256, Some("rsa-1"), &rsa(), &claims()))
        .await
        .unwrap();
    for (kid, algorithm, key) in [
        ("enc-1", Algorithm::RS256, rsa()),
        ("ed-as-rsa", Algorithm::EdDSA, ed()),
        ("twin", Algorithm::EdDSA, ed()),
    ] {
        assert_invalid(
            verifier
                .verify(&token(algorithm, Some(kid), &key, &claims()))
                .await,
            kid,
            "unknown kid",
        );
    }
}

#[tokio::test]
async fn the_https_client_runs_on_ring_without_a_process_default() {
    // A TLS handshake against a server that speaks plain HTTP fails as an error, proving
    // that the client has its own provider and roots (no panic, no default needed).
    let plain = Server::start(ok(all_keys()));
    let https_url = plain.url.replacen("http://", "https://", 1);
    let verifier = jwks_verifier(&https_url);
    let rs256 = token(Algorithm::RS256, Some("rsa-1"), &rsa(), &claims());
    let error = verifier.verify(&rs256).await.unwrap_err();
    assert!(matches!(error, IdentityError::Unavailable(_)), "{error:?}");
    http_client(true).unwrap();
}

#[test]
fn neither_the_config_nor_the_verifier_prints_the_secret() {
    let printed = format!("{:?}", config(true, None));
    assert!(!printed.contains(SECRET), "{printed}");
    let printed = format!("{:?}", hs_verifier());
    assert!(!printed.contains(SECRET), "{printed}");
    assert!(printed.contains("hs256: true"), "{printed}");
    let printed = format!(
        "{:?}",
        jwks_verifier("https://abcdefghijklmnop.supabase.co/auth/v1/.well-known/jwks.json")
    );
    assert!(printed.contains("jwks.json"), "{printed}");
}

// --- the port's contract -------------------------------------------------------------------

/// A Supabase project as the contract sees it: a verifier for the contract's issuer, the key
/// the project signs with, and one it never published.
struct Project {
    verifier: SupabaseVerifier,
    algorithm: Algorithm,
    kid: Option<&'static str>,
    key: EncodingKey,
    impostor: EncodingKey,
    /// The project's JWKS server, when the verifier fetches the set.
    _server: Option<Server>,
}

impl Project {
    /// A project verified with its HS256 secret.
    fn with_secret() -> Self {
        let config = SupabaseConfig {
            issuer: cubby_ports::contract::identity::ISSUER.to_owned(),
            audience: AUDIENCE.to_owned(),
            ..config(true, None)
        };
        Self {
            verifier: SupabaseVerifier::build(config, false),
            algorithm: Algorithm::HS256,
            kid: None,
            key: hs(),
            impostor: EncodingKey::from_secret(b"another-secret-another-secret-another"),
            _server: None,
        }
    }

    /// A project verified with its JWK Set, served on loopback (signing with its Ed25519 key).
    fn with_jwks() -> Self {
        let server = Server::start(ok(all_keys()));
        let config = SupabaseConfig {
            issuer: cubby_ports::contract::identity::ISSUER.to_owned(),
            audience: AUDIENCE.to_owned(),
            ..config(false, Some(&server.url))
        };
        Self {
            verifier: SupabaseVerifier::build(config, false),
            algorithm: Algorithm::EdDSA,
            kid: Some("ed-1"),
            key: ed(),
            impostor: EncodingKey::from_ed_pem(ED_OTHER_PRIVATE.as_bytes()).unwrap(),
            _server: Some(server),
        }
    }

    /// The claims of a Supabase access token saying `claims`.
    fn supabase_claims(claims: &TokenClaims) -> Value {
        let mut supabase = json!({
            "sub": claims.subject,
            "aud": claims.audience,
            "iss": claims.issuer,
            "iat": now(),
            "exp": claims.expires_at.unix_timestamp(),
            "role": "authenticated",
            "email_verified": claims.email_verified,
            "is_anonymous": false,
        });
        if let Some(email) = &claims.email {
            supabase["email"] = json!(email);
        }
        supabase
    }
}

impl TrustedIssuer for Project {
    fn verifier(&self) -> &dyn IdentityVerifier {
        &self.verifier
    }

    fn mint(&self, claims: &TokenClaims) -> String {
        token(
            self.algorithm,
            self.kid,
            &self.key,
            &Self::supabase_claims(claims),
        )
    }

    fn forge(&self, claims: &TokenClaims) -> String {
        token(
            self.algorithm,
            self.kid,
            &self.impostor,
            &Self::supabase_claims(claims),
        )
    }
}

mod contract_with_the_secret {
    use super::Project;

    cubby_ports::identity_verifier_contract!(async { Project::with_secret() });
}

mod contract_with_the_jwks {
    use super::Project;

    cubby_ports::identity_verifier_contract!(async { Project::with_jwks() });
}
