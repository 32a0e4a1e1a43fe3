//! What the AWS adapters (S3, SQS, SES) share: static credentials, given explicitly or read from
//! the `AWS_*` environment variables Lambda provides, that never show in `Debug`; and how an SDK
//! error becomes a [`cubby_ports::RepoError`] ([`sdk_error`]) or a [`cubby_ports::MailError`]
//! ([`mail_error`]).

mod errors;

use std::fmt;

use aws_credential_types::Credentials;
use secrecy::{ExposeSecret, SecretString};

pub use errors::{AwsError, failed, mail_error, sdk_error, service_code, unavailable};

/// Static credentials.
#[derive(Clone)]
pub struct AwsKeys {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretString,
    /// The session token of temporary credentials.
    pub session_token: Option<SecretString>,
}

impl fmt::Debug for AwsKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsKeys")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl AwsKeys {
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`: the execution
    /// role's credentials on Lambda.
    pub fn from_env() -> Option<Self> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        };
        Some(Self {
            access_key_id: var("AWS_ACCESS_KEY_ID")?,
            secret_access_key: SecretString::from(var("AWS_SECRET_ACCESS_KEY")?),
            session_token: var("AWS_SESSION_TOKEN").map(SecretString::from),
        })
    }

    /// The SDK's credentials.
    pub fn credentials(&self) -> Credentials {
        Credentials::new(
            &self.access_key_id,
            self.secret_access_key.expose_secret(),
            self.session_token
                .as_ref()
                .map(|token| token.expose_secret().to_owned()),
            None,
            "cubby-settings",
        )
    }
}
