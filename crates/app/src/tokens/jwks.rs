//! The public JWK Set: the public halves of the asymmetric keys, never an HS256 secret.

use super::{PublicParams, TokenKeys};

impl TokenKeys {
    /// The public JWK Set (`{"keys": [...]}`) of every asymmetric key, for
    /// `/.well-known/jwks.json`: each key with `kid`, `kty`, `alg`, `use: "sig"` and its public
    /// parameters only. HS256 secrets are never published, so a dev HS256 set is empty.
    pub fn jwks(&self) -> serde_json::Value {
        use serde_json::json;
        let keys: Vec<serde_json::Value> = self
            .published
            .iter()
            .map(|key| match &key.params {
                PublicParams::Ed25519 { x } => json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": x,
                    "kid": key.kid,
                    "alg": key.alg,
                    "use": "sig",
                }),
                PublicParams::Rsa { n, e } => json!({
                    "kty": "RSA",
                    "n": n,
                    "e": e,
                    "kid": key.kid,
                    "alg": key.alg,
                    "use": "sig",
                }),
            })
            .collect();
        json!({ "keys": keys })
    }
}
