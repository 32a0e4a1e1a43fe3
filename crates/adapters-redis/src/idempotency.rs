//! Idempotency records on Redis: one key per tenant, actor and `Idempotency-Key`, holding a JSON
//! record that is either in flight or completed with its response. A claim is `SET NX PX`, so
//! of concurrent claims exactly one wins, and a claim never completed lapses by itself.

use std::time::Duration;

use async_trait::async_trait;
use cubby_ports::{
    Claim, Fingerprint, IdempotencyKey, IdempotencyStore, RepoError, StoredResponse, TenantScope,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Redis, expiry_ms};

/// How many times a claim tries `SET NX` when the record it lost to expires before it is read.
const CLAIM_ATTEMPTS: usize = 2;

impl Redis {
    /// The Redis key of a record. The client's key is hashed: it may hold any visible ASCII,
    /// and its length is then fixed.
    pub(crate) fn record_key(&self, scope: &TenantScope, key: &IdempotencyKey) -> String {
        let digest = Sha256::digest(key.as_str().as_bytes());
        self.key(
            "idem",
            &format!(
                "{}:{}:{}",
                scope.tenant_id(),
                scope.actor(),
                hex::encode(digest)
            ),
        )
    }
}

#[async_trait]
impl IdempotencyStore for Redis {
    async fn claim(
        &self,
        scope: &TenantScope,
        key: &IdempotencyKey,
        fingerprint: Fingerprint,
        in_flight: Duration,
    ) -> Result<Claim, RepoError> {
        let record_key = self.record_key(scope, key);
        let record = encode(&Record::InFlight {
            fingerprint: hex::encode(fingerprint.0),
        })?;
        let mut set = redis::cmd("SET");
        set.arg(&record_key)
            .arg(record)
            .arg("NX")
            .arg("PX")
            .arg(expiry_ms(in_flight));
        for _ in 0..CLAIM_ATTEMPTS {
            let answer: Option<String> = self.query("idempotency.claim", &set).await?;
            if answer.is_some() {
                return Ok(Claim::Claimed);
            }
            let stored: Option<Vec<u8>> = self
                .query("idempotency.claim", redis::cmd("GET").arg(&record_key))
                .await?;
            if let Some(bytes) = stored {
                return decode(&bytes);
            }
            // The record we lost to expired in between: the key is free again, try once more.
        }
        Err(RepoError::Failed(
            "the idempotency record kept expiring while it was claimed".into(),
        ))
    }

    async fn complete(
        &self,
        scope: &TenantScope,
        key: &IdempotencyKey,
        fingerprint: Fingerprint,
        response: &StoredResponse,
        keep: Duration,
    ) -> Result<(), RepoError> {
        let record = encode(&Record::Completed {
            fingerprint: hex::encode(fingerprint.0),
            status: response.status,
            headers: response.headers.clone(),
            body: hex::encode(&response.body),
        })?;
        let mut set = redis::cmd("SET");
        set.arg(self.record_key(scope, key))
            .arg(record)
            .arg("PX")
            .arg(expiry_ms(keep));
        self.query("idempotency.complete", &set).await
    }

    async fn release(&self, scope: &TenantScope, key: &IdempotencyKey) -> Result<(), RepoError> {
        self.query(
            "idempotency.release",
            redis::cmd("DEL").arg(self.record_key(scope, key)),
        )
        .await
    }
}

/// A record as stored: JSON tagged by `state`, with the fingerprint and the body in hex.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Record {
    /// A claimed key whose request is running.
    InFlight { fingerprint: String },
    /// A completed request and its response.
    Completed {
        fingerprint: String,
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
}

fn encode(record: &Record) -> Result<Vec<u8>, RepoError> {
    serde_json::to_vec(record)
        .map_err(|_| RepoError::Failed("an idempotency record could not be serialized".into()))
}

/// What a stored record says about its key; anything unreadable is [`RepoError::Corrupt`].
fn decode(bytes: &[u8]) -> Result<Claim, RepoError> {
    let record: Record = serde_json::from_slice(bytes)
        .map_err(|_| RepoError::corrupt("an idempotency record is not valid json"))?;
    Ok(match record {
        Record::InFlight { fingerprint } => Claim::InFlight {
            fingerprint: decode_fingerprint(&fingerprint)?,
        },
        Record::Completed {
            fingerprint,
            status,
            headers,
            body,
        } => Claim::Completed {
            fingerprint: decode_fingerprint(&fingerprint)?,
            response: StoredResponse {
                status,
                headers,
                body: hex::decode(&body)
                    .ok()
                    .ok_or_else(|| RepoError::corrupt("an idempotency record's body is not hex"))?,
            },
        },
    })
}

fn decode_fingerprint(text: &str) -> Result<Fingerprint, RepoError> {
    <[u8; 32] as hex::FromHex>::from_hex(text)
        .ok()
        .map(Fingerprint)
        .ok_or_else(|| {
            RepoError::corrupt("an idempotency record's fingerprint is not 32 bytes of hex")
        })
}

#[cfg(test)]
mod tests {
    use cubby_ports::{Claim, Fingerprint, RepoError, StoredResponse};

    use super::{Record, decode, encode};

    #[test]
    fn a_completed_record_round_trips() {
        let response = StoredResponse {
            status: 201,
            headers: vec![("etag".to_owned(), "\"1\"".to_owned())],
            body: b"\x00\xff{}".to_vec(),
        };
        let record = Record::Completed {
            fingerprint: hex::encode([9; 32]),
            status: response.status,
            headers: response.headers.clone(),
            body: hex::encode(&response.body),
        };
        let claim = decode(&encode(&record).unwrap()).unwrap();
        assert_eq!(
            claim,
            Claim::Completed {
                fingerprint: Fingerprint([9; 32]),
                response
            }
        );
    }

    #[test]
    fn an_in_flight_record_round_trips() {
        let bytes = encode(&Record::InFlight {
            fingerprint: hex::encode([7; 32]),
        })
        .unwrap();
        assert!(bytes.starts_with(br#"{"state":"in_flight","#));
        assert_eq!(
            decode(&bytes).unwrap(),
            Claim::InFlight {
                fingerprint: Fingerprint([7; 32])
            }
        );
    }

    #[test]
    fn unreadable_records_are_corrupt() {
        let short = format!(
            r#"{{"state":"in_flight","fingerprint":"{}"}}"#,
            hex::encode([1; 31])
        );
        let bad_body = format!(
            r#"{{"state":"completed","fingerprint":"{}","status":200,"headers":[],"body":"xyz"}}"#,
            hex::encode([1; 32])
        );
        for bytes in [
            &b"not json"[..],
            br#"{"state":"lost"}"#,
            short.as_bytes(),
            bad_body.as_bytes(),
        ] {
            assert!(
                matches!(decode(bytes), Err(RepoError::Corrupt(_))),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}
