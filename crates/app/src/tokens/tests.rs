//! Tests of key sets, their errors and the JWK Set.

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Header, Validation};
use serde_json::{Value, json};

use super::*;

const ED_A_PRIVATE: &str = include_str!("../../../../tests/fixtures/keys/ed25519-a.private.pem");
const ED_A_PUBLIC: &str = include_str!("../../../../tests/fixtures/keys/ed25519-a.public.pem");
const ED_B_PRIVATE: &str = include_str!("../../../../tests/fixtures/keys/ed25519-b.private.pem");
const RSA_PRIVATE: &str = include_str!("../../../../tests/fixtures/keys/rsa-2048.private.pem");
const RSA_PUBLIC: &str = include_str!("../../../../tests/fixtures/keys/rsa-2048.public.pem");
const RSA_1024_PRIVATE: &str = include_str!("../../../../tests/fixtures/keys/rsa-1024.private.pem");
const RSA_1024_PUBLIC: &str = include_str!("../../../../tests/fixtures/keys/rsa-1024.public.pem");
const EC_PRIVATE: &str = include_str!("../../../../tests/fixtures/keys/ec-p256.private.pem");

fn private(kid: &str, alg: &str, pem: &str) -> Value {
    json!({"kid": kid, "alg": alg, "private_key_pem": pem})
}

fn public(kid: &str, alg: &str, pem: &str) -> Value {
    json!({"kid": kid, "alg": alg, "public_key_pem": pem})
}

fn key_set(entries: &[Value], signing_kid: &str) -> Result<TokenKeys, KeySetError> {
    TokenKeys::from_key_set(&Value::Array(entries.to_vec()).to_string(), signing_kid)
}

fn claims() -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    json!({"sub": "user-1", "iss": "cubby", "aud": "cubby-api", "iat": now, "exp": now + 600})
}

/// A token signed by `key` under `kid`, as `Sessions` mints them.
fn sign_with(kid: &str, algorithm: Algorithm, key: &EncodingKey) -> String {
    let mut header = Header::new(algorithm);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, &claims(), key).unwrap()
}

fn sign(keys: &TokenKeys) -> String {
    sign_with(&keys.signing.kid, keys.signing.algorithm, &keys.signing.key)
}

/// Verifies as `Sessions` does: the key of the token's kid, and only its algorithm.
fn verify(keys: &TokenKeys, token: &str) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let key = keys.verifying.get(&kid).ok_or("unknown kid")?;
    if header.alg != key.algorithm {
        return Err("algorithm".to_owned());
    }
    let mut validation = Validation::new(key.algorithm);
    validation.set_issuer(&["cubby"]);
    validation.set_audience(&["cubby-api"]);
    jsonwebtoken::decode::<Value>(token, &key.key, &validation)
        .map(|data| data.claims)
        .map_err(|e| e.to_string())
}

#[test]
fn an_eddsa_key_set_signs_and_verifies() {
    let keys = key_set(&[private("ed-1", "EdDSA", ED_A_PRIVATE)], "ed-1").unwrap();
    assert_eq!(keys.signing_kid(), "ed-1");
    assert_eq!(keys.signing.algorithm, Algorithm::EdDSA);
    let claims = verify(&keys, &sign(&keys)).unwrap();
    assert_eq!(claims["sub"], "user-1");
}

#[test]
fn an_rs256_key_set_signs_and_verifies() {
    let keys = key_set(&[private("rsa-1", "RS256", RSA_PRIVATE)], "rsa-1").unwrap();
    assert_eq!(keys.signing.algorithm, Algorithm::RS256);
    let claims = verify(&keys, &sign(&keys)).unwrap();
    assert_eq!(claims["sub"], "user-1");
}

