//! AWS SDK errors as [`RepoError`]s, the same way for every service. Messages name the service,
//! the operation, the error code and the HTTP status, or the kind of network failure: never a
//! URL, a signature, a receipt handle, a body or a key.

use std::fmt;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use cubby_ports::{MailError, RepoError};

/// An AWS failure, described without anything secret.
#[derive(Debug)]
pub struct AwsError(String);

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AwsError {}

/// A [`RepoError::Failed`] saying `what`.
pub fn failed(what: impl Into<String>) -> RepoError {
    RepoError::Failed(Box::new(AwsError(what.into())))
}

/// A [`RepoError::Unavailable`] saying `what`.
pub fn unavailable(what: impl Into<String>) -> RepoError {
    RepoError::Unavailable(Box::new(AwsError(what.into())))
}

/// The error code the service answered, if it answered one.
pub fn service_code<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Option<&str> {
    match error {
        SdkError::ServiceError(_) => error.code(),
        _ => None,
    }
}

/// `error`, from `operation` of `service` (`"S3"`, `"SQS"`), as a [`RepoError`]: timeouts,
/// network failures, unreadable responses, 5xx answers and the service error codes `busy` names
/// (throttling) are [`RepoError::Unavailable`], so that callers try again later; anything else
/// (denied access, a missing bucket or queue, a rejected request) is [`RepoError::Failed`].
pub fn sdk_error<E: ProvideErrorMetadata>(
    service: &str,
    operation: &str,
    error: &SdkError<E, HttpResponse>,
    busy: fn(&str) -> bool,
) -> RepoError {
    match error {
        SdkError::TimeoutError(_) => unavailable(format!("{service} {operation}: timed out")),
        SdkError::DispatchFailure(failure) => {
            let kind = if failure.is_timeout() {
                "timed out".to_owned()
            } else if let Some(connector) = failure.as_connector_error() {
                format!("not reached ({})", DisplayErrorContext(connector))
            } else {
                "not reached".to_owned()
            };
            unavailable(format!("{service} {operation}: {kind}"))
        }
        SdkError::ResponseError(_) => unavailable(format!(
            "{service} {operation}: the response could not be read"
        )),
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let code = error.code().unwrap_or("no error code");
            let what = format!("{service} {operation}: {code} (HTTP {status})");
            if status >= 500 || busy(code) {
                unavailable(what)
            } else {
                failed(what)
            }
        }
        SdkError::ConstructionFailure(_) => failed(format!(
            "{service} {operation}: the request could not be built"
        )),
        _ => failed(format!("{service} {operation}: an unexpected SDK error")),
    }
}

/// `error`, from `operation` of a mail `service` (`"SES"`), as a [`MailError`], by whether the
/// message may have been taken:
///
/// - not sent, so safe to send again: a failure to connect, a 5xx answer, the service error
///   codes `busy` names (throttling), and any other refusal that is not about the message
///   (denied access, sending paused);
/// - rejected for good: the service error codes `refused` names (a malformed or refused
///   message, an unverified sender), and a request that could not even be built;
/// - unknown: a timeout, or an answer that could not be read, since the service may have taken
///   the message first.
///
/// Like [`sdk_error`], it says the service, the operation, the code and the status, never the
/// service's message (which may repeat an address).
pub fn mail_error<E: ProvideErrorMetadata>(
    service: &str,
    operation: &str,
    error: &SdkError<E, HttpResponse>,
    busy: fn(&str) -> bool,
    refused: fn(&str) -> bool,
) -> MailError {
    match error {
        SdkError::TimeoutError(_) => {
            MailError::Unknown(format!("{service} {operation}: timed out"))
        }
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            MailError::Unknown(format!("{service} {operation}: timed out"))
        }
        SdkError::DispatchFailure(_) => {
            MailError::NotSent(format!("{service} {operation}: not reached"))
        }
        SdkError::ResponseError(_) => MailError::Unknown(format!(
            "{service} {operation}: the response could not be read"
        )),
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let code = error.code().unwrap_or("no error code");
            let what = format!("{service} {operation}: {code} (HTTP {status})");
            if status < 500 && !busy(code) && refused(code) {
                MailError::Rejected(what)
            } else {
                MailError::NotSent(what)
            }
        }
        SdkError::ConstructionFailure(_) => MailError::Rejected(format!(
            "{service} {operation}: the request could not be built"
        )),
        _ => MailError::Unknown(format!("{service} {operation}: an unexpected SDK error")),
    }
}

#[cfg(test)]
mod tests {
    use aws_smithy_runtime_api::client::result::SdkError;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;
    use cubby_ports::RepoError;

    use super::{sdk_error, service_code};

    fn answered(status: u16, code: &str) -> SdkError<ErrorMetadata, super::HttpResponse> {
        let raw = Response::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        SdkError::service_error(ErrorMetadata::builder().code(code).build(), raw)
    }

    fn throttled(code: &str) -> bool {
        code == "SlowDown"
    }

    #[test]
    fn answers_are_unavailable_when_the_service_is_busy_and_failed_otherwise() {
        let cases = [
            (503, "ServiceUnavailable", true),
            (500, "InternalError", true),
            (400, "SlowDown", true),
            (403, "AccessDenied", false),
            (404, "NoSuchBucket", false),
        ];
        for (status, code, busy) in cases {
            let error = answered(status, code);
            assert_eq!(service_code(&error), Some(code));
            let mapped = sdk_error("S3", "PutObject", &error, throttled);
            assert_eq!(matches!(mapped, RepoError::Unavailable(_)), busy, "{code}");
            assert_eq!(matches!(mapped, RepoError::Failed(_)), !busy, "{code}");
            let text = match mapped {
                RepoError::Unavailable(cause) | RepoError::Failed(cause) => cause.to_string(),
                other => panic!("{other:?}"),
            };
            assert_eq!(text, format!("S3 PutObject: {code} (HTTP {status})"));
        }
    }

    #[test]
    fn mail_is_rejected_only_when_refused_and_unknown_after_a_timeout() {
        use cubby_ports::MailError;

        use super::mail_error;

        let refused = |code: &str| code == "MessageRejected";
        let cases = [
            (400, "MessageRejected", "rejected"),
            (400, "SlowDown", "not sent"),
            (403, "AccessDenied", "not sent"),
            (500, "MessageRejected", "not sent"),
            (503, "ServiceUnavailable", "not sent"),
        ];
        for (status, code, kind) in cases {
            let mapped = mail_error(
                "SES",
                "SendEmail",
                &answered(status, code),
                throttled,
                refused,
            );
            let (got, text) = match mapped {
                MailError::Rejected(text) => ("rejected", text),
                MailError::NotSent(text) => ("not sent", text),
                MailError::Unknown(text) => ("unknown", text),
            };
            assert_eq!(got, kind, "{code}");
            assert_eq!(text, format!("SES SendEmail: {code} (HTTP {status})"));
        }
        let error: SdkError<ErrorMetadata, super::HttpResponse> = SdkError::timeout_error("slow");
        assert!(matches!(
            mail_error("SES", "SendEmail", &error, throttled, refused),
            MailError::Unknown(_)
        ));
    }

    #[test]
    fn a_timeout_is_unavailable() {
        let error: SdkError<ErrorMetadata, super::HttpResponse> = SdkError::timeout_error("slow");
        assert_eq!(service_code(&error), None);
        assert!(matches!(
            sdk_error("SQS", "SendMessage", &error, throttled),
            RepoError::Unavailable(_)
        ));
    }
}
