//! SDK errors as [`RepoError`]s. Messages name the operation, the SQS error code and the HTTP
//! status, or the kind of network failure: never a queue URL, a receipt handle, a body or a key.

use std::fmt;

use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use cubby_ports::RepoError;

/// What was being done.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Operation {
    GetQueueUrl,
    SendMessage,
    ReceiveMessage,
    DeleteMessage,
    ChangeMessageVisibility,
    GetQueueAttributes,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::GetQueueUrl => "GetQueueUrl",
            Operation::SendMessage => "SendMessage",
            Operation::ReceiveMessage => "ReceiveMessage",
            Operation::DeleteMessage => "DeleteMessage",
            Operation::ChangeMessageVisibility => "ChangeMessageVisibility",
            Operation::GetQueueAttributes => "GetQueueAttributes",
        }
    }
}

/// An SQS failure, described without anything secret.
#[derive(Debug)]
pub(crate) struct SqsError(String);

impl fmt::Display for SqsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SqsError {}

/// A [`RepoError::Failed`] saying `what`.
pub(crate) fn failed(what: impl Into<String>) -> RepoError {
    RepoError::Failed(Box::new(SqsError(what.into())))
}

fn unavailable(what: String) -> RepoError {
    RepoError::Unavailable(Box::new(SqsError(what)))
}

/// A [`RepoError::Corrupt`]: a message on a queue that is not a job (named by what is wrong,
/// never by what it holds).
pub(crate) fn corrupt(what: &str) -> RepoError {
    RepoError::corrupt(format!("an SQS job message: {what}"))
}

/// The error code SQS answered, if it answered: the JSON protocol's short code (`QueueDoesNotExist`)
/// or its query-compatible one (`AWS.SimpleQueueService.NonExistentQueue`), depending on the
/// server.
fn code<E: ProvideErrorMetadata>(error: &SdkError<E>) -> Option<&str> {
    match error {
        SdkError::ServiceError(_) => error.code(),
        _ => None,
    }
}

/// Whether SQS answered that a receipt handle no longer holds its message: it was deleted, or
/// its visibility timeout ran out (another receiver may have it now).
pub(crate) fn is_stale_receipt<E: ProvideErrorMetadata>(error: &SdkError<E>) -> bool {
    code(error).is_some_and(|code| {
        matches!(
            code,
            "ReceiptHandleIsInvalid"
                | "MessageNotInflight"
                | "AWS.SimpleQueueService.MessageNotInflight"
                // What SQS answers a visibility change through an outdated handle.
                | "InvalidParameterValue"
        )
    })
}

/// Timeouts, network failures, throttling and 5xx answers are [`RepoError::Unavailable`],
/// anything else (a missing queue, denied access, a rejected message) [`RepoError::Failed`].
pub(crate) fn map_error<E: ProvideErrorMetadata>(
    operation: Operation,
    error: SdkError<E>,
) -> RepoError {
    let operation = operation.as_str();
    match &error {
        SdkError::TimeoutError(_) => unavailable(format!("SQS {operation}: timed out")),
        SdkError::DispatchFailure(failure) => {
            let kind = if failure.is_timeout() {
                "timed out".to_owned()
            } else if let Some(connector) = failure.as_connector_error() {
                format!("not reached ({})", DisplayErrorContext(connector))
            } else {
                "not reached".to_owned()
            };
            unavailable(format!("SQS {operation}: {kind}"))
        }
        SdkError::ResponseError(_) => {
            unavailable(format!("SQS {operation}: the response could not be read"))
        }
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let code = error.code().unwrap_or("no error code");
            let what = format!("SQS {operation}: {code} (HTTP {status})");
            if status >= 500 || code.contains("Throttl") || code.contains("ServiceUnavailable") {
                unavailable(what)
            } else {
                failed(what)
            }
        }
        SdkError::ConstructionFailure(_) => {
            failed(format!("SQS {operation}: the request could not be built"))
        }
        _ => failed(format!("SQS {operation}: an unexpected SDK error")),
    }
}
