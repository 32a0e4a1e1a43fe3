//! Session state on Redis: the blocklist of access tokens ended early (one key per `jti`, expiring
//! with the token), the sessions ended (one key per session id, expiring once no token of the
//! session could be accepted anyway), refresh token families (one JSON record per session, expiring with the
//! session), and password-reset tokens (one key per digest of a token's secret, expiring with the
//! token, taken with `GETDEL` so that a token works once). A family is swapped by a Lua script that compares the stored generation and writes
//! in one atomic step, so of concurrent swaps from one generation exactly one wins.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use cubby_domain::{MembershipId, RefreshFamily, SessionId, TenantId, TokenDigest, UserId};
use cubby_ports::{RepoError, ResetGrant, TokenStore};
use redis::Script;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Redis, expiry_ms};

/// Replaces a family if its stored generation is the one expected, keeping the key's expiry.
///
/// `KEYS[1]`: the family; `ARGV[1]`: the generation expected, in decimal; `ARGV[2]`: the new
/// record. Answers 1 when it swapped, 0 when the family is absent or at another generation, and
/// -1 when the stored record cannot be read.
static SWAP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local stored = redis.call('GET', KEYS[1])
if not stored then
  return 0
end
local ok, record = pcall(cjson.decode, stored)
if not ok or type(record) ~= 'table' or type(record.generation) ~= 'string' then
  return -1
end
if record.generation ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
",
    )
});

/// Adds a family to its member's index, which lives as long as the longest family in it.
///
/// `KEYS[1]`: the index; `ARGV[1]`: the family's id; `ARGV[2]`: its milliseconds left.
static INDEX: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
",
    )
});

impl Redis {
    /// The Redis key of the index of a member's families: the ids of the families created for
    /// `user_id` in `tenant_id` (some may since have gone).
    pub(crate) fn member_families_key(&self, tenant_id: TenantId, user_id: UserId) -> String {
        self.key("mses", &format!("{tenant_id}:{user_id}"))
    }

    /// The Redis key of a blocked access token.
    pub(crate) fn blocked_key(&self, jti: &str) -> String {
        self.key("blk", jti)
    }

    /// The Redis key of an ended session.
    pub(crate) fn ended_key(&self, id: SessionId) -> String {
        self.key("end", &id.to_string())
    }

    /// The Redis key of a refresh family.
    pub(crate) fn family_key(&self, id: SessionId) -> String {
        self.key("ses", &id.to_string())
    }

    /// The Redis key of a password-reset token: the digest of its secret, never the secret.
    fn reset_key(&self, digest: &TokenDigest) -> String {
        self.key("rst", &hex::encode(digest.0))
    }
}

/// The time from now until `until`, if it is still ahead.
fn time_left(until: OffsetDateTime) -> Option<Duration> {
    let left = until - OffsetDateTime::now_utc();
    left.is_positive().then(|| left.unsigned_abs())
}

#[async_trait]
impl TokenStore for Redis {
    async fn block_access(&self, jti: &str, until: OffsetDateTime) -> Result<(), RepoError> {
        // A token past its expiry is refused anyway: no entry needed.
        let Some(left) = time_left(until) else {
            return Ok(());
        };
        let mut set = redis::cmd("SET");
        set.arg(self.blocked_key(jti))
            .arg(1)
            .arg("PX")
            .arg(expiry_ms(left));
        self.query("tokens.block_access", &set).await
    }

    async fn is_access_blocked(&self, jti: &str) -> Result<bool, RepoError> {
        self.query(
            "tokens.is_access_blocked",
            redis::cmd("EXISTS").arg(self.blocked_key(jti)),
        )
        .await
    }

    async fn end_session(&self, id: SessionId, until: OffsetDateTime) -> Result<(), RepoError> {
        let Some(left) = time_left(until) else {
            return self
                .query(
                    "tokens.end_session",
                    redis::cmd("DEL").arg(self.ended_key(id)),
                )
                .await;
        };
        let mut set = redis::cmd("SET");
        set.arg(self.ended_key(id))
            .arg(1)
            .arg("PX")
            .arg(expiry_ms(left));
        self.query("tokens.end_session", &set).await
    }

    async fn is_session_ended(&self, id: SessionId) -> Result<bool, RepoError> {
        self.query(
            "tokens.is_session_ended",
            redis::cmd("EXISTS").arg(self.ended_key(id)),
        )
        .await
    }

    async fn create_family(&self, family: &RefreshFamily) -> Result<(), RepoError> {
        // A family already past its lifetime would be gone at once: nothing to store.
        let Some(left) = time_left(family.expires_at) else {
            return Ok(());
        };
        let mut set = redis::cmd("SET");
        set.arg(self.family_key(family.id))
            .arg(encode(family)?)
            .arg("NX")
            .arg("PX")
            .arg(expiry_ms(left));
        let answer: Option<String> = self.query("tokens.create_family", &set).await?;
        if answer.is_none() {
            return Err(RepoError::Conflict("session.id"));
        }
        let _: i64 = self
            .run_script(
                "tokens.create_family",
                INDEX
                    .key(self.member_families_key(family.tenant_id, family.user_id))
                    .arg(family.id.to_string())
                    .arg(expiry_ms(left)),
            )
            .await?;
        Ok(())
    }

