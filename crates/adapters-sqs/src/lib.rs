//! SQS adapters: the job queue of the Lambda deployment, with dead-letter queues, on
//! `aws-sdk-sqs`.
//!
//! [`SqsJobs`] is the [`JobQueue`](cubby_ports::JobQueue) on four standard (not FIFO) queues:
//! `critical` and `bulk`, and a dead-letter queue for each. How each operation maps to SQS, and
//! where SQS differs from the port's other adapters, is told in the `jobs` module.
//!
//! The HTTPS client is rustls on the `ring` provider (the SDK's default client would switch
//! rustls to aws-lc-rs, which the workspace avoids). Credentials are explicit keys or the
//! `AWS_*` environment variables (what Lambda provides), or any [`ProvideCredentials`]: the
//! default chain of `aws-config` (instance or container roles) plugs in through
//! [`SqsJobs::connect_with_credentials_provider`].

mod errors;
mod jobs;

use std::fmt;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::timeout::TimeoutConfig;
use aws_sdk_sqs::config::{BehaviorVersion, ProvideCredentials, Region, SharedCredentialsProvider};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use cubby_domain::Queue;
use cubby_ports::RepoError;

use crate::errors::{Operation, failed, map_error};
pub use crate::jobs::{REDRIVE_REASON, delivery_of};

/// Where the queues are.
#[derive(Clone, Debug)]
pub struct SqsOptions {
    /// An SQS-compatible endpoint (`http://127.0.0.1:5000`); `None` for AWS itself.
    pub endpoint: Option<String>,
    /// The queues' region (`eu-north-1`).
    pub region: String,
    /// The four queues.
    pub queues: SqsQueues,
    /// Keys to sign with; `None` reads them from the environment (see [`AwsKeys::from_env`]).
    pub keys: Option<AwsKeys>,
}

/// The four queues, each a queue URL (`https://sqs.eu-north-1.amazonaws.com/123456789012/cubby-bulk`)
/// or a queue name, which [`SqsJobs::connect`] resolves with `GetQueueUrl`. All four are
/// standard queues: per-message delays, which retries use, do not exist on FIFO queues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqsQueues {
    /// Short, urgent work.
    pub critical: String,
    /// Long work.
    pub bulk: String,
    /// Where `critical`'s jobs go when they fail for the last time.
    pub critical_dead: String,
    /// Where `bulk`'s jobs go when they fail for the last time.
    pub bulk_dead: String,
}

impl SqsQueues {
    /// The queue names `{prefix}critical`, `{prefix}bulk`, `{prefix}critical-dlq` and
    /// `{prefix}bulk-dlq`.
    pub fn named(prefix: &str) -> Self {
        Self {
            critical: format!("{prefix}critical"),
            bulk: format!("{prefix}bulk"),
            critical_dead: format!("{prefix}critical-dlq"),
            bulk_dead: format!("{prefix}bulk-dlq"),
        }
    }

    /// Which live queue `name` is (a queue's name, or the last part of its URL or ARN):
    /// `None` for a dead-letter queue or another queue.
    pub fn queue_named(&self, name: &str) -> Option<Queue> {
        let last = |queue: &str| {
            queue
                .rsplit(['/', ':'])
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        let name = last(name);
        Queue::ALL
            .into_iter()
            .find(|queue| last(self.live(*queue)) == name)
    }

    fn live(&self, queue: Queue) -> &str {
        match queue {
            Queue::Critical => &self.critical,
            Queue::Bulk => &self.bulk,
        }
    }

    /// Every queue with its role, in the order the fields are declared.
    fn roles(&self) -> [(&'static str, &str); 4] {
        [
            ("critical", &self.critical),
            ("bulk", &self.bulk),
            ("critical-dlq", &self.critical_dead),
            ("bulk-dlq", &self.bulk_dead),
        ]
    }
}

pub use cubby_adapters_aws::AwsKeys;

/// The URLs of one queue and its dead-letter queue.
#[derive(Clone, Debug)]
struct QueueUrls {
    live: String,
    dead: String,
}

/// The [`JobQueue`](cubby_ports::JobQueue) on SQS.
#[derive(Clone)]
pub struct SqsJobs {
    client: Client,
    critical: QueueUrls,
    bulk: QueueUrls,
}

impl fmt::Debug for SqsJobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqsJobs").finish_non_exhaustive()
    }
}

