//! What a handler gets: the application, the caller's scope, and typed access to the request.

use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use bytes::Bytes;
use cubby_app::App;
use cubby_app::platform::Operator;
use cubby_app::session::Session;
use cubby_domain::{ErrorCode, Version};
use cubby_ports::{PageRequest, SortDirection, TenantScope};
use http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::{ApiConfig, ApiError, RequestId};

/// One request, as a handler sees it.
#[derive(Debug)]
pub struct Ctx {
    pub(crate) app: Arc<App>,
    pub(crate) config: ApiConfig,
    pub(crate) session: Option<Session>,
    /// The platform operator, on a platform route.
    pub(crate) operator: Option<Operator>,
    pub(crate) client: Option<IpAddr>,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) query: Option<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) request_id: RequestId,
}

impl Ctx {
    /// The application.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The caller's scope. Every route that declares a permission has one.
    ///
    /// # Errors
    ///
    /// [`ApiError::internal`] on a public route, where there is no session.
    pub fn scope(&self) -> Result<&TenantScope, ApiError> {
        self.session().map(|session| &session.scope)
    }

    /// The caller's session. Every route that is not public has one.
    ///
    /// # Errors
    ///
    /// [`ApiError::internal`] on a public route, where there is no session.
    pub fn session(&self) -> Result<&Session, ApiError> {
        self.session
            .as_ref()
            .ok_or_else(|| ApiError::internal("a public route asked for a session".into()))
    }

    /// The platform operator calling. Every platform route has one.
    ///
    /// # Errors
    ///
    /// [`ApiError::internal`] on any other route.
    pub fn operator(&self) -> Result<&Operator, ApiError> {
        self.operator
            .as_ref()
            .ok_or_else(|| ApiError::internal("a centre's route asked for an operator".into()))
    }

    /// The client's address, when the host knows it.
    pub fn client(&self) -> Option<IpAddr> {
        self.client
    }

    /// The api's configuration.
    pub fn config(&self) -> &ApiConfig {
        &self.config
    }

    /// The request's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The request id.
    pub fn request_id(&self) -> &RequestId {
        &self.request_id
    }

    /// A path parameter parsed as `T`. An id that does not parse names nothing that exists,
    /// so it answers 404 like any unknown id.
    ///
    /// # Errors
    ///
    /// [`ApiError::not_found`].
    pub fn param<T: FromStr>(&self, name: &str) -> Result<T, ApiError> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| value.parse().ok())
            .ok_or_else(ApiError::not_found)
    }

    /// The JSON body as `T`.
    ///
    /// # Errors
    ///
    /// `400 request.malformed_json` with the line, column and reason.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if self.body.is_empty() {
            return Err(ApiError::bad_request(
                ErrorCode::RequestBodyRequired,
                "this request needs a JSON body",
            ));
        }
        serde_json::from_slice(&self.body)
            .or_else(|error| {
                // JSON has one number type: `12.0` is the integer 12 to JSON Schema, so a body
                // spelling an integer that way is read as the integer before it is refused.
                // The rewritten text goes through the same strict parse (duplicate fields,
                // unknown fields and all), never through a lenient `Value`.
                whole_numbers(&self.body)
                    .and_then(|rewritten| serde_json::from_slice(&rewritten).ok())
                    .ok_or(error)
            })
            .map_err(|error| {
                ApiError::bad_request(
                    ErrorCode::RequestMalformedJson,
                    "the body is not the JSON this route expects",
                )
                .with_details(serde_json::json!({
                    "line": error.line(),
                    "column": error.column(),
                    "reason": error.to_string(),
                }))
            })
    }

    /// The query string as `T` (an absent query is an empty one).
    ///
    /// # Errors
    ///
    /// `400 request.invalid_query` with the reason.
    pub fn query<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_urlencoded::from_str(self.query.as_deref().unwrap_or("")).map_err(|error| {
            ApiError::bad_request(
                ErrorCode::RequestInvalidQuery,
                "the query string is not valid for this route",
            )
            .with_details(serde_json::json!({ "reason": error.to_string() }))
        })
    }

    /// The version named by `If-Match`, which changes and archives require.
    ///
    /// # Errors
    ///
    /// `428 precondition.required` when absent; `400 request.invalid_if_match` when it is not
    /// one ETag this API issued.
    pub fn if_match(&self) -> Result<Version, ApiError> {
        let raw = self.headers.get(header::IF_MATCH).ok_or_else(|| {
            ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                ErrorCode::PreconditionRequired,
                "send If-Match with the ETag of the version you read",
            )
        })?;
        raw.to_str()
            .ok()
            .map(|value| value.trim().trim_start_matches("W/"))
            .and_then(|value| value.strip_prefix('"')?.strip_suffix('"'))
            .and_then(|digits| digits.parse::<u64>().ok())
            .and_then(Version::new)
            .ok_or_else(|| {
                ApiError::bad_request(
                    ErrorCode::RequestInvalidIfMatch,
                    "If-Match must be one ETag, such as \"3\"",
                )
            })
    }
}

/// A page request from the `limit` and `offset` query parameters.
///
/// # Errors
///
/// `400 request.invalid_query` when either is out of range.
pub(crate) fn page(limit: Option<u32>, offset: Option<u64>) -> Result<PageRequest, ApiError> {
    let default = PageRequest::default();
    PageRequest::new(limit.unwrap_or(default.limit()), offset.unwrap_or(0))
        .map_err(|error| ApiError::bad_request(ErrorCode::RequestInvalidQuery, error.to_string()))
}

