//! The contracts of [`UserDirectory`], [`MembershipDirectory`] and [`MembershipRepository`],
//! which one adapter serves together.

use cubby_domain::{
    Actor, Audit, Email, EntitlementSet, ExternalId, Membership, MembershipId, MembershipStatus,
    PasswordHash, Role, TenantId, User, UserId, UserStatus, Version,
};
use uuid::Uuid;

use super::{at, fresh_scope};
use crate::{
    MembershipDirectory, MembershipQuery, MembershipRepository, PageRequest, RepoError,
    SortDirection, UserDirectory,
};

/// What one adapter must serve for these suites.
pub trait Members: UserDirectory + MembershipDirectory + MembershipRepository {}

impl<T: UserDirectory + MembershipDirectory + MembershipRepository> Members for T {}

/// Runs every user and membership case against the adapter `$make` resolves to.
#[macro_export]
macro_rules! user_directory_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!($crate::contract::users, $($make)+, [
            a_user_is_found_by_id_by_email_and_by_supabase_id,
            unknown_users_are_not_found,
            addresses_and_supabase_ids_are_unique,
            a_user_update_with_the_read_version_is_stored_and_a_stale_one_refused,
            a_membership_is_found_by_tenant_and_user_and_by_id,
            a_user_is_a_member_of_a_tenant_once,
            memberships_of_other_tenants_stay_out_of_reach,
            a_membership_update_with_a_stale_version_is_refused,
            every_centre_of_a_user_is_listed,
            memberships_list_by_status_and_role_in_creation_order,
        ]);
    };
}

/// A user with an address no other case uses.
pub fn new_user() -> User {
    let id = UserId::from_uuid(Uuid::now_v7());
    User::restore(cubby_domain::UserParts {
        id,
        email: Email::parse(&format!("{}@example.com", id.uuid().simple())).unwrap(),
        email_verified: false,
        password_hash: Some(
            PasswordHash::parse("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g").unwrap(),
        ),
        supabase_id: Some(ExternalId::parse(&Uuid::now_v7().to_string()).unwrap()),
        status: UserStatus::Active,
        audit: Audit::created(Actor::User(id), at(0)),
        version: Version::FIRST,
    })
}

/// A membership of `user` with `roles`.
pub fn new_membership(user: UserId, roles: &[Role]) -> Membership {
    Membership::restore(cubby_domain::MembershipParts {
        id: MembershipId::from_uuid(Uuid::now_v7()),
        user_id: user,
        roles: roles.iter().map(|r| (*r).into()).collect(),
        entitlements: EntitlementSet::all(),
        status: MembershipStatus::Active,
        entitlements_version: 1,
        audit: Audit::created(Actor::User(user), at(0)),
        version: Version::FIRST,
    })
}

/// A stored user reads back by each of its keys.
pub async fn a_user_is_found_by_id_by_email_and_by_supabase_id(store: &dyn Members) {
    let user = new_user();
    store.insert_user(&user).await.unwrap();
    assert_eq!(store.user_by_id(user.id()).await.unwrap(), user);
    assert_eq!(store.user_by_email(user.email()).await.unwrap(), user);
    assert_eq!(
        store
            .user_by_supabase_id(user.supabase_id().unwrap())
            .await
            .unwrap(),
        user
    );
    let bare = User::restore(cubby_domain::UserParts {
        supabase_id: None,
        password_hash: None,
        ..new_user().into_parts()
    });
    store.insert_user(&bare).await.unwrap();
    assert_eq!(store.user_by_id(bare.id()).await.unwrap(), bare);
}

/// Keys never stored are not found.
pub async fn unknown_users_are_not_found(store: &dyn Members) {
    let user = new_user();
    assert!(matches!(
        store.user_by_id(user.id()).await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        store.user_by_email(user.email()).await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        store.user_by_supabase_id(user.supabase_id().unwrap()).await,
        Err(RepoError::NotFound)
    ));
}

/// Two users cannot share an address or a Supabase id; users without a Supabase id never
/// conflict on it.
pub async fn addresses_and_supabase_ids_are_unique(store: &dyn Members) {
    let user = new_user();
    store.insert_user(&user).await.unwrap();
    let same_email = User::restore(cubby_domain::UserParts {
        email: user.email().clone(),
        ..new_user().into_parts()
    });
    assert!(matches!(
        store.insert_user(&same_email).await,
        Err(RepoError::Conflict("user.email"))
    ));
    let same_supabase = User::restore(cubby_domain::UserParts {
        supabase_id: user.supabase_id().cloned(),
        ..new_user().into_parts()
    });
    assert!(matches!(
        store.insert_user(&same_supabase).await,
        Err(RepoError::Conflict("user.supabase_id"))
    ));
    for _ in 0..2 {
        store
            .insert_user(&User::restore(cubby_domain::UserParts {
                supabase_id: None,
                ..new_user().into_parts()
            }))
            .await
            .unwrap();
    }
}

