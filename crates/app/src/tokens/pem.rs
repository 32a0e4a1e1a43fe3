//! A key's PEM: read as a key of its algorithm, its public half derived, and (for a private
//! key) a signature made and verified once, so that a key that cannot sign fails the start.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, EncodingKey};

use super::PublicParams;
use super::key_set::KeySetError;

/// The smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

/// The number of significant bits of a big-endian unsigned integer.
fn bit_length(be: &[u8]) -> usize {
    let digits: Vec<u8> = be.iter().copied().skip_while(|b| *b == 0).collect();
    match digits.first() {
        None => 0,
        Some(first) => (digits.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

/// What a PEM of `algorithm` must hold, for errors.
fn expected_key(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::EdDSA => "an Ed25519 key",
        _ => "an RSA key of at least 2048 bits",
    }
}

/// A private key, the public key derived from it, and a check that the two make a pair.
pub(super) fn load_private(
    kid: &str,
    algorithm: Algorithm,
    pem: &str,
) -> Result<(EncodingKey, DecodingKey, PublicParams), KeySetError> {
    let invalid = || KeySetError::InvalidPem {
        kid: kid.to_owned(),
        field: "private_key_pem",
        expected: expected_key(algorithm),
    };
    let private = match algorithm {
        Algorithm::EdDSA => EncodingKey::from_ed_pem(pem.as_bytes()),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()),
    }
    .map_err(|_| invalid())?;
    let jwk = Jwk::from_encoding_key(&private, algorithm).map_err(|_| invalid())?;
    let (public, params) = public_parts(kid, algorithm, &jwk.algorithm).ok_or_else(invalid)??;
    // Sign and verify once, so that a key that cannot sign fails the start, not a sign-in.
    let probe = b"cubby key check";
    let pair = jsonwebtoken::crypto::sign(probe, &private, algorithm)
        .and_then(|signature| jsonwebtoken::crypto::verify(&signature, probe, &public, algorithm));
    if !matches!(pair, Ok(true)) {
        return Err(invalid());
    }
    Ok((private, public, params))
}

/// A public key.
pub(super) fn load_public(
    kid: &str,
    algorithm: Algorithm,
    pem: &str,
) -> Result<(DecodingKey, PublicParams), KeySetError> {
    let invalid = || KeySetError::InvalidPem {
        kid: kid.to_owned(),
        field: "public_key_pem",
        expected: expected_key(algorithm),
    };
    let public = match algorithm {
        Algorithm::EdDSA => DecodingKey::from_ed_pem(pem.as_bytes()),
        _ => DecodingKey::from_rsa_pem(pem.as_bytes()),
    }
    .map_err(|_| invalid())?;
    let jwk = Jwk::from_decoding_key(&public, Some(algorithm)).map_err(|_| invalid())?;
    public_parts(kid, algorithm, &jwk.algorithm).ok_or_else(invalid)?
}

/// The verifying key and published parameters of a public JWK of `algorithm`; `None` when the
/// parameters are of another kind of key.
fn public_parts(
    kid: &str,
    algorithm: Algorithm,
    params: &AlgorithmParameters,
) -> Option<Result<(DecodingKey, PublicParams), KeySetError>> {
    match (algorithm, params) {
        (Algorithm::EdDSA, AlgorithmParameters::OctetKeyPair(okp))
            if okp.curve == EllipticCurve::Ed25519 =>
        {
            let key = DecodingKey::from_ed_components(&okp.x).ok()?;
            Some(Ok((key, PublicParams::Ed25519 { x: okp.x.clone() })))
        }
        (Algorithm::RS256, AlgorithmParameters::RSA(rsa)) => {
            let key = DecodingKey::from_rsa_components(&rsa.n, &rsa.e).ok()?;
            let DecodingKeyKind::RsaModulusExponent { n, .. } = key.kind() else {
                return None;
            };
            let bits = bit_length(n);
            if bits < MIN_RSA_BITS {
                return Some(Err(KeySetError::WeakRsaKey {
                    kid: kid.to_owned(),
                    bits,
                }));
            }
            let params = PublicParams::Rsa {
                n: rsa.n.clone(),
                e: rsa.e.clone(),
            };
            Some(Ok((key, params)))
        }
        _ => None,
    }
}
