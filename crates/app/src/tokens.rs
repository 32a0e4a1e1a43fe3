//! Access tokens: the keys they are signed and verified with, their claims, and minting.
//!
//! Every token names its key with `kid`; verification looks the key up only among the
//! configured ones (never from `jku`, `x5u` or an inline `jwk`) and accepts only that key's
//! algorithm, so `alg: none` and algorithm confusion are refused by construction.
//!
//! # Key sets
//!
//! Outside dev, tokens are signed with an asymmetric key from `CUBBY_JWT_KEYS`, a JSON array:
//!
//! ```json
//! [
//!   {"kid": "2025-06", "alg": "EdDSA", "private_key_pem": "-----BEGIN PRIVATE KEY-----\n..."},
//!   {"kid": "2025-01", "alg": "RS256", "public_key_pem": "-----BEGIN PUBLIC KEY-----\n..."}
//! ]
//! ```
//!
//! `alg` is `EdDSA` (Ed25519) or `RS256` (RSA of at least 2048 bits); each key has exactly one of
//! `private_key_pem` (PKCS#8, `openssl genpkey`) or `public_key_pem` (SPKI, `openssl pkey
//! -pubout`). `CUBBY_JWT_SIGNING_KID` names the key that signs, which needs its private key.
//! Every key verifies: a rotation adds the new private key, makes it the signing key, and keeps
//! the old one, as its public key only, until the last token it signed has expired. The public
//! halves are published by [`TokenKeys::jwks`].

use std::collections::HashMap;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, EncodingKey};
use serde::{Deserialize, Serialize};
use time::Duration;

/// Where tokens come from and whom they are for, and how long they live.
#[derive(Clone, Debug)]
pub struct TokenPolicy {
    /// The `iss` claim Cubby writes and requires.
    pub issuer: String,
    /// The `aud` claim Cubby writes and requires.
    pub audience: String,
    /// How long an access token lives.
    pub access_ttl: Duration,
    /// How much clock skew `exp`, `nbf` and `iat` tolerate.
    pub leeway: Duration,
}

impl TokenPolicy {
    /// The policy the settings ask for.
    pub fn from_settings(settings: &cubby_settings::Settings) -> Self {
        Self {
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            access_ttl: Duration::minutes(settings.access_token_ttl_minutes.into()),
            ..Self::default()
        }
    }
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self {
            issuer: "cubby".to_owned(),
            audience: "cubby-api".to_owned(),
            access_ttl: Duration::minutes(15),
            leeway: Duration::seconds(30),
        }
    }
}

/// The claims of a Cubby access token.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user id.
    pub sub: String,
    /// The tenant id.
    pub tenant_id: String,
    /// The tenant code.
    pub tenant_code: String,
    /// The membership id.
    pub mbr: String,
    /// The membership's role names when the token was minted (informational: every request
    /// reads the membership's current roles).
    pub roles: Vec<String>,
    /// The sign-in session (refresh family) the token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The token's unique id.
    pub jti: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Not before (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The membership's entitlements version when the token was minted.
    #[serde(default)]
    pub ev: u64,
}

/// A freshly minted access token.
#[derive(Clone)]
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// Its `jti`.
    pub jti: String,
    /// When it expires.
    pub expires_at: time::OffsetDateTime,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("jti", &self.jti)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

pub(crate) struct SigningKey {
    pub(crate) kid: String,
    pub(crate) algorithm: Algorithm,
    pub(crate) key: EncodingKey,
}

pub(crate) struct VerifyingKey {
    pub(crate) algorithm: Algorithm,
    pub(crate) key: DecodingKey,
}

/// The public parameters of an asymmetric key, base64url-encoded as in a JWK.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PublicParams {
    /// An Ed25519 key (`kty: OKP`, `crv: Ed25519`).
    Ed25519 { x: String },
    /// An RSA key (`kty: RSA`).
    Rsa { n: String, e: String },
}

/// A key as the JWK Set publishes it.
#[derive(Clone, Debug)]
struct PublishedKey {
    kid: String,
    alg: &'static str,
    params: PublicParams,
}