/// Updates are conditioned on the version read.
pub async fn a_user_update_with_the_read_version_is_stored_and_a_stale_one_refused(
    store: &dyn Members,
) {
    let user = new_user();
    store.insert_user(&user).await.unwrap();
    let suspended = User::restore(cubby_domain::UserParts {
        status: UserStatus::Suspended,
        version: user.version().next(),
        ..user.clone().into_parts()
    });
    store.update_user(&suspended, user.version()).await.unwrap();
    assert_eq!(store.user_by_email(user.email()).await.unwrap(), suspended);
    let late = User::restore(cubby_domain::UserParts {
        email_verified: true,
        version: user.version().next(),
        ..user.clone().into_parts()
    });
    assert!(matches!(
        store.update_user(&late, user.version()).await,
        Err(RepoError::StaleVersion)
    ));
    assert_eq!(store.user_by_id(user.id()).await.unwrap(), suspended);
    let missing = new_user();
    assert!(matches!(
        store.update_user(&missing, missing.version()).await,
        Err(RepoError::NotFound)
    ));
}

/// A membership reads back by tenant and user, and by id.
pub async fn a_membership_is_found_by_tenant_and_user_and_by_id(store: &dyn Members) {
    let scope = fresh_scope();
    let user = new_user();
    store.insert_user(&user).await.unwrap();
    let membership = new_membership(user.id(), &[Role::Director, Role::Teacher]);
    store.insert_membership(&scope, &membership).await.unwrap();
    assert_eq!(
        store
            .membership_of(scope.tenant_id(), user.id())
            .await
            .unwrap(),
        membership
    );
    assert_eq!(
        store
            .membership_by_id(scope.tenant_id(), membership.id())
            .await
            .unwrap(),
        membership
    );
    assert_eq!(
        store.get_membership(&scope, membership.id()).await.unwrap(),
        membership
    );
}

/// One membership per user per tenant.
pub async fn a_user_is_a_member_of_a_tenant_once(store: &dyn Members) {
    let scope = fresh_scope();
    let user = new_user();
    store
        .insert_membership(&scope, &new_membership(user.id(), &[Role::Teacher]))
        .await
        .unwrap();
    let again = store
        .insert_membership(&scope, &new_membership(user.id(), &[Role::Director]))
        .await;
    assert!(
        matches!(again, Err(RepoError::Conflict("membership.user"))),
        "{again:?}"
    );
    // The same user in another tenant is fine.
    store
        .insert_membership(
            &fresh_scope(),
            &new_membership(user.id(), &[Role::Guardian]),
        )
        .await
        .unwrap();
}

/// Another tenant's scope or id cannot reach a membership.
pub async fn memberships_of_other_tenants_stay_out_of_reach(store: &dyn Members) {
    let owner = fresh_scope();
    let intruder = fresh_scope();
    let user = new_user();
    let membership = new_membership(user.id(), &[Role::Owner]);
    store.insert_membership(&owner, &membership).await.unwrap();
    assert!(matches!(
        store.get_membership(&intruder, membership.id()).await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        store
            .membership_by_id(intruder.tenant_id(), membership.id())
            .await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        store.membership_of(intruder.tenant_id(), user.id()).await,
        Err(RepoError::NotFound)
    ));
    let hijack = Membership::restore(cubby_domain::MembershipParts {
        roles: vec![Role::Guardian.into()],
        version: membership.version().next(),
        ..membership.clone().into_parts()
    });
    assert!(matches!(
        store
            .update_membership(&intruder, &hijack, membership.version())
            .await,
        Err(RepoError::NotFound)
    ));
    assert_eq!(
        store.get_membership(&owner, membership.id()).await.unwrap(),
        membership
    );
}

