//! Builds the application from the settings: which adapter serves each port.

use anyhow::Context;
use cubby_adapters_mongo::Mongo;
use cubby_adapters_redis::Redis;
use cubby_app::{App, AppConfig, Ports, Settings};
use secrecy::ExposeSecret;

/// The namespace of every Redis key this deployment writes.
pub const REDIS_NAMESPACE: &str = "cubby";

/// The adapters the settings ask for: MongoDB for the repositories when `CUBBY_MONGODB_URI` is
/// set, Redis for the cache and idempotency records when `CUBBY_REDIS_URL` is set, memory for
/// the rest (settings refuse memory outside dev). Also the MongoDB handle, for index management.
///
/// # Errors
///
/// When a connection string is not valid, or (SQS) a queue cannot be found. Nothing else
/// connects yet: an unreachable service shows in `/readyz` and as 503s, and is used as soon as
/// it answers.
pub async fn adapters(settings: &Settings) -> anyhow::Result<(Ports, Option<Mongo>)> {
    let mut ports = cubby_adapters_memory::embedded_ports();
    let mut mongo = None;
    if let Some(uri) = &settings.mongodb_uri {
        let store = Mongo::connect(uri.expose_secret())
            .await
            .context("CUBBY_MONGODB_URI")?;
        store.install(&mut ports);
        mongo = Some(store);
    }
    if let Some(bucket) = &settings.s3_bucket {
        let objects = cubby_adapters_s3::S3Objects::new(cubby_adapters_s3::S3Options {
            endpoint: settings.s3_endpoint.clone(),
            region: settings.s3_region.clone(),
            bucket: bucket.clone(),
            keys: None,
        })
        .context("CUBBY_S3_BUCKET")?;
        objects.install(&mut ports);
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

/// The application the settings ask for, on `ports`.
///
/// # Errors
///
/// When the password hashing costs are not valid.
pub fn app(config: AppConfig, ports: Ports) -> anyhow::Result<App> {
    Ok(App::new(ports, config)?)
}
