//! A stand-in identity provider: it issues tokens of its own, signed with a key only it holds,
//! and verifies them as a real provider's verifier does (signature, issuer, audience, expiry),
//! with no provider to reach. For tests of the Supabase exchange that need no JWK Set.
//!
//! A token is the claims, form-encoded, then `.` and the hex HMAC-SHA256 of them.

use std::collections::HashMap;

use async_trait::async_trait;
use cubby_domain::{Email, ExternalId};
use cubby_ports::{ExternalIdentity, IdentityError, IdentityVerifier};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

/// What a token of a [`LocalIdentityProvider`] says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalClaims {
    /// The user's id (`sub`).
    pub subject: String,
    /// The user's address, if any (not checked when issuing).
    pub email: Option<String>,
    /// Whether the provider vouches for the address.
    pub email_verified: bool,
    /// Who issued the token (`iss`).
    pub issuer: String,
    /// Whom the token is for (`aud`).
    pub audience: String,
    /// When the token expires (`exp`, whole seconds).
    pub expires_at: OffsetDateTime,
}

/// An identity provider in memory: issues tokens and verifies them, for one issuer and audience.
pub struct LocalIdentityProvider {
    key: [u8; 32],
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for LocalIdentityProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalIdentityProvider")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl LocalIdentityProvider {
    /// A provider with a key of its own, whose verifier accepts tokens of `issuer` for
    /// `audience` only.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            key: rand::random(),
            issuer: issuer.into(),
            audience: audience.into(),
        }
    }

    /// A token saying `claims`, signed with this provider's key (whatever the claims say).
    pub fn issue(&self, claims: &LocalClaims) -> String {
        let mut pairs = vec![("sub", claims.subject.clone())];
        if let Some(email) = &claims.email {
            pairs.push(("email", email.clone()));
        }
        pairs.extend([
            ("email_verified", claims.email_verified.to_string()),
            ("iss", claims.issuer.clone()),
            ("aud", claims.audience.clone()),
            ("exp", claims.expires_at.unix_timestamp().to_string()),
        ]);
        let payload = serde_urlencoded::to_string(pairs).unwrap_or_default();
        let signature = hex::encode(self.mac(payload.as_bytes()));
        format!("{payload}.{signature}")
    }

    fn mac(&self, payload: &[u8]) -> Vec<u8> {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return Vec::new();
        };
        mac.update(payload);
        mac.finalize().into_bytes().to_vec()
    }

    /// The claims of `token`, if this provider signed it.
    fn signed_claims(&self, token: &str) -> Result<HashMap<String, String>, IdentityError> {
        let (payload, signature) = token
            .rsplit_once('.')
            .ok_or(IdentityError::Invalid("malformed"))?;
        let expected = hex::encode(self.mac(payload.as_bytes()));
        let same: bool =
            subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), signature.as_bytes()).into();
        if !same {
            return Err(IdentityError::Invalid("signature"));
        }
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(payload).map_err(|_| IdentityError::Invalid("malformed"))?;
        let count = pairs.len();
        let claims: HashMap<String, String> = pairs.into_iter().collect();
        if claims.len() != count {
            return Err(IdentityError::Invalid("repeated claim"));
        }
        Ok(claims)
    }
}

#[async_trait]
impl IdentityVerifier for LocalIdentityProvider {
    async fn verify(&self, token: &str) -> Result<ExternalIdentity, IdentityError> {
        let claims = self.signed_claims(token)?;
        let claim = |name: &'static str| {
            claims
                .get(name)
                .map(String::as_str)
                .ok_or(IdentityError::Invalid("missing claim"))
        };
        if self.issuer.is_empty() || claim("iss")? != self.issuer {
            return Err(IdentityError::Invalid("issuer"));
        }
        if self.audience.is_empty() || claim("aud")? != self.audience {
            return Err(IdentityError::Invalid("audience"));
        }
        let expires_at: i64 = claim("exp")?
            .parse()
            .map_err(|_| IdentityError::Invalid("malformed"))?;
        if expires_at <= OffsetDateTime::now_utc().unix_timestamp() {
            return Err(IdentityError::Invalid("expired"));
        }
        let subject =
            ExternalId::parse(claim("sub")?).map_err(|_| IdentityError::Invalid("sub"))?;
        let email = claims
            .get("email")
            .and_then(|email| Email::parse(email).ok());
        let verified = claims.get("email_verified").map(String::as_str) == Some("true");
        Ok(ExternalIdentity {
            subject,
            email_verified: verified && email.is_some(),
            email,
        })
    }
}

#[cfg(test)]
mod tests {
    use cubby_ports::IdentityVerifier;
    use cubby_ports::contract::identity::{AUDIENCE, ISSUER, TokenClaims, TrustedIssuer};

    use super::{LocalClaims, LocalIdentityProvider};

    /// The provider under test, and another one whose tokens it must not accept.
    struct Local {
        provider: LocalIdentityProvider,
        impostor: LocalIdentityProvider,
    }

    impl Local {
        fn new() -> Self {
            Self {
                provider: LocalIdentityProvider::new(ISSUER, AUDIENCE),
                impostor: LocalIdentityProvider::new(ISSUER, AUDIENCE),
            }
        }
    }

    fn local(claims: &TokenClaims) -> LocalClaims {
        LocalClaims {
            subject: claims.subject.clone(),
            email: claims.email.clone(),
            email_verified: claims.email_verified,
            issuer: claims.issuer.clone(),
            audience: claims.audience.clone(),
            expires_at: claims.expires_at,
        }
    }

    impl TrustedIssuer for Local {
        fn verifier(&self) -> &dyn IdentityVerifier {
            &self.provider
        }

        fn mint(&self, claims: &TokenClaims) -> String {
            self.provider.issue(&local(claims))
        }

        fn forge(&self, claims: &TokenClaims) -> String {
            self.impostor.issue(&local(claims))
        }
    }

    cubby_ports::identity_verifier_contract!(async { Local::new() });

    #[test]
    fn the_key_is_not_printed() {
        let printed = format!("{:?}", LocalIdentityProvider::new(ISSUER, AUDIENCE));
        assert_eq!(
            printed,
            format!("LocalIdentityProvider {{ issuer: {ISSUER:?}, audience: {AUDIENCE:?}, .. }}")
        );
    }

    #[tokio::test]
    async fn a_repeated_claim_is_refused() {
        let provider = LocalIdentityProvider::new(ISSUER, AUDIENCE);
        let claims = local(&TokenClaims::valid());
        let token = provider.issue(&claims);
        let (payload, _) = token.rsplit_once('.').unwrap();
        let doubled = format!("{payload}&sub=someone-else");
        let resigned = format!(
            "{doubled}.{}",
            hex::encode(provider.mac(doubled.as_bytes()))
        );
        assert!(matches!(
            provider.verify(&resigned).await,
            Err(cubby_ports::IdentityError::Invalid("repeated claim"))
        ));
    }
}