impl SqsJobs {
    /// The queues of `options`, signing with `options.keys`, or the environment's keys; queue
    /// names are resolved to URLs now.
    ///
    /// # Errors
    ///
    /// [`RepoError::Failed`] when there are no keys, the options are not valid or a queue does
    /// not exist; [`RepoError::Unavailable`] when SQS cannot be reached to resolve a name.
    pub async fn connect(options: SqsOptions) -> Result<Self, RepoError> {
        let keys = match &options.keys {
            Some(keys) => keys.clone(),
            None => AwsKeys::from_env().ok_or_else(|| {
                failed(
                    "no SQS credentials: set keys or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                )
            })?,
        };
        Self::connect_with_credentials_provider(options, keys.credentials()).await
    }

    /// The queues of `options` signing with what `provider` gives (`options.keys` is ignored):
    /// the way to use `aws-config`'s default chain.
    ///
    /// # Errors
    ///
    /// As [`SqsJobs::connect`].
    pub async fn connect_with_credentials_provider(
        options: SqsOptions,
        provider: impl ProvideCredentials + 'static,
    ) -> Result<Self, RepoError> {
        let client = client(&options, provider)?;
        if let Some((role, _)) = options
            .queues
            .roles()
            .into_iter()
            .find(|(_, queue)| queue.trim().is_empty())
        {
            return Err(failed(format!("the SQS {role} queue is not set")));
        }
        let mut urls = Vec::with_capacity(4);
        for (role, queue) in options.queues.roles() {
            urls.push(queue_url(&client, role, queue).await?);
        }
        let [critical, bulk, critical_dead, bulk_dead]: [String; 4] = urls
            .try_into()
            .map_err(|_| failed("the SQS queues could not be resolved"))?;
        Ok(Self {
            client,
            critical: QueueUrls {
                live: critical,
                dead: critical_dead,
            },
            bulk: QueueUrls {
                live: bulk,
                dead: bulk_dead,
            },
        })
    }

    /// Points the job queue of `ports` at these queues.
    pub fn install(self, ports: &mut cubby_ports::Ports) {
        ports.jobs = std::sync::Arc::new(self);
    }

    /// The SDK client (for tests and administration, such as creating queues).
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn urls(&self, queue: Queue) -> &QueueUrls {
        match queue {
            Queue::Critical => &self.critical,
            Queue::Bulk => &self.bulk,
        }
    }
}

/// An SQS client for `options`, on rustls with `ring`.
fn client(
    options: &SqsOptions,
    provider: impl ProvideCredentials + 'static,
) -> Result<Client, RepoError> {
    if options.region.trim().is_empty() {
        return Err(failed("the SQS region is empty"));
    }
    let endpoint = options
        .endpoint
        .as_deref()
        .map(|url| url.trim().trim_end_matches('/'))
        .filter(|url| !url.is_empty());
    if let Some(url) = endpoint
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(failed("the SQS endpoint is not an http(s) URL"));
    }
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(options.region.trim().to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .http_client(http_client)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                // No call waits for messages (WaitTimeSeconds is 0): every answer is quick.
                .operation_attempt_timeout(Duration::from_secs(20))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        );
    if let Some(url) = endpoint {
        config = config.endpoint_url(url);
    }
    Ok(Client::from_conf(config.build()))
}

/// `queue` as a URL: itself when it is one, else the URL `GetQueueUrl` gives for the name.
async fn queue_url(client: &Client, role: &str, queue: &str) -> Result<String, RepoError> {
    let queue = queue.trim();
    if queue.starts_with("https://") || queue.starts_with("http://") {
        return Ok(queue.to_owned());
    }
    let output = client
        .get_queue_url()
        .queue_name(queue)
        .send()
        .await
        .map_err(|error| {
            if error
                .as_service_error()
                .is_some_and(|e| e.is_queue_does_not_exist())
            {
                failed(format!("the SQS {role} queue does not exist"))
            } else {
                map_error(Operation::GetQueueUrl, error)
            }
        })?;
    output
        .queue_url()
        .map(str::to_owned)
        .ok_or_else(|| failed(format!("SQS GetQueueUrl: no URL for the {role} queue")))
}

#[cfg(test)]
mod tests;
