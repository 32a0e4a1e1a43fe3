//! The composition root both hosts share: which adapter serves each port, from the settings.
//!
//! The container (`cubby`) and the three Lambda functions build their application here, so a
//! setting means the same thing on both: the start-up sequence ([`start()`]: settings,
//! telemetry, TLS), the configuration ([`config`], with the Supabase token verifier) and the
//! ports ([`adapters`]). Only the connection pools differ
//! ([`Runtime`]): a Lambda execution environment handles one event at a time and is frozen
//! between them.

pub mod demo;
pub mod start;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use cubby_adapters_jwks::{SupabaseConfig, SupabaseVerifier};
use cubby_adapters_mongo::{Mongo, Pool};
use cubby_adapters_redis::Redis;
use cubby_app::{App, AppConfig, Ports};
use cubby_ports::IdentityVerifier;
use cubby_settings::{Settings, SettingsError};
use secrecy::ExposeSecret;

pub use start::{StartError, Started, install_default_tls_provider, start};

/// The namespace of every Redis key a deployment writes (the same on both hosts, so that they
/// can share a Redis).
pub const REDIS_NAMESPACE: &str = "cubby";

/// Where the application runs, which sizes its connection pools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// A long-lived process serving many requests at once: the drivers' default pools.
    Container,
    /// A Lambda execution environment: one event at a time, frozen in between. Two MongoDB
    /// connections at most, and none reused after a minute unused (a connection that idled
    /// through a freeze is likely closed at the other end; the driver opens a new one instead).
    Lambda,
}

impl Runtime {
    fn mongo_pool(self) -> Pool {
        match self {
            Runtime::Container => Pool::default(),
            Runtime::Lambda => Pool {
                max_size: Some(2),
                max_idle: Some(Duration::from_secs(60)),
            },
        }
    }
}

/// The application's configuration from the settings ([`AppConfig::from_settings`]), with the
/// Supabase token verifier they ask for ([`supabase`]).
///
/// # Errors
///
/// As [`AppConfig::from_settings`]: [`SettingsError`] naming `CUBBY_JWT_KEYS` when the key set
/// cannot be loaded.
pub fn config(settings: &Settings) -> Result<AppConfig, SettingsError> {
    let mut config = AppConfig::from_settings(settings)?;
    config.supabase = supabase(settings).map(|supabase| {
        let verifier: Arc<dyn IdentityVerifier> = Arc::new(SupabaseVerifier::new(supabase));
        verifier
    });
    Ok(config)
}

/// How to verify Supabase tokens, as the settings say; `None` when neither
/// `CUBBY_SUPABASE_JWT_SECRET` nor `CUBBY_SUPABASE_JWKS_URL` is set.
pub fn supabase(settings: &Settings) -> Option<SupabaseConfig> {
    if settings.supabase_jwt_secret.is_none() && settings.supabase_jwks_url.is_none() {
        return None;
    }
    Some(SupabaseConfig {
        hs256_secret: settings.supabase_jwt_secret.clone(),
        jwks_url: settings.supabase_jwks_url.clone(),
        // The settings require the issuer with either; without one every token is refused.
        issuer: settings.supabase_issuer.clone().unwrap_or_default(),
        audience: settings.supabase_audience.clone(),
    })
}

/// The adapters the settings ask for: MongoDB for the repositories when `CUBBY_MONGODB_URI` is
/// set, Redis for the cache, idempotency records, session state and counters when
/// `CUBBY_REDIS_URL` is set, S3 for files when `CUBBY_S3_BUCKET` is set, SQS for the job queues
/// when `CUBBY_SQS_QUEUE_PREFIX` is set, memory for the rest (settings refuse memory outside
/// dev). Also the MongoDB handle, for index management.
///
/// # Errors
///
/// When a connection string is not valid, or (SQS) a queue cannot be found. Nothing else
/// connects yet: an unreachable service shows in `/readyz` and as 503s, and is used as soon as
/// it answers.
pub async fn adapters(
    settings: &Settings,
    runtime: Runtime,
) -> anyhow::Result<(Ports, Option<Mongo>)> {
    let mut ports = cubby_adapters_memory::embedded_ports();
    if settings.env == cubby_settings::Environment::Dev {
        // Dev's outbox also prints each message, so that its links can be followed.
        let outbox = cubby_adapters_memory::Outbox::new(ports.clock.clone()).printing();
        ports.mailer = Arc::new(outbox.clone());
        ports.outbox = Some(Arc::new(outbox));
    }
    let mut mongo = None;
    if let Some(uri) = &settings.mongodb_uri {
        let store = Mongo::connect_pooled(uri.expose_secret(), runtime.mongo_pool())
            .await
            .context("CUBBY_MONGODB_URI")?;
        store.install(&mut ports);
        mongo = Some(store);
    }
    if let Some(bucket) = &settings.s3_bucket {
        // Credentials come from AWS_ACCESS_KEY_ID and friends (on Lambda, the execution role's).
        cubby_adapters_s3::S3Objects::new(cubby_adapters_s3::S3Options {
            endpoint: settings.s3_endpoint.clone(),
            region: settings.s3_region.clone(),
            bucket: bucket.clone(),
            keys: None,
        })
        .context("CUBBY_S3_BUCKET")?
        .install(&mut ports);
    }
    if let Some(url) = &settings.redis_url {
        Redis::connect(url.expose_secret(), REDIS_NAMESPACE)
            .context("CUBBY_REDIS_URL")?
            .install(&mut ports);
    }
    if let Some(prefix) = &settings.sqs_queue_prefix {
        // The job queues on SQS rather than Redis Streams.
        cubby_adapters_sqs::SqsJobs::connect(cubby_adapters_sqs::SqsOptions {
            endpoint: settings.sqs_endpoint.clone(),
            region: settings.sqs_region.clone(),
            queues: cubby_adapters_sqs::SqsQueues::named(prefix),
            keys: None,
        })
        .await
        .context("CUBBY_SQS_QUEUE_PREFIX")?
        .install(&mut ports);
    }
    Ok((ports, mongo))
}