/// The key that signs new tokens and every key that may verify them (several during a
/// rotation).
pub struct TokenKeys {
    pub(crate) signing: SigningKey,
    pub(crate) verifying: HashMap<String, VerifyingKey>,
    /// The public halves of the asymmetric keys, in configuration order.
    published: Vec<PublishedKey>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("signing_kid", &self.signing.kid)
            .field("verifying_kids", &self.verifying.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Why a key set was refused. Messages name the variable, the key's `kid` or position and the
/// problem, never key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeySetError {
    /// `CUBBY_JWT_KEYS` does not parse as JSON.
    #[error("CUBBY_JWT_KEYS is not valid JSON (line {line}, column {column})")]
    NotJson {
        /// Where parsing stopped.
        line: usize,
        /// Where parsing stopped.
        column: usize,
    },
    /// `CUBBY_JWT_KEYS` is not a non-empty array.
    #[error("CUBBY_JWT_KEYS must be a non-empty JSON array of key objects")]
    NotAnArray,
    /// An entry is not an object with a usable `kid`.
    #[error(
        "CUBBY_JWT_KEYS entry {index}: must be an object whose `kid` is 1 to 64 visible ASCII \
         characters"
    )]
    InvalidKid {
        /// The entry's position, from 0.
        index: usize,
    },
    /// Two entries share a `kid`.
    #[error("key {kid:?}: more than one key has this kid")]
    DuplicateKid {
        /// The key.
        kid: String,
    },
    /// A field is missing, of the wrong type or unknown.
    #[error("key {kid:?}: {problem}")]
    Field {
        /// The key.
        kid: String,
        /// What is wrong, naming the field.
        problem: String,
    },
    /// `alg` is neither `EdDSA` nor `RS256`.
    #[error("key {kid:?}: algorithm {alg} is not accepted; use EdDSA or RS256")]
    UnsupportedAlgorithm {
        /// The key.
        kid: String,
        /// The algorithm asked for (shown only if it looks like an algorithm name).
        alg: String,
    },
    /// Neither or both of `private_key_pem` and `public_key_pem`.
    #[error("key {kid:?}: set exactly one of `private_key_pem` and `public_key_pem`")]
    KeyMaterial {
        /// The key.
        kid: String,
    },
    /// The PEM is not a key of the algorithm, or the private key does not work.
    #[error("key {kid:?}: `{field}` is not {expected} in PEM form")]
    InvalidPem {
        /// The key.
        kid: String,
        /// `private_key_pem` or `public_key_pem`.
        field: &'static str,
        /// What the algorithm needs.
        expected: &'static str,
    },
    /// An RSA key shorter than 2048 bits.
    #[error("key {kid:?}: RSA keys need at least 2048 bits; this one has {bits}")]
    WeakRsaKey {
        /// The key.
        kid: String,
        /// Its modulus length.
        bits: usize,
    },
    /// `CUBBY_JWT_SIGNING_KID` names no key of the set.
    #[error("CUBBY_JWT_SIGNING_KID {kid:?} names no key of CUBBY_JWT_KEYS")]
    UnknownSigningKey {
        /// The kid asked for.
        kid: String,
    },
    /// The signing key has no private key.
    #[error("key {kid:?}: the signing key needs `private_key_pem`, not only a public key")]
    PublicOnlySigningKey {
        /// The key.
        kid: String,
    },
    /// `CUBBY_JWT_KEYS` without `CUBBY_JWT_SIGNING_KID`.
    #[error("CUBBY_JWT_SIGNING_KID is required with CUBBY_JWT_KEYS")]
    MissingSigningKid,
    /// No key set outside dev.
    #[error("CUBBY_JWT_KEYS is required in {env}: only dev signs with a shared HS256 secret")]
    SharedSecretOutsideDev {
        /// The environment.
        env: &'static str,
    },
}

/// The fields a key set entry may have.
const KEY_FIELDS: [&str; 4] = ["kid", "alg", "private_key_pem", "public_key_pem"];

/// The smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

/// Whether `kid` is 1 to 64 visible ASCII characters.
fn valid_kid(kid: &str) -> bool {
    (1..=64).contains(&kid.len()) && kid.bytes().all(|b| b.is_ascii_graphic())
}

