//! The [`IdentityVerifier`] for Supabase sessions: checks the JWT a Supabase client holds before
//! the application exchanges it for a Cubby session. Cubby's one outbound HTTP call, fetching the
//! project's JWK Set, is made here.
//!
//! A token is verified with the Supabase project's HS256 secret (`alg: HS256`) or with a key of
//! the project's JWK Set (`RS256`, `ES256` or `EdDSA`, each only with a key of that algorithm).
//! Keys come only from the configured JWKS URL: a token naming a key location (`jku`, `x5u`) or
//! carrying a key (`jwk`, `x5c`) is refused. The JWK Set is cached in memory, refreshed when a
//! token names an unknown `kid` or the set is ten minutes old, and fetched at most once per
//! 30 seconds whatever the reason, so that tokens with made-up `kid`s cannot hammer the provider.
//! When the provider cannot be reached, the last keys fetched keep working.

mod jwks;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use cubby_domain::{Email, ExternalId};
use cubby_ports::{ExternalIdentity, IdentityError, IdentityVerifier};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::jwks::Jwks;

/// The clock skew `exp` and `nbf` tolerate, in seconds.
const LEEWAY_SECONDS: u64 = 30;

/// How to verify Supabase tokens.
#[derive(Clone)]
pub struct SupabaseConfig {
    /// The project's HS256 JWT secret (legacy projects).
    pub hs256_secret: Option<SecretString>,
    /// The project's JWKS URL (`https://<ref>.supabase.co/auth/v1/.well-known/jwks.json`).
    pub jwks_url: Option<String>,
    /// The `iss` tokens must have (`https://<ref>.supabase.co/auth/v1`).
    pub issuer: String,
    /// An `aud` tokens must have (`authenticated`).
    pub audience: String,
}

impl std::fmt::Debug for SupabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupabaseConfig")
            .field("hs256_secret", &self.hs256_secret.as_ref().map(|_| "[set]"))
            .field("jwks_url", &self.jwks_url)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

/// Verifies Supabase access tokens into [`ExternalIdentity`]s.
pub struct SupabaseVerifier {
    secret: Option<DecodingKey>,
    jwks: Option<Jwks>,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for SupabaseVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupabaseVerifier")
            .field("hs256", &self.secret.is_some())
            .field(
                "jwks_url",
                &self.jwks.as_ref().map(|jwks| jwks.url.as_str()),
            )
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl SupabaseVerifier {
    /// A verifier for `config`. No request is made until a token needs the JWK Set.
    pub fn new(config: SupabaseConfig) -> Self {
        Self::build(config, true)
    }

    fn build(config: SupabaseConfig, proxies: bool) -> Self {
        Self {
            secret: config
                .hs256_secret
                .as_ref()
                .map(|secret| DecodingKey::from_secret(secret.expose_secret().as_bytes())),
            jwks: config.jwks_url.map(|url| Jwks::new(url, proxies)),
            issuer: config.issuer,
            audience: config.audience,
        }
    }
}

#[async_trait]
impl IdentityVerifier for SupabaseVerifier {
    /// Verifies `token`: its header, signature, issuer, audience, times, subject and role.
    ///
    /// # Errors
    ///
    /// [`IdentityError::Invalid`] for any token that must be refused;
    /// [`IdentityError::Unavailable`] when the JWK Set cannot be fetched and no cached key fits.
    async fn verify(&self, token: &str) -> Result<ExternalIdentity, IdentityError> {
        if self.issuer.is_empty() || self.audience.is_empty() {
            // Nothing to compare `iss` and `aud` with: no token can be trusted.
            return Err(IdentityError::Invalid("no issuer or audience configured"));
        }
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| IdentityError::Invalid("header"))?;
        if header.jku.is_some()
            || header.x5u.is_some()
            || header.x5c.is_some()
            || header.jwk.is_some()
        {
            return Err(IdentityError::Invalid("key reference in header"));
        }
        if header.crit.is_some() {
            return Err(IdentityError::Invalid("critical header"));
        }
        let key = match header.alg {
            Algorithm::HS256 => self
                .secret
                .clone()
                .ok_or(IdentityError::Invalid("HS256 without a project secret"))?,
            Algorithm::RS256 | Algorithm::ES256 | Algorithm::EdDSA => {
                let jwks = self
                    .jwks
                    .as_ref()
                    .ok_or(IdentityError::Invalid("asymmetric token without a JWKS"))?;
                let kid = header.kid.as_deref().ok_or(IdentityError::Invalid("kid"))?;
                let key = jwks.key(kid).await?;
                if key.algorithm != header.alg {
                    return Err(IdentityError::Invalid("algorithm of another key"));
                }
                key.key
            }
            _ => return Err(IdentityError::Invalid("algorithm")),
        };
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|error| IdentityError::Invalid(refusal(error.kind())))?
            .claims;
        identity(&claims)
    }
}

/// The reason, for logs, that jsonwebtoken refused a token.
fn refusal(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "signature",
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not yet valid",
        ErrorKind::InvalidIssuer => "issuer",
        ErrorKind::InvalidAudience => "audience",
        ErrorKind::MissingRequiredClaim(_) => "missing claim",
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => "algorithm",
        _ => "malformed",
    }
}

/// The identity in verified claims, refusing anonymous and non-user tokens.
fn identity(claims: &Map<String, Value>) -> Result<ExternalIdentity, IdentityError> {
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .and_then(|sub| ExternalId::parse(sub).ok())
        .ok_or(IdentityError::Invalid("sub"))?;
    if claims.get("role").and_then(Value::as_str) != Some("authenticated") {
        return Err(IdentityError::Invalid("role"));
    }
    if claims.get("is_anonymous") == Some(&Value::Bool(true)) {
        return Err(IdentityError::Invalid("anonymous"));
    }
    let email = claims
        .get("email")
        .and_then(Value::as_str)
        .and_then(|email| Email::parse(email).ok());
    let verified = claims.get("email_verified") == Some(&Value::Bool(true))
        || claims
            .get("app_metadata")
            .and_then(|metadata| metadata.get("email_verified"))
            == Some(&Value::Bool(true));
    Ok(ExternalIdentity {
        subject,
        email_verified: verified && email.is_some(),
        email,
    })
}
