//! The contract of [`TokenStore`].

use std::time::Duration;

use cubby_domain::{MembershipId, RefreshFamily, SessionId, TenantId, TokenDigest, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{RepoError, ResetGrant, TokenStore};

/// Runs every token store case against the store `$make` resolves to.
#[macro_export]
macro_rules! token_store_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!($crate::contract::tokens, $($make)+, [
            a_blocked_token_stays_blocked_until_its_expiry,
            an_ended_session_stays_ended_until_the_time_given,
            a_members_families_are_listed_in_their_centre_only,
            a_family_reads_back_and_swaps_once_per_generation,
            of_concurrent_swaps_exactly_one_wins,
            a_revoked_family_is_gone,
            an_expired_family_is_gone,
            a_family_id_is_used_once,
            a_reset_token_is_taken_once,
            of_concurrent_takes_of_a_reset_token_exactly_one_wins,
            an_expired_reset_token_is_gone,
        ]);
    };
}

fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_millisecond(now.millisecond()).unwrap_or(now)
}

/// A family created now, expiring after `lifetime`.
pub fn new_family(lifetime: time::Duration) -> RefreshFamily {
    let now = now();
    let created_at = now
        .replace_nanosecond(now.millisecond() as u32 * 1_000_000)
        .unwrap();
    RefreshFamily {
        id: SessionId::from_uuid(Uuid::now_v7()),
        tenant_id: TenantId::from_uuid(Uuid::now_v7()),
        user_id: UserId::from_uuid(Uuid::now_v7()),
        membership_id: MembershipId::from_uuid(Uuid::now_v7()),
        current: TokenDigest([1; 32]),
        used: Vec::new(),
        rotated_at: None,
        generation: 0,
        created_at,
        expires_at: created_at + lifetime,
    }
}

