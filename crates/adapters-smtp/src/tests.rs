//! Against the SMTP server `scripts/test` starts (aiosmtpd, `scripts/services/smtp-sink.py`):
//! the contract suite, reading back the JSON file the server writes for each message it accepts;
//! and, without a server, the URL forms and the mapping of SMTP failures.
//!
//! The server is found through `CUBBY_TEST_SMTP_URL` and `CUBBY_TEST_SMTP_SPOOL`: when they are
//! not set the tests that need it are skipped, or fail under `CUBBY_REQUIRE_SERVICES=1`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failed expectation must stop the test"
)]

use async_trait::async_trait;
use cubby_domain::Email;
use cubby_ports::contract::mail::{MailTransport, Received, Refusal, mail_to};
use cubby_ports::contract::services::{SmtpService, smtp};
use cubby_ports::{MailError, Mailer};
use secrecy::SecretString;

use super::{SmtpMailer, check_url};

const FROM: &str = "Cubby Tests <no-reply@cubby.test>";

fn mailer(url: &str) -> SmtpMailer {
    SmtpMailer::new(&SecretString::from(url.to_owned()), FROM).unwrap()
}

/// The mailer on the test server, and the server's spool.
struct Sink {
    mailer: SmtpMailer,
    service: SmtpService,
}

#[async_trait]
impl MailTransport for Sink {
    fn mailer(&self) -> &dyn Mailer {
        &self.mailer
    }

    async fn received(&self, id: &str) -> Option<Received> {
        // The server names each file by the Message-ID, `<{id}@cubby.test>`.
        let path = self.service.spool.join(format!("{id}@cubby.test.json"));
        let text = std::fs::read_to_string(path).ok()?;
        let record: serde_json::Value = serde_json::from_str(&text).unwrap();
        let field = |name: &str| record[name].as_str().unwrap().to_owned();
        let to = record["rcpt_tos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|rcpt| rcpt.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(field("mail_from"), "no-reply@cubby.test");
        assert_eq!(field("from"), FROM);
        Some(Received {
            to,
            subject: field("subject"),
            text: Some(field("text")),
            html: field("html"),
            message_id: Some(field("message_id")),
        })
    }

    fn refusal(&self) -> Option<Refusal> {
        // The server refuses `refused...` recipients with a reply naming them.
        Some(Refusal {
            mailer: Box::new(self.mailer.clone()),
            to: Email::parse("refused.recipient@example.org").unwrap(),
        })
    }

    fn unreachable(&self) -> Option<Box<dyn Mailer>> {
        Some(Box::new(mailer(&format!(
            "smtp://127.0.0.1:{}",
            closed_port()
        ))))
    }
}

/// A loopback port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn sink() -> Option<Sink> {
    let service = smtp()?;
    Some(Sink {
        mailer: mailer(&service.url),
        service,
    })
}

mod contract {
    cubby_ports::mailer_contract!(optional super::sink());
}

#[tokio::test]
async fn the_message_id_names_the_mail_at_the_senders_domain() {
    let Some(sink) = sink().await else {
        return;
    };
    let mail = mail_to("ada@example.com");
    sink.mailer.send(&mail).await.unwrap();
    let received = sink.received(&mail.id).await.unwrap();
    let expected = format!("<{}@cubby.test>", mail.id);
    assert_eq!(received.message_id.as_deref(), Some(expected.as_str()));
    assert_eq!(sink.mailer.message_id(&mail.id), expected);
}

#[tokio::test]
async fn a_temporary_refusal_is_not_sent_and_names_no_address() {
    let Some(sink) = sink().await else {
        return;
    };
    // The server answers `451 4.3.0 <deferred.recipient@example.org>: try again later`.
    let mail = mail_to("deferred.recipient@example.org");
    let error = sink.mailer.send(&mail).await.unwrap_err();
    let MailError::NotSent(reason) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(reason, "the SMTP server answered 451");
    assert_eq!(sink.received(&mail.id).await, None);
}

#[tokio::test]
async fn a_server_that_is_not_smtp_is_not_a_sent_message() {
    // Something listens, accepts the connection and closes it without a greeting.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        drop(socket);
    });
    let error = mailer(&format!("smtp://127.0.0.1:{port}"))
        .send(&mail_to("ada@example.com"))
        .await
        .unwrap_err();
    server.await.unwrap();
    // The connection was open when it broke: whether anything was taken cannot be told from
    // the client's side of a broken conversation, so it is never reported as certainly unsent.
    assert!(
        matches!(error, MailError::Unknown(_) | MailError::NotSent(_)),
        "{error:?}"
    );
    assert!(!format!("{error:?}").contains("ada"), "{error:?}");
}

#[test]
fn the_documented_url_forms_are_accepted() {
    for url in [
        "smtp://127.0.0.1:2525",
        "smtp://mail.example.org",
        "smtp://mail.example.org:587?tls=required",
        "smtp://user:p%40ss@mail.example.org:587?tls=required",
        "smtp://mail.example.org:25?tls=opportunistic",
        "smtps://user:pass@mail.example.org:465",
        "smtps://mail.example.org",
    ] {
        assert!(check_url(url).is_ok(), "{url} refused");
        SmtpMailer::new(&SecretString::from(url.to_owned()), FROM).unwrap();
    }
}

#[test]
fn other_urls_are_refused_without_repeating_them() {
    for (url, why) in [
        ("mail.example.org", "is not a URL"),
        ("mail.example.org:25", "must start with smtp:// or smtps://"),
        (
            "http://mail.example.org",
            "must start with smtp:// or smtps://",
        ),
        ("smtp://", "names no host"),
        ("smtp://mail.example.org?tls=require", "takes tls=required"),
        (
            "smtps://mail.example.org?tls=required",
            "takes tls=required",
        ),
        (
            "smtp://mail.example.org?tls=required&tls=required",
            "takes tls=required",
        ),
        (
            "smtp://mail.example.org?timeout=5",
            "takes no parameter but tls",
        ),
        (
            "smtp://secret-user@mail.example.org?tls=required",
            "a user without a password",
        ),
        ("smtp://user:secret-pass@mail.example.org", "only over TLS"),
        (
            "smtp://user:secret-pass@mail.example.org?tls=opportunistic",
            "only over TLS",
        ),
    ] {
        let error = SmtpMailer::new(&SecretString::from(url.to_owned()), FROM).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(why), "{url}: {text}");
        assert!(
            !text.contains("secret") && !text.contains("mail.example.org"),
            "{text}"
        );
    }
}

#[test]
fn the_sender_must_be_a_mailbox_and_is_never_printed() {
    let url = SecretString::from("smtps://user:hunter2@mail.example.org".to_owned());
    for from in ["", "Cubby", "no-reply@", "Cubby <no-reply>"] {
        assert!(SmtpMailer::new(&url, from).is_err(), "{from:?} accepted");
    }
    let mailer = SmtpMailer::new(&url, "no-reply@example.org").unwrap();
    let printed = format!("{mailer:?}");
    assert!(
        !printed.contains("hunter2") && !printed.contains("no-reply"),
        "{printed}"
    );
}
