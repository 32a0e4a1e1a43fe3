//! SDK errors as [`RepoError`]s. Messages name the operation, the SQS error code and the HTTP
//! status, or the kind of network failure: never a queue URL, a receipt handle, a body or a key.

use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
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

pub(crate) use cubby_adapters_aws::failed;

/// A [`RepoError::Corrupt`]: a message on a queue that is not a job (named by what is wrong,
/// never by what it holds).
pub(crate) fn corrupt(what: &str) -> RepoError {
    RepoError::corrupt(format!("an SQS job message: {what}"))
}

/// Whether SQS answered that a receipt handle no longer holds its message: it was deleted, or
/// its visibility timeout ran out (another receiver may have it now).
pub(crate) fn is_stale_receipt<E: ProvideErrorMetadata>(error: &SdkError<E>) -> bool {
    cubby_adapters_aws::service_code(error).is_some_and(|code| {
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

/// As every AWS adapter maps them ([`cubby_adapters_aws::sdk_error`]), throttling codes meaning
/// busy: a missing queue, denied access or a rejected message is [`RepoError::Failed`].
pub(crate) fn map_error<E: ProvideErrorMetadata>(
    operation: Operation,
    error: SdkError<E>,
) -> RepoError {
    cubby_adapters_aws::sdk_error("SQS", operation.as_str(), &error, |code| {
        code.contains("Throttl") || code.contains("ServiceUnavailable")
    })
}
