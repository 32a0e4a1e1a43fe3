//! The [`Mailer`] of the Lambda deployment: Amazon SES v2's `SendEmail` with simple content (the
//! subject, the plain text and the HTML; SES builds the MIME message and names it), on
//! `aws-sdk-sesv2`.
//!
//! The HTTPS client is rustls on the `ring` provider, as for S3 and SQS. The SDK's own retries
//! are off: a call that timed out may have sent the message, and sending it again is the mail
//! job's decision, made on the [`MailError`] ([`cubby_adapters_aws::mail_error`]). Credentials
//! are explicit keys or the `AWS_*` environment variables (the Lambda execution role's).

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::config::retry::RetryConfig;
use aws_sdk_sesv2::config::timeout::TimeoutConfig;
use aws_sdk_sesv2::config::{BehaviorVersion, Region, SharedCredentialsProvider};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
pub use cubby_adapters_aws::AwsKeys;
use cubby_adapters_aws::failed;
use cubby_ports::{MailError, Mailer, OutgoingMail, RepoError};

#[cfg(test)]
mod tests;

/// Where and as whom to send.
#[derive(Clone, Debug)]
pub struct SesOptions {
    /// The SES region (`eu-west-1`), where the sender is verified.
    pub region: String,
    /// The sender, a mailbox SES has verified (or whose domain it has): `no-reply@example.org`
    /// or `Cubby <no-reply@example.org>`.
    pub from: String,
    /// An SES-compatible endpoint (`http://127.0.0.1:5000`); `None` for AWS itself.
    pub endpoint: Option<String>,
    /// Keys to sign with; `None` reads them from the environment (see [`AwsKeys::from_env`]).
    pub keys: Option<AwsKeys>,
}

/// Sends mail through Amazon SES v2.
#[derive(Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
}

impl fmt::Debug for SesMailer {
    /// The sender is an address: not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SesMailer").finish_non_exhaustive()
    }
}

impl SesMailer {
    /// A mailer for `options`. Nothing is called yet: the first message is.
    ///
    /// # Errors
    ///
    /// [`RepoError::Failed`] when there are no keys, the region or the sender is empty, or the
    /// endpoint is not an http(s) URL.
    pub fn new(options: SesOptions) -> Result<Self, RepoError> {
        let keys = match &options.keys {
            Some(keys) => keys.clone(),
            None => AwsKeys::from_env().ok_or_else(|| {
                failed(
                    "no SES credentials: set keys or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                )
            })?,
        };
        if options.from.trim().is_empty() {
            return Err(failed("the SES sender is empty"));
        }
        Ok(Self {
            client: client(&options, &keys)?,
            from: options.from.trim().to_owned(),
        })
    }

    /// The SDK client (for tests and administration, such as verifying a sender).
    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let content = content(mail)?;
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(
                Destination::builder()
                    .to_addresses(mail.to.as_str())
                    .build(),
            )
            .content(content)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| {
                cubby_adapters_aws::mail_error("SES", "SendEmail", &error, busy, refused)
            })
    }
}

/// SES's codes for "too much, too fast".
fn busy(code: &str) -> bool {
    matches!(code, "TooManyRequestsException" | "LimitExceededException")
        || code.contains("Throttl")
}

/// SES's codes for a message it will never send as it is: malformed, refused, or from a sender
/// it has not verified.
fn refused(code: &str) -> bool {
    matches!(
        code,
        "BadRequestException"
            | "MessageRejected"
            | "MailFromDomainNotVerifiedException"
            | "InvalidParameterValue"
    )
}

/// `mail` as SES's simple content: the subject and both bodies, in UTF-8.
fn content(mail: &OutgoingMail) -> Result<EmailContent, MailError> {
    let utf8 = |data: &str| {
        Content::builder()
            .data(data)
            .charset("UTF-8")
            .build()
            .map_err(|_| MailError::Rejected("the message could not be built".to_owned()))
    };
    let message = Message::builder()
        .subject(utf8(&mail.subject)?)
        .body(
            Body::builder()
                .text(utf8(&mail.text)?)
                .html(utf8(&mail.html)?)
                .build(),
        )
        .build();
    Ok(EmailContent::builder().simple(message).build())
}

/// An SES client for `options`, on rustls with `ring`, without retries.
fn client(options: &SesOptions, keys: &AwsKeys) -> Result<Client, RepoError> {
    if options.region.trim().is_empty() {
        return Err(failed("the SES region is empty"));
    }
    let endpoint = options
        .endpoint
        .as_deref()
        .map(|url| url.trim().trim_end_matches('/'))
        .filter(|url| !url.is_empty());
    if let Some(url) = endpoint
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(failed("the SES endpoint is not an http(s) URL"));
    }
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut config = aws_sdk_sesv2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(options.region.trim().to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(keys.credentials()))
        .http_client(http_client)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_timeout(Duration::from_secs(20))
                .build(),
        );
    if let Some(url) = endpoint {
        config = config.endpoint_url(url);
    }
    Ok(Client::from_conf(config.build()))
}