/// Membership updates are conditioned on the version read.
pub async fn a_membership_update_with_a_stale_version_is_refused(store: &dyn Members) {
    let scope = fresh_scope();
    let membership = new_membership(new_user().id(), &[Role::Teacher]);
    store.insert_membership(&scope, &membership).await.unwrap();
    let suspended = Membership::restore(cubby_domain::MembershipParts {
        status: MembershipStatus::Suspended,
        entitlements_version: 2,
        version: membership.version().next(),
        ..membership.clone().into_parts()
    });
    store
        .update_membership(&scope, &suspended, membership.version())
        .await
        .unwrap();
    assert_eq!(
        store
            .membership_by_id(scope.tenant_id(), membership.id())
            .await
            .unwrap(),
        suspended
    );
    let stale = store
        .update_membership(&scope, &suspended, membership.version())
        .await;
    assert!(matches!(stale, Err(RepoError::StaleVersion)), "{stale:?}");
}

/// Every centre a user belongs to is listed, and no other.
pub async fn every_centre_of_a_user_is_listed(store: &dyn Members) {
    let user = new_user();
    let (first, second) = (fresh_scope(), fresh_scope());
    store
        .insert_membership(&first, &new_membership(user.id(), &[Role::Guardian]))
        .await
        .unwrap();
    store
        .insert_membership(&second, &new_membership(user.id(), &[Role::Teacher]))
        .await
        .unwrap();
    store
        .insert_membership(&first, &new_membership(new_user().id(), &[Role::Director]))
        .await
        .unwrap();
    let mut tenants: Vec<TenantId> = store
        .memberships_of_user(user.id())
        .await
        .unwrap()
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    tenants.sort();
    let mut expected = vec![first.tenant_id(), second.tenant_id()];
    expected.sort();
    assert_eq!(tenants, expected);
    assert!(
        store
            .memberships_of_user(new_user().id())
            .await
            .unwrap()
            .is_empty()
    );
}

/// Lists leave removed members out unless asked, filter by role and status, and page in
/// creation order.
pub async fn memberships_list_by_status_and_role_in_creation_order(store: &dyn Members) {
    let scope = fresh_scope();
    let mut stored = Vec::new();
    for (n, (role, status)) in [
        (Role::Owner, MembershipStatus::Active),
        (Role::Teacher, MembershipStatus::Active),
        (Role::Teacher, MembershipStatus::Invited),
        (Role::Guardian, MembershipStatus::Suspended),
        (Role::Teacher, MembershipStatus::Removed),
    ]
    .into_iter()
    .enumerate()
    {
        let membership = Membership::restore(cubby_domain::MembershipParts {
            status,
            audit: Audit::created(Actor::User(new_user().id()), at(n as i64)),
            ..new_membership(new_user().id(), &[role]).into_parts()
        });
        store.insert_membership(&scope, &membership).await.unwrap();
        stored.push(membership);
    }
    store
        .insert_membership(
            &fresh_scope(),
            &new_membership(new_user().id(), &[Role::Teacher]),
        )
        .await
        .unwrap();
    let ids =
        |page: &crate::Page<Membership>| page.items.iter().map(|m| m.id()).collect::<Vec<_>>();

    let default = store
        .list_memberships(&scope, &MembershipQuery::default())
        .await
        .unwrap();
    assert_eq!(default.total, 4);
    assert_eq!(
        ids(&default),
        stored[..4].iter().map(|m| m.id()).collect::<Vec<_>>()
    );

    let teachers = MembershipQuery {
        role: Some(Role::Teacher.into()),
        ..MembershipQuery::default()
    };
    assert_eq!(
        store
            .list_memberships(&scope, &teachers)
            .await
            .unwrap()
            .total,
        2
    );

    let active_owners = MembershipQuery {
        role: Some(Role::Owner.into()),
        statuses: vec![MembershipStatus::Active],
        ..MembershipQuery::default()
    };
    assert_eq!(
        ids(&store
            .list_memberships(&scope, &active_owners)
            .await
            .unwrap()),
        vec![stored[0].id()]
    );

    let removed = MembershipQuery {
        statuses: vec![MembershipStatus::Removed],
        ..MembershipQuery::default()
    };
    assert_eq!(
        ids(&store.list_memberships(&scope, &removed).await.unwrap()),
        vec![stored[4].id()]
    );

    let by_user = MembershipQuery {
        user_id: Some(stored[1].user_id()),
        ..MembershipQuery::default()
    };
    assert_eq!(
        ids(&store.list_memberships(&scope, &by_user).await.unwrap()),
        vec![stored[1].id()]
    );

    let newest = MembershipQuery {
        direction: SortDirection::Descending,
        page: PageRequest::new(2, 1).unwrap(),
        ..MembershipQuery::default()
    };
    let page = store.list_memberships(&scope, &newest).await.unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(ids(&page), vec![stored[2].id(), stored[1].id()]);
}