    async fn families_of(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<RefreshFamily>, RepoError> {
        let ids: Vec<String> = self
            .query(
                "tokens.families_of",
                redis::cmd("SMEMBERS").arg(self.member_families_key(tenant_id, user_id)),
            )
            .await?;
        let keys: Vec<String> = ids
            .iter()
            .filter_map(|id| SessionId::parse(id).ok())
            .map(|id| self.family_key(id))
            .collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let stored: Vec<Option<Vec<u8>>> = self
            .query("tokens.families_of", redis::cmd("MGET").arg(keys))
            .await?;
        let mut families = Vec::new();
        for bytes in stored.into_iter().flatten() {
            let family = decode(&bytes)?;
            if family.tenant_id == tenant_id && family.user_id == user_id {
                families.push(family);
            }
        }
        Ok(families)
    }

    async fn family(&self, id: SessionId) -> Result<Option<RefreshFamily>, RepoError> {
        let stored: Option<Vec<u8>> = self
            .query("tokens.family", redis::cmd("GET").arg(self.family_key(id)))
            .await?;
        stored.as_deref().map(decode).transpose()
    }

    async fn swap_family(&self, family: &RefreshFamily, expected: u64) -> Result<bool, RepoError> {
        if time_left(family.expires_at).is_none() {
            return Ok(false);
        }
        let answer: i64 = self
            .run_script(
                "tokens.swap_family",
                SWAP.key(self.family_key(family.id))
                    .arg(expected.to_string())
                    .arg(encode(family)?),
            )
            .await?;
        match answer {
            1 => Ok(true),
            0 => Ok(false),
            _ => Err(RepoError::corrupt(
                "a stored refresh family has no readable generation",
            )),
        }
    }

    async fn revoke_family(&self, id: SessionId) -> Result<(), RepoError> {
        self.query(
            "tokens.revoke_family",
            redis::cmd("DEL").arg(self.family_key(id)),
        )
        .await
    }

    async fn put_reset(&self, digest: &TokenDigest, grant: &ResetGrant) -> Result<(), RepoError> {
        let Some(left) = time_left(grant.expires_at) else {
            return self
                .query(
                    "tokens.put_reset",
                    redis::cmd("DEL").arg(self.reset_key(digest)),
                )
                .await;
        };
        let mut set = redis::cmd("SET");
        set.arg(self.reset_key(digest))
            .arg(encode_grant(grant))
            .arg("PX")
            .arg(expiry_ms(left));
        self.query("tokens.put_reset", &set).await
    }

    async fn take_reset(&self, digest: &TokenDigest) -> Result<Option<ResetGrant>, RepoError> {
        let stored: Option<String> = self
            .query(
                "tokens.take_reset",
                redis::cmd("GETDEL").arg(self.reset_key(digest)),
            )
            .await?;
        stored.as_deref().map(decode_grant).transpose()
    }
}

/// A reset grant as stored: the user id and the expiry in nanoseconds since the Unix epoch,
/// separated by a space.
fn encode_grant(grant: &ResetGrant) -> String {
    format!(
        "{} {}",
        grant.user_id,
        grant.expires_at.unix_timestamp_nanos()
    )
}

/// The grant a stored entry holds; anything unreadable is [`RepoError::Corrupt`], never shown.
fn decode_grant(text: &str) -> Result<ResetGrant, RepoError> {
    let bad = || RepoError::corrupt("a password-reset token's entry is malformed");
    let (user, nanos) = text.split_once(' ').ok_or_else(bad)?;
    Ok(ResetGrant {
        user_id: UserId::parse(user).map_err(|_| bad())?,
        expires_at: nanos
            .parse()
            .ok()
            .and_then(|n| OffsetDateTime::from_unix_timestamp_nanos(n).ok())
            .ok_or_else(bad)?,
    })
}

/// A family as stored: JSON with the digests in hex, times in nanoseconds since the Unix epoch
/// (exact at any precision), and the generation in decimal text, which the swap script compares
/// as a string (Lua numbers are doubles and would round large generations).
#[derive(Debug, Serialize, Deserialize)]
struct FamilyRecord {
    id: String,
    tenant_id: String,
    user_id: String,
    membership_id: String,
    current: String,
    /// Oldest first.
    used: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rotated_at_ns: Option<i128>,
    generation: String,
    created_at_ns: i128,
    expires_at_ns: i128,
}

fn encode(family: &RefreshFamily) -> Result<Vec<u8>, RepoError> {
    let record = FamilyRecord {
        id: family.id.to_string(),
        tenant_id: family.tenant_id.to_string(),
        user_id: family.user_id.to_string(),
        membership_id: family.membership_id.to_string(),
        current: hex::encode(family.current.0),
        used: family.used.iter().map(|d| hex::encode(d.0)).collect(),
        rotated_at_ns: family.rotated_at.map(OffsetDateTime::unix_timestamp_nanos),
        generation: family.generation.to_string(),
        created_at_ns: family.created_at.unix_timestamp_nanos(),
        expires_at_ns: family.expires_at.unix_timestamp_nanos(),
    };
    serde_json::to_vec(&record)
        .map_err(|_| RepoError::Failed("a refresh family could not be serialized".into()))
}

/// The family a stored record holds; anything unreadable is [`RepoError::Corrupt`], named by
/// field, never by value.
fn decode(bytes: &[u8]) -> Result<RefreshFamily, RepoError> {
    let record: FamilyRecord = serde_json::from_slice(bytes)
        .map_err(|_| RepoError::corrupt("a refresh family is not valid json"))?;
    let bad = |field: &str| RepoError::corrupt(format!("a refresh family has a malformed {field}"));
    let digest = |text: &str, field: &str| {
        <[u8; 32] as hex::FromHex>::from_hex(text)
            .ok()
            .map(TokenDigest)
            .ok_or_else(|| bad(field))
    };
    let time = |nanos: i128, field: &str| {
        OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| bad(field))
    };
    Ok(RefreshFamily {
        id: SessionId::parse(&record.id).map_err(|_| bad("id"))?,
        tenant_id: TenantId::parse(&record.tenant_id).map_err(|_| bad("tenant_id"))?,
        user_id: UserId::parse(&record.user_id).map_err(|_| bad("user_id"))?,
        membership_id: MembershipId::parse(&record.membership_id)
            .map_err(|_| bad("membership_id"))?,
        current: digest(&record.current, "current")?,
        used: record
            .used
            .iter()
            .map(|text| digest(text, "used"))
            .collect::<Result<_, _>>()?,
        rotated_at: record
            .rotated_at_ns
            .map(|nanos| time(nanos, "rotated_at"))
            .transpose()?,
        generation: record.generation.parse().map_err(|_| bad("generation"))?,
        created_at: time(record.created_at_ns, "created_at")?,
        expires_at: time(record.expires_at_ns, "expires_at")?,
    })
}

