//! The contract of [`Mailer`]: what every mail transport delivers, and how it fails, whatever
//! carries the message (an outbox in memory, an SMTP server, Amazon SES).
//!
//! The adapter under test comes as a [`MailTransport`]: the mailer, a way to read back what its
//! transport received (the outbox's list, the files the test SMTP server writes, what moto
//! recorded), and, where the transport can show them, a refusal and an unreachable server.

use async_trait::async_trait;
use cubby_domain::Email;
use uuid::Uuid;

use crate::{MailError, Mailer, OutgoingMail};

/// Runs every mailer case against the [`MailTransport`] `$make` resolves to.
#[macro_export]
macro_rules! mailer_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!($crate::contract::mail, $($make)+, [
            a_sent_message_arrives_whole,
            messages_sent_at_once_each_arrive_with_their_own_content,
            a_refused_message_is_rejected_without_naming_an_address,
            an_unreachable_transport_has_not_sent_and_names_no_address,
        ]);
    };
}

/// A message as the transport received it, decoded (headers unfolded and decoded, bodies in
/// UTF-8 with `\n` line ends).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The recipients, as the transport was told them (SMTP's `RCPT TO`, SES's destination).
    pub to: Vec<String>,
    /// The subject.
    pub subject: String,
    /// The plain text body; `None` when the transport does not show it (moto keeps only the
    /// HTML of an SES message).
    pub text: Option<String>,
    /// The HTML body.
    pub html: String,
    /// Where the transport keeps the message's id ([`OutgoingMail::id`]): the `Message-ID`
    /// header, or the outbox's own field; `None` when the transport names messages itself
    /// (SES).
    pub message_id: Option<String>,
}

/// A mailer that a transport refuses for good, and the message it refuses.
pub struct Refusal {
    /// The mailer (the one under test, or one configured alike with what the transport refuses,
    /// such as a sender it does not know).
    pub mailer: Box<dyn Mailer>,
    /// A recipient to send to (one the transport refuses, or any).
    pub to: Email,
}

impl std::fmt::Debug for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refusal").finish_non_exhaustive()
    }
}

/// The mailer under test and what its transport shows.
#[async_trait]
pub trait MailTransport: Send + Sync {
    /// The mailer, sending from its configured sender.
    fn mailer(&self) -> &dyn Mailer;

    /// What the transport received with id `id`, once the mailer has returned from sending it;
    /// `None` when it received nothing with that id.
    async fn received(&self, id: &str) -> Option<Received>;

    /// A mailer and a recipient the transport refuses for good, if it can show one (an outbox
    /// refuses nothing).
    fn refusal(&self) -> Option<Refusal>;

    /// A mailer configured like [`MailTransport::mailer`] for a server nothing listens at, if
    /// the transport is reached over a network.
    fn unreachable(&self) -> Option<Box<dyn Mailer>>;
}

/// A message for a case: a fresh id, a subject and bodies that carry it and a link with a
/// token, and non-ASCII text (which every transport must carry intact).
pub fn mail_to(to: &str) -> OutgoingMail {
    let id = format!("mail_{}", Uuid::now_v7().simple());
    let link = format!("https://app.cubby.test/accept?token=tok-{id}");
    OutgoingMail {
        id: id.clone(),
        to: Email::parse(to).unwrap(),
        subject: format!("Bienvenue à Érable — {id}"),
        text: format!(
            "Hello Zoë,\n\nYou were invited to Maple Grove ({id}).\nAccept: {link}\n\nÇa va? 🌱\n"
        ),
        html: format!(
            "<p>Hello Zoë,</p><p>You were invited to Maple Grove ({id}).</p>\
             <p><a href=\"{link}\">Accept</a></p><p>Ça va? 🌱</p>"
        ),
    }
}

/// `text` with `\r\n` as `\n` and no trailing white space: transports may change line ends and
/// add a final line end.
fn normalized(text: &str) -> String {
    text.replace("\r\n", "\n").trim_end().to_owned()
}

