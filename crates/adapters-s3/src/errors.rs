//! SDK errors as [`RepoError`]s. Messages name the operation, the S3 error code and the HTTP
//! status, or the kind of network failure: never a URL, a signature or a key (see
//! `cubby_adapters_aws::sdk_error`).

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
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

pub(crate) use cubby_adapters_aws::failed;

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

/// A missing object is [`RepoError::NotFound`]; the rest as every AWS adapter maps them
/// ([`cubby_adapters_aws::sdk_error`]), `SlowDown` and `RequestTimeout` meaning busy.
pub(crate) fn map_error<E: ProvideErrorMetadata>(
    operation: Operation,
    error: SdkError<E>,
) -> RepoError {
    if is_not_found(&error) {
        return RepoError::NotFound;
    }
    cubby_adapters_aws::sdk_error("S3", operation.as_str(), &error, |code| {
        matches!(code, "SlowDown" | "RequestTimeout")
    })
}