#[test]
fn during_a_rotation_the_new_key_signs_and_the_old_public_key_still_verifies() {
    let old_private = EncodingKey::from_ed_pem(ED_A_PRIVATE.as_bytes()).unwrap();
    let signed_earlier = sign_with("old", Algorithm::EdDSA, &old_private);

    let keys = key_set(
        &[
            private("new", "EdDSA", ED_B_PRIVATE),
            public("old", "EdDSA", ED_A_PUBLIC),
            public("rsa", "RS256", RSA_PUBLIC),
        ],
        "new",
    )
    .unwrap();
    assert_eq!(keys.signing_kid(), "new");
    verify(&keys, &sign(&keys)).unwrap();
    verify(&keys, &signed_earlier).unwrap();

    // The old key verifies only what it signed: not a token claiming the new key's kid.
    let forged = sign_with("new", Algorithm::EdDSA, &old_private);
    assert!(verify(&keys, &forged).is_err());
    // And a public-only key never signs.
    assert!(matches!(
        key_set(&[public("old", "EdDSA", ED_A_PUBLIC)], "old"),
        Err(KeySetError::PublicOnlySigningKey { kid }) if kid == "old"
    ));
}

#[test]
fn the_jwks_publishes_exactly_the_public_parts_and_they_verify() {
    let keys = key_set(
        &[
            private("ed", "EdDSA", ED_A_PRIVATE),
            private("rsa", "RS256", RSA_PRIVATE),
            public("old", "EdDSA", ED_A_PUBLIC),
        ],
        "ed",
    )
    .unwrap();
    let jwks = keys.jwks();
    let published = jwks["keys"].as_array().unwrap();
    assert_eq!(published.len(), 3);
    for jwk in published {
        let members: Vec<&str> = jwk
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for private_member in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
            assert!(
                !members.contains(&private_member),
                "{private_member} in {jwk}"
            );
        }
        assert_eq!(jwk["use"], "sig");
        let mut members = members;
        members.sort_unstable();
        match jwk["kty"].as_str().unwrap() {
            "OKP" => {
                assert_eq!(members, ["alg", "crv", "kid", "kty", "use", "x"]);
                assert_eq!(jwk["crv"], "Ed25519");
                assert_eq!(jwk["alg"], "EdDSA");
            }
            "RSA" => {
                assert_eq!(members, ["alg", "e", "kid", "kty", "n", "use"]);
                assert_eq!(jwk["alg"], "RS256");
                assert_eq!(jwk["e"], "AQAB");
            }
            other => panic!("unexpected kty {other}"),
        }
    }
    assert_eq!(
        published
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["ed", "rsa", "old"]
    );
    // The old public key and the derived public half of "ed" are the same key.
    assert_eq!(published[0]["x"], published[2]["x"]);

    // A token signed by each private key verifies with the published JWK of its kid.
    for (kid, algorithm, pem) in [
        ("ed", Algorithm::EdDSA, ED_A_PRIVATE),
        ("rsa", Algorithm::RS256, RSA_PRIVATE),
    ] {
        let key = match algorithm {
            Algorithm::EdDSA => EncodingKey::from_ed_pem(pem.as_bytes()).unwrap(),
            _ => EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        };
        let token = sign_with(kid, algorithm, &key);
        let jwk = published.iter().find(|k| k["kid"] == kid).unwrap();
        let jwk: Jwk = serde_json::from_value(jwk.clone()).unwrap();
        let decoding = DecodingKey::from_jwk(&jwk).unwrap();
        let mut validation = Validation::new(algorithm);
        validation.set_audience(&["cubby-api"]);
        jsonwebtoken::decode::<Value>(&token, &decoding, &validation).unwrap();
    }
}

#[test]
fn hs256_secrets_are_never_published() {
    assert_eq!(TokenKeys::random_hs256().jwks(), json!({"keys": []}));
    let keys = TokenKeys::hs256("dev", b"0123456789abcdef0123456789abcdef");
    assert_eq!(keys.jwks(), json!({"keys": []}));
}

/// Every line of base64 in a PEM, to check that no error echoes key material.
fn pem_fragments() -> Vec<&'static str> {
    [
        ED_A_PRIVATE,
        RSA_PRIVATE,
        RSA_1024_PRIVATE,
        RSA_1024_PUBLIC,
        EC_PRIVATE,
    ]
    .iter()
    .flat_map(|pem| pem.lines())
    .filter(|line| !line.starts_with("-----") && line.len() >= 12)
    .collect()
}

