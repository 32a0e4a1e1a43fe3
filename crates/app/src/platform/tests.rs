//! The platform use cases: operator keys, a centre created with its owner's invitation, and a
//! suspension that the centre's next session check sees; and what a directory that times out
//! or loses races makes of them (mockall mocks).

use std::sync::Arc;

use cubby_domain::{
    Actor, AuditAction, Email, EntitlementSet, InvitationStatus, MembershipStatus, OperatorId,
    Role, RoleRef, TenantCode, TenantName, TenantStatus, TimeZone,
};
use cubby_ports::mocks::MockTenantDirectory;
use cubby_ports::{AuditQuery, LimitKey, PageRequest, RepoError, TenantQuery};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::*;
use crate::testing::{World, timed_out};

fn operator() -> Operator {
    Operator {
        id: OperatorId::parse("ops_test").unwrap(),
    }
}

fn new_centre(code: &str) -> NewCentre {
    NewCentre {
        code: TenantCode::parse(code).unwrap(),
        name: TenantName::parse("Wattle Tree Kindergarten").unwrap(),
        time_zone: TimeZone::parse("Australia/Perth").unwrap(),
        owner_email: Email::parse(&format!("owner@{code}.example")).unwrap(),
    }
}

/// The actions of the centre's audit log, oldest first, with their actors.
async fn audit_of(world: &World, centre: TenantId) -> Vec<(AuditAction, Option<Actor>)> {
    let scope = cubby_ports::contract::scope_in(centre);
    let mut events = world
        .ports
        .audit
        .list_events(&scope, &AuditQuery::default())
        .await
        .unwrap()
        .items;
    events.reverse();
    events.into_iter().map(|e| (e.action, e.actor)).collect()
}

#[test]
fn a_configured_key_is_known_by_its_id_and_no_other_text_is() {
    let key = "0f3c8e1d2b4a69788a9b0c1d2e3f40516273849a5b6c7d8e9fa0b1c2d3e4f5061";
    let keys = OperatorKeys::from_digests(vec![
        (
            OperatorId::parse("ops_alice").unwrap(),
            Sha256::digest(b"another key").into(),
        ),
        (
            OperatorId::parse("ops_bob").unwrap(),
            Sha256::digest(key.as_bytes()).into(),
        ),
    ]);
    assert!(keys.is_enabled());
    let found = keys.identify(key).unwrap();
    assert_eq!(found.id().as_str(), "ops_bob");
    for wrong in ["", "another key ", &key[1..], &key.to_uppercase()] {
        assert_eq!(keys.identify(wrong), None, "{wrong}");
    }
    // The digests stay out of Debug.
    let printed = format!("{keys:?}");
    assert!(
        printed.contains("ops_bob") && !printed.contains("0f3c"),
        "{printed}"
    );
    assert!(!OperatorKeys::none().is_enabled());
    assert_eq!(OperatorKeys::none().identify(key), None);
}

#[test]
fn a_generated_key_is_accepted_shown_and_new_every_time() {
    let keys = OperatorKeys::generate();
    let key = keys.generated().unwrap().expose_secret().to_owned();
    assert_eq!(key.len(), 64);
    assert_eq!(keys.identify(&key).unwrap().id().as_str(), "dev");
    let other = OperatorKeys::generate();
    assert_ne!(other.generated().unwrap().expose_secret(), key);
    assert_eq!(other.identify(&key), None);
    assert!(!format!("{keys:?}").contains(&key));
    assert_eq!(Operator::command_line().id().as_str(), "cli");
}

