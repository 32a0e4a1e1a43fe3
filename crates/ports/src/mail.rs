//! Sending e-mail: the port the mail job hands a rendered message to, and the outbox a dev
//! server shows.

use async_trait::async_trait;
use cubby_domain::Email;
use time::OffsetDateTime;

/// An e-mail ready to send: rendered, addressed, and named by the id that makes it sent at most
/// once (the id of the job that sends it).
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The message id, unique per message.
    pub id: String,
    /// The recipient.
    pub to: Email,
    /// The subject line (never personal data of a child).
    pub subject: String,
    /// The plain text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

impl std::fmt::Debug for OutgoingMail {
    /// The address is personal data and the bodies may hold links with tokens: `Debug` shows
    /// the id and the subject only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingMail")
            .field("id", &self.id)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// A message the outbox holds, with when it was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentMail {
    /// The message.
    pub mail: OutgoingMail,
    /// When it was handed to the outbox.
    pub sent_at: OffsetDateTime,
}

/// Why a message was not sent. The reasons name no address, link or token: adapters write
/// them from the transport's status, never from the message.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The transport could not be reached or refused the message before accepting it:
    /// sending it again later is safe and may work.
    #[error("the mail was not sent ({0})")]
    NotSent(String),
    /// The transport refused the message for good (the address or the message is not
    /// acceptable): sending it again will not help.
    #[error("the mail was refused ({0})")]
    Rejected(String),
    /// The connection broke after the message was handed over: it may have been sent, so it is
    /// not sent again.
    #[error("the mail may or may not have been sent ({0})")]
    Unknown(String),
}

/// Hands rendered messages to a mail transport (an outbox in memory, an SMTP server, Amazon
/// SES). Platform-level: the message is already addressed and rendered.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends `mail` from the configured sender.
    ///
    /// # Errors
    ///
    /// - MUST return [`MailError::NotSent`] only when the message was certainly not accepted
    ///   (connection refused, a temporary refusal, throttling).
    /// - MUST return [`MailError::Rejected`] when the transport refuses it for good.
    /// - MUST return [`MailError::Unknown`] when it cannot tell.
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError>;
}

/// What an in-memory outbox has been given, for the dev server's `GET /dev/outbox` and tests.
pub trait MailOutbox: Send + Sync {
    /// Every message sent, newest first.
    fn sent(&self) -> Vec<SentMail>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_prints_neither_its_address_nor_its_bodies() {
        let mail = OutgoingMail {
            id: "job_1".to_owned(),
            to: Email::parse("ada.lovelace@example.com").unwrap(),
            subject: "Reset your password".to_owned(),
            text: "https://app.example/reset?token=secret-token".to_owned(),
            html: "<a href=\"https://app.example/reset?token=secret-token\">".to_owned(),
        };
        let printed = format!("{mail:?}");
        assert!(!printed.contains("ada.lovelace"), "{printed}");
        assert!(!printed.contains("secret-token"), "{printed}");
        assert!(printed.contains("job_1"), "{printed}");
    }
}
