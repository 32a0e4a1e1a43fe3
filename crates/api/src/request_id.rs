//! Request ids: accepted from `X-Request-ID` when well-formed, generated otherwise, echoed on
//! every response and written in every error body and log line.

use std::fmt;

use http::{HeaderMap, HeaderName};

/// The header carrying the request id.
pub(crate) const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// A request id: 1 to 128 characters of `A-Z a-z 0-9 - _ . :`.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The caller's id if it is well-formed, else a new one.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        headers
            .get(&HEADER)
            .and_then(|value| value.to_str().ok())
            .filter(|value| is_well_formed(value))
            .map(|value| Self(value.to_owned()))
            .unwrap_or_else(Self::generate)
    }

    /// A new id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_well_formed(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, value.parse().unwrap());
        headers
    }

    #[test]
    fn a_well_formed_id_is_kept() {
        assert_eq!(
            RequestId::from_headers(&with("abc-123_x.y:z")).as_str(),
            "abc-123_x.y:z"
        );
    }

    #[test]
    fn a_malformed_or_missing_id_is_replaced() {
        for bad in ["", "has space", "<script>", &"x".repeat(129)] {
            let id = RequestId::from_headers(&with(bad));
            assert_ne!(id.as_str(), bad);
            assert!(is_well_formed(id.as_str()));
        }
        assert!(is_well_formed(
            RequestId::from_headers(&HeaderMap::new()).as_str()
        ));
    }
}
