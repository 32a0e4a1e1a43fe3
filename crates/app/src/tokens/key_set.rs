//! Reading a key set (`CUBBY_JWT_KEYS`): every entry checked, errors naming the variable, the
//! key's `kid` or position and the problem, never key material.

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use serde_json::{Map, Value};

use super::pem::{load_private, load_public};
use super::{PublicParams, PublishedKey, SigningKey, TokenKeys, VerifyingKey};

/// Why a key set was refused. Messages name the variable, the key's `kid` or position and the
/// problem, never key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeySetError {
    /// `CUBBY_JWT_KEYS` does not parse as JSON.
    #[error("CUBBY_JWT_KEYS is not valid JSON (line {line}, column {column})")]
    NotJson {
        /// Where parsing stopped.
        line: usize,
        /// Where parsing stopped.
        column: usize,
    },
    /// `CUBBY_JWT_KEYS` is not a non-empty array.
    #[error("CUBBY_JWT_KEYS must be a non-empty JSON array of key objects")]
    NotAnArray,
    /// An entry is not an object with a usable `kid`.
    #[error(
        "CUBBY_JWT_KEYS entry {index}: must be an object whose `kid` is 1 to 64 visible ASCII \
         characters"
    )]
    InvalidKid {
        /// The entry's position, from 0.
        index: usize,
    },
    /// Two entries share a `kid`.
    #[error("key {kid:?}: more than one key has this kid")]
    DuplicateKid {
        /// The key.
        kid: String,
    },
    /// A field is missing, of the wrong type or unknown.
    #[error("key {kid:?}: {problem}")]
    Field {
        /// The key.
        kid: String,
        /// What is wrong, naming the field.
        problem: String,
    },
    /// `alg` is neither `EdDSA` nor `RS256`.
    #[error("key {kid:?}: algorithm {alg} is not accepted; use EdDSA or RS256")]
    UnsupportedAlgorithm {
        /// The key.
        kid: String,
        /// The algorithm asked for (shown only if it looks like an algorithm name).
        alg: String,
    },
    /// Neither or both of `private_key_pem` and `public_key_pem`.
    #[error("key {kid:?}: set exactly one of `private_key_pem` and `public_key_pem`")]
    KeyMaterial {
        /// The key.
        kid: String,
    },
    /// The PEM is not a key of the algorithm, or the private key does not work.
    #[error("key {kid:?}: `{field}` is not {expected} in PEM form")]
    InvalidPem {
        /// The key.
        kid: String,
        /// `private_key_pem` or `public_key_pem`.
        field: &'static str,
        /// What the algorithm needs.
        expected: &'static str,
    },
    /// An RSA key shorter than 2048 bits.
    #[error("key {kid:?}: RSA keys need at least 2048 bits; this one has {bits}")]
    WeakRsaKey {
        /// The key.
        kid: String,
        /// Its modulus length.
        bits: usize,
    },
    /// `CUBBY_JWT_SIGNING_KID` names no key of the set.
    #[error("CUBBY_JWT_SIGNING_KID {kid:?} names no key of CUBBY_JWT_KEYS")]
    UnknownSigningKey {
        /// The kid asked for.
        kid: String,
    },
    /// The signing key has no private key.
    #[error("key {kid:?}: the signing key needs `private_key_pem`, not only a public key")]
    PublicOnlySigningKey {
        /// The key.
        kid: String,
    },
    /// `CUBBY_JWT_KEYS` without `CUBBY_JWT_SIGNING_KID`.
    #[error("CUBBY_JWT_SIGNING_KID is required with CUBBY_JWT_KEYS")]
    MissingSigningKid,
    /// No key set outside dev.
    #[error("CUBBY_JWT_KEYS is required in {env}: only dev signs with a shared HS256 secret")]
    SharedSecretOutsideDev {
        /// The environment.
        env: &'static str,
    },
}

/// The fields a key set entry may have.
const KEY_FIELDS: [&str; 4] = ["kid", "alg", "private_key_pem", "public_key_pem"];

/// Whether `kid` is 1 to 64 visible ASCII characters.
fn valid_kid(kid: &str) -> bool {
    (1..=64).contains(&kid.len()) && kid.bytes().all(|b| b.is_ascii_graphic())
}

/// `kid` if it is a valid one, else a placeholder: errors never echo arbitrary text.
fn shown_kid(kid: &str) -> String {
    if valid_kid(kid) {
        kid.to_owned()
    } else {
        "(invalid kid)".to_owned()
    }
}

/// `word` if it looks like a name (an algorithm, a field), else a placeholder.
fn shown_word(word: &str) -> String {
    if (1..=32).contains(&word.len())
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        format!("`{word}`")
    } else {
        "(not shown)".to_owned()
    }
}

