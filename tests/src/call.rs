//! Requests as tests write them, and the answers they read.

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::Value;

/// A request being built.
#[derive(Debug)]
pub struct Call {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Call {
    /// A request of `method` to `path` (with its query).
    pub fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// `GET path`.
    pub fn get(path: &str) -> Self {
        Self::new(Method::GET, path)
    }

    /// `POST path`.
    pub fn post(path: &str) -> Self {
        Self::new(Method::POST, path)
    }

    /// `PATCH path`.
    pub fn patch(path: &str) -> Self {
        Self::new(Method::PATCH, path)
    }

    /// `PUT path`.
    pub fn put(path: &str) -> Self {
        Self::new(Method::PUT, path)
    }

    /// `DELETE path`.
    pub fn delete(path: &str) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// With `Authorization: Bearer token`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// With a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        self
    }

    /// With `If-Match` naming `version`.
    pub fn if_match(self, version: u64) -> Self {
        self.header("if-match", &format!("\"{version}\""))
    }

    /// With a JSON body.
    pub fn json(self, body: &Value) -> Self {
        self.raw("application/json", serde_json::to_vec(body).unwrap())
    }

    /// With a body of any type.
    pub fn raw(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.headers
            .insert(header::CONTENT_TYPE, content_type.parse().unwrap());
        self.body = body.into();
        self
    }

    /// The `http` request.
    pub fn into_request(self) -> Request<Bytes> {
        let mut request = Request::builder()
            .method(self.method)
            .uri(self.path)
            .body(self.body)
            .unwrap();
        *request.headers_mut() = self.headers;
        request
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub bytes: Bytes,
}

impl Reply {
    /// The body as JSON (`Null` when empty).
    pub fn json(&self) -> Value {
        if self.bytes.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.bytes))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            String::from_utf8_lossy(&self.bytes)
        );
        self
    }

    /// Asserts a 422 `validation.failed` where some field was refused with `code`.
    #[track_caller]
    pub fn expect_field_error(&self, code: &str) -> &Self {
        self.expect_error(422, "validation.failed");
        let body = self.json();
        let found = body["details"]["fields"]
            .as_array()
            .is_some_and(|fields| fields.iter().any(|f| f["code"] == code));
        assert!(found, "no field refused with {code}: {body}");
        self
    }

    /// Asserts an error in the uniform shape with this status and code.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> &Self {
        self.expect(status);
        let body = self.json();
        assert_eq!(body["code"], code, "unexpected error code: {body}");
        assert!(
            body["message"].is_string(),
            "error without a message: {body}"
        );
        assert_eq!(
            body["request_id"].as_str(),
            self.header("x-request-id"),
            "the error body's request_id differs from X-Request-ID: {body}"
        );
        let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert!(
            keys.iter()
                .all(|k| ["code", "message", "details", "request_id"].contains(&k.as_str())),
            "error body has other keys: {body}"
        );
        self
    }
}
