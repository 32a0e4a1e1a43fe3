//! `GET /dev/outbox`: in dev, the mail the in-memory outbox was given, newest first, so that a
//! frontend developer can follow invitation and password-reset links without a mail server.
//! Registered only in dev with the outbox as the mailer; elsewhere there is no such route: 404.
//!
//! Not part of the REST contract: the OpenAPI document leaves it out, as it leaves out the dev
//! object endpoint.

use cubby_ports::SentMail;
use http::Method;
use serde::Serialize;
use time::OffsetDateTime;

use crate::router::Router;
use crate::{ApiError, Ctx, Reply};

/// The route's path.
pub(crate) const OUTBOX: &str = "/dev/outbox";

/// Adds `GET /dev/outbox`.
pub(crate) fn register(router: &mut Router) {
    router.dev(Method::GET, OUTBOX, outbox);
}

/// The outbox.
#[derive(Serialize)]
struct OutboxOut {
    items: Vec<MailOut>,
}

/// A message as sent.
#[derive(Serialize)]
struct MailOut {
    id: String,
    to: String,
    subject: String,
    text: String,
    html: String,
    #[serde(with = "time::serde::rfc3339")]
    sent_at: OffsetDateTime,
}

impl From<SentMail> for MailOut {
    fn from(sent: SentMail) -> Self {
        Self {
            id: sent.mail.id,
            to: sent.mail.to.as_str().to_owned(),
            subject: sent.mail.subject,
            text: sent.mail.text,
            html: sent.mail.html,
            sent_at: sent.sent_at,
        }
    }
}

async fn outbox(ctx: Ctx) -> Result<Reply, ApiError> {
    let outbox = ctx
        .app()
        .ports()
        .outbox
        .clone()
        .ok_or_else(ApiError::not_found)?;
    Reply::ok(&OutboxOut {
        items: outbox.sent().into_iter().map(MailOut::from).collect(),
    })
}
