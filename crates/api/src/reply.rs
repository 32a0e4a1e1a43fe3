//! Successful answers.

use bytes::Bytes;
use cubby_domain::Version;
use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;

use crate::ApiError;

/// A successful answer: a status, a JSON body and a few headers.
#[derive(Debug)]
pub struct Reply {
    status: StatusCode,
    body: Bytes,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Reply {
    /// `status` with `body` as JSON.
    ///
    /// # Errors
    ///
    /// [`ApiError::internal`] if the body cannot be serialized.
    pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Result<Self, ApiError> {
        // Room for a typical page up front: growing a 16 KB body from serde_json's 128 bytes
        // took seven reallocations and copies.
        let mut bytes = Vec::with_capacity(4096);
        serde_json::to_writer(&mut bytes, body).map_err(|e| ApiError::internal(Box::new(e)))?;
        Ok(Self {
            status,
            body: Bytes::from(bytes),
            headers: vec![(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
        })
    }

    /// `200 OK` with `body` as JSON.
    ///
    /// # Errors
    ///
    /// As [`Reply::json`].
    pub fn ok<T: Serialize>(body: &T) -> Result<Self, ApiError> {
        Self::json(StatusCode::OK, body)
    }

    /// The same reply with an `ETag` naming `version`.
    #[must_use]
    pub fn with_etag(mut self, version: Version) -> Self {
        if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
            self.headers.push((header::ETAG, value));
        }
        self
    }

    /// The same reply with a `Location`.
    #[must_use]
    pub fn with_location(mut self, location: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(location) {
            self.headers.push((header::LOCATION, value));
        }
        self
    }

    /// The same reply with a header (several `Set-Cookie` headers add up).
    #[must_use]
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// `200 OK` with `body` as it is, declared as `content_type` (documents and assets that
    /// are not JSON, or JSON serialized once ahead of time).
    pub fn bytes(content_type: &'static str, body: Bytes) -> Self {
        Self {
            status: StatusCode::OK,
            body,
            headers: vec![(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        }
    }

    /// `status` with `body` as it is, of `content_type` when known (the dev object endpoint's
    /// answers, as S3 gives them).
    pub(crate) fn raw(status: StatusCode, content_type: Option<HeaderValue>, body: Bytes) -> Self {
        Self {
            status,
            body,
            headers: content_type
                .map(|value| (header::CONTENT_TYPE, value))
                .into_iter()
                .collect(),
        }
    }

    /// An empty `204 No Content`.
    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: Bytes::new(),
            headers: Vec::new(),
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response.
    pub fn into_response(self) -> Response<Bytes> {
        let mut response = Response::new(self.body);
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            if name == header::SET_COOKIE {
                headers.append(name, value);
            } else {
                headers.insert(name, value);
            }
        }
        response
    }
}
