//! The real services contract suites and end-to-end tests run against, found through the
//! environment `scripts/test` prepares.
//!
//! A test that needs a service calls [`mongodb_uri`] or [`redis_url`]. When the service is not
//! configured, the test is skipped with a note, unless `CUBBY_REQUIRE_SERVICES=1` (which
//! `scripts/test` and CI set): then it fails, so a missing service can never pass unnoticed.

/// `CUBBY_TEST_MONGODB_URI`: a MongoDB-compatible server to create databases on.
pub fn mongodb_uri() -> Option<String> {
    service("CUBBY_TEST_MONGODB_URI")
}

/// `CUBBY_TEST_REDIS_URL`: a Redis server to create keys on (each test in its own namespace).
pub fn redis_url() -> Option<String> {
    service("CUBBY_TEST_REDIS_URL")
}

/// An S3-compatible server and a bucket on it.
#[derive(Clone, Debug)]
pub struct S3Service {
    /// `CUBBY_TEST_S3_ENDPOINT`.
    pub endpoint: String,
    /// `CUBBY_TEST_S3_ACCESS_KEY`.
    pub access_key: String,
    /// `CUBBY_TEST_S3_SECRET_KEY`.
    pub secret_key: String,
    /// `CUBBY_TEST_S3_BUCKET`.
    pub bucket: String,
}

/// The S3 stand-in (SeaweedFS), from `CUBBY_TEST_S3_ENDPOINT`, `CUBBY_TEST_S3_ACCESS_KEY`,
/// `CUBBY_TEST_S3_SECRET_KEY` and `CUBBY_TEST_S3_BUCKET`.
pub fn s3() -> Option<S3Service> {
    Some(S3Service {
        endpoint: service("CUBBY_TEST_S3_ENDPOINT")?,
        access_key: service("CUBBY_TEST_S3_ACCESS_KEY")?,
        secret_key: service("CUBBY_TEST_S3_SECRET_KEY")?,
        bucket: service("CUBBY_TEST_S3_BUCKET")?,
    })
}

/// `CUBBY_TEST_SQS_ENDPOINT`: an SQS-compatible server (moto) to create queues on; it takes any
/// keys.
pub fn sqs_endpoint() -> Option<String> {
    service("CUBBY_TEST_SQS_ENDPOINT")
}

/// `CUBBY_TEST_SES_ENDPOINT`: an SES v2-compatible server (moto, the same as for SQS) to verify
/// senders and send on; it takes any keys and records what it is sent.
pub fn ses_endpoint() -> Option<String> {
    service("CUBBY_TEST_SES_ENDPOINT")
}

/// An SMTP server that keeps what it accepts (`scripts/services/smtp-sink.py`).
#[derive(Clone, Debug)]
pub struct SmtpService {
    /// `CUBBY_TEST_SMTP_URL`: plain SMTP on loopback (`smtp://127.0.0.1:PORT`).
    pub url: String,
    /// `CUBBY_TEST_SMTP_SPOOL`: the directory where it writes each message it accepts as
    /// `<Message-ID without the angle brackets>.json`.
    pub spool: std::path::PathBuf,
}

/// The SMTP server, from `CUBBY_TEST_SMTP_URL` and `CUBBY_TEST_SMTP_SPOOL`.
pub fn smtp() -> Option<SmtpService> {
    Some(SmtpService {
        url: service("CUBBY_TEST_SMTP_URL")?,
        spool: service("CUBBY_TEST_SMTP_SPOOL")?.into(),
    })
}

/// Whether missing services fail the run.
pub fn required() -> bool {
    std::env::var("CUBBY_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

fn service(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(value) if !value.trim().is_empty() => Some(value),
        _ => {
            assert!(
                !required(),
                "{variable} is not set and CUBBY_REQUIRE_SERVICES=1: start the test services (scripts/test does)"
            );
            eprintln!("skipped: {variable} is not set (scripts/test sets it)");
            None
        }
    }
}
