//! Access tokens: the keys they are signed and verified with, their claims, and minting.
//!
//! Every token names its key with `kid`; verification looks the key up only among the
//! configured ones (never from `jku`, `x5u` or an inline `jwk`) and accepts only that key's
//! algorithm, so `alg: none` and algorithm confusion are refused by construction.

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
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
    pub fn from_settings(settings: &crate::Settings) -> Self {
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
    /// The membership's role names.
    pub roles: Vec<String>,
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

/// The key that signs new tokens and every key that may verify them (several during a
/// rotation).
pub struct TokenKeys {
    pub(crate) signing: SigningKey,
    pub(crate) verifying: HashMap<String, VerifyingKey>,
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
        }
    }

    /// A random HS256 secret for this process only: tokens die with it.
    pub fn random_hs256() -> Self {
        let secret: [u8; 32] = rand::random();
        let tag: u32 = rand::random();
        Self::hs256(&format!("dev-{tag:08x}"), &secret)
    }

    /// The keys the settings ask for: the configured HS256 secret, else a random one for this
    /// process (settings allow either only in dev).
    pub fn from_settings(settings: &crate::Settings) -> Self {
        use secrecy::ExposeSecret;
        match &settings.jwt_hs256_secret {
            Some(secret) => Self::hs256("dev-hs256", secret.expose_secret().as_bytes()),
            None => Self::random_hs256(),
        }
    }

    /// The `kid` new tokens are signed with.
    pub fn signing_kid(&self) -> &str {
        &self.signing.kid
    }
}