/// One entry of a key set, parsed and checked.
struct LoadedKey {
    kid: String,
    algorithm: Algorithm,
    alg: &'static str,
    private: Option<EncodingKey>,
    public: DecodingKey,
    params: PublicParams,
}

/// Reads entry `index` of a key set.
fn load_entry(index: usize, entry: &Value) -> Result<LoadedKey, KeySetError> {
    let Value::Object(fields) = entry else {
        return Err(KeySetError::InvalidKid { index });
    };
    let kid = match fields.get("kid") {
        Some(Value::String(kid)) if valid_kid(kid) => kid.clone(),
        _ => return Err(KeySetError::InvalidKid { index }),
    };
    refuse_unknown_fields(&kid, fields)?;
    let text = |field: &str| match fields.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.as_str())),
        Some(_) => Err(KeySetError::Field {
            kid: kid.clone(),
            problem: format!("`{field}` must be a string"),
        }),
    };
    let (algorithm, alg) = algorithm_of(&kid, text("alg")?)?;
    let (private, public, params) = match (text("private_key_pem")?, text("public_key_pem")?) {
        (Some(pem), None) => {
            let (private, public, params) = load_private(&kid, algorithm, pem)?;
            (Some(private), public, params)
        }
        (None, Some(pem)) => {
            let (public, params) = load_public(&kid, algorithm, pem)?;
            (None, public, params)
        }
        _ => return Err(KeySetError::KeyMaterial { kid }),
    };
    Ok(LoadedKey {
        kid,
        algorithm,
        alg,
        private,
        public,
        params,
    })
}

/// Refuses an entry with a field a key does not have (named only if it looks like a name).
fn refuse_unknown_fields(kid: &str, fields: &Map<String, Value>) -> Result<(), KeySetError> {
    if let Some(unknown) = fields.keys().find(|f| !KEY_FIELDS.contains(&f.as_str())) {
        return Err(KeySetError::Field {
            kid: kid.to_owned(),
            problem: format!(
                "unknown field {}; a key has only {}",
                shown_word(unknown),
                KEY_FIELDS.map(|f| format!("`{f}`")).join(", ")
            ),
        });
    }
    Ok(())
}

/// The algorithm an entry's `alg` names: EdDSA or RS256, nothing else.
fn algorithm_of(kid: &str, alg: Option<&str>) -> Result<(Algorithm, &'static str), KeySetError> {
    match alg {
        Some("EdDSA") => Ok((Algorithm::EdDSA, "EdDSA")),
        Some("RS256") => Ok((Algorithm::RS256, "RS256")),
        Some(other) => Err(KeySetError::UnsupportedAlgorithm {
            kid: kid.to_owned(),
            alg: shown_word(other),
        }),
        None => Err(KeySetError::Field {
            kid: kid.to_owned(),
            problem: "`alg` is required (EdDSA or RS256)".to_owned(),
        }),
    }
}

/// The entries of a key set: a non-empty JSON array.
fn parse_entries(json: &str) -> Result<Vec<Value>, KeySetError> {
    match serde_json::from_str::<Value>(json) {
        Err(error) => Err(KeySetError::NotJson {
            line: error.line(),
            column: error.column(),
        }),
        Ok(Value::Array(entries)) if !entries.is_empty() => Ok(entries),
        Ok(_) => Err(KeySetError::NotAnArray),
    }
}

impl TokenKeys {
    /// The key set in `json` (the `CUBBY_JWT_KEYS` format, see the [module](crate::tokens)
    /// docs), signing with the key named `signing_kid`.
    ///
    /// # Errors
    ///
    /// [`KeySetError`] naming the first problem found.
    pub fn from_key_set(json: &str, signing_kid: &str) -> Result<Self, KeySetError> {
        let entries = parse_entries(json)?;
        let mut signing = None;
        let mut verifying = HashMap::new();
        let mut published = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            let key = load_entry(index, entry)?;
            if verifying.contains_key(&key.kid) {
                return Err(KeySetError::DuplicateKid { kid: key.kid });
            }
            if key.kid == signing_kid {
                let Some(private) = key.private else {
                    return Err(KeySetError::PublicOnlySigningKey { kid: key.kid });
                };
                signing = Some(SigningKey {
                    kid: key.kid.clone(),
                    algorithm: key.algorithm,
                    key: private,
                });
            }
            verifying.insert(
                key.kid.clone(),
                VerifyingKey {
                    algorithm: key.algorithm,
                    key: key.public,
                },
            );
            published.push(PublishedKey {
                kid: key.kid,
                alg: key.alg,
                params: key.params,
            });
        }
        let signing = signing.ok_or_else(|| KeySetError::UnknownSigningKey {
            kid: shown_kid(signing_kid),
        })?;
        Ok(Self {
            signing,
            verifying,
            published,
        })
    }
}
