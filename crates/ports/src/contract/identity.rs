//! The contract of [`IdentityVerifier`]: what every verifier of an identity provider's tokens
//! accepts and refuses, whatever the provider's token format and keys.
//!
//! The adapter under test comes with the issuer it trusts (a [`TrustedIssuer`]): a verifier
//! configured for [`ISSUER`] and [`AUDIENCE`], and a way to mint tokens as that issuer does (and
//! to forge them with a key the verifier does not trust).

use std::panic::AssertUnwindSafe;

use cubby_domain::Email;
use futures::FutureExt;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{ExternalIdentity, IdentityError, IdentityVerifier};

/// The issuer the verifier under test must trust.
pub const ISSUER: &str = "https://contract.cubby.test/auth/v1";

/// The audience the verifier under test must require.
pub const AUDIENCE: &str = "authenticated";

/// Runs every identity verifier case against the [`TrustedIssuer`] `$make` resolves to.
#[macro_export]
macro_rules! identity_verifier_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!($crate::contract::identity, $($make)+, [
            a_valid_token_yields_the_identity_its_claims_name,
            the_email_is_verified_only_as_the_claims_say,
            an_expired_token_is_invalid,
            a_token_of_another_issuer_is_invalid,
            a_token_for_another_audience_is_invalid,
            a_token_signed_with_another_key_is_invalid,
            garbage_is_invalid_and_nothing_panics,
            concurrent_verifications_each_get_their_own_answer,
        ]);
    };
}

/// What a token minted for a case says, in the provider's terms: the adapter's
/// [`TrustedIssuer`] writes them into its own token format (adding whatever else its real
/// tokens carry, such as Supabase's `role`).
#[derive(Clone, Debug)]
pub struct TokenClaims {
    /// The user's id at the provider (`sub`).
    pub subject: String,
    /// The user's address, if the token has one.
    pub email: Option<String>,
    /// Whether the provider says the address is verified (in a claim only it writes).
    pub email_verified: bool,
    /// Who issued the token (`iss`).
    pub issuer: String,
    /// Whom the token is for (`aud`).
    pub audience: String,
    /// When the token expires (`exp`).
    pub expires_at: OffsetDateTime,
}

impl TokenClaims {
    /// The claims of a fresh, valid token of [`ISSUER`] for [`AUDIENCE`], for a new subject
    /// with a verified address.
    pub fn valid() -> Self {
        Self {
            subject: Uuid::now_v7().to_string(),
            email: Some("Ada.Lovelace@Example.COM".to_owned()),
            email_verified: true,
            issuer: ISSUER.to_owned(),
            audience: AUDIENCE.to_owned(),
            expires_at: OffsetDateTime::now_utc() + time::Duration::hours(1),
        }
    }
}

/// The verifier under test and the issuer it trusts.
pub trait TrustedIssuer: Send + Sync {
    /// The verifier, configured to trust tokens of [`ISSUER`] for [`AUDIENCE`].
    fn verifier(&self) -> &dyn IdentityVerifier;

    /// A token saying `claims`, signed as the trusted issuer signs (whether the claims are
    /// acceptable is for the verifier to judge).
    fn mint(&self, claims: &TokenClaims) -> String;

    /// A token saying `claims`, in the same format but signed with a key the verifier does not
    /// trust (naming the trusted key, where the format names keys).
    fn forge(&self, claims: &TokenClaims) -> String;
}

/// Verifies `token`, failing the case if the verifier panics.
async fn verify(
    issuer: &dyn TrustedIssuer,
    token: &str,
) -> Result<ExternalIdentity, IdentityError> {
    match AssertUnwindSafe(issuer.verifier().verify(token))
        .catch_unwind()
        .await
    {
        Ok(result) => result,
        Err(_) => panic!("the verifier panicked on a token of {} bytes", token.len()),
    }
}

/// Checks that `result` is a refusal as invalid (not an outage); `why` names the case.
#[track_caller]
fn assert_invalid(result: &Result<ExternalIdentity, IdentityError>, why: &str) {
    assert!(
        matches!(result, Err(IdentityError::Invalid(_))),
        "{why}: expected Invalid, got {result:?}"
    );
}

/// A valid token is accepted, with the subject and address its claims name.
pub async fn a_valid_token_yields_the_identity_its_claims_name(issuer: &dyn TrustedIssuer) {
    let claims = TokenClaims::valid();
    let identity = verify(issuer, &issuer.mint(&claims)).await.unwrap();
    assert_eq!(identity.subject.as_str(), claims.subject);
    assert_eq!(
        identity.email,
        Some(Email::parse("ada.lovelace@example.com").unwrap())
    );
    assert!(identity.email_verified);

    // Another subject, another identity.
    let other = TokenClaims::valid();
    let identity = verify(issuer, &issuer.mint(&other)).await.unwrap();
    assert_eq!(identity.subject.as_str(), other.subject);
}