/// `kid` if it is a valid one, else a placeholder: errors never echo arbitrary text.
fn shown_kid(kid: &str) -> String {
    if valid_kid(kid) {
        kid.to_owned()
    } else {
        "(invalid kid)".to_owned()
    }
}

/// `word` if it looks like a name (an algorithm, a field), else a placeholder.
fn shown_word(word: &str) -> String {
    if (1..=32).contains(&word.len())
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        format!("`{word}`")
    } else {
        "(not shown)".to_owned()
    }
}

/// The number of significant bits of a big-endian unsigned integer.
fn bit_length(be: &[u8]) -> usize {
    let digits: Vec<u8> = be.iter().copied().skip_while(|b| *b == 0).collect();
    match digits.first() {
        None => 0,
        Some(first) => (digits.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

/// What a PEM of `algorithm` must hold, for errors.
fn expected_key(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::EdDSA => "an Ed25519 key",
        _ => "an RSA key of at least 2048 bits",
    }
}

/// One entry of a key set, parsed and checked.
struct LoadedKey {
    kid: String,
    algorithm: Algorithm,
    alg: &'static str,
    private: Option<EncodingKey>,
    public: DecodingKey,
    params: PublicParams,
}

/// Reads entry `index` of a key set.
fn load_entry(index: usize, entry: &serde_json::Value) -> Result<LoadedKey, KeySetError> {
    use serde_json::Value;
    let Value::Object(fields) = entry else {
        return Err(KeySetError::InvalidKid { index });
    };
    let kid = match fields.get("kid") {
        Some(Value::String(kid)) if valid_kid(kid) => kid.clone(),
        _ => return Err(KeySetError::InvalidKid { index }),
    };
    if let Some(unknown) = fields.keys().find(|f| !KEY_FIELDS.contains(&f.as_str())) {
        return Err(KeySetError::Field {
            kid,
            problem: format!(
                "unknown field {}; a key has only {}",
                shown_word(unknown),
                KEY_FIELDS.map(|f| format!("`{f}`")).join(", ")
            ),
        });
    }
    let text = |field: &str| match fields.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.as_str())),
        Some(_) => Err(KeySetError::Field {
            kid: kid.clone(),
            problem: format!("`{field}` must be a string"),
        }),
    };
    let (algorithm, alg) = match text("alg")? {
        Some("EdDSA") => (Algorithm::EdDSA, "EdDSA"),
        Some("RS256") => (Algorithm::RS256, "RS256"),
        Some(other) => {
            return Err(KeySetError::UnsupportedAlgorithm {
                kid,
                alg: shown_word(other),
            });
        }
        None => {
            return Err(KeySetError::Field {
                kid,
                problem: "`alg` is required (EdDSA or RS256)".to_owned(),
            });
        }
    };
    let (private, public, params) = match (text("private_key_pem")?, text("public_key_pem")?) {
        (Some(pem), None) => {
            let (private, public, params) = load_private(&kid, algorithm, pem)?;
            (Some(private), public, params)
        }
        (None, Some(pem)) => {
            let (public, params) = load_public(&kid, algorithm, pem)?;
            (None, public, params)
        }
        _ => return Err(KeySetError::KeyMaterial { kid }),
    };
    Ok(LoadedKey {
        kid,
        algorithm,
        alg,
        private,
        public,
        params,
    })
}

/// A private key, the public key derived from it, and a check that the two make a pair.
fn load_private(
    kid: &str,
    algorithm: Algorithm,
    pem: &str,
) -> Result<(EncodingKey, DecodingKey, PublicParams), KeySetError> {
    let invalid = || KeySetError::InvalidPem {
        kid: kid.to_owned(),
        field: "private_key_pem",
        expected: expected_key(algorithm),
    };
    let private = match algorithm {
        Algorithm::EdDSA => EncodingKey::from_ed_pem(pem.as_bytes()),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()),
    }
    .map_err(|_| invalid())?;
    let jwk = Jwk::from_encoding_key(&private, algorithm).map_err(|_| invalid())?;
    let (public, params) = public_parts(kid, algorithm, &jwk.algorithm).ok_or_else(invalid)??;
    // Sign and verify once, so that a key that cannot sign fails the start, not a sign-in.
    let probe = b"cubby key check";
    let pair = jsonwebtoken::crypto::sign(probe, &private, algorithm)
        .and_then(|signature| jsonwebtoken::crypto::verify(&signature, probe, &public, algorithm));
    if !matches!(pair, Ok(true)) {
        return Err(invalid());
    }
    Ok((private, public, params))
}

