//! Tests of the password use cases: the happy paths over the memory adapters, the failures
//! with mocked ports.

use std::sync::Arc;

use cubby_adapters_memory::ShiftedClock;
use cubby_domain::{AuditAction, Email, EntitlementSet, Queue, Role, Tenant};
use cubby_ports::AuditQuery;
use cubby_ports::contract::tenants::new_tenant;
use cubby_ports::mocks::{MockTokenStore, MockUserDirectory};
use secrecy::{ExposeSecret, SecretString};

use super::*;
use crate::App;
use crate::auth::{Credentials, SignInError, SignedIn};
use crate::members::NewMember;
use crate::session::AuthError;
use crate::testing::{World, timed_out};

const ADDRESS: &str = "parent@here.example";

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

/// A user with a password, member of the world's centre and of a second one.
async fn member_of_two(world: &World) -> Tenant {
    let other = new_tenant();
    world.ports.tenants.insert(&other).await.unwrap();
    for tenant in [world.tenant.id(), other.id()] {
        let scope = cubby_ports::contract::scope_in(tenant);
        let new = NewMember {
            email: Email::parse(ADDRESS).unwrap(),
            password: Some(secret("old password 1")),
            email_verified: true,
            roles: vec![Role::Guardian.into()],
            entitlements: EntitlementSet::all(),
        };
        world.app.members.enroll(&scope, new).await.unwrap();
    }
    other
}

async fn sign_in(app: &App, tenant: &Tenant, password: &str) -> Result<SignedIn, SignInError> {
    app.auth
        .login(Credentials {
            tenant_code: Some(tenant.code().to_string()),
            email: ADDRESS.to_owned(),
            password: secret(password),
            client: None,
        })
        .await
}

async fn audited(world: &World, tenant: &Tenant, action: AuditAction) -> u64 {
    let query = AuditQuery {
        action: Some(action),
        ..AuditQuery::default()
    };
    let scope = cubby_ports::contract::scope_in(tenant.id());
    world
        .ports
        .audit
        .list_events(&scope, &query)
        .await
        .unwrap()
        .total
}

/// Asks for a reset of the account at [`ADDRESS`], runs the jobs, and reads the token from the
/// link in the newest mail to it.
async fn token_for(app: &App) -> SecretString {
    let email = Email::parse(ADDRESS).unwrap();
    app.auth.forgot_password(&email, None).await.unwrap();
    while app.jobs.work_once(Queue::Critical).await.unwrap() > 0 {}
    let sent = app.ports().outbox.as_ref().unwrap().sent();
    let mail = &sent.iter().find(|s| s.mail.to == email).unwrap().mail;
    let token = mail
        .text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .find(|word| URL_SAFE_NO_PAD.decode(word).is_ok_and(|b| b.len() == 32))
        .expect("a token in the link");
    SecretString::from(token.to_owned())
}

/// [`issue_reset`] over the app's ports.
async fn issue(world: &World, email: &str) -> Result<Option<ResetIssued>, AppError> {
    let ports = &world.ports;
    issue_reset(&*ports.users, &*ports.tokens, &*ports.clock, email).await
}