/// The application the settings ask for.
///
/// # Errors
///
/// As [`adapters`], and when the password hashing costs are not valid.
pub async fn app(settings: &Settings, config: AppConfig, runtime: Runtime) -> anyhow::Result<App> {
    let (ports, _) = adapters(settings, runtime).await?;
    Ok(App::new(ports, config)?)
}

#[cfg(test)]
mod tests {
    use cubby_ports::IdentityError;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use secrecy::SecretString;
    use serde_json::{Value, json};

    use super::*;

    const SECRET: &str = "super-secret-jwt-token-with-at-least-32-characters-long";
    const ISSUER: &str = "https://abcdefghijklmnop.supabase.co/auth/v1";

    fn settings(vars: &[(&str, &str)]) -> Settings {
        Settings::from_vars(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))).unwrap()
    }

    #[test]
    fn default_reqwest_clients_build_once_the_provider_is_installed() {
        install_default_tls_provider();
        install_default_tls_provider();
        reqwest::Client::builder().no_proxy().build().unwrap();
    }

    #[test]
    fn the_settings_choose_the_verifier() {
        assert!(supabase(&settings(&[])).is_none());
        assert!(config(&settings(&[])).unwrap().supabase.is_none());

        let with_secret = [
            ("CUBBY_SUPABASE_JWT_SECRET", SECRET),
            ("CUBBY_SUPABASE_ISSUER", ISSUER),
        ];
        let secret = supabase(&settings(&with_secret)).unwrap();
        assert!(secret.hs256_secret.is_some() && secret.jwks_url.is_none());
        assert_eq!(secret.issuer, ISSUER);
        assert_eq!(secret.audience, "authenticated");
        let printed = format!("{secret:?}");
        assert!(!printed.contains(SECRET), "{printed}");
        let printed = format!("{:?}", SupabaseVerifier::new(secret));
        assert!(printed.contains("hs256: true"), "{printed}");
        assert!(printed.contains("jwks_url: None"), "{printed}");
        assert!(config(&settings(&with_secret)).unwrap().supabase.is_some());

        let jwks = supabase(&settings(&[
            (
                "CUBBY_SUPABASE_JWKS_URL",
                "https://abcdefghijklmnop.supabase.co/auth/v1/.well-known/jwks.json",
            ),
            ("CUBBY_SUPABASE_ISSUER", ISSUER),
        ]))
        .unwrap();
        assert!(jwks.hs256_secret.is_none() && jwks.jwks_url.is_some());
        let printed = format!("{:?}", SupabaseVerifier::new(jwks));
        assert!(printed.contains("hs256: false"), "{printed}");
        assert!(printed.contains("jwks.json"), "{printed}");
    }

    /// The claims of a Supabase access token for a confirmed e-mail user.
    fn claims() -> Value {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        json!({
            "sub": "8f0c5e0e-2d7e-4f57-9a7b-2a1f3c4d5e6f",
            "aud": "authenticated",
            "iss": ISSUER,
            "iat": now,
            "exp": now + 3600,
            "role": "authenticated",
            "email": "ada@example.com",
            "app_metadata": {"provider": "email", "email_verified": true},
            "is_anonymous": false,
        })
    }

    #[tokio::test]
    async fn without_an_issuer_every_token_is_refused() {
        let mut settings = Settings::from_vars(Vec::new()).unwrap();
        settings.supabase_jwt_secret = Some(SecretString::from(SECRET));
        let verifier = config(&settings).unwrap().supabase.unwrap();
        let mut no_issuer = claims();
        no_issuer.as_object_mut().unwrap().remove("iss");
        let mut empty_issuer = claims();
        empty_issuer["iss"] = json!("");
        for claims in [claims(), no_issuer, empty_issuer] {
            let token = jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &EncodingKey::from_secret(SECRET.as_bytes()),
            )
            .unwrap();
            match verifier.verify(&token).await {
                Err(IdentityError::Invalid(reason)) => {
                    assert_eq!(reason, "no issuer or audience configured");
                }
                other => panic!("no issuer configured: expected Invalid, got {other:?}"),
            }
        }
    }
}