/// The address is verified only when the claims say so, and never without an address.
pub async fn the_email_is_verified_only_as_the_claims_say(issuer: &dyn TrustedIssuer) {
    let unverified = TokenClaims {
        email_verified: false,
        ..TokenClaims::valid()
    };
    let identity = verify(issuer, &issuer.mint(&unverified)).await.unwrap();
    assert!(identity.email.is_some());
    assert!(!identity.email_verified);

    let no_address = TokenClaims {
        email: None,
        ..TokenClaims::valid()
    };
    let identity = verify(issuer, &issuer.mint(&no_address)).await.unwrap();
    assert_eq!((identity.email, identity.email_verified), (None, false));

    let not_an_address = TokenClaims {
        email: Some("not an address".to_owned()),
        ..TokenClaims::valid()
    };
    let identity = verify(issuer, &issuer.mint(&not_an_address)).await.unwrap();
    assert_eq!((identity.email, identity.email_verified), (None, false));
}

/// A token past its expiry (by more than any clock leeway) is refused.
pub async fn an_expired_token_is_invalid(issuer: &dyn TrustedIssuer) {
    let expired = TokenClaims {
        expires_at: OffsetDateTime::now_utc() - time::Duration::minutes(10),
        ..TokenClaims::valid()
    };
    assert_invalid(&verify(issuer, &issuer.mint(&expired)).await, "expired");
}

/// A token another issuer names itself in is refused, however well signed.
pub async fn a_token_of_another_issuer_is_invalid(issuer: &dyn TrustedIssuer) {
    for other in [
        "https://evil.cubby.test/auth/v1",
        "https://contract.cubby.test/auth/v1/",
        "",
    ] {
        let claims = TokenClaims {
            issuer: other.to_owned(),
            ..TokenClaims::valid()
        };
        assert_invalid(&verify(issuer, &issuer.mint(&claims)).await, other);
    }
}

/// A token for another audience is refused.
pub async fn a_token_for_another_audience_is_invalid(issuer: &dyn TrustedIssuer) {
    for other in ["anon", "authenticated-not", ""] {
        let claims = TokenClaims {
            audience: other.to_owned(),
            ..TokenClaims::valid()
        };
        assert_invalid(&verify(issuer, &issuer.mint(&claims)).await, other);
    }
}

/// A token signed with a key the verifier does not trust is refused, and so is a trusted
/// token whose claims were changed after signing.
pub async fn a_token_signed_with_another_key_is_invalid(issuer: &dyn TrustedIssuer) {
    let forged = issuer.forge(&TokenClaims::valid());
    assert_invalid(&verify(issuer, &forged).await, "forged");

    // A token's signature comes last (a JWT's, as in base64url or hex): another last
    // character changes it. `A` and `g` differ in their high bits in base64url, so the change
    // is not lost in an encoding's unused low bits.
    let token = issuer.mint(&TokenClaims::valid());
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'g' } else { 'A' });
    assert_invalid(&verify(issuer, &tampered).await, "last character changed");
    let half: String = token.chars().take(token.chars().count() / 2).collect();
    assert_invalid(&verify(issuer, &half).await, "truncated");
}

/// Anything that is not a token is refused as invalid, without a panic.
pub async fn garbage_is_invalid_and_nothing_panics(issuer: &dyn TrustedIssuer) {
    let token = issuer.mint(&TokenClaims::valid());
    let garbage = [
        String::new(),
        " ".to_owned(),
        "garbage".to_owned(),
        "not.a.jwt".to_owned(),
        "..".to_owned(),
        "....".to_owned(),
        "eyJ.eyJ.eyJ".to_owned(),
        "e30.e30.".to_owned(),
        "\u{0}\u{1}\u{7f}".to_owned(),
        "é.ü.ß".to_owned(),
        "%".repeat(300),
        "a".repeat(64 * 1024),
        format!("{token}{token}"),
        format!("{token}."),
        format!(".{token}"),
        format!(" {token}"),
        token.replace('.', ""),
        token.chars().rev().collect(),
    ];
    for input in &garbage {
        let why: String = input.chars().take(40).collect();
        assert_invalid(&verify(issuer, input).await, &why);
    }
}

/// Valid and invalid tokens verified at once each get the answer they would get alone.
pub async fn concurrent_verifications_each_get_their_own_answer(issuer: &dyn TrustedIssuer) {
    let cases: Vec<(String, Option<String>)> = (0..12)
        .map(|i| {
            let claims = TokenClaims::valid();
            match i % 3 {
                0 => (issuer.mint(&claims), Some(claims.subject)),
                1 => (issuer.forge(&claims), None),
                _ => {
                    let expired = TokenClaims {
                        expires_at: OffsetDateTime::now_utc() - time::Duration::minutes(10),
                        ..claims
                    };
                    (issuer.mint(&expired), None)
                }
            }
        })
        .collect();
    let results =
        futures::future::join_all(cases.iter().map(|(token, _)| verify(issuer, token))).await;
    for ((_, subject), result) in cases.iter().zip(results) {
        match subject {
            Some(subject) => assert_eq!(result.unwrap().subject.as_str(), subject),
            None => assert_invalid(&result, "refused among accepted ones"),
        }
    }
}
