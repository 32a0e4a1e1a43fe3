//! Verifying the access token of an outside identity provider (a Supabase session) before the
//! application exchanges it for a Cubby session.

use async_trait::async_trait;
use cubby_domain::{Email, ExternalId};

use crate::BoxError;

/// Who a verified token says the user is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The provider's user id (Supabase's `sub`).
    pub subject: ExternalId,
    /// The user's e-mail address, when the token has a valid one.
    pub email: Option<Email>,
    /// Whether the token says the address is verified: the top-level `email_verified` claim or
    /// `app_metadata.email_verified` is `true` (always `false` without an address).
    ///
    /// `user_metadata` is never trusted for this: a signed-in Supabase user can write it
    /// (`auth.updateUser({ data })`), so trusting it would let anyone claim another person's
    /// address and be linked to their account. Projects set the claim with a custom access
    /// token hook, or in `app_metadata`, which only the server writes.
    pub email_verified: bool,
}

/// Why a token was not accepted. Neither variant carries the token, an address or a secret.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The token must be refused; the reason is for logs only.
    #[error("the identity token is not valid ({0})")]
    Invalid(&'static str),
    /// The provider's keys cannot be fetched and no cached key fits the token.
    #[error("the identity provider's keys are unavailable")]
    Unavailable(#[source] BoxError),
}

/// Checks an identity provider's access token and says whose it is. Platform-level: it runs
/// before any session, and so before any scope, exists.
#[async_trait]
pub trait IdentityVerifier: Send + Sync {
    /// Verifies `token` (signature, issuer, audience, times and whatever else the provider's
    /// tokens must show) into the identity it names.
    ///
    /// # Errors
    ///
    /// - MUST return [`IdentityError::Invalid`] for every token that must be refused: expired,
    ///   of another issuer or audience, badly signed, or not a token at all.
    /// - [`IdentityError::Unavailable`] only when the provider's keys cannot be had and nothing
    ///   cached can decide.
    async fn verify(&self, token: &str) -> Result<ExternalIdentity, IdentityError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neither_an_identity_nor_an_error_prints_an_address() {
        let identity = ExternalIdentity {
            subject: ExternalId::parse("8f0c5e0e-2d7e-4f57-9a7b-2a1f3c4d5e6f").unwrap(),
            email: Some(Email::parse("ada.lovelace@example.com").unwrap()),
            email_verified: true,
        };
        let printed = format!("{identity:?}");
        assert!(!printed.contains("ada.lovelace"), "{printed}");
        let error = IdentityError::Unavailable("connection refused".into());
        assert_eq!(
            error.to_string(),
            "the identity provider's keys are unavailable"
        );
        assert_eq!(
            IdentityError::Invalid("signature").to_string(),
            "the identity token is not valid (signature)"
        );
    }
}
