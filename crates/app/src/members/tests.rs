//! The member use cases: a change of roles on the in-memory adapters, and what a membership,
//! user or tenant store that times out, loses a race or answers corrupt data makes of them
//! (mockall mocks).

use std::sync::Arc;

use cubby_domain::{ErrorCode, Membership, MembershipChanges, Role, RoleRef};
use cubby_ports::mocks::{
    MockMembershipRepository, MockTenantDirectory, MockTokenStore, MockUserDirectory,
};
use cubby_ports::{MembershipQuery, RepoError};

use crate::AppError;
use crate::testing::{World, corrupt, timed_out};

fn made(role: Role) -> MembershipChanges {
    MembershipChanges {
        roles: Some(vec![role.into()]),
        ..MembershipChanges::default()
    }
}

/// Memberships answered from `stored`, whose one write fails with `write` (or never happens).
fn memberships_of(
    stored: Membership,
    write: Option<fn() -> RepoError>,
) -> MockMembershipRepository {
    let mut repo = MockMembershipRepository::new();
    repo.expect_get_membership()
        .returning(move |_, _| Ok(stored.clone()));
    match write {
        Some(error) => {
            repo.expect_update_membership()
                .times(1)
                .returning(move |_, _, _| Err(error()));
        }
        None => {
            repo.expect_update_membership().never();
        }
    }
    repo
}

#[tokio::test]
async fn a_teacher_made_director_reads_back_with_one_audit_event() {
    let world = World::new().await;
    let (user, membership) = world.member("ada@here.example", Role::Teacher).await;
    let members = &world.app.members;
    let changed = members
        .update(
            &world.scope,
            membership.id(),
            membership.version(),
            made(Role::Director),
        )
        .await
        .unwrap();
    assert_eq!(changed.user, user);
    assert_eq!(
        changed.membership.roles(),
        [RoleRef::Builtin(Role::Director)]
    );
    let listed = members
        .list(&world.scope, &MembershipQuery::default())
        .await
        .unwrap();
    assert_eq!(listed.items, [changed]);
    assert_eq!(world.audited().await, 1);
}

#[tokio::test]
async fn a_change_that_lost_the_race_is_a_stale_version_and_is_not_audited() {
    let world = World::new().await;
    let (_, membership) = world.member("ada@here.example", Role::Teacher).await;
    let repo = memberships_of(membership.clone(), Some(|| RepoError::StaleVersion));
    let app = world.with(|ports| ports.memberships = Arc::new(repo));
    let answer = app
        .members
        .update(
            &world.scope,
            membership.id(),
            membership.version(),
            made(Role::Director),
        )
        .await;
    assert!(matches!(answer, Err(AppError::StaleVersion)), "{answer:?}");
    assert_eq!(world.audited().await, 0);
}

#[tokio::test]
async fn owners_changed_concurrently_refuse_a_demotion_without_writing_it() {
    let world = World::new().await;
    world.member("first@here.example", Role::Owner).await;
    let (_, second) = world.member("second@here.example", Role::Owner).await;
    let tenant = world.tenant.clone();
    let mut tenants = MockTenantDirectory::new();
    tenants
        .expect_by_id()
        .returning(move |_| Ok(tenant.clone()));
    tenants
        .expect_update()
        .times(1)
        .returning(|_, _| Err(RepoError::StaleVersion));
    let app = world.with(|ports| ports.tenants = Arc::new(tenants));
    let answer = app
        .members
        .update(
            &world.scope,
            second.id(),
            second.version(),
            made(Role::Teacher),
        )
        .await;
    assert!(
        matches!(
            answer,
            Err(AppError::Conflict {
                code: ErrorCode::MembersConcurrentChange,
                ..
            })
        ),
        "{answer:?}"
    );
    let kept = world
        .app
        .members
        .get(&world.scope, second.id())
        .await
        .unwrap();
    assert_eq!(kept.membership, second);
    assert_eq!(world.audited().await, 0);
}

