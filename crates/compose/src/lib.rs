//! The composition root both hosts share: which adapter serves each port, from the settings.
//!
//! The container (`cubby`) and the three Lambda functions build their application here, so a
//! setting means the same thing on both. Only the connection pools differ
//! ([`Runtime`]): a Lambda execution environment handles one event at a time and is frozen
//! between them.

pub mod demo;

use std::time::Duration;

use anyhow::Context;
use cubby_adapters_mongo::{Mongo, Pool};
use cubby_adapters_redis::Redis;
use cubby_app::{App, AppConfig, Ports};
use cubby_settings::Settings;
use secrecy::ExposeSecret;

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
