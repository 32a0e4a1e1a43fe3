//! Sign-in sessions: a family of opaque refresh tokens, rotated on every use, with reuse
//! detection. Only digests of tokens are ever kept.

use std::fmt;

use time::{Duration, OffsetDateTime};

use crate::id::{MembershipId, SessionId, TenantId, UserId};

/// How many used tokens a family remembers, to recognise a replayed one.
pub const REMEMBERED_TOKENS: usize = 32;

/// The SHA-256 digest of a refresh token's secret part.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenDigest(pub [u8; 32]);

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenDigest(***)")
    }
}

/// What presenting a refresh token to its family means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presented {
    /// The current token: rotate.
    Current,
    /// The token rotated away moments ago, presented again by a second tab or a retry: rotate
    /// again without alarm.
    WithinGrace,
    /// A token that was already rotated away: it was copied. Revoke the whole family.
    Reused,
    /// Not a token of this family: refuse, and change nothing (the family id is not a secret).
    Unknown,
    /// The family outlived its absolute lifetime.
    Expired,
}

/// A sign-in session's refresh tokens: the current one, and the recent used ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshFamily {
    /// The session id (also the `sid` claim of its access tokens).
    pub id: SessionId,
    /// The centre the session is in.
    pub tenant_id: TenantId,
    /// The user.
    pub user_id: UserId,
    /// The user's membership of the centre.
    pub membership_id: MembershipId,
    /// The digest of the one token that may be used next.
    pub current: TokenDigest,
    /// Digests of the most recent used tokens, oldest first (at most [`REMEMBERED_TOKENS`]).
    pub used: Vec<TokenDigest>,
    /// When the last rotation happened.
    pub rotated_at: Option<OffsetDateTime>,
    /// One more at every rotation; writers name the generation they read.
    pub generation: u64,
    /// When the session began.
    pub created_at: OffsetDateTime,
    /// When the session ends, however often it is refreshed.
    pub expires_at: OffsetDateTime,
}

impl RefreshFamily {
    /// What presenting a token with `digest` at `now` means.
    pub fn judge(&self, digest: TokenDigest, now: OffsetDateTime, grace: Duration) -> Presented {
        if now >= self.expires_at {
            return Presented::Expired;
        }
        if digest == self.current {
            return Presented::Current;
        }
        let just_rotated = self.rotated_at.is_some_and(|at| now < at + grace);
        match self.used.iter().rposition(|used| *used == digest) {
            Some(last) if last + 1 == self.used.len() && just_rotated => Presented::WithinGrace,
            Some(_) => Presented::Reused,
            None => Presented::Unknown,
        }
    }

    /// The family after rotating to a new token with `next` at `now`.
    #[must_use]
    pub fn rotated(&self, next: TokenDigest, now: OffsetDateTime) -> Self {
        let mut used = self.used.clone();
        used.push(self.current);
        if used.len() > REMEMBERED_TOKENS {
            used.drain(..used.len() - REMEMBERED_TOKENS);
        }
        Self {
            current: next,
            used,
            rotated_at: Some(now),
            generation: self.generation + 1,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;
    use uuid::Uuid;

    const GRACE: Duration = Duration::seconds(10);

    fn digest(n: u8) -> TokenDigest {
        TokenDigest([n; 32])
    }

    fn family(now: OffsetDateTime) -> RefreshFamily {
        RefreshFamily {
            id: SessionId::from_uuid(Uuid::now_v7()),
            tenant_id: TenantId::from_uuid(Uuid::now_v7()),
            user_id: UserId::from_uuid(Uuid::now_v7()),
            membership_id: MembershipId::from_uuid(Uuid::now_v7()),
            current: digest(0),
            used: Vec::new(),
            rotated_at: None,
            generation: 0,
            created_at: now,
            expires_at: now + Duration::days(30),
        }
    }

    #[test]
    fn the_current_token_rotates_and_the_old_one_is_then_reuse() {
        let start = datetime!(2026-11-22 8:00 UTC);
        let first = family(start);
        assert_eq!(first.judge(digest(0), start, GRACE), Presented::Current);
        let second = first.rotated(digest(1), start + Duration::minutes(15));
        assert_eq!(second.generation, 1);
        assert_eq!(
            second.judge(digest(1), start + Duration::minutes(16), GRACE),
            Presented::Current
        );
        assert_eq!(
            second.judge(digest(0), start + Duration::minutes(16), GRACE),
            Presented::Reused
        );
    }

    #[test]
    fn a_second_tab_within_the_grace_period_is_not_reuse() {
        let start = datetime!(2026-11-22 8:00 UTC);
        let rotated = family(start).rotated(digest(1), start);
        assert_eq!(
            rotated.judge(digest(0), start + Duration::seconds(3), GRACE),
            Presented::WithinGrace
        );
        let twice = rotated.rotated(digest(2), start + Duration::seconds(3));
        // Only the token rotated away last is within grace; the one before is reuse.
        assert_eq!(
            twice.judge(digest(0), start + Duration::seconds(4), GRACE),
            Presented::Reused
        );
        assert_eq!(
            twice.judge(digest(1), start + Duration::seconds(4), GRACE),
            Presented::WithinGrace
        );
    }

    #[test]
    fn a_token_never_issued_changes_nothing_and_an_expired_family_refuses_all() {
        let start = datetime!(2026-11-22 8:00 UTC);
        let family = family(start);
        assert_eq!(family.judge(digest(9), start, GRACE), Presented::Unknown);
        assert_eq!(
            family.judge(digest(0), start + Duration::days(30), GRACE),
            Presented::Expired
        );
    }

    proptest! {
        #[test]
        fn only_the_last_token_is_current_and_every_earlier_one_is_remembered_up_to_the_limit(rotations in 1usize..60) {
            let start = datetime!(2026-11-22 8:00 UTC);
            let mut family = family(start);
            for n in 1..=rotations {
                family = family.rotated(digest(n as u8), start + Duration::hours(n as i64));
            }
            let later = start + Duration::hours(rotations as i64 + 1);
            prop_assert_eq!(family.judge(digest(rotations as u8), later, GRACE), Presented::Current);
            prop_assert!(family.used.len() <= REMEMBERED_TOKENS);
            for n in rotations.saturating_sub(REMEMBERED_TOKENS)..rotations {
                prop_assert_eq!(family.judge(digest(n as u8), later, GRACE), Presented::Reused);
            }
            prop_assert_eq!(family.generation, rotations as u64);
        }
    }
}
