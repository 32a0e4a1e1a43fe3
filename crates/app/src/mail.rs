//! E-mail: what Cubby sends, rendered from templates ([`templates`]) and sent by a `send_mail`
//! job on the critical queue, so that a slow or failing mail server never holds up a request
//! and a failed send is retried with backoff.
//!
//! A message's id is its job's id. The job sends it at most once: each attempt claims its own
//! effect mark before it hands the message over, and only a transport that certainly did not
//! take the message ([`cubby_ports::MailError::NotSent`]) leads to another attempt.
//!
//! The rendered message travels in the job's envelope on the queue (it holds the link with its
//! token until it is sent); the job's record holds only its kind and status. Addresses, links
//! and tokens are never logged.

mod templates;

use std::sync::Arc;

use cubby_domain::{Email, JobId};
use cubby_ports::TenantScope;
use secrecy::SecretString;
use time::{Date, OffsetDateTime};

use crate::AppError;
use crate::jobs::Jobs;

pub use templates::Links;
pub(crate) use templates::render;

/// What to send.
pub enum Message {
    /// An invitation into a centre, with the link that accepts it.
    Invitation {
        /// The centre's name.
        centre_name: String,
        /// The centre's code (the accept page needs it).
        tenant_code: String,
        /// The invitation's token.
        token: SecretString,
        /// When the invitation expires.
        expires_at: OffsetDateTime,
    },
    /// A password reset link.
    PasswordReset {
        /// The reset token.
        token: SecretString,
    },
    /// Children still checked in after the centre's closing time: counted, never named.
    ClosingReminder {
        /// The centre's name.
        centre_name: String,
        /// The day, in the centre's time zone.
        day: Date,
        /// How many children.
        children: u32,
    },
}

impl std::fmt::Debug for Message {
    /// Tokens never show.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Message::Invitation { .. } => "Message::Invitation",
            Message::PasswordReset { .. } => "Message::PasswordReset",
            Message::ClosingReminder { .. } => "Message::ClosingReminder",
        })
    }
}

/// Sending mail: each message is rendered and queued as a `send_mail` job.
#[derive(Clone)]
pub struct Mail {
    pub(crate) jobs: Arc<Jobs>,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail").finish_non_exhaustive()
    }
}

impl Mail {
    /// Renders `message` to `to` and queues it as a job of the scope's centre; answers the
    /// message's id (its job's).
    ///
    /// # Errors
    ///
    /// Store and queue failures ([`AppError::Unavailable`]): the message is not sent.
    pub async fn send(
        &self,
        scope: &TenantScope,
        to: &Email,
        message: Message,
    ) -> Result<JobId, AppError> {
        self.jobs.queue_mail(scope, to, &message).await
    }

    /// [`Mail::send`] for a message that belongs to no centre (a password reset): its job is
    /// recorded in the platform's own partition.
    ///
    /// # Errors
    ///
    /// As [`Mail::send`].
    pub async fn send_platform(&self, to: &Email, message: Message) -> Result<JobId, AppError> {
        self.send(&TenantScope::for_platform_mail(), to, message)
            .await
    }
}

#[cfg(test)]
mod tests;
