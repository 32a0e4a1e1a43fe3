//! Supabase sessions: checking the JWT a Supabase client holds before it is exchanged for a
//! Cubby session.
//!
//! A token is verified with the Supabase project's HS256 secret (`alg: HS256`) or with a key of
//! the project's JWK Set (`RS256`, `ES256` or `EdDSA`, each only with a key of that algorithm).
//! Keys come only from the configured JWKS URL: a token naming a key location (`jku`, `x5u`) or
//! carrying a key (`jwk`, `x5c`) is refused. The JWK Set is cached in memory, refreshed when a
//! token names an unknown `kid` or the set is ten minutes old, and fetched at most once per
//! 30 seconds whatever the reason, so that tokens with made-up `kid`s cannot hammer the provider.
//! When the provider cannot be reached, the last keys fetched keep working.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cubby_domain::{Email, ExternalId};
use cubby_ports::BoxError;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use tokio::sync::{Mutex, RwLock};

/// How long a JWKS request may take, connection included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// The least time between two JWKS requests.
const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// How old the cached JWK Set may grow before it is fetched again.
const MAX_AGE: Duration = Duration::from_secs(10 * 60);
/// The largest JWK Set read.
const MAX_JWKS_BYTES: usize = 64 * 1024;
/// How many redirects (to the same origin only) a JWKS request follows.
const MAX_REDIRECTS: usize = 3;
/// The clock skew `exp` and `nbf` tolerate, in seconds.
const LEEWAY_SECONDS: u64 = 30;
/// The smallest RSA modulus accepted from the JWK Set, in bits.
const MIN_RSA_BITS: usize = 2048;

/// Who a verified Supabase token says the user is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The Supabase user id (`sub`).
    pub subject: ExternalId,
    /// The user's e-mail address, when the token has a valid one.
    pub email: Option<Email>,
    /// Whether the token says the address is verified: the top-level `email_verified` claim or
    /// `app_metadata.email_verified` is `true` (always `false` without an address).
    ///
    /// `user_metadata` is never trusted for this: a signed-in Supabase user can write it
    /// (`auth.updateUser({ data })`), so trusting it would let anyone claim another person's
    /// address and be linked to their account. Projects set the claim with a custom access
    /// token hook, or in `app_metadata`, which only the server writes.
    pub email_verified: bool,
}