#[cfg(test)]
mod tests {
    use cubby_domain::TokenDigest;
    use cubby_ports::RepoError;
    use cubby_ports::contract::tokens::new_family;
    use time::macros::datetime;

    use super::{decode, decode_grant, encode, encode_grant};

    #[test]
    fn a_family_round_trips_exactly() {
        let mut family = new_family(time::Duration::days(30));
        for n in 2..6 {
            family = family.rotated(TokenDigest([n; 32]), datetime!(2026-11-22 8:00:00.123 UTC));
        }
        family.generation = u64::MAX;
        family.created_at = datetime!(2026-11-22 7:59:59.000_000_001 UTC);
        let bytes = encode(&family).unwrap();
        assert_eq!(decode(&bytes).unwrap(), family);
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.contains(&format!(r#""generation":"{}""#, u64::MAX)),
            "{text}"
        );

        let fresh = new_family(time::Duration::hours(1));
        assert_eq!(decode(&encode(&fresh).unwrap()).unwrap(), fresh);
    }

    #[test]
    fn unreadable_families_are_corrupt_without_their_values() {
        let good =
            String::from_utf8(encode(&new_family(time::Duration::days(1))).unwrap()).unwrap();
        let short_digest = good.replacen(r#""current":""#, r#""current":"00"#, 1);
        let bad_generation = good.replacen(r#""generation":"0""#, r#""generation":"-1""#, 1);
        for bytes in [
            "not json".to_owned(),
            "{}".to_owned(),
            short_digest,
            bad_generation,
        ] {
            let error = decode(bytes.as_bytes()).unwrap_err();
            assert!(matches!(error, RepoError::Corrupt(_)), "{bytes}");
            let source = std::error::Error::source(&error).unwrap().to_string();
            assert!(
                !source.contains("ses_") && !source.contains("0101"),
                "{source}"
            );
        }
    }

    #[test]
    fn a_reset_grant_round_trips_and_a_malformed_one_is_corrupt() {
        let grant = cubby_ports::ResetGrant {
            user_id: cubby_domain::UserId::from_uuid(uuid::Uuid::now_v7()),
            expires_at: datetime!(2026-11-22 8:00:00.123_456_789 UTC),
        };
        assert_eq!(decode_grant(&encode_grant(&grant)).unwrap(), grant);
        for text in ["", "user", "usr_x 12", &format!("{} soon", grant.user_id)] {
            assert!(
                matches!(decode_grant(text), Err(RepoError::Corrupt(_))),
                "{text}"
            );
        }
    }
}
