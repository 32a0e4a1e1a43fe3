//! The `send_mail` job: a rendered message queued by [`crate::mail::Mail`], handed to the
//! mailer at most once.

use cubby_domain::{Email, JobId, JobRecord};
use cubby_ports::{MailError, OutgoingMail, TenantScope};
use serde::{Deserialize, Serialize};

use super::{JobRequest, Jobs, RunError};
use crate::AppError;
use crate::mail::{Message, render};

/// The counter of messages handed to the mailer, by outcome: `sent`, `not_sent` (tried again
/// later), `rejected`, `unknown` (not tried again) or `skipped` (an attempt that ran before).
pub const MAIL: &str = "mail_total";

/// A rendered message as its job carries it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailPayload {
    /// The recipient's address.
    pub to: String,
    /// The subject.
    pub subject: String,
    /// The plain text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

impl std::fmt::Debug for MailPayload {
    /// The address and the bodies (links with tokens) never show.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailPayload")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// The error of an attempt that may have sent the message: it is not sent again.
pub const MAYBE_SENT: &str = "the mail may have been sent; it is not sent again";

fn count(outcome: &'static str) {
    metrics::counter!(MAIL, "outcome" => outcome).increment(1);
}

impl Jobs {
    /// Renders `message` to `to` and queues it as a `send_mail` job of the scope's centre.
    pub(crate) async fn queue_mail(
        &self,
        scope: &TenantScope,
        to: &Email,
        message: &Message,
    ) -> Result<JobId, AppError> {
        let rendered = render(message, &self.links);
        let request = JobRequest::SendMail {
            mail: MailPayload {
                to: to.as_str().to_owned(),
                subject: rendered.subject,
                text: rendered.text,
                html: rendered.html,
            },
        };
        let record = self
            .start(scope, JobId::from_uuid(self.ids.uuid()), &request)
            .await?;
        Ok(record.id())
    }

    /// Hands the message to the mailer, once per attempt: the attempt's effect mark is claimed
    /// first, so a redelivery of an attempt whose worker stopped midway does not send it again.
    pub(super) async fn send_mail(
        &self,
        scope: &TenantScope,
        record: &mut JobRecord,
        mail: MailPayload,
    ) -> Result<(), RunError> {
        let to = Email::parse(&mail.to)
            .map_err(|_| RunError::Rule(vec!["the recipient's address is not valid".to_owned()]))?;
        let outgoing = OutgoingMail {
            id: record.id().to_string(),
            to,
            subject: mail.subject,
            text: mail.text,
            html: mail.html,
        };
        let attempt = format!("send:{}", record.attempts());
        if !self
            .records
            .claim_effect(scope, record.id(), &attempt)
            .await?
        {
            count("skipped");
            return Err(RunError::Rule(vec![MAYBE_SENT.to_owned()]));
        }
        match self.mailer.send(&outgoing).await {
            Ok(()) => {
                count("sent");
                record.count_done();
                Ok(())
            }
            Err(MailError::NotSent(reason)) => {
                count("not_sent");
                Err(RunError::Transient(format!(
                    "the mail was not sent ({reason})"
                )))
            }
            Err(MailError::Rejected(reason)) => {
                count("rejected");
                Err(RunError::Rule(vec![format!(
                    "the mail was refused ({reason})"
                )]))
            }
            Err(MailError::Unknown(_)) => {
                count("unknown");
                Err(RunError::Rule(vec![MAYBE_SENT.to_owned()]))
            }
        }
    }
}
