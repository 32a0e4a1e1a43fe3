//! The contracts of [`InvitationRepository`] and [`InvitationDirectory`].

use cubby_domain::{
    Actor, Audit, Email, EntitlementSet, Invitation, InvitationId, InvitationStatus, MembershipId,
    Role, TokenDigest, UserId, Version,
};
use uuid::Uuid;

use super::{at, fresh_scope};
use crate::{
    InvitationDirectory, InvitationQuery, InvitationRepository, PageRequest, RepoError,
    SortDirection,
};

/// What one adapter must serve for these suites.
pub trait Invitations: InvitationRepository + InvitationDirectory {}

impl<T: InvitationRepository + InvitationDirectory> Invitations for T {}

/// Runs every invitation case against the adapter `$make` resolves to.
#[macro_export]
macro_rules! invitation_repository_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!($crate::contract::invitations, $($make)+, [
            an_invitation_reads_back_by_scope_and_by_id_with_its_tenant,
            invitations_list_newest_first_and_filter_by_status,
            invitations_sort_by_creation_both_ways,
            an_update_with_a_stale_version_is_refused,
            another_tenant_cannot_see_or_change_an_invitation,
        ]);
    };
}

/// An invitation created `minute` minutes in.
pub fn new_invitation(minute: i64) -> Invitation {
    Invitation::restore(cubby_domain::InvitationParts {
        id: InvitationId::from_uuid(Uuid::now_v7()),
        email: Email::parse(&format!("{}@invited.example", Uuid::now_v7().simple())).unwrap(),
        membership_id: MembershipId::from_uuid(Uuid::now_v7()),
        roles: vec![Role::Teacher.into()],
        entitlements: EntitlementSet::all(),
        token: TokenDigest([7; 32]),
        status: InvitationStatus::Pending,
        expires_at: at(minute + 60 * 24 * 7),
        audit: Audit::created(Actor::User(UserId::from_uuid(Uuid::now_v7())), at(minute)),
        version: Version::FIRST,
    })
}

/// A stored invitation reads back unchanged, in its tenant and through the directory.
pub async fn an_invitation_reads_back_by_scope_and_by_id_with_its_tenant(store: &dyn Invitations) {
    let scope = fresh_scope();
    let invitation = new_invitation(0);
    store.insert_invitation(&scope, &invitation).await.unwrap();
    assert_eq!(
        store.get_invitation(&scope, invitation.id()).await.unwrap(),
        invitation
    );
    assert_eq!(
        store.invitation_by_id(invitation.id()).await.unwrap(),
        (scope.tenant_id(), invitation)
    );
    let unknown = InvitationId::from_uuid(Uuid::now_v7());
    assert!(matches!(
        store.invitation_by_id(unknown).await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        store.get_invitation(&scope, unknown).await,
        Err(RepoError::NotFound)
    ));
}

/// Lists are newest first, filter by status and page.
pub async fn invitations_list_newest_first_and_filter_by_status(store: &dyn Invitations) {
    let scope = fresh_scope();
    let first = new_invitation(0);
    let second = Invitation::restore(cubby_domain::InvitationParts {
        status: InvitationStatus::Revoked,
        ..new_invitation(1).into_parts()
    });
    let third = new_invitation(2);
    for invitation in [&first, &second, &third] {
        store.insert_invitation(&scope, invitation).await.unwrap();
    }
    let all = store
        .list_invitations(&scope, &InvitationQuery::default())
        .await
        .unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(
        all.items,
        vec![third.clone(), second.clone(), first.clone()]
    );
    let pending = InvitationQuery {
        status: Some(InvitationStatus::Pending),
        ..InvitationQuery::default()
    };
    let page = store.list_invitations(&scope, &pending).await.unwrap();
    assert_eq!(
        (page.total, page.items),
        (2, vec![third.clone(), first.clone()])
    );
    let paged = InvitationQuery {
        page: PageRequest::new(1, 2).unwrap(),
        ..InvitationQuery::default()
    };
    assert_eq!(
        store.list_invitations(&scope, &paged).await.unwrap().items,
        vec![first]
    );
}

/// Updates are conditioned on the version read.
pub async fn an_update_with_a_stale_version_is_refused(store: &dyn Invitations) {
    let scope = fresh_scope();
    let invitation = new_invitation(0);
    store.insert_invitation(&scope, &invitation).await.unwrap();
    let accepted = invitation.with_status(
        InvitationStatus::Accepted,
        Actor::User(UserId::from_uuid(Uuid::now_v7())),
        at(5),
    );
    store
        .update_invitation(&scope, &accepted, invitation.version())
        .await
        .unwrap();
    assert_eq!(
        store.get_invitation(&scope, invitation.id()).await.unwrap(),
        accepted
    );
    let stale = store
        .update_invitation(&scope, &accepted, invitation.version())
        .await;
    assert!(matches!(stale, Err(RepoError::StaleVersion)), "{stale:?}");
}

/// Another tenant's scope reaches nothing.
pub async fn another_tenant_cannot_see_or_change_an_invitation(store: &dyn Invitations) {
    let (owner, intruder) = (fresh_scope(), fresh_scope());
    let invitation = new_invitation(0);
    store.insert_invitation(&owner, &invitation).await.unwrap();
    assert!(matches!(
        store.get_invitation(&intruder, invitation.id()).await,
        Err(RepoError::NotFound)
    ));
    assert_eq!(
        store
            .list_invitations(&intruder, &InvitationQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
    let revoked = invitation.with_status(
        InvitationStatus::Revoked,
        Actor::User(UserId::from_uuid(Uuid::now_v7())),
        at(1),
    );
    assert!(matches!(
        store
            .update_invitation(&intruder, &revoked, invitation.version())
            .await,
        Err(RepoError::NotFound)
    ));
    assert_eq!(
        store.get_invitation(&owner, invitation.id()).await.unwrap(),
        invitation
    );
}

/// The list sorts by creation time either way, ties broken by id the same way, and pages in
/// that order.
pub async fn invitations_sort_by_creation_both_ways(store: &dyn Invitations) {
    let scope = fresh_scope();
    let (first, second, third) = (new_invitation(0), new_invitation(1), new_invitation(2));
    for invitation in [&second, &third, &first] {
        store.insert_invitation(&scope, invitation).await.unwrap();
    }
    let ids = |page: crate::Page<Invitation>| page.items.iter().map(|i| i.id()).collect::<Vec<_>>();
    let oldest_first = InvitationQuery {
        direction: SortDirection::Ascending,
        ..InvitationQuery::default()
    };
    assert_eq!(
        ids(store.list_invitations(&scope, &oldest_first).await.unwrap()),
        vec![first.id(), second.id(), third.id()]
    );
    let newest_first = InvitationQuery {
        direction: SortDirection::Descending,
        ..InvitationQuery::default()
    };
    assert_eq!(
        ids(store.list_invitations(&scope, &newest_first).await.unwrap()),
        vec![third.id(), second.id(), first.id()]
    );
    let second_oldest = InvitationQuery {
        page: PageRequest::new(1, 1).unwrap(),
        ..oldest_first
    };
    let page = store
        .list_invitations(&scope, &second_oldest)
        .await
        .unwrap();
    assert_eq!((ids(page.clone()), page.total), (vec![second.id()], 3));
}
