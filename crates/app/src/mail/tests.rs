//! The mail use case: messages queued as jobs and handed to the mailer at most once.

use std::sync::Arc;

use cubby_domain::{Email, InvitationStatus, JobStatus, Queue, Role, RoleRef};
use cubby_ports::mocks::{MockJobQueue, MockJobRecords, MockMailer};
use cubby_ports::{MailError, SentMail};
use secrecy::{ExposeSecret, SecretString};

use super::Message;
use crate::AppError;
use crate::jobs::MAYBE_SENT;
use crate::members::NewInvitation;
use crate::testing::{World, timed_out};

fn reset() -> Message {
    Message::PasswordReset {
        token: SecretString::from("a-reset-token"),
    }
}

fn ada() -> Email {
    Email::parse("ada@example.org").unwrap()
}

fn sent(world: &World) -> Vec<SentMail> {
    world.ports.outbox.as_ref().unwrap().sent()
}

#[tokio::test]
async fn a_message_is_queued_then_sent_by_the_worker_under_its_job_id() {
    let world = World::new().await;
    let id = world
        .app
        .mail
        .send(&world.scope, &ada(), reset())
        .await
        .unwrap();
    assert!(sent(&world).is_empty(), "sent before the worker ran");
    assert_eq!(world.app.jobs.work_once(Queue::Critical).await.unwrap(), 1);
    let outbox = sent(&world);
    assert_eq!(outbox.len(), 1);
    let mail = &outbox[0].mail;
    assert_eq!(mail.id, id.to_string());
    assert_eq!(mail.to, ada());
    assert_eq!(mail.subject, "Reset your Cubby password");
    assert!(
        mail.text
            .contains("https://app.example/password/reset?token=a-reset-token")
    );
    let record = world.ports.job_records.get(&world.scope, id).await.unwrap();
    assert_eq!(
        (record.kind(), record.status()),
        ("send_mail", JobStatus::Succeeded)
    );
}

#[tokio::test]
async fn platform_mail_is_recorded_outside_every_centre() {
    let world = World::new().await;
    let id = world.app.mail.send_platform(&ada(), reset()).await.unwrap();
    assert!(matches!(
        world.ports.job_records.get(&world.scope, id).await,
        Err(cubby_ports::RepoError::NotFound)
    ));
    assert_eq!(world.app.jobs.work_once(Queue::Critical).await.unwrap(), 1);
    assert_eq!(sent(&world)[0].mail.id, id.to_string());
}

/// An app whose mailer answers `first`, then sends.
fn mailer_failing_once(world: &World, first: MailError) -> crate::App {
    let mut mailer = MockMailer::new();
    let mut first = Some(first);
    let outbox = world.ports.mailer.clone();
    mailer.expect_send().times(1..).returning(move |mail| {
        if let Some(error) = first.take() {
            return Err(error);
        }
        let outbox = outbox.clone();
        let mail = mail.clone();
        futures_block(async move { outbox.send(&mail).await })
    });
    let mut ports = world.ports.clone();
    ports.mailer = Arc::new(mailer);
    // Retries a few milliseconds apart, so that the test sees them without waiting.
    let config = crate::AppConfig {
        jobs: crate::jobs::RetryPolicy {
            max_attempts: 3,
            base: time::Duration::milliseconds(5),
            cap: time::Duration::milliseconds(20),
        },
        ..crate::testing::config()
    };
    crate::App::new(ports, config).unwrap()
}