/// The keys a list sorts by, each with its name in the `sort` query parameter: the one list
/// that both the handler parses and the document offers (`with::sort`).
pub(crate) struct SortKeys<K: 'static>(pub(crate) &'static [(&'static str, K)]);

impl<K: Copy> SortKeys<K> {
    /// The sort the `sort` query parameter names: a key, with `-` in front for descending;
    /// `default` without one.
    ///
    /// # Errors
    ///
    /// `400 request.invalid_query` naming the keys allowed.
    pub(crate) fn parse(
        &self,
        raw: Option<&str>,
        default: (K, SortDirection),
    ) -> Result<(K, SortDirection), ApiError> {
        let Some(raw) = raw else {
            return Ok(default);
        };
        let (name, direction) = match raw.strip_prefix('-') {
            Some(name) => (name, SortDirection::Descending),
            None => (raw, SortDirection::Ascending),
        };
        self.0
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, key)| (*key, direction))
            .ok_or_else(|| {
                let allowed: Vec<&str> = self.names().collect();
                ApiError::bad_request(
                    ErrorCode::RequestInvalidQuery,
                    format!(
                        "sort must be one of {}, optionally with a leading -",
                        allowed.join(", ")
                    ),
                )
            })
    }

    /// The keys' names, in order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &'static str> {
        self.0.iter().map(|(name, _)| *name)
    }
}

impl SortKeys<()> {
    /// The direction of a list with one sort key, from the `sort` query parameter: `key` or
    /// `-key`; `default` without one.
    ///
    /// # Errors
    ///
    /// `400 request.invalid_query` naming the key allowed.
    pub(crate) fn direction(
        &self,
        raw: Option<&str>,
        default: SortDirection,
    ) -> Result<SortDirection, ApiError> {
        self.parse(raw, ((), default))
            .map(|((), direction)| direction)
    }
}

/// `body` with every number literal outside strings that is a whole float within the range
/// integers are exact in (`12.0`, `-3e2`) written as an integer, and every other byte as it was;
/// `None` when there is no such number. Only number tokens change, so the rewritten text keeps
/// the body's keys, order and duplicates for the strict parse to judge.
fn whole_numbers(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let mut changed = false;
    let mut at = 0;
    while at < body.len() {
        match body[at] {
            b'"' => {
                let end = string_end(body, at);
                out.extend_from_slice(&body[at..end]);
                at = end;
            }
            b'-' | b'0'..=b'9' => {
                let end = body[at..]
                    .iter()
                    .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .map_or(body.len(), |len| at + len);
                let token = &body[at..end];
                match whole(token) {
                    Some(whole) => {
                        out.extend_from_slice(whole.to_string().as_bytes());
                        changed = true;
                    }
                    None => out.extend_from_slice(token),
                }
                at = end;
            }
            byte => {
                out.push(byte);
                at += 1;
            }
        }
    }
    changed.then_some(out)
}

/// Where the string starting with the quote at `start` ends (one past its closing quote, or the
/// end of `body` when it is not closed).
fn string_end(body: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while at < body.len() {
        match body[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    body.len()
}

/// The integer a float literal (one with a fraction or an exponent) spells exactly, if any.
fn whole(token: &[u8]) -> Option<i64> {
    if !token.iter().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        return None;
    }
    let float: f64 = std::str::from_utf8(token).ok()?.parse().ok()?;
    if float.fract() != 0.0 || float.abs() >= 9.0e15 {
        return None;
    }
    // Exact: a float this small with no fraction is an integer.
    #[expect(clippy::cast_possible_truncation, reason = "whole and below 2^53")]
    Some(float as i64)
}

#[cfg(test)]
mod whole_number_tests {
    use super::whole_numbers;
    use serde_json::json;

    #[test]
    fn whole_floats_become_integers_and_fractions_stay() {
        let body = br#"{"capacity": 12.0, "bands": [{"from": -3e2}], "ratio": 0.5, "n": 7}"#;
        let rewritten = whole_numbers(body).unwrap();
        assert_eq!(
            rewritten,
            br#"{"capacity": 12, "bands": [{"from": -300}], "ratio": 0.5, "n": 7}"#
        );
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&rewritten).unwrap(),
            json!({"capacity": 12, "bands": [{"from": -300}], "ratio": 0.5, "n": 7})
        );
        assert_eq!(whole_numbers(br#"{"capacity": 12}"#), None);
        assert_eq!(whole_numbers(b"not json"), None);
    }

    #[test]
    fn only_number_tokens_change() {
        // Numbers inside strings (escaped quotes too) stay; keys, order and duplicates stay.
        let body = br#"{"name": "a 1.0 \" 2.0", "name": "b", "n": 1.0}"#;
        assert_eq!(
            whole_numbers(body).unwrap(),
            br#"{"name": "a 1.0 \" 2.0", "name": "b", "n": 1}"#
        );
        // Too large to be exact, or not a number at all: kept as written.
        assert_eq!(whole_numbers(br#"{"n": 1e16, "m": 1e999}"#), None);
        assert_eq!(whole_numbers(br#"{"n": 1.5, "m": -}"#), None);
    }

    #[test]
    fn a_duplicate_field_is_refused_whatever_the_numbers_look_like() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[expect(dead_code, reason = "only the parse matters")]
        struct Room {
            name: String,
            capacity: u16,
        }
        for body in [
            &br#"{"name": "a", "name": "b", "capacity": 12}"#[..],
            br#"{"name": "a", "name": "b", "capacity": 12.0}"#,
            br#"{"name": "a", "capacity": 12.0, "capacity": 13}"#,
        ] {
            assert!(serde_json::from_slice::<Room>(body).is_err());
            let retried = whole_numbers(body).map(|text| serde_json::from_slice::<Room>(&text));
            assert!(
                !matches!(retried, Some(Ok(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
