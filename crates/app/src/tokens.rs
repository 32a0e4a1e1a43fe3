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
//!
//! One step a file: `key_set` (reading `CUBBY_JWT_KEYS` and [`KeySetError`]), `pem` (a key's
//! PEM, checked) and `jwks` (publishing the public halves).

mod jwks;
mod key_set;
mod pem;

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};
use time::Duration;

pub use key_set::KeySetError;

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

    /// The `kid` new tokens are signed with.
    pub fn signing_kid(&self) -> &str {
        &self.signing.kid
    }
}

#[cfg(test)]
mod tests;