/// Runs the critical queue until nothing is left to deliver (the in-memory queue's retry
/// delays are real, so this waits them out).
async fn drain(app: &crate::App) {
    for _ in 0..200 {
        app.jobs.work_once(Queue::Critical).await.unwrap();
        let depth = app.ports().jobs.depth(Queue::Critical).await.unwrap();
        if depth.waiting == 0 && depth.in_flight == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the queue did not drain");
}

#[tokio::test]
async fn a_message_the_server_did_not_take_is_sent_again_later() {
    let world = World::new().await;
    let app = mailer_failing_once(&world, MailError::NotSent("connection refused".to_owned()));
    let id = app.mail.send(&world.scope, &ada(), reset()).await.unwrap();
    app.jobs.work_once(Queue::Critical).await.unwrap();
    let record = world.ports.job_records.get(&world.scope, id).await.unwrap();
    assert_eq!(record.status(), JobStatus::Queued, "{record:?}");
    assert!(sent(&world).is_empty());
    drain(&app).await;
    assert_eq!(sent(&world).len(), 1);
    let record = world.ports.job_records.get(&world.scope, id).await.unwrap();
    assert_eq!(
        (record.status(), record.attempts()),
        (JobStatus::Succeeded, 2)
    );
}

#[tokio::test]
async fn a_refused_message_fails_for_good_and_one_that_may_have_gone_is_not_sent_again() {
    for (error, reason) in [
        (
            MailError::Rejected("550".to_owned()),
            "the mail was refused (550)",
        ),
        (MailError::Unknown("timed out".to_owned()), MAYBE_SENT),
    ] {
        let world = World::new().await;
        let app = mailer_failing_once(&world, error);
        let id = app.mail.send(&world.scope, &ada(), reset()).await.unwrap();
        drain(&app).await;
        let record = world.ports.job_records.get(&world.scope, id).await.unwrap();
        assert_eq!((record.status(), record.attempts()), (JobStatus::Failed, 1));
        assert_eq!(record.errors(), [reason]);
        assert!(sent(&world).is_empty());
    }
}

#[tokio::test]
async fn an_attempt_delivered_again_after_its_worker_stopped_does_not_send_twice() {
    let world = World::new().await;
    let mut records = MockJobRecords::new();
    let store = world.ports.job_records.clone();
    let (get, update) = (store.clone(), store.clone());
    records
        .expect_get()
        .returning(move |scope, id| futures_block(get.get(scope, id)));
    records
        .expect_update()
        .returning(move |scope, record| futures_block(update.update(scope, record)));
    // The attempt's mark was claimed by the worker that stopped.
    records
        .expect_claim_effect()
        .times(1)
        .returning(|_, _, _| Ok(false));
    let mut mailer = MockMailer::new();
    mailer.expect_send().never();
    let id = world
        .app
        .mail
        .send(&world.scope, &ada(), reset())
        .await
        .unwrap();
    let app = world.with(|ports| {
        ports.job_records = Arc::new(records);
        ports.mailer = Arc::new(mailer);
    });
    app.jobs.work_once(Queue::Critical).await.unwrap();
    let record = store.get(&world.scope, id).await.unwrap();
    assert_eq!(record.status(), JobStatus::Failed);
    assert_eq!(record.errors(), [MAYBE_SENT]);
}

/// Runs `future` (of an in-memory adapter, which never waits on I/O) inside a synchronous mock.
fn futures_block<T>(future: impl std::future::Future<Output = T>) -> T {
    futures::FutureExt::now_or_never(Box::pin(future)).expect("an in-memory call never waits")
}

#[tokio::test]
async fn a_queue_that_fails_sends_nothing_and_says_so() {
    let world = World::new().await;
    let mut queue = MockJobQueue::new();
    queue
        .expect_enqueue()
        .times(1)
        .returning(|_, _, _| Err(timed_out()));
    let app = world.with(|ports| ports.jobs = Arc::new(queue));
    let answer = app.mail.send(&world.scope, &ada(), reset()).await;
    assert!(
        matches!(answer, Err(AppError::Unavailable(_))),
        "{answer:?}"
    );
}

fn invitation(email: &str) -> NewInvitation {
    NewInvitation {
        email: Email::parse(email).unwrap(),
        roles: vec![RoleRef::Builtin(Role::Guardian)],
        entitlements: None,
        lifetime: None,
    }
}

#[tokio::test]
async fn an_invitation_is_mailed_to_the_invitee_with_its_accept_link() {
    let world = World::new().await;
    let invited = world
        .app
        .members
        .invite(&world.scope, invitation("grace@example.org"))
        .await
        .unwrap();
    let mail_id = invited.mail.expect("queued");
    world.app.jobs.work_once(Queue::Critical).await.unwrap();
    let outbox = sent(&world);
    let mail = &outbox[0].mail;
    assert_eq!(mail.id, mail_id.to_string());
    assert_eq!(mail.to.as_str(), "grace@example.org");
    assert_eq!(
        mail.subject,
        format!(
            "You are invited to join {} on Cubby",
            world.tenant.name().as_str()
        )
    );
    let link = format!(
        "https://app.example/invitations/accept?centre={}&token={}",
        world.tenant.code().as_str(),
        invited.token.expose_secret()
    );
    assert!(mail.text.contains(&link), "{}", mail.text);
}

#[tokio::test]
async fn an_invitation_whose_mail_cannot_be_queued_stands_without_a_mail_id() {
    let world = World::new().await;
    let mut queue = MockJobQueue::new();
    queue.expect_enqueue().returning(|_, _, _| Err(timed_out()));
    let app = world.with(|ports| ports.jobs = Arc::new(queue));
    let invited = app
        .members
        .invite(&world.scope, invitation("grace@example.org"))
        .await
        .unwrap();
    assert!(invited.mail.is_none());
    let stored = app
        .members
        .invitation(&world.scope, invited.invitation.id())
        .await
        .unwrap();
    assert_eq!(stored.status(), InvitationStatus::Pending);
}

#[tokio::test]
async fn resending_an_invitation_mails_a_new_token_and_the_old_one_stops_working() {
    let world = World::new().await;
    let first = world
        .app
        .members
        .invite(&world.scope, invitation("grace@example.org"))
        .await
        .unwrap();
    let again = world
        .app
        .members
        .resend_invitation(
            &world.scope,
            first.invitation.id(),
            first.invitation.version(),
        )
        .await
        .unwrap();
    assert_ne!(
        first.token.expose_secret(),
        again.token.expose_secret(),
        "a new token"
    );
    assert_eq!(
        again.invitation.version(),
        first.invitation.version().next()
    );
    let (_, old) = crate::members::parse_invitation_token(first.token.expose_secret()).unwrap();
    let (_, new) = crate::members::parse_invitation_token(again.token.expose_secret()).unwrap();
    assert_ne!(again.invitation.token(), old);
    assert_eq!(again.invitation.token(), new);
    // A stale version, and a withdrawn invitation, are refused.
    let stale = world
        .app
        .members
        .resend_invitation(
            &world.scope,
            first.invitation.id(),
            first.invitation.version(),
        )
        .await;
    assert!(matches!(stale, Err(AppError::StaleVersion)), "{stale:?}");
    let revoked = world
        .app
        .members
        .revoke_invitation(
            &world.scope,
            again.invitation.id(),
            again.invitation.version(),
        )
        .await
        .unwrap();
    let refused = world
        .app
        .members
        .resend_invitation(&world.scope, revoked.id(), revoked.version())
        .await;
    assert!(matches!(refused, Err(AppError::Rule { .. })), "{refused:?}");
    world.app.jobs.work_once(Queue::Critical).await.unwrap();
    assert_eq!(sent(&world).len(), 2, "the first mail and the resent one");
}