#[tokio::test]
async fn a_new_centre_is_stored_with_an_owner_invitation_that_signs_the_owner_in() {
    let world = World::new().await;
    let created = world
        .app
        .platform
        .create_centre(&operator(), new_centre("wattle-tree"))
        .await
        .unwrap();
    let centre = &created.centre;
    assert_eq!(centre.status(), TenantStatus::Active);
    assert_eq!(centre.settings(), cubby_domain::CentreSettings::default());
    assert_eq!(centre.audit().created_by(), &operator().id().actor());
    assert_eq!(
        world.ports.tenants.by_code(centre.code()).await.unwrap(),
        *centre
    );
    let invitation = &created.invitation.invitation;
    assert_eq!(invitation.status(), InvitationStatus::Pending);
    assert_eq!(invitation.roles(), [RoleRef::Builtin(Role::Owner)]);
    assert_eq!(invitation.entitlements(), EntitlementSet::all());
    assert_eq!(invitation.email().as_str(), "owner@wattle-tree.example");
    // The token goes to the owner by mail, on the critical queue.
    let mail = created.invitation.mail.unwrap();
    let queued = world
        .ports
        .job_records
        .get(&cubby_ports::contract::scope_in(centre.id()), mail)
        .await
        .unwrap();
    assert_eq!(queued.kind(), "send_mail");
    let actor = Some(operator().id().actor());
    assert_eq!(
        audit_of(&world, centre.id()).await,
        [
            (AuditAction::CentreCreated, actor.clone()),
            (AuditAction::MemberInvited, actor)
        ]
    );
    // The owner accepts with the token and is signed in as the centre's owner.
    let signed = world
        .app
        .auth
        .accept_invitation(
            "wattle-tree",
            created.invitation.token.expose_secret(),
            Some(SecretString::from("a long enough password".to_owned())),
            None,
        )
        .await
        .unwrap();
    let session = world
        .app
        .sessions
        .verify(&signed.access.token)
        .await
        .unwrap();
    assert_eq!(session.scope.tenant_id(), centre.id());
    assert!(session.scope.has(cubby_domain::Permission::MembersManage));
    let membership = world
        .ports
        .membership_directory
        .membership_of(centre.id(), session.scope.user_id().unwrap())
        .await
        .unwrap();
    assert_eq!(membership.status(), MembershipStatus::Active);
}

