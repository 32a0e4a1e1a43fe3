//! Tokens for tests: the world's signing key, and forged tokens for the refusal cases.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// The `kid` of the world's HS256 key.
pub const TEST_KID: &str = "test-hs256";
/// The world's HS256 secret.
pub const TEST_SECRET: &[u8] = b"cubby-test-secret-cubby-test-secret!";

/// The operator key of the world's platform API (its SHA-256 digest is configured, known as
/// `ops_test`).
pub const TEST_OPERATOR_KEY: &str = "test-operator-key-0123456789abcdef0123456789abcdef";

/// The world's operator keys: [`TEST_OPERATOR_KEY`] only.
pub fn test_operator_keys() -> cubby_app::platform::OperatorKeys {
    use sha2::Digest;
    cubby_app::platform::OperatorKeys::from_digests(vec![(
        cubby_domain::OperatorId::parse("ops_test").unwrap(),
        sha2::Sha256::digest(TEST_OPERATOR_KEY.as_bytes()).into(),
    )])
}

/// The claims of a valid access token of the director of `centre`, to tamper with.
pub fn director_claims(centre: &crate::Centre) -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let director = centre.member(cubby_domain::Role::Director);
    json!({
        "sub": director.user_id.to_string(),
        "tenant_id": centre.tenant.id().to_string(),
        "tenant_code": centre.tenant.code().to_string(),
        "mbr": director.membership_id.to_string(),
        "sid": director.session_id.to_string(),
        "roles": ["director"],
        "jti": uuid::Uuid::now_v7().to_string(),
        "iat": now,
        "exp": now + 900,
        "iss": "cubby",
        "aud": "cubby-api",
    })
}

/// `claims` signed with HS256 under `kid` with `secret`.
pub fn sign(claims: &Value, kid: Option<&str>, secret: &[u8]) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

/// `claims` signed with the world's key.
pub fn sign_valid(claims: &Value) -> String {
    sign(claims, Some(TEST_KID), TEST_SECRET)
}

/// An unsigned token: the header as given and an empty signature.
pub fn unsigned(header: &Value, claims: &Value) -> String {
    let part = |value: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap());
    format!("{}.{}.", part(header), part(claims))
}