/// Checks that `received` is `mail`, as sent.
#[track_caller]
fn assert_received_whole(received: &Received, mail: &OutgoingMail) {
    assert_eq!(received.to, [mail.to.as_str()], "recipients of {}", mail.id);
    assert_eq!(received.subject, mail.subject, "subject of {}", mail.id);
    if let Some(text) = &received.text {
        assert_eq!(
            normalized(text),
            normalized(&mail.text),
            "text of {}",
            mail.id
        );
    }
    assert_eq!(
        normalized(&received.html),
        normalized(&mail.html),
        "html of {}",
        mail.id
    );
    if let Some(message_id) = &received.message_id {
        assert!(
            message_id.contains(&mail.id),
            "the message id {message_id} does not carry {}",
            mail.id
        );
    }
}

/// Checks that `error`, as a log would print it (`Display` and `Debug`), names no part of any
/// of `addresses`.
#[track_caller]
fn assert_names_no_address(error: &MailError, addresses: &[&str]) {
    let printed = format!("{error} {error:?}").to_lowercase();
    for address in addresses {
        let address = address.to_lowercase();
        let (local, domain) = address.split_once('@').unwrap();
        assert!(
            !printed.contains(local) && !printed.contains(domain),
            "{printed} names {address}"
        );
    }
}

/// A message sent arrives once, to its recipient, with its subject, both bodies and its id.
pub async fn a_sent_message_arrives_whole(transport: &dyn MailTransport) {
    let mail = mail_to("ada.lovelace@example.com");
    transport.mailer().send(&mail).await.unwrap();
    let received = transport
        .received(&mail.id)
        .await
        .unwrap_or_else(|| panic!("{} was not received", mail.id));
    assert_received_whole(&received, &mail);
    assert_eq!(transport.received(&mail_to("x@example.com").id).await, None);
}

/// Messages sent concurrently to different recipients each arrive whole, none mixed with
/// another.
pub async fn messages_sent_at_once_each_arrive_with_their_own_content(
    transport: &dyn MailTransport,
) {
    let mails: Vec<OutgoingMail> = (0..5)
        .map(|n| mail_to(&format!("guardian.{n}@example.org")))
        .collect();
    let sent = futures::future::join_all(mails.iter().map(|mail| transport.mailer().send(mail)));
    for result in sent.await {
        result.unwrap();
    }
    for mail in &mails {
        let received = transport
            .received(&mail.id)
            .await
            .unwrap_or_else(|| panic!("{} was not received", mail.id));
        assert_received_whole(&received, mail);
    }
}

/// A message the transport refuses for good is [`MailError::Rejected`], and the error names
/// neither the recipient nor the sender, even when the transport's answer does.
pub async fn a_refused_message_is_rejected_without_naming_an_address(
    transport: &dyn MailTransport,
) {
    let Some(refusal) = transport.refusal() else {
        return;
    };
    let mail = mail_to(refusal.to.as_str());
    let error = refusal.mailer.send(&mail).await.unwrap_err();
    assert!(matches!(error, MailError::Rejected(_)), "{error:?}");
    assert_names_no_address(&error, &[refusal.to.as_str()]);
    assert!(
        !format!("{error:?}").contains("tok-"),
        "{error:?} names the link"
    );
    assert_eq!(transport.received(&mail.id).await, None);
}

/// A transport nothing listens at has certainly not sent: [`MailError::NotSent`], naming no
/// address.
pub async fn an_unreachable_transport_has_not_sent_and_names_no_address(
    transport: &dyn MailTransport,
) {
    let Some(mailer) = transport.unreachable() else {
        return;
    };
    let mail = mail_to("grace.hopper@example.net");
    let error = mailer.send(&mail).await.unwrap_err();
    assert!(matches!(error, MailError::NotSent(_)), "{error:?}");
    assert_names_no_address(&error, &[mail.to.as_str()]);
}