#[tokio::test]
async fn a_token_is_minted_only_for_an_active_account_and_never_stored_in_clear() {
    let world = World::new().await;
    member_of_two(&world).await;
    for unknown in ["nobody@here.example", "not an address", ""] {
        let issued = issue(&world, unknown).await.unwrap();
        assert!(issued.is_none(), "{unknown}");
    }
    let issued = issue(&world, " Parent@Here.example ")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issued.to.as_str(), ADDRESS);
    assert!(!format!("{issued:?}").contains("parent"), "{issued:?}");
    let token = issued.token.expose_secret();
    assert_eq!(URL_SAFE_NO_PAD.decode(token).unwrap().len(), 32);
    // Stored under its digest: the text itself opens nothing.
    let as_digest =
        cubby_domain::TokenDigest(URL_SAFE_NO_PAD.decode(token).unwrap().try_into().unwrap());
    assert_eq!(
        world.ports.tokens.take_reset(&as_digest).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn a_reset_sets_the_password_ends_every_session_everywhere_and_works_once() {
    let world = World::new().await;
    let other = member_of_two(&world).await;
    let here = sign_in(&world.app, &world.tenant, "old password 1")
        .await
        .unwrap();
    let there = sign_in(&world.app, &other, "old password 1").await.unwrap();
    let token = token_for(&world.app).await;

    world
        .app
        .auth
        .reset_password(token.expose_secret(), secret("new password 2"))
        .await
        .unwrap();

    for session in [&here, &there] {
        let verified = world.app.sessions.verify(&session.access.token).await;
        assert!(
            matches!(verified, Err(AuthError::Invalid(_))),
            "{verified:?}"
        );
        let refreshed = world
            .app
            .auth
            .refresh(session.refresh_token.expose_secret())
            .await;
        assert!(
            matches!(refreshed, Err(SignInError::Refused)),
            "{refreshed:?}"
        );
    }
    let old = sign_in(&world.app, &world.tenant, "old password 1").await;
    assert!(matches!(old, Err(SignInError::Refused)), "{old:?}");
    sign_in(&world.app, &other, "new password 2").await.unwrap();
    for tenant in [&world.tenant, &other] {
        assert_eq!(audited(&world, tenant, AuditAction::PasswordReset).await, 1);
    }

    let again = world
        .app
        .auth
        .reset_password(token.expose_secret(), secret("third password 3"))
        .await;
    assert!(
        matches!(again, Err(PasswordError::TokenInvalid)),
        "{again:?}"
    );
    sign_in(&world.app, &other, "new password 2").await.unwrap();
}

#[tokio::test]
async fn a_token_works_for_thirty_minutes_and_not_after() {
    let world = World::new().await;
    member_of_two(&world).await;
    let clock = ShiftedClock::default();
    let app = world.with(|ports| ports.clock = Arc::new(clock.clone()));
    let (early, late) = (token_for(&app).await, token_for(&app).await);
    clock.advance(RESET_TOKEN_LIFETIME - time::Duration::seconds(5));
    app.auth
        .reset_password(early.expose_secret(), secret("new password 2"))
        .await
        .unwrap();
    clock.advance(time::Duration::seconds(5));
    let refused = app
        .auth
        .reset_password(late.expose_secret(), secret("third password 3"))
        .await;
    assert!(
        matches!(refused, Err(PasswordError::TokenInvalid)),
        "{refused:?}"
    );
    sign_in(&app, &world.tenant, "new password 2")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_password_breaking_the_rule_is_refused_without_using_up_the_token() {
    let world = World::new().await;
    member_of_two(&world).await;
    let token = token_for(&world.app).await;
    for weak in [
        "short",
        &"x".repeat(crate::passwords::MAX_NEW_PASSWORD_CHARS + 1),
    ] {
        let refused = world
            .app
            .auth
            .reset_password(token.expose_secret(), secret(weak))
            .await;
        assert!(
            matches!(refused, Err(PasswordError::Unacceptable)),
            "{refused:?}"
        );
    }
    for forged in ["", "not base64!", "c2hvcnQ"] {
        let refused = world
            .app
            .auth
            .reset_password(forged, secret("new password 2"))
            .await;
        assert!(
            matches!(refused, Err(PasswordError::TokenInvalid)),
            "{refused:?}"
        );
    }
    world
        .app
        .auth
        .reset_password(token.expose_secret(), secret("new password 2"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_change_keeps_the_session_it_is_made_from_and_ends_the_others() {
    let world = World::new().await;
    let other = member_of_two(&world).await;
    let here = sign_in(&world.app, &world.tenant, "old password 1")
        .await
        .unwrap();
    let there = sign_in(&world.app, &other, "old password 1").await.unwrap();
    let session = world.app.sessions.verify(&here.access.token).await.unwrap();

    let wrong = world
        .app
        .auth
        .change_password(
            &session,
            secret("not my password"),
            secret("new password 2"),
            None,
        )
        .await;
    assert!(
        matches!(wrong, Err(PasswordError::WrongPassword)),
        "{wrong:?}"
    );
    let weak = world
        .app
        .auth
        .change_password(&session, secret("old password 1"), secret("short"), None)
        .await;
    assert!(matches!(weak, Err(PasswordError::Unacceptable)), "{weak:?}");
    assert!(world.app.sessions.verify(&there.access.token).await.is_ok());

    world
        .app
        .auth
        .change_password(
            &session,
            secret("old password 1"),
            secret("new password 2"),
            None,
        )
        .await
        .unwrap();
    assert!(world.app.sessions.verify(&here.access.token).await.is_ok());
    let ended = world.app.sessions.verify(&there.access.token).await;
    assert!(matches!(ended, Err(AuthError::Invalid(_))), "{ended:?}");
    sign_in(&world.app, &other, "new password 2").await.unwrap();
    for tenant in [&world.tenant, &other] {
        assert_eq!(
            audited(&world, tenant, AuditAction::PasswordChanged).await,
            1
        );
    }
    assert_eq!(
        audited(&world, &world.tenant, AuditAction::LoginFailed).await,
        1
    );
}

#[tokio::test]
async fn requests_are_counted_per_address_and_per_client_whether_or_not_an_account_exists() {
    let world = World::new().await;
    member_of_two(&world).await;
    let client = Some("203.0.113.9".parse().unwrap());
    for address in [ADDRESS, "nobody@here.example"] {
        for _ in 0..MAX_RESETS_PER_ACCOUNT {
            world
                .app
                .auth
                .count_reset_request(address, None)
                .await
                .unwrap();
        }
        let over = world.app.auth.count_reset_request(address, None).await;
        assert!(
            matches!(over, Err(PasswordError::Throttled { .. })),
            "{over:?}"
        );
    }
    for n in 0..MAX_RESETS_PER_CLIENT {
        let address = format!("someone-{n}@here.example");
        world
            .app
            .auth
            .count_reset_request(&address, client)
            .await
            .unwrap();
    }
    let over = world
        .app
        .auth
        .count_reset_request("someone-else@here.example", client)
        .await;
    match over {
        Err(PasswordError::Throttled { retry_after }) => assert!(retry_after <= RESET_WINDOW),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_token_store_timing_out_leaves_the_password_as_it_was() {
    let world = World::new().await;
    member_of_two(&world).await;
    let mut tokens = MockTokenStore::new();
    tokens
        .expect_take_reset()
        .times(1)
        .returning(|_| Err(timed_out()));
    tokens
        .expect_put_reset()
        .times(1)
        .returning(|_, _| Err(timed_out()));
    let tokens: Arc<dyn cubby_ports::TokenStore> = Arc::new(tokens);
    let ports = &world.ports;
    let issued = issue_reset(&*ports.users, &*tokens, &*ports.clock, ADDRESS).await;
    assert!(
        matches!(issued, Err(AppError::Unavailable(_))),
        "{issued:?}"
    );
    let app = world.with(|ports| ports.tokens = tokens.clone());
    let token = token_for(&world.app).await;
    let reset = app
        .auth
        .reset_password(token.expose_secret(), secret("new password 2"))
        .await;
    assert!(
        matches!(reset, Err(PasswordError::Failed(AppError::Unavailable(_)))),
        "{reset:?}"
    );
    sign_in(&world.app, &world.tenant, "old password 1")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_user_store_timing_out_refuses_the_change_and_ends_no_session() {
    let world = World::new().await;
    member_of_two(&world).await;
    let here = sign_in(&world.app, &world.tenant, "old password 1")
        .await
        .unwrap();
    let session = world.app.sessions.verify(&here.access.token).await.unwrap();
    let user = world
        .ports
        .users
        .user_by_email(&Email::parse(ADDRESS).unwrap())
        .await
        .unwrap();
    let mut users = MockUserDirectory::new();
    users
        .expect_user_by_id()
        .returning(move |_| Ok(user.clone()));
    users
        .expect_update_user()
        .times(1)
        .returning(|_, _| Err(timed_out()));
    let app = world.with(|ports| ports.users = Arc::new(users));
    let changed = app
        .auth
        .change_password(
            &session,
            secret("old password 1"),
            secret("new password 2"),
            None,
        )
        .await;
    assert!(
        matches!(
            changed,
            Err(PasswordError::Failed(AppError::Unavailable(_)))
        ),
        "{changed:?}"
    );
    let other = sign_in(&world.app, &world.tenant, "old password 1")
        .await
        .unwrap();
    assert!(world.app.sessions.verify(&other.access.token).await.is_ok());
}

#[tokio::test]
async fn forgot_queues_the_same_job_for_every_address_and_only_a_known_one_gets_mail() {
    let world = World::new().await;
    member_of_two(&world).await;
    let outbox = world.ports.outbox.clone().unwrap();
    for address in ["nobody@here.example", ADDRESS] {
        let email = Email::parse(address).unwrap();
        world.app.auth.forgot_password(&email, None).await.unwrap();
        let depth = world.ports.jobs.depth(Queue::Critical).await.unwrap();
        assert_eq!(depth.waiting, 1, "the request queues one job: {address}");
        while world.app.jobs.work_once(Queue::Critical).await.unwrap() > 0 {}
    }
    let sent = outbox.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].mail.to.as_str(), ADDRESS);
    assert!(sent[0].mail.text.contains("/password/reset?token="));
}

#[tokio::test]
async fn a_queue_timing_out_fails_forgot_for_every_address_alike() {
    let world = World::new().await;
    member_of_two(&world).await;
    let mut queue = cubby_ports::mocks::MockJobQueue::new();
    queue
        .expect_enqueue()
        .times(2)
        .returning(|_, _, _| Err(timed_out()));
    let app = world.with(|ports| ports.jobs = Arc::new(queue));
    for address in ["nobody@here.example", ADDRESS] {
        let email = Email::parse(address).unwrap();
        let answer = app.auth.forgot_password(&email, None).await;
        assert!(
            matches!(answer, Err(PasswordError::Failed(AppError::Unavailable(_)))),
            "{answer:?}"
        );
    }
}