/// A public key.
fn load_public(
    kid: &str,
    algorithm: Algorithm,
    pem: &str,
) -> Result<(DecodingKey, PublicParams), KeySetError> {
    let invalid = || KeySetError::InvalidPem {
        kid: kid.to_owned(),
        field: "public_key_pem",
        expected: expected_key(algorithm),
    };
    let public = match algorithm {
        Algorithm::EdDSA => DecodingKey::from_ed_pem(pem.as_bytes()),
        _ => DecodingKey::from_rsa_pem(pem.as_bytes()),
    }
    .map_err(|_| invalid())?;
    let jwk = Jwk::from_decoding_key(&public, Some(algorithm)).map_err(|_| invalid())?;
    public_parts(kid, algorithm, &jwk.algorithm).ok_or_else(invalid)?
}

/// The verifying key and published parameters of a public JWK of `algorithm`; `None` when the
/// parameters are of another kind of key.
fn public_parts(
    kid: &str,
    algorithm: Algorithm,
    params: &AlgorithmParameters,
) -> Option<Result<(DecodingKey, PublicParams), KeySetError>> {
    match (algorithm, params) {
        (Algorithm::EdDSA, AlgorithmParameters::OctetKeyPair(okp))
            if okp.curve == EllipticCurve::Ed25519 =>
        {
            let key = DecodingKey::from_ed_components(&okp.x).ok()?;
            Some(Ok((key, PublicParams::Ed25519 { x: okp.x.clone() })))
        }
        (Algorithm::RS256, AlgorithmParameters::RSA(rsa)) => {
            let key = DecodingKey::from_rsa_components(&rsa.n, &rsa.e).ok()?;
            let DecodingKeyKind::RsaModulusExponent { n, .. } = key.kind() else {
                return None;
            };
            let bits = bit_length(n);
            if bits < MIN_RSA_BITS {
                return Some(Err(KeySetError::WeakRsaKey {
                    kid: kid.to_owned(),
                    bits,
                }));
            }
            let params = PublicParams::Rsa {
                n: rsa.n.clone(),
                e: rsa.e.clone(),
            };
            Some(Ok((key, params)))
        }
        _ => None,
    }
}

impl TokenKeys {
    /// One HS256 secret that signs and verifies, named `kid`. Development only: settings refuse
    /// it outside dev.
    pub fn hs256(kid: &str, secret: &[u8]) -> Self {
        let mut verifying = HashMap::new();
        verifying.insert(
            kid.to_owned(),
            VerifyingKey {
                algorithm: Algorithm::HS256,
                key: DecodingKey::from_secret(secret),
            },
        );
        Self {
            signing: SigningKey {
                kid: kid.to_owned(),
                algorithm: Algorithm::HS256,
                key: EncodingKey::from_secret(secret),
            },
            verifying,
            published: Vec::new(),
        }
    }

    /// A random HS256 secret for this process only: tokens die with it.
    pub fn random_hs256() -> Self {
        let secret: [u8; 32] = rand::random();
        let tag: u32 = rand::random();
        Self::hs256(&format!("dev-{tag:08x}"), &secret)
    }

    /// The keys the settings ask for: the `CUBBY_JWT_KEYS` set signing with
    /// `CUBBY_JWT_SIGNING_KID`; else, in dev only, the configured HS256 secret or a random one
    /// for this process.
    ///
    /// # Errors
    ///
    /// [`KeySetError`] when the key set is refused, or when there is none outside dev.
    pub fn from_settings(settings: &cubby_settings::Settings) -> Result<Self, KeySetError> {
        use secrecy::ExposeSecret;
        if let Some(keys) = &settings.jwt_keys {
            let kid = settings
                .jwt_signing_kid
                .as_deref()
                .ok_or(KeySetError::MissingSigningKid)?;
            return Self::from_key_set(keys.expose_secret(), kid);
        }
        if settings.env != cubby_settings::Environment::Dev {
            return Err(KeySetError::SharedSecretOutsideDev {
                env: settings.env.as_str(),
            });
        }
        Ok(match &settings.jwt_hs256_secret {
            Some(secret) => Self::hs256("dev-hs256", secret.expose_secret().as_bytes()),
            None => Self::random_hs256(),
        })
    }