fn refused(entries: &[Value], signing_kid: &str) -> (KeySetError, String) {
    let error = key_set(entries, signing_kid).unwrap_err();
    let message = error.to_string();
    assert!(!message.contains("BEGIN"), "{message}");
    for fragment in pem_fragments() {
        assert!(!message.contains(fragment), "{message}");
        assert!(!message.contains(&fragment[..12]), "{message}");
    }
    (error, message)
}

#[test]
fn bad_key_sets_are_refused_naming_the_kid_and_never_the_key() {
    let ed = private("ed", "EdDSA", ED_A_PRIVATE);
    let cases: Vec<(Vec<Value>, &str, &str)> = vec![
        (
            vec![ed.clone(), private("ed", "RS256", RSA_PRIVATE)],
            "ed",
            "\"ed\"",
        ),
        (
            vec![ed.clone(), private("hs", "HS256", RSA_PRIVATE)],
            "ed",
            "\"hs\"",
        ),
        (
            vec![ed.clone(), private("es", "ES256", EC_PRIVATE)],
            "ed",
            "\"es\"",
        ),
        (
            vec![ed.clone(), private("none", "none", ED_B_PRIVATE)],
            "ed",
            "\"none\"",
        ),
        (
            vec![
                ed.clone(),
                json!({"kid": "noalg", "private_key_pem": ED_B_PRIVATE}),
            ],
            "ed",
            "\"noalg\"",
        ),
        (
            vec![
                ed.clone(),
                private(
                    "junk",
                    "EdDSA",
                    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                ),
            ],
            "ed",
            "\"junk\"",
        ),
        (
            vec![ed.clone(), private("not-pem", "RS256", "hello")],
            "ed",
            "\"not-pem\"",
        ),
        (
            vec![ed.clone(), private("rsa-as-ed", "EdDSA", RSA_PRIVATE)],
            "ed",
            "\"rsa-as-ed\"",
        ),
        (
            vec![ed.clone(), private("ed-as-rsa", "RS256", ED_B_PRIVATE)],
            "ed",
            "\"ed-as-rsa\"",
        ),
        (
            vec![ed.clone(), public("pub-as-priv", "EdDSA", ED_A_PRIVATE)],
            "ed",
            "\"pub-as-priv\"",
        ),
        (
            vec![ed.clone(), private("ec-as-ed", "EdDSA", EC_PRIVATE)],
            "ed",
            "\"ec-as-ed\"",
        ),
        (
            vec![ed.clone(), private("small", "RS256", RSA_1024_PRIVATE)],
            "ed",
            "\"small\"",
        ),
        (
            vec![ed.clone(), public("small-pub", "RS256", RSA_1024_PUBLIC)],
            "ed",
            "\"small-pub\"",
        ),
        (
            vec![
                ed.clone(),
                json!({"kid": "both", "alg": "EdDSA", "private_key_pem": ED_B_PRIVATE, "public_key_pem": ED_A_PUBLIC}),
            ],
            "ed",
            "\"both\"",
        ),
        (
            vec![ed.clone(), json!({"kid": "neither", "alg": "EdDSA"})],
            "ed",
            "\"neither\"",
        ),
        (
            vec![
                ed.clone(),
                json!({"kid": "extra", "alg": "EdDSA", "private_key_pem": ED_B_PRIVATE, "d": "secret"}),
            ],
            "ed",
            "\"extra\"",
        ),
        (vec![ed.clone()], "missing", "\"missing\""),
    ];
    for (entries, signing_kid, named) in cases {
        let (_, message) = refused(&entries, signing_kid);
        assert!(message.contains(named), "{named} not in {message}");
    }
}

