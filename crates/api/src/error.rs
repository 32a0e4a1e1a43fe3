//! The one error type of the REST layer, and its uniform body
//! `{code, message, details?, request_id}`.
//!
//! The message and details are written for the caller and never hold a stack trace, a driver
//! message or a secret; the source of a 5xx goes to the log only.

use bytes::Bytes;
use cubby_app::{AppError, AuthError};
use cubby_domain::ErrorCode;
use cubby_ports::BoxError;
use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;
use serde_json::Value;

use crate::RequestId;

/// A failed request: a status, a stable code, a message and optional details.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    details: Option<Box<Value>>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
    source: Option<BoxError>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a Value>,
    request_id: &'a str,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            headers: Vec::new(),
            source: None,
        }
    }

    /// The same error with details for the caller.
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    /// The same error with a response header.
    #[must_use]
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// `400 Bad Request`: the request cannot be read.
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// `404 Not Found`: no such resource, or one the caller may not know of.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no such resource",
        )
    }

    /// `401 Unauthorized`: no session, or one that is not valid.
    pub fn unauthenticated(code: ErrorCode, message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    /// `422 Unprocessable Content`: the request is well-formed but its values break the rules;
    /// `fields` lists every refused field with a code and a message.
    pub fn validation(fields: Vec<FieldError>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            "some fields are not valid",
        )
        .with_details(serde_json::json!({ "fields": fields }))
    }

    /// `500 Internal Server Error`, with the cause kept for the log.
    pub fn internal(source: BoxError) -> Self {
        Self {
            source: Some(source),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "something went wrong on our side",
            )
        }
    }

    /// `503 Service Unavailable`, with the cause kept for the log.
    pub fn unavailable(source: BoxError) -> Self {
        Self {
            source: Some(source),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "a service Cubby depends on is unavailable; try again shortly",
            )
        }
    }

    /// The error for a store failure outside a use case.
    pub(crate) fn from_repo(error: cubby_ports::RepoError) -> Self {
        AppError::from(error).into()
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The cause, for the log.
    pub fn source(&self) -> Option<&BoxError> {
        self.source.as_ref()
    }

    /// The response carrying this error.
    pub fn into_response(self, request_id: &RequestId) -> Response<Bytes> {
        let body = ErrorBody {
            code: self.code.as_str(),
            message: &self.message,
            details: self.details.as_deref(),
            request_id: request_id.as_str(),
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = Response::new(Bytes::from(bytes));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        response
    }
}

/// One refused field of a request body or query.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as a dotted path (`age_range.max_months`).
    pub field: String,
    /// A stable code (`room.invalid_capacity`), sent as its wire form.
    #[serde(serialize_with = "code_str")]
    pub code: ErrorCode,
    /// What is wrong.
    pub message: String,
}

/// An [`ErrorCode`] as its wire form.
fn code_str<S: serde::Serializer>(code: &ErrorCode, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(code.as_str())
}

/// `413 Payload Too Large`.
pub(crate) fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::RequestTooLarge,
        format!("the request body is larger than {limit} bytes"),
    )
}

/// 429 with `code`, `message` and `Retry-After` (whole seconds, rounded up).
pub(crate) fn too_many(
    code: ErrorCode,
    message: &'static str,
    retry_after: std::time::Duration,
) -> ApiError {
    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    let error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, message);
    match HeaderValue::from_str(&seconds.max(1).to_string()) {
        Ok(value) => error.with_header(header::RETRY_AFTER, value),
        Err(_) => error,
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotFound => ApiError::not_found(),
            AppError::Forbidden(permission) => forbidden(permission),
            AppError::Conflict { code, message } => {
                ApiError::new(StatusCode::CONFLICT, code, message)
            }
            AppError::Rule { code, message } => ApiError::new(StatusCode::CONFLICT, code, message),
            AppError::Denied { code, message } => {
                ApiError::new(StatusCode::FORBIDDEN, code, message)
            }
            AppError::Invalid {
                field,
                code,
                message,
            } => ApiError::validation(vec![FieldError {
                field: field.to_owned(),
                code,
                message,
            }]),
            AppError::StaleVersion => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                ErrorCode::PreconditionFailed,
                "the resource changed since the version in If-Match; read it again",
            ),
            AppError::Unavailable(source) => ApiError::unavailable(source),
            AppError::Internal(source) => ApiError::internal(source),
        }
    }
}

/// `403 Forbidden` for a missing permission.
pub(crate) fn forbidden(permission: cubby_domain::Permission) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
        "your role does not allow this",
    )
    .with_details(serde_json::json!({ "permission": permission.as_str() }))
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Invalid(_) => ApiError::unauthenticated(
                ErrorCode::AuthInvalidToken,
                "the access token is not valid",
            ),
            AuthError::Unavailable(source) => ApiError::unavailable(source),
        }
    }
}
