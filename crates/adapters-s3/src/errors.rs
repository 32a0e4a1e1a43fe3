//! SDK errors as [`RepoError`]s. Messages name the operation, the S3 error code and the HTTP
//! status, or the kind of network failure: never a URL, a signature or a key.

use std::fmt;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use cubby_ports::RepoError;

/// What was being done.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Operation {
    PresignPut,
    PresignGet,
    Put,
    Get,
    Head,
    Delete,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::PresignPut => "presigning a PUT",
            Operation::PresignGet => "presigning a GET",
            Operation::Put => "PutObject",
            Operation::Get => "GetObject",
            Operation::Head => "HeadObject",
            Operation::Delete => "DeleteObject",
        }
    }
}

/// An S3 failure, described without anything secret.
#[derive(Debug)]
pub(crate) struct S3Error(String);

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for S3Error {}

/// A [`RepoError::Failed`] saying `what`.
pub(crate) fn failed(what: impl Into<String>) -> RepoError {
    RepoError::Failed(Box::new(S3Error(what.into())))
}

fn unavailable(what: String) -> RepoError {
    RepoError::Unavailable(Box::new(S3Error(what)))
}

/// Whether S3 answered that the object is not there (a missing bucket is a misconfiguration,
/// not a missing object).
pub(crate) fn is_not_found<E: ProvideErrorMetadata>(error: &SdkError<E>) -> bool {
    match error {
        SdkError::ServiceError(context) => {
            context.raw().status().as_u16() == 404 && error.code() != Some("NoSuchBucket")
        }
        _ => false,
    }
}

/// Timeouts and network failures are [`RepoError::Unavailable`], a missing object
/// [`RepoError::NotFound`], anything else [`RepoError::Failed`].
pub(crate) fn map_error<E: ProvideErrorMetadata>(
    operation: Operation,
    error: SdkError<E>,
) -> RepoError {
    let operation = operation.as_str();
    if is_not_found(&error) {
        return RepoError::NotFound;
    }
    match &error {
        SdkError::TimeoutError(_) => unavailable(format!("S3 {operation}: timed out")),
        SdkError::DispatchFailure(failure) => {
            let kind = if failure.is_timeout() {
                "timed out".to_owned()
            } else if let Some(connector) = failure.as_connector_error() {
                format!("not reached ({})", DisplayErrorContext(connector))
            } else {
                "not reached".to_owned()
            };
            unavailable(format!("S3 {operation}: {kind}"))
        }
        SdkError::ResponseError(_) => {
            unavailable(format!("S3 {operation}: the response could not be read"))
        }
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let code = error.code().unwrap_or("no error code");
            let what = format!("S3 {operation}: {code} (HTTP {status})");
            if status >= 500 || matches!(code, "SlowDown" | "RequestTimeout") {
                unavailable(what)
            } else {
                failed(what)
            }
        }
        SdkError::ConstructionFailure(_) => {
            failed(format!("S3 {operation}: the request could not be built"))
        }
        _ => failed(format!("S3 {operation}: an unexpected SDK error")),
    }
}