/// Why a Supabase token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The token must be refused; the reason is for logs only.
    #[error("the identity token is not valid ({0})")]
    Invalid(&'static str),
    /// The provider's keys cannot be fetched and no cached key fits the token.
    #[error("the identity provider's keys are unavailable")]
    Unavailable(#[source] BoxError),
}

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

/// Makes rustls's `ring` provider the process-wide default, if no default is installed yet.
///
/// The workspace's reqwest has no TLS provider of its own (`rustls-no-provider`: enabling its
/// `aws-lc-rs` provider next to the `ring` one that mongodb and redis use would leave rustls
/// without a default), so a reqwest client built with the default TLS settings panics unless a
/// default is installed first. [`SupabaseVerifier`] does not need it (its client names its
/// provider); call this at start-up, and in tests, before building any other reqwest client.
pub fn install_default_tls_provider() {
    // An error only says that a default is installed already.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
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
    /// The verifier the settings ask for; `None` when neither `CUBBY_SUPABASE_JWT_SECRET` nor
    /// `CUBBY_SUPABASE_JWKS_URL` is set.
    pub fn from_settings(settings: &cubby_settings::Settings) -> Option<Self> {
        if settings.supabase_jwt_secret.is_none() && settings.supabase_jwks_url.is_none() {
            return None;
        }
        Some(Self::new(SupabaseConfig {
            hs256_secret: settings.supabase_jwt_secret.clone(),
            jwks_url: settings.supabase_jwks_url.clone(),
            // The settings require the issuer with either; without one every token is refused.
            issuer: settings.supabase_issuer.clone().unwrap_or_default(),
            audience: settings.supabase_audience.clone(),
        }))
    }

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

    /// Verifies `token`: its header, signature, issuer, audience, times, subject and role.
    ///
    /// # Errors
    ///
    /// [`IdentityError::Invalid`] for any token that must be refused;
    /// [`IdentityError::Unavailable`] when the JWK Set cannot be fetched and no cached key fits.
    pub async fn verify(&self, token: &str) -> Result<ExternalIdentity, IdentityError> {
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

/// A key of the provider's JWK Set.
#[derive(Clone)]
struct ProviderKey {
    algorithm: Algorithm,
    key: DecodingKey,
}

/// The cached JWK Set.
#[derive(Default)]
struct JwksCache {
    keys: HashMap<String, ProviderKey>,
    /// When the set was last fetched successfully.
    fetched_at: Option<Instant>,
    /// When a fetch was last attempted, successfully or not.
    attempted_at: Option<Instant>,
    /// Why the last attempt failed, if it did.
    failure: Option<String>,
}

/// The provider's JWK Set, fetched from one URL.
struct Jwks {
    url: String,
    client: Result<reqwest::Client, String>,
    cache: RwLock<JwksCache>,
    /// Held while deciding on and making a request, so that concurrent misses make one.
    refresh: Mutex<()>,
    min_refetch_interval: Duration,
    max_age: Duration,
}

/// Why the JWK Set could not be fetched.
#[derive(Debug, thiserror::Error)]
#[error("the JWK Set could not be fetched: {0}")]
struct JwksUnavailable(String);

impl Jwks {
    fn new(url: String, proxies: bool) -> Self {
        let client = http_client(proxies);
        if let Err(error) = &client {
            tracing::error!(error, "cannot build the HTTP client for the Supabase JWKS");
        }
        Self {
            url,
            client,
            cache: RwLock::new(JwksCache::default()),
            refresh: Mutex::new(()),
            min_refetch_interval: MIN_REFETCH_INTERVAL,
            max_age: MAX_AGE,
        }
    }

    /// The key named `kid`, from the cache or, when it is unknown or the cache is old, from a
    /// new fetch (at most one per `min_refetch_interval`).
    async fn key(&self, kid: &str) -> Result<ProviderKey, IdentityError> {
        if let Some(key) = self.cached(kid, true).await {
            return Ok(key);
        }
        let _refreshing = self.refresh.lock().await;
        // Another request may have refreshed the set while this one waited.
        if let Some(key) = self.cached(kid, true).await {
            return Ok(key);
        }
        let may_fetch = self
            .cache
            .read()
            .await
            .attempted_at
            .is_none_or(|at| at.elapsed() >= self.min_refetch_interval);
        if may_fetch {
            let fetched = self.fetch().await;
            let mut cache = self.cache.write().await;
            let now = Instant::now();
            cache.attempted_at = Some(now);
            match fetched {
                Ok(keys) => {
                    tracing::debug!(keys = keys.len(), "fetched the Supabase JWKS");
                    cache.keys = keys;
                    cache.fetched_at = Some(now);
                    cache.failure = None;
                }
                Err(failure) => {
                    tracing::warn!(%failure, "cannot fetch the Supabase JWKS");
                    cache.failure = Some(failure);
                }
            }
        }
        // A stale key still serves while the provider cannot be reached.
        if let Some(key) = self.cached(kid, false).await {
            return Ok(key);
        }
        match &self.cache.read().await.failure {
            Some(failure) => Err(IdentityError::Unavailable(Box::new(JwksUnavailable(
                failure.clone(),
            )))),
            None => Err(IdentityError::Invalid("unknown kid")),
        }
    }

    /// The cached key named `kid`, if any (and, when `fresh_only`, if the set is not too old).
    async fn cached(&self, kid: &str, fresh_only: bool) -> Option<ProviderKey> {
        let cache = self.cache.read().await;
        let fresh = cache
            .fetched_at
            .is_some_and(|at| at.elapsed() < self.max_age);
        if fresh_only && !fresh {
            return None;
        }
        cache.keys.get(kid).cloned()
    }

    /// Fetches and parses the JWK Set.
    async fn fetch(&self) -> Result<HashMap<String, ProviderKey>, String> {
        let client = self.client.as_ref().map_err(Clone::clone)?;
        let mut response = client
            .get(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| describe(&error))?;
        if !response.status().is_success() {
            return Err(format!("the JWKS URL answered {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|error| describe(&error))? {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(format!("the JWK Set is larger than {MAX_JWKS_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        let set: Value =
            serde_json::from_slice(&body).map_err(|_| "the JWK Set is not JSON".to_owned())?;
        let entries = set
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| "the JWK Set has no `keys` array".to_owned())?;
        let mut keys = HashMap::new();
        let mut ambiguous = Vec::new();
        for (kid, key) in entries.iter().filter_map(provider_key) {
            if keys.insert(kid.clone(), key).is_some() {
                ambiguous.push(kid);
            }
        }
        // Two keys under one kid: neither can be told apart, so neither is used.
        for kid in ambiguous {
            keys.remove(&kid);
        }
        Ok(keys)
    }
}

/// A usable signing key of the JWK Set with its `kid`; `None` for anything else (encryption
/// keys, symmetric keys, other algorithms and curves, RSA under 2048 bits, no `kid`).
fn provider_key(entry: &Value) -> Option<(String, ProviderKey)> {
    let jwk: Jwk = serde_json::from_value(entry.clone()).ok()?;
    let kid = jwk.common.key_id.clone()?;
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|usage| *usage != PublicKeyUse::Signature)
    {
        return None;
    }
    let declared = jwk.common.key_algorithm;
    let algorithm = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) if matches!(declared, None | Some(KeyAlgorithm::RS256)) => {
            Algorithm::RS256
        }
        AlgorithmParameters::EllipticCurve(ec)
            if ec.curve == EllipticCurve::P256
                && matches!(declared, None | Some(KeyAlgorithm::ES256)) =>
        {
            Algorithm::ES256
        }
        AlgorithmParameters::OctetKeyPair(okp)
            if okp.curve == EllipticCurve::Ed25519
                && matches!(declared, None | Some(KeyAlgorithm::EdDSA)) =>
        {
            Algorithm::EdDSA
        }
        _ => return None,
    };
    let key = DecodingKey::from_jwk(&jwk).ok()?;
    if let DecodingKeyKind::RsaModulusExponent { n, .. } = key.kind() {
        let significant = n.iter().skip_while(|b| **b == 0).count();
        if significant * 8 < MIN_RSA_BITS {
            return None;
        }
    }
    Some((kid, ProviderKey { algorithm, key }))
}

/// How long the JWKS client keeps an idle connection.
const POOL_IDLE: Duration = Duration::from_secs(30);

/// The JWKS client: rustls on the `ring` provider with the Mozilla roots, a short timeout,
/// redirects within the same origin only.
fn http_client(proxies: bool) -> Result<reqwest::Client, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| describe(&error))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same_origin && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    });
    let builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(FETCH_TIMEOUT)
        .timeout(FETCH_TIMEOUT)
        // Key sets are fetched rarely: an idle connection is not worth keeping, and one kept
        // across a frozen Lambda environment would likely be dead when it thaws.
        .pool_idle_timeout(POOL_IDLE)
        .pool_max_idle_per_host(1)
        .redirect(redirects)
        .user_agent(concat!("cubby/", env!("CARGO_PKG_VERSION")));
    let builder = if proxies { builder } else { builder.no_proxy() };
    builder.build().map_err(|error| describe(&error))
}

