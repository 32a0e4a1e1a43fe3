//! The provider's JWK Set: fetched over HTTPS from the configured URL only, cached, refreshed
//! on an unknown `kid` or after ten minutes, fetched at most once per 30 seconds, and kept while
//! the provider cannot be reached.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cubby_ports::IdentityError;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind};
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

/// How long a JWKS request may take, connection included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// The least time between two JWKS requests.
pub(crate) const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// How old the cached JWK Set may grow before it is fetched again.
const MAX_AGE: Duration = Duration::from_secs(10 * 60);
/// The largest JWK Set read.
pub(crate) const MAX_JWKS_BYTES: usize = 64 * 1024;
/// How many redirects (to the same origin only) a JWKS request follows.
const MAX_REDIRECTS: usize = 3;
/// The smallest RSA modulus accepted from the JWK Set, in bits.
const MIN_RSA_BITS: usize = 2048;

/// A key of the provider's JWK Set.
#[derive(Clone)]
pub(crate) struct ProviderKey {
    pub(crate) algorithm: Algorithm,
    pub(crate) key: DecodingKey,
}

/// The cached JWK Set.
#[derive(Default)]
pub(crate) struct JwksCache {
    keys: HashMap<String, ProviderKey>,
    /// When the set was last fetched successfully.
    pub(crate) fetched_at: Option<Instant>,
    /// When a fetch was last attempted, successfully or not.
    pub(crate) attempted_at: Option<Instant>,
    /// Why the last attempt failed, if it did.
    failure: Option<String>,
}

/// The provider's JWK Set, fetched from one URL.
pub(crate) struct Jwks {
    pub(crate) url: String,
    client: Result<reqwest::Client, String>,
    pub(crate) cache: RwLock<JwksCache>,
    /// Held while deciding on and making a request, so that concurrent misses make one.
    refresh: Mutex<()>,
    pub(crate) min_refetch_interval: Duration,
    pub(crate) max_age: Duration,
}

/// Why the JWK Set could not be fetched.
#[derive(Debug, thiserror::Error)]
#[error("the JWK Set could not be fetched: {0}")]
struct JwksUnavailable(String);

impl Jwks {
    pub(crate) fn new(url: String, proxies: bool) -> Self {
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
    pub(crate) async fn key(&self, kid: &str) -> Result<ProviderKey, IdentityError> {
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
pub(crate) fn http_client(proxies: bool) -> Result<reqwest::Client, String> {
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