/// A blocked jti reads as blocked until the time given, then not.
pub async fn a_blocked_token_stays_blocked_until_its_expiry(store: &dyn TokenStore) {
    let jti = Uuid::now_v7().to_string();
    assert!(!store.is_access_blocked(&jti).await.unwrap());
    store
        .block_access(&jti, now() + time::Duration::milliseconds(600))
        .await
        .unwrap();
    assert!(store.is_access_blocked(&jti).await.unwrap());
    assert!(
        !store
            .is_access_blocked(&Uuid::now_v7().to_string())
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(!store.is_access_blocked(&jti).await.unwrap());
    // A token that has expired already needs no entry, and blocking it is not an error.
    store
        .block_access(&jti, now() - time::Duration::minutes(1))
        .await
        .unwrap();
}

/// An ended session reads as ended until the time given, then not; other sessions and a
/// blocked token's id are not ended by it; ending it again at a time past ends nothing.
pub async fn an_ended_session_stays_ended_until_the_time_given(store: &dyn TokenStore) {
    let (ended, other) = (
        SessionId::from_uuid(Uuid::now_v7()),
        SessionId::from_uuid(Uuid::now_v7()),
    );
    assert!(!store.is_session_ended(ended).await.unwrap());
    store
        .end_session(ended, now() + time::Duration::milliseconds(600))
        .await
        .unwrap();
    assert!(store.is_session_ended(ended).await.unwrap());
    assert!(!store.is_session_ended(other).await.unwrap());
    assert!(!store.is_access_blocked(&ended.to_string()).await.unwrap());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(!store.is_session_ended(ended).await.unwrap());

    // Ending it again is idempotent and sets the new time; a time past ends nothing.
    let hour = now() + time::Duration::hours(1);
    store.end_session(other, hour).await.unwrap();
    store.end_session(other, hour).await.unwrap();
    assert!(store.is_session_ended(other).await.unwrap());
    store
        .end_session(ended, now() - time::Duration::minutes(1))
        .await
        .unwrap();
    assert!(!store.is_session_ended(ended).await.unwrap());
}

/// A member's live families are listed, in their centre only: not another user's, not their
/// families in another centre, not a revoked one.
pub async fn a_members_families_are_listed_in_their_centre_only(store: &dyn TokenStore) {
    let first = new_family(time::Duration::hours(1));
    let (tenant_id, user_id) = (first.tenant_id, first.user_id);
    assert!(
        store
            .families_of(tenant_id, user_id)
            .await
            .unwrap()
            .is_empty()
    );
    let second = RefreshFamily {
        id: SessionId::from_uuid(Uuid::now_v7()),
        tenant_id,
        user_id,
        ..first.clone()
    };
    let revoked = RefreshFamily {
        id: SessionId::from_uuid(Uuid::now_v7()),
        ..first.clone()
    };
    let elsewhere = RefreshFamily {
        id: SessionId::from_uuid(Uuid::now_v7()),
        tenant_id: TenantId::from_uuid(Uuid::now_v7()),
        ..first.clone()
    };
    let someone_else = RefreshFamily {
        id: SessionId::from_uuid(Uuid::now_v7()),
        user_id: UserId::from_uuid(Uuid::now_v7()),
        ..first.clone()
    };
    for family in [&first, &second, &revoked, &elsewhere, &someone_else] {
        store.create_family(family).await.unwrap();
    }
    store.revoke_family(revoked.id).await.unwrap();
    let mut listed: Vec<SessionId> = store
        .families_of(tenant_id, user_id)
        .await
        .unwrap()
        .into_iter()
        .map(|family| family.id)
        .collect();
    listed.sort_by_key(ToString::to_string);
    let mut expected = vec![first.id, second.id];
    expected.sort_by_key(ToString::to_string);
    assert_eq!(listed, expected);
    let rotated = first.rotated(TokenDigest([9; 32]), now());
    assert!(store.swap_family(&rotated, 0).await.unwrap());
    let listed = store.families_of(tenant_id, user_id).await.unwrap();
    assert!(listed.contains(&rotated), "{listed:?}");
}

/// A family reads back; a swap from its generation succeeds once.
pub async fn a_family_reads_back_and_swaps_once_per_generation(store: &dyn TokenStore) {
    let family = new_family(time::Duration::days(30));
    store.create_family(&family).await.unwrap();
    assert_eq!(store.family(family.id).await.unwrap(), Some(family.clone()));
    let rotated = family.rotated(TokenDigest([2; 32]), now());
    assert!(store.swap_family(&rotated, 0).await.unwrap());
    assert_eq!(
        store.family(family.id).await.unwrap(),
        Some(rotated.clone())
    );
    let late = family.rotated(TokenDigest([3; 32]), now());
    assert!(!store.swap_family(&late, 0).await.unwrap());
    assert_eq!(store.family(family.id).await.unwrap(), Some(rotated));
    assert_eq!(
        store
            .family(SessionId::from_uuid(Uuid::now_v7()))
            .await
            .unwrap(),
        None
    );
}

/// Of eight swaps racing from one generation, exactly one succeeds.
pub async fn of_concurrent_swaps_exactly_one_wins(store: &dyn TokenStore) {
    let family = new_family(time::Duration::days(30));
    store.create_family(&family).await.unwrap();
    let candidates: Vec<RefreshFamily> = (0..8)
        .map(|n| family.rotated(TokenDigest([10 + n; 32]), now()))
        .collect();
    let results =
        futures::future::join_all(candidates.iter().map(|c| store.swap_family(c, 0))).await;
    let wins = results.iter().filter(|r| matches!(r, Ok(true))).count();
    assert_eq!(wins, 1, "{results:?}");
    assert_eq!(
        store.family(family.id).await.unwrap().unwrap().generation,
        1
    );
}

/// A revoked family is gone and cannot be swapped back.
pub async fn a_revoked_family_is_gone(store: &dyn TokenStore) {
    let family = new_family(time::Duration::days(30));
    store.create_family(&family).await.unwrap();
    store.revoke_family(family.id).await.unwrap();
    assert_eq!(store.family(family.id).await.unwrap(), None);
    assert!(
        !store
            .swap_family(&family.rotated(TokenDigest([2; 32]), now()), 0)
            .await
            .unwrap()
    );
    assert_eq!(store.family(family.id).await.unwrap(), None);
    store
        .revoke_family(SessionId::from_uuid(Uuid::now_v7()))
        .await
        .unwrap();
}

/// A family is gone once its absolute lifetime has passed.
pub async fn an_expired_family_is_gone(store: &dyn TokenStore) {
    let family = new_family(time::Duration::milliseconds(600));
    store.create_family(&family).await.unwrap();
    assert!(store.family(family.id).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(store.family(family.id).await.unwrap(), None);
}

/// Creating a family with an id in use is a conflict.
pub async fn a_family_id_is_used_once(store: &dyn TokenStore) {
    let family = new_family(time::Duration::days(1));
    store.create_family(&family).await.unwrap();
    let again = store
        .create_family(&RefreshFamily {
            current: TokenDigest([9; 32]),
            ..family.clone()
        })
        .await;
    assert!(
        matches!(again, Err(RepoError::Conflict("session.id"))),
        "{again:?}"
    );
    assert_eq!(store.family(family.id).await.unwrap(), Some(family));
}

/// A grant for a new user, working for `lifetime`.
fn reset_grant(lifetime: time::Duration) -> ResetGrant {
    ResetGrant {
        user_id: UserId::from_uuid(Uuid::now_v7()),
        expires_at: now() + lifetime,
    }
}

/// A digest no test has used.
fn fresh_digest() -> TokenDigest {
    let mut bytes = [0; 32];
    bytes[..16].copy_from_slice(Uuid::now_v7().as_bytes());
    bytes[16..].copy_from_slice(Uuid::now_v7().as_bytes());
    TokenDigest(bytes)
}

/// A reset token is taken once, with the grant it was stored with; another digest, or the same
/// again, gets nothing; storing a digest again replaces its grant.
pub async fn a_reset_token_is_taken_once(store: &dyn TokenStore) {
    let (digest, other) = (fresh_digest(), fresh_digest());
    let grant = reset_grant(time::Duration::minutes(30));
    assert_eq!(store.take_reset(&digest).await.unwrap(), None);
    store.put_reset(&digest, &grant).await.unwrap();
    assert_eq!(store.take_reset(&other).await.unwrap(), None);
    assert_eq!(store.take_reset(&digest).await.unwrap(), Some(grant));
    assert_eq!(store.take_reset(&digest).await.unwrap(), None);

    let replaced = reset_grant(time::Duration::minutes(30));
    store.put_reset(&other, &grant).await.unwrap();
    store.put_reset(&other, &replaced).await.unwrap();
    assert_eq!(store.take_reset(&other).await.unwrap(), Some(replaced));
}

/// Of eight takes racing for one reset token, exactly one gets it.
pub async fn of_concurrent_takes_of_a_reset_token_exactly_one_wins(store: &dyn TokenStore) {
    let digest = fresh_digest();
    let grant = reset_grant(time::Duration::minutes(30));
    store.put_reset(&digest, &grant).await.unwrap();
    let takes = futures::future::join_all((0..8).map(|_| store.take_reset(&digest))).await;
    let won: Vec<ResetGrant> = takes.into_iter().filter_map(Result::unwrap).collect();
    assert_eq!(won, vec![grant]);
}

/// A reset token is gone once its expiry has passed; one already expired is not stored.
pub async fn an_expired_reset_token_is_gone(store: &dyn TokenStore) {
    let digest = fresh_digest();
    store
        .put_reset(&digest, &reset_grant(time::Duration::milliseconds(600)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(store.take_reset(&digest).await.unwrap(), None);

    let late = fresh_digest();
    store
        .put_reset(&late, &reset_grant(-time::Duration::minutes(1)))
        .await
        .unwrap();
    assert_eq!(store.take_reset(&late).await.unwrap(), None);
}