#[tokio::test]
async fn a_taken_code_is_refused_and_invites_nobody() {
    let world = World::new().await;
    let platform = &world.app.platform;
    let first = platform
        .create_centre(&operator(), new_centre("wattle-tree"))
        .await
        .unwrap();
    let mut again = new_centre("wattle-tree");
    again.owner_email = Email::parse("someone@else.example").unwrap();
    let error = platform
        .create_centre(&operator(), again)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            AppError::Conflict {
                code: ErrorCode::CentreCodeTaken,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(matches!(
        world
            .ports
            .users
            .user_by_email(&Email::parse("someone@else.example").unwrap())
            .await,
        Err(RepoError::NotFound)
    ));
    assert_eq!(audit_of(&world, first.centre.id()).await.len(), 2);
}

#[tokio::test]
async fn a_suspended_centre_refuses_its_sessions_at_once_and_a_resumed_one_takes_them_back() {
    let world = World::new().await;
    let (user, membership) = world.member("dora@here.example", Role::Director).await;
    let signed = world
        .app
        .auth
        .open_session(&world.tenant, &user, &membership, None)
        .await
        .unwrap();
    let token = signed.access.token;
    // The session check has read (and cached) the centre as active.
    world.app.sessions.verify(&token).await.unwrap();

    let platform = &world.app.platform;
    let suspended = platform
        .suspend(&operator(), world.tenant.id())
        .await
        .unwrap();
    assert_eq!(suspended.status(), TenantStatus::Suspended);
    assert!(world.app.sessions.verify(&token).await.is_err());
    // Again: nothing changes, nothing more is audited.
    let same = platform
        .suspend(&operator(), world.tenant.id())
        .await
        .unwrap();
    assert_eq!(same, suspended);

    let resumed = platform
        .resume(&operator(), world.tenant.id())
        .await
        .unwrap();
    assert_eq!(resumed.status(), TenantStatus::Active);
    assert_eq!(resumed.version(), suspended.version().next());
    world.app.sessions.verify(&token).await.unwrap();
    let actor = Some(operator().id().actor());
    assert_eq!(
        audit_of(&world, world.tenant.id()).await,
        [
            (AuditAction::CentreSuspended, actor.clone()),
            (AuditAction::CentreResumed, actor)
        ]
    );
}

#[tokio::test]
async fn centres_are_listed_by_code_prefix_and_status_and_found_by_id_and_code() {
    let world = World::new().await;
    let platform = &world.app.platform;
    for code in ["zz-beta", "zz-alpha", "zz-gamma"] {
        platform
            .create_centre(&operator(), new_centre(code))
            .await
            .unwrap();
    }
    let gamma = platform
        .centre_by_code(&operator(), &TenantCode::parse("zz-gamma").unwrap())
        .await
        .unwrap();
    platform.suspend(&operator(), gamma.id()).await.unwrap();
    let query = |status| TenantQuery {
        code_prefix: Some("zz-".to_owned()),
        direction: cubby_ports::SortDirection::Ascending,
        status,
        page: PageRequest::new(10, 0).unwrap(),
    };
    let codes = |page: Page<Tenant>| {
        page.items
            .iter()
            .map(|t| t.code().to_string())
            .collect::<Vec<_>>()
    };
    let all = platform.centres(&operator(), &query(None)).await.unwrap();
    assert_eq!(codes(all), ["zz-alpha", "zz-beta", "zz-gamma"]);
    let active = platform
        .centres(&operator(), &query(Some(TenantStatus::Active)))
        .await
        .unwrap();
    assert_eq!(codes(active), ["zz-alpha", "zz-beta"]);
    let found = platform.centre(&operator(), gamma.id()).await.unwrap();
    assert_eq!(found.status(), TenantStatus::Suspended);
    let nobody = TenantId::from_uuid(uuid::Uuid::now_v7());
    assert!(matches!(
        platform.centre(&operator(), nobody).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        platform.suspend(&operator(), nobody).await,
        Err(AppError::NotFound)
    ));
}

/// A directory answering `world`'s centre as stored, whose updates fail with `fail` for the first `times`.
fn directory_failing_updates(
    world: &World,
    times: usize,
    fail: fn() -> RepoError,
) -> MockTenantDirectory {
    let stored = world.tenant.clone();
    let mut directory = MockTenantDirectory::new();
    directory
        .expect_by_id()
        .returning(move |_| Ok(stored.clone()));
    directory
        .expect_update()
        .times(times)
        .returning(move |_, _| Err(fail()));
    directory
}

#[tokio::test]
async fn a_lost_race_is_read_again_and_a_directory_that_keeps_failing_is_answered() {
    let world = World::new().await;
    // Two stale versions, then the third attempt gives up: nothing is audited.
    let app = world.with(|ports| {
        ports.tenants = Arc::new(directory_failing_updates(&world, STATUS_ATTEMPTS, || {
            RepoError::StaleVersion
        }));
    });
    let error = app
        .platform
        .suspend(&operator(), world.tenant.id())
        .await
        .unwrap_err();
    assert!(matches!(error, AppError::StaleVersion), "{error:?}");
    // A directory that does not answer: unavailable, nothing audited.
    let app = world.with(|ports| {
        ports.tenants = Arc::new(directory_failing_updates(&world, 1, timed_out));
    });
    let error = app
        .platform
        .suspend(&operator(), world.tenant.id())
        .await
        .unwrap_err();
    assert!(matches!(error, AppError::Unavailable(_)), "{error:?}");
    assert_eq!(world.audited().await, 0);
    assert_eq!(
        world.ports.tenants.by_id(world.tenant.id()).await.unwrap(),
        world.tenant
    );
}

#[tokio::test]
async fn a_directory_that_does_not_store_the_centre_leaves_no_invitation() {
    let world = World::new().await;
    let mut directory = MockTenantDirectory::new();
    directory
        .expect_insert()
        .times(1)
        .returning(|_| Err(timed_out()));
    let app = world.with(|ports| ports.tenants = Arc::new(directory));
    let error = app
        .platform
        .create_centre(&operator(), new_centre("wattle-tree"))
        .await
        .unwrap_err();
    assert!(matches!(error, AppError::Unavailable(_)), "{error:?}");
    assert!(matches!(
        world
            .ports
            .users
            .user_by_email(&Email::parse("owner@wattle-tree.example").unwrap())
            .await,
        Err(RepoError::NotFound)
    ));
}

/// Counters that never answer.
struct Down;

#[async_trait::async_trait]
impl cubby_ports::RateLimiter for Down {
    async fn current(&self, _: &LimitKey) -> Result<cubby_ports::Window, RepoError> {
        Err(timed_out())
    }
    async fn hit(
        &self,
        _: &LimitKey,
        _: std::time::Duration,
    ) -> Result<cubby_ports::Window, RepoError> {
        Err(timed_out())
    }
    async fn clear(&self, _: &LimitKey) -> Result<(), RepoError> {
        Err(timed_out())
    }
}

#[tokio::test]
async fn wrong_keys_are_counted_per_address_until_every_key_from_it_waits() {
    let world = World::new().await;
    let keys = OperatorKeys::generate();
    let key = keys.generated().unwrap().expose_secret().to_owned();
    let app = world.with(|_| {});
    let platform = Platform {
        keys,
        ..app.platform
    };
    let guesser: IpAddr = "203.0.113.7".parse().unwrap();
    let operator_at: IpAddr = "198.51.100.1".parse().unwrap();
    let refused = platform.authenticate(None, Some(guesser)).await;
    assert!(
        matches!(refused, Err(OperatorRefused::Missing)),
        "{refused:?}"
    );
    for _ in 0..MAX_KEY_FAILURES {
        let refused = platform.authenticate(Some("guess"), Some(guesser)).await;
        assert!(
            matches!(refused, Err(OperatorRefused::Invalid)),
            "{refused:?}"
        );
    }
    // The guesser's address now waits, even with the right key; another address does not.
    let refused = platform.authenticate(Some(&key), Some(guesser)).await;
    assert!(
        matches!(refused, Err(OperatorRefused::Throttled { retry_after }) if retry_after.as_secs() > 0),
        "{refused:?}"
    );
    // A request without a key is told it needs one, throttled address or not.
    let keyless = platform.authenticate(None, Some(guesser)).await;
    assert!(
        matches!(keyless, Err(OperatorRefused::Missing)),
        "{keyless:?}"
    );
    let operator = platform.authenticate(Some(&key), Some(operator_at)).await;
    assert_eq!(operator.unwrap().id().as_str(), "dev");
    // Without an address (a host that does not know it), keys are still checked.
    assert!(platform.authenticate(Some(&key), None).await.is_ok());
    // Counters that do not answer refuse the request: the platform API fails closed.
    let down = Platform {
        limits: Arc::new(Down),
        ..platform
    };
    let refused = down.authenticate(Some(&key), Some(operator_at)).await;
    assert!(
        matches!(refused, Err(OperatorRefused::Failed(_))),
        "{refused:?}"
    );
}

/// Accepts an invitation of the centre `wattle-tree` with `token`, choosing a password.
async fn accept(
    world: &World,
    token: &str,
) -> Result<crate::auth::SignedIn, crate::auth::AcceptError> {
    world
        .app
        .auth
        .accept_invitation(
            "wattle-tree",
            token,
            Some(SecretString::from("a long enough password".to_owned())),
            None,
        )
        .await
}

#[tokio::test]
async fn an_owner_invited_again_gets_a_new_token_and_one_who_joined_is_refused() {
    let world = World::new().await;
    let created = world
        .app
        .platform
        .create_centre(&operator(), new_centre("wattle-tree"))
        .await
        .unwrap();
    let owner = Email::parse("owner@wattle-tree.example").unwrap();
    let id = created.centre.id();
    let again = world
        .app
        .platform
        .invite_owner(&operator(), id, owner.clone())
        .await
        .unwrap();
    assert_eq!(again.invitation.id(), created.invitation.invitation.id());
    assert_ne!(
        again.token.expose_secret(),
        created.invitation.token.expose_secret()
    );
    assert!(again.mail.is_some());
    assert!(
        accept(&world, created.invitation.token.expose_secret())
            .await
            .is_err()
    );
    accept(&world, again.token.expose_secret()).await.unwrap();
    let joined = world
        .app
        .platform
        .invite_owner(&operator(), id, owner)
        .await;
    assert!(
        matches!(joined, Err(AppError::Conflict { .. })),
        "{joined:?}"
    );
    let nowhere = world
        .app
        .platform
        .invite_owner(
            &operator(),
            TenantId::from_uuid(uuid::Uuid::now_v7()),
            Email::parse("owner@nowhere.example").unwrap(),
        )
        .await;
    assert!(matches!(nowhere, Err(AppError::NotFound)), "{nowhere:?}");
}

#[tokio::test]
async fn a_centre_whose_owner_invitation_was_never_stored_gets_one_when_invited_again() {
    let world = World::new().await;
    let mut invitations = cubby_ports::mocks::MockInvitationRepository::new();
    invitations
        .expect_insert_invitation()
        .times(1)
        .returning(|_, _| Err(timed_out()));
    let broken = world.with(|ports| ports.invitations = Arc::new(invitations));
    let error = broken
        .platform
        .create_centre(&operator(), new_centre("wattle-tree"))
        .await
        .unwrap_err();
    assert!(matches!(error, AppError::Unavailable(_)), "{error:?}");
    // The centre and the owner's invited membership stand, without an invitation.
    let centre = world
        .ports
        .tenants
        .by_code(&TenantCode::parse("wattle-tree").unwrap())
        .await
        .unwrap();
    let sent = world
        .app
        .platform
        .invite_owner(
            &operator(),
            centre.id(),
            Email::parse("owner@wattle-tree.example").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(sent.invitation.status(), InvitationStatus::Pending);
    assert_eq!(sent.invitation.roles(), [RoleRef::Builtin(Role::Owner)]);
    accept(&world, sent.token.expose_secret()).await.unwrap();
}