#[tokio::test]
async fn a_store_timing_out_on_the_read_removes_nobody() {
    let world = World::new().await;
    let (_, membership) = world.member("ada@here.example", Role::Teacher).await;
    let mut repo = MockMembershipRepository::new();
    repo.expect_get_membership()
        .times(1)
        .returning(|_, _| Err(timed_out()));
    repo.expect_update_membership().never();
    let app = world.with(|ports| ports.memberships = Arc::new(repo));
    let answer = app
        .members
        .remove(&world.scope, membership.id(), membership.version())
        .await;
    assert!(
        matches!(answer, Err(AppError::Unavailable(_))),
        "{answer:?}"
    );
    assert_eq!(world.audited().await, 0);
}

#[tokio::test]
async fn a_corrupt_user_is_an_internal_error() {
    let world = World::new().await;
    let (_, membership) = world.member("ada@here.example", Role::Teacher).await;
    let mut users = MockUserDirectory::new();
    users
        .expect_user_by_id()
        .times(1)
        .returning(|_| Err(corrupt()));
    let app = world.with(|ports| ports.users = Arc::new(users));
    let answer = app.members.get(&world.scope, membership.id()).await;
    assert!(matches!(answer, Err(AppError::Internal(_))), "{answer:?}");
}

#[tokio::test]
async fn a_version_the_member_is_no_longer_at_is_refused_before_any_write() {
    let world = World::new().await;
    let (_, membership) = world.member("ada@here.example", Role::Teacher).await;
    let repo = memberships_of(membership.clone(), None);
    let app = world.with(|ports| ports.memberships = Arc::new(repo));
    let answer = app
        .members
        .update(
            &world.scope,
            membership.id(),
            membership.version().next(),
            made(Role::Director),
        )
        .await;
    assert!(matches!(answer, Err(AppError::StaleVersion)), "{answer:?}");
}

#[tokio::test]
async fn a_removal_whose_sessions_did_not_end_is_finished_by_inviting_the_member_back() {
    let world = World::new().await;
    let password = secrecy::SecretString::from("right-password".to_owned());
    let (user, membership) = world
        .app
        .members
        .enroll(
            &world.scope,
            crate::members::NewMember {
                email: cubby_domain::Email::parse("ada@here.example").unwrap(),
                password: Some(password.clone()),
                email_verified: true,
                roles: vec![Role::Teacher.into()],
                entitlements: cubby_domain::EntitlementSet::all(),
            },
        )
        .await
        .unwrap();
    let signed_in = world
        .app
        .auth
        .login(crate::auth::Credentials {
            tenant_code: Some(world.tenant.code().as_str().to_owned()),
            email: "ada@here.example".to_owned(),
            password,
            client: None,
        })
        .await
        .unwrap();
    let session = signed_in.session.id;

    // The removal is stored, then the token store times out ending the session.
    let live = world
        .ports
        .tokens
        .families_of(world.tenant.id(), user.id())
        .await
        .unwrap();
    let mut tokens = MockTokenStore::new();
    tokens
        .expect_families_of()
        .times(1)
        .returning(move |_, _| Ok(live.clone()));
    tokens
        .expect_end_session()
        .times(1)
        .returning(|_, _| Err(timed_out()));
    tokens.expect_revoke_family().never();
    let failing = world.with(|ports| ports.tokens = Arc::new(tokens));
    let answer = failing
        .members
        .remove(&world.scope, membership.id(), membership.version())
        .await;
    assert!(
        matches!(answer, Err(AppError::Unavailable(_))),
        "{answer:?}"
    );

    // Inviting them back ends what the removal left open before the membership lives again.
    world
        .app
        .members
        .invite(
            &world.scope,
            crate::members::NewInvitation {
                email: cubby_domain::Email::parse("ada@here.example").unwrap(),
                roles: vec![Role::Teacher.into()],
                entitlements: None,
                lifetime: None,
            },
        )
        .await
        .unwrap();
    assert!(world.ports.tokens.is_session_ended(session).await.unwrap());
    assert!(world.ports.tokens.family(session).await.unwrap().is_none());
}
