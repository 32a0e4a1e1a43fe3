//! The [`Mailer`] of the container deployment: SMTP on `lettre`, with its async tokio transport
//! on rustls (the `ring` provider and the Mozilla roots; no native-tls or OpenSSL), one
//! connection per message (mail is rare: invitations, resets, reminders).
//!
//! The server is one URL ([`SmtpMailer::new`]): `smtps://user:pass@host:465` (TLS from the
//! first byte), `smtp://host:587?tls=required` (STARTTLS, refused if the server does not offer
//! it), `smtp://host:25?tls=opportunistic` (STARTTLS when offered) or `smtp://host:25` (plain,
//! for a relay on the same host or network). Credentials go only over TLS. Each message is
//! `multipart/alternative` (the plain text, then the HTML), with the `Message-ID`
//! `<{id}@{the sender's domain}>`, so that a message sent twice is recognisably the same.
//!
//! What a failure says comes from the SMTP status code and the stage it happened at, never from
//! the server's reply text: servers echo addresses back (`550 <ada@example.com>: unknown user`).
//! How failures map to [`MailError`] is told in [`mail_error`].

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use cubby_ports::{MailError, Mailer, OutgoingMail};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

#[cfg(test)]
mod tests;

/// How long one step of a conversation (connecting, a command and its reply, the message) may
/// take before the attempt is abandoned.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Why an SMTP mailer cannot be built from its settings. It names what is wrong, never the URL
/// (it may hold a password) or an address.
#[derive(Debug, thiserror::Error)]
pub enum SmtpSetupError {
    /// The URL is not one of the forms the module documents.
    #[error("{0}")]
    Url(String),
    /// The sender is not a mailbox.
    #[error("the sender is not a mailbox")]
    Sender,
}

/// Sends mail through one SMTP server.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl fmt::Debug for SmtpMailer {
    /// The URL may hold a password, and the sender is an address: neither is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer").finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for the server `url` names, sending from `from` (a mailbox: `no-reply@example.org`
    /// or `Cubby <no-reply@example.org>`). Nothing connects yet: the first message does.
    ///
    /// # Errors
    ///
    /// [`SmtpSetupError`] when `url` is not one of the forms above (another scheme, an unknown
    /// query parameter, a user without a password, credentials without TLS) or `from` is not a
    /// mailbox.
    pub fn new(url: &SecretString, from: &str) -> Result<Self, SmtpSetupError> {
        let url = url.expose_secret();
        check_url(url)?;
        let from: Mailbox = from.trim().parse().map_err(|_| SmtpSetupError::Sender)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| SmtpSetupError::Url("the SMTP URL cannot be used".to_owned()))?
            .timeout(Some(STEP_TIMEOUT))
            .build();
        Ok(Self { transport, from })
    }

    /// The `Message-ID` of the message with id `id`: `<{id}@{the sender's domain}>`.
    pub fn message_id(&self, id: &str) -> String {
        format!("<{id}@{}>", self.from.email.domain())
    }

    /// `mail` as a MIME message from the configured sender.
    fn message(&self, mail: &OutgoingMail) -> Result<Message, MailError> {
        // The domain's `Email` is stricter than SMTP; a refusal here is the message's fault.
        let to: Address = mail.to.as_str().parse().map_err(|_| {
            MailError::Rejected("the recipient is not an address SMTP can carry".to_owned())
        })?;
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(mail.subject.as_str())
            .message_id(Some(self.message_id(&mail.id)))
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|_| MailError::Rejected("the message could not be built".to_owned()))
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = self.message(mail)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|error| mail_error(&error))
    }
}

/// Checks `url` is one of the forms the module documents, before `lettre` reads it (which
/// would ignore unknown parameters and send a password in clear).
fn check_url(url: &str) -> Result<(), SmtpSetupError> {
    let fail = |what: &str| Err(SmtpSetupError::Url(format!("the SMTP URL {what}")));
    let Ok(parsed) = url::Url::parse(url.trim()) else {
        return fail("is not a URL");
    };
    let encrypted = match parsed.scheme() {
        "smtps" => true,
        "smtp" => false,
        _ => return fail("must start with smtp:// or smtps://"),
    };
    if parsed.host_str().is_none_or(str::is_empty) {
        return fail("names no host");
    }
    let mut tls = None;
    for (key, value) in parsed.query_pairs() {
        match (key.as_ref(), value.as_ref()) {
            ("tls", "required" | "opportunistic") if !encrypted && tls.is_none() => {
                tls = Some(value.into_owned());
            }
            ("tls", _) => {
                return fail("takes tls=required or tls=opportunistic, once, with smtp:// only");
            }
            _ => return fail("takes no parameter but tls"),
        }
    }
    let user = !parsed.username().is_empty();
    let password = parsed.password().is_some();
    if user != password {
        return fail("has a user without a password or a password without a user");
    }
    // Opportunistic STARTTLS can be stripped by anyone on the path: not good enough for a
    // password.
    if password && !encrypted && tls.as_deref() != Some("required") {
        return fail("sends credentials only over TLS: use smtps:// or smtp://...?tls=required");
    }
    Ok(())
}

/// How an SMTP failure maps to the port's errors. Only the stage and the status code are kept.
///
/// - The server could not be reached, the TLS handshake failed, or it lacks what the URL asks
///   for (STARTTLS, an authentication mechanism): [`MailError::NotSent`], since nothing of the
///   message was sent.
/// - A `4xx` reply (to any command, or to the message itself): [`MailError::NotSent`]; the
///   server did not take the message and asks to try later.
/// - A `5xx` reply: [`MailError::Rejected`], except a refused authentication (`530`, `534`,
///   `535`, `538`), which says nothing of the message and is [`MailError::NotSent`].
/// - The connection broke or timed out during the conversation, or a reply could not be read:
///   [`MailError::Unknown`], since it may have happened after the server took the message.
pub fn mail_error(error: &SmtpError) -> MailError {
    if let Some(code) = error.status() {
        let what = format!("the SMTP server answered {code}");
        let authentication = matches!(code.to_string().as_str(), "530" | "534" | "535" | "538");
        return if error.is_transient() || authentication {
            MailError::NotSent(what)
        } else {
            MailError::Rejected(what)
        };
    }
    // lettre sets its `Connection` kind only while connecting (resolving the host, opening the
    // socket), and has no predicate for it but its text; the contract's unreachable case
    // checks that it still says so.
    if error.to_string().starts_with("Connection error") {
        let why = if error.is_timeout() {
            "timed out"
        } else {
            "refused or unreachable"
        };
        return MailError::NotSent(format!("the SMTP server could not be reached ({why})"));
    }
    if error.is_tls() {
        return MailError::NotSent("the TLS handshake with the SMTP server failed".to_owned());
    }
    // lettre's own refusals come before the message is handed over: no STARTTLS or no
    // authentication mechanism where the URL asks for them, no SMTPUTF8 for such an address.
    if error.is_client() {
        return MailError::NotSent(
            "the SMTP server lacks what the URL or the message needs (STARTTLS, an authentication mechanism, SMTPUTF8)".to_owned(),
        );
    }
    if error.is_transport_shutdown() {
        return MailError::NotSent("the SMTP transport is shut down".to_owned());
    }
    let why = if error.is_timeout() {
        "timed out"
    } else if error.is_response() {
        "sent a reply that could not be read"
    } else {
        "broke"
    };
    MailError::Unknown(format!("the SMTP conversation {why}"))
}