/// An error and its sources, on one line.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    use super::*;

    const RSA_PRIVATE: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.private.pem");
    const RSA_PUBLIC: &str = include_str!("../../../tests/fixtures/keys/rsa-2048.public.pem");
    const ED_PRIVATE: &str = include_str!("../../../tests/fixtures/keys/ed25519-a.private.pem");
    const ED_OTHER_PRIVATE: &str =
        include_str!("../../../tests/fixtures/keys/ed25519-b.private.pem");
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
    fn default_reqwest_clients_build_once_the_provider_is_installed() {
        install_default_tls_provider();
        install_default_tls_provider();
        reqwest::Client::builder().no_proxy().build().unwrap();
    }

    #[test]
    fn the_settings_choose_the_verifier() {
        let settings = |vars: &[(&str, &str)]| {
            cubby_settings::Settings::from_vars(
                vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            )
            .unwrap()
        };
        assert!(SupabaseVerifier::from_settings(&settings(&[])).is_none());
        let verifier = SupabaseVerifier::from_settings(&settings(&[
            ("CUBBY_SUPABASE_JWT_SECRET", SECRET),
            ("CUBBY_SUPABASE_ISSUER", ISSUER),
        ]))
        .unwrap();
        assert!(verifier.secret.is_some() && verifier.jwks.is_none());
        assert_eq!(verifier.audience, "authenticated");
        let verifier = SupabaseVerifier::from_settings(&settings(&[
            (
                "CUBBY_SUPABASE_JWKS_URL",
                "https://abcdefghijklmnop.supabase.co/auth/v1/.well-known/jwks.json",
            ),
            ("CUBBY_SUPABASE_ISSUER", ISSUER),
        ]))
        .unwrap();
        assert!(verifier.secret.is_none() && verifier.jwks.is_some());
        let printed = format!("{verifier:?}");
        assert!(printed.contains("jwks.json"), "{printed}");
        let printed = format!("{:?}", config(true, None));
        assert!(!printed.contains(SECRET), "{printed}");
    }

    #[tokio::test]
    async fn without_an_issuer_every_token_is_refused() {
        let mut settings = cubby_settings::Settings::from_vars(Vec::new()).unwrap();
        settings.supabase_jwt_secret = Some(SecretString::from(SECRET));
        let verifier = SupabaseVerifier::from_settings(&settings).unwrap();
        let no_issuer = without(claims(), "iss");
        let empty_issuer = with(claims(), "iss", json!(""));
        for claims in [claims(), no_issuer, empty_issuer] {
            let token = token(Algorithm::HS256, None, &hs(), &claims);
            assert_invalid(
                verifier.verify(&token).await,
                "no issuer configured",
                "no issuer or audience configured",
            );
        }
    }
}