#[test]
fn specific_problems_have_specific_errors() {
    // The crypto library refuses short RSA private keys outright.
    let (error, message) = refused(&[private("small", "RS256", RSA_1024_PRIVATE)], "small");
    assert!(matches!(error, KeySetError::InvalidPem { .. }), "{error:?}");
    assert!(message.contains("at least 2048 bits"), "{message}");
    let (error, _) = refused(&[public("small", "RS256", RSA_1024_PUBLIC)], "small");
    assert_eq!(
        error,
        KeySetError::WeakRsaKey {
            kid: "small".to_owned(),
            bits: 1024
        }
    );
    let (error, _) = refused(
        &[
            private("a", "EdDSA", ED_A_PRIVATE),
            private("a", "EdDSA", ED_B_PRIVATE),
        ],
        "a",
    );
    assert_eq!(
        error,
        KeySetError::DuplicateKid {
            kid: "a".to_owned()
        }
    );
    let (error, _) = refused(&[private("a", "EdDSA", ED_A_PRIVATE)], "b");
    assert_eq!(
        error,
        KeySetError::UnknownSigningKey {
            kid: "b".to_owned()
        }
    );
    let (error, _) = refused(&[private("es", "ES256", EC_PRIVATE)], "es");
    assert_eq!(
        error,
        KeySetError::UnsupportedAlgorithm {
            kid: "es".to_owned(),
            alg: "`ES256`".to_owned()
        }
    );
    let (error, _) = refused(&[private("", "EdDSA", ED_A_PRIVATE)], "");
    assert_eq!(error, KeySetError::InvalidKid { index: 0 });
    let (error, _) = refused(&[private("a b", "EdDSA", ED_A_PRIVATE)], "a b");
    assert_eq!(error, KeySetError::InvalidKid { index: 0 });
    let (error, _) = refused(&[], "a");
    assert_eq!(error, KeySetError::NotAnArray);
}

#[test]
fn json_errors_give_a_position_not_the_text() {
    let truncated = format!(
        "[{{\"kid\": \"a\", \"alg\": \"EdDSA\", \"private_key_pem\": {:?}",
        ED_A_PRIVATE
    );
    let error = TokenKeys::from_key_set(&truncated, "a").unwrap_err();
    assert!(
        matches!(error, KeySetError::NotJson { line: 1, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    for fragment in pem_fragments() {
        assert!(!message.contains(fragment), "{message}");
    }
    let object = TokenKeys::from_key_set("{\"kid\": \"a\"}", "a").unwrap_err();
    assert_eq!(object, KeySetError::NotAnArray);
}

fn settings(vars: &[(&str, &str)]) -> cubby_settings::Settings {
    cubby_settings::Settings::from_vars(
        vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    )
    .unwrap()
}

#[test]
fn the_settings_choose_the_key_set_else_hs256_in_dev() {
    let set = Value::Array(vec![
        private("2025-06", "EdDSA", ED_B_PRIVATE),
        public("2025-01", "EdDSA", ED_A_PUBLIC),
    ])
    .to_string();
    let keys = TokenKeys::from_settings(&settings(&[
        ("CUBBY_JWT_KEYS", &set),
        ("CUBBY_JWT_SIGNING_KID", "2025-06"),
    ]))
    .unwrap();
    assert_eq!(keys.signing_kid(), "2025-06");
    assert_eq!(keys.verifying.len(), 2);
    assert_eq!(keys.jwks()["keys"].as_array().unwrap().len(), 2);

    let keys = TokenKeys::from_settings(&settings(&[(
        "CUBBY_JWT_HS256_SECRET",
        "0123456789abcdef0123456789abcdef",
    )]))
    .unwrap();
    assert_eq!(keys.signing_kid(), "dev-hs256");
    assert_eq!(keys.signing.algorithm, Algorithm::HS256);
    verify(&keys, &sign(&keys)).unwrap();

    let keys = TokenKeys::from_settings(&settings(&[])).unwrap();
    assert!(keys.signing_kid().starts_with("dev-"));

    let error = TokenKeys::from_settings(&settings(&[
        ("CUBBY_JWT_KEYS", &set),
        ("CUBBY_JWT_SIGNING_KID", "2025-01"),
    ]))
    .unwrap_err();
    assert_eq!(
        error,
        KeySetError::PublicOnlySigningKey {
            kid: "2025-01".to_owned()
        }
    );
}

#[test]
fn outside_dev_there_is_no_shared_secret_fallback() {
    let mut dev = settings(&[]);
    dev.env = cubby_settings::Environment::Prod;
    assert_eq!(
        TokenKeys::from_settings(&dev).unwrap_err(),
        KeySetError::SharedSecretOutsideDev { env: "prod" }
    );
}