    /// The key set in `json` (the `CUBBY_JWT_KEYS` format, see the [module](self) docs), signing
    /// with the key named `signing_kid`.
    ///
    /// # Errors
    ///
    /// [`KeySetError`] naming the first problem found.
    pub fn from_key_set(json: &str, signing_kid: &str) -> Result<Self, KeySetError> {
        let entries = match serde_json::from_str::<serde_json::Value>(json) {
            Err(error) => {
                return Err(KeySetError::NotJson {
                    line: error.line(),
                    column: error.column(),
                });
            }
            Ok(serde_json::Value::Array(entries)) if !entries.is_empty() => entries,
            Ok(_) => return Err(KeySetError::NotAnArray),
        };
        let mut signing = None;
        let mut verifying = HashMap::new();
        let mut published = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            let key = load_entry(index, entry)?;
            if verifying.contains_key(&key.kid) {
                return Err(KeySetError::DuplicateKid { kid: key.kid });
            }
            if key.kid == signing_kid {
                let Some(private) = key.private else {
                    return Err(KeySetError::PublicOnlySigningKey { kid: key.kid });
                };
                signing = Some(SigningKey {
                    kid: key.kid.clone(),
                    algorithm: key.algorithm,
                    key: private,
                });
            }
            verifying.insert(
                key.kid.clone(),
                VerifyingKey {
                    algorithm: key.algorithm,
                    key: key.public,
                },
            );
            published.push(PublishedKey {
                kid: key.kid,
                alg: key.alg,
                params: key.params,
            });
        }
        let signing = signing.ok_or_else(|| KeySetError::UnknownSigningKey {
            kid: shown_kid(signing_kid),
        })?;
        Ok(Self {
            signing,
            verifying,
            published,
        })
    }

    /// The `kid` new tokens are signed with.
    pub fn signing_kid(&self) -> &str {
        &self.signing.kid
    }

    /// The public JWK Set (`{"keys": [...]}`) of every asymmetric key, for
    /// `/.well-known/jwks.json`: each key with `kid`, `kty`, `alg`, `use: "sig"` and its public
    /// parameters only. HS256 secrets are never published, so a dev HS256 set is empty.
    pub fn jwks(&self) -> serde_json::Value {
        use serde_json::json;
        let keys: Vec<serde_json::Value> = self
            .published
            .iter()
            .map(|key| match &key.params {
                PublicParams::Ed25519 { x } => json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": x,
                    "kid": key.kid,
                    "alg": key.alg,
                    "use": "sig",
                }),
                PublicParams::Rsa { n, e } => json!({
                    "kty": "RSA",
                    "n": n,
                    "e": e,
                    "kid": key.kid,
                    "alg": key.alg,
                    "use": "sig",
                }),
            })
            .collect();
        json!({ "keys": keys })
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{Header, Validation};
    use serde_json::{Value, json};

    use super::*;

    const ED_A_PRIVATE: &str = include_str!("../../../tests/fixtures/keys/ed25519-a.private.pem");
    const ED_A_PUBLIC: &str = include_str!("../../../tests/fixtures/keys/ed25519-a.public.pem");
    const ED_B_PRIVATE: &str = include_str!("../../../tests/fixtures/keys/ed25519-b.private.pem");
    const RSA_PRIVATE: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.private.pem");
    const RSA_PUBLIC: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.public.pem");
    const RSA_1024_PRIVATE: &str =
        include_str!("../../../tests/fixtures/keys/rsa-1024.private.pem");
    const RSA_1024_PUBLIC: &str = include_str!("../../../tests/fixtures/keys/rsa-1024.public.pem");
    const EC_PRIVATE: &str = include_str!("../../../tests/fixtures/keys/ec-p256.private.pem");

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
}
