//! Browser sessions: `__Host-` cookies and signed double-submit CSRF tokens.
//!
//! A browser client gets three cookies: the access token (HttpOnly, SameSite=Lax), the refresh
//! token (HttpOnly, SameSite=Strict) and the CSRF token (readable by the page, SameSite=Strict).
//! Every unsafe request authenticated by cookie must echo the CSRF token in `X-CSRF-Token`; the
//! token is an HMAC over the session id and a nonce, so a cookie planted by a sibling subdomain
//! (which plain double submit cannot tell from ours) fails the check. `__Host-` cookies are
//! Secure, host-only and `Path=/`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cubby_domain::SessionId;
use hmac::{KeyInit, Mac};
use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The access token cookie.
pub const ACCESS: &str = "__Host-cubby_access";
/// The refresh token cookie.
pub const REFRESH: &str = "__Host-cubby_refresh";
/// The CSRF token cookie.
pub const CSRF: &str = "__Host-cubby_csrf";
/// The header that must echo the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The value of cookie `name` in the request (the first, if sent more than once: see
/// [`repeated`]).
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Whether cookie `name` is sent more than once with different values (a browser keeps one
/// `__Host-` cookie of a name per host, so only a hand-made request does this).
pub fn repeated(headers: &HeaderMap, name: &str) -> bool {
    let mut values = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| value);
    let first = values.next();
    values.any(|value| Some(value) != first)
}

/// How strictly a cookie is kept to same-site requests.
#[derive(Clone, Copy, Debug)]
pub enum SameSite {
    /// Sent on top-level navigations from other sites too.
    Lax,
    /// Sent only on requests from this site.
    Strict,
}

/// A `Set-Cookie` value for a `__Host-` cookie living `max_age_seconds` (0 clears it).
pub fn set(
    name: &str,
    value: &str,
    max_age_seconds: i64,
    http_only: bool,
    same_site: SameSite,
) -> String {
    let same_site = match same_site {
        SameSite::Lax => "Lax",
        SameSite::Strict => "Strict",
    };
    let http_only = if http_only { "; HttpOnly" } else { "" };
    format!(
        "{name}={value}; Path=/; Secure{http_only}; SameSite={same_site}; Max-Age={}",
        max_age_seconds.max(0)
    )
}

/// The key CSRF tokens are signed with.
#[derive(Clone)]
pub struct CsrfKey(SecretString);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(***)")
    }
}

type HmacSha256 = hmac::Hmac<Sha256>;

impl CsrfKey {
    /// A key from a secret of 32 bytes or more (the settings check the length).
    pub fn new(secret: SecretString) -> Self {
        Self(secret)
    }

    /// A random key for this process (dev only).
    pub fn random() -> Self {
        let bytes: [u8; 32] = rand::random();
        Self(SecretString::from(URL_SAFE_NO_PAD.encode(bytes)))
    }

    fn mac(&self, session: SessionId, nonce: &str) -> Vec<u8> {
        let Ok(mut mac) = HmacSha256::new_from_slice(self.0.expose_secret().as_bytes()) else {
            return Vec::new();
        };
        mac.update(session.to_string().as_bytes());
        mac.update(b".");
        mac.update(nonce.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// A fresh CSRF token bound to `session`: `nonce.signature`.
    pub fn issue(&self, session: SessionId) -> String {
        let nonce = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
        let signature = URL_SAFE_NO_PAD.encode(self.mac(session, &nonce));
        format!("{nonce}.{signature}")
    }

    /// Whether `token` was issued for `session` with this key (compared in constant time).
    pub fn verify(&self, token: &str, session: SessionId) -> bool {
        let Some((nonce, signature)) = token.split_once('.') else {
            return false;
        };
        let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        let expected = self.mac(session, nonce);
        !expected.is_empty() && bool::from(expected.as_slice().ct_eq(signature.as_slice()))
    }
}

/// Whether two strings are equal, compared in constant time.
pub fn same(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_token_verifies_for_its_session_and_key_only() {
        let key = CsrfKey::random();
        let session = SessionId::from_uuid(Uuid::now_v7());
        let token = key.issue(session);
        assert!(key.verify(&token, session));
        assert!(!key.verify(&token, SessionId::from_uuid(Uuid::now_v7())));
        assert!(!CsrfKey::random().verify(&token, session));
        let (nonce, _) = token.split_once('.').unwrap();
        assert!(!key.verify(&format!("{nonce}.AAAA"), session));
        assert!(!key.verify("no-dot", session));
        assert_ne!(key.issue(session), token, "every token has its own nonce");
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.append(
            http::header::COOKIE,
            "a=1; __Host-cubby_csrf=tok.en; __Host-cubby_csrfx=no"
                .parse()
                .unwrap(),
        );
        headers.append(
            http::header::COOKIE,
            "__Host-cubby_access=jwt".parse().unwrap(),
        );
        assert_eq!(read(&headers, CSRF), Some("tok.en"));
        assert_eq!(read(&headers, ACCESS), Some("jwt"));
        assert_eq!(read(&headers, REFRESH), None);
    }

    #[test]
    fn a_cookie_sent_twice_with_different_values_is_repeated() {
        let mut headers = HeaderMap::new();
        headers.append(
            http::header::COOKIE,
            "__Host-cubby_access=one; a=1".parse().unwrap(),
        );
        assert!(!repeated(&headers, ACCESS));
        headers.append(
            http::header::COOKIE,
            "__Host-cubby_access=one".parse().unwrap(),
        );
        assert!(
            !repeated(&headers, ACCESS),
            "the same value twice is one credential"
        );
        headers.append(
            http::header::COOKIE,
            "__Host-cubby_access=two".parse().unwrap(),
        );
        assert!(repeated(&headers, ACCESS));
        assert!(!repeated(&headers, REFRESH));
    }

    #[test]
    fn host_cookies_are_secure_host_only_and_scoped_to_the_root() {
        let cookie = set(ACCESS, "jwt", 900, true, SameSite::Lax);
        assert_eq!(
            cookie,
            "__Host-cubby_access=jwt; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=900"
        );
        assert!(!cookie.contains("Domain"));
        assert_eq!(
            set(CSRF, "", -5, false, SameSite::Strict),
            "__Host-cubby_csrf=; Path=/; Secure; SameSite=Strict; Max-Age=0"
        );
    }
}
