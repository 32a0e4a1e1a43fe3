//! The outbox: a [`Mailer`] that keeps what it is given, for the dev server (which also prints
//! each message on its console) and tests.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use cubby_ports::{Clock, MailError, MailOutbox, Mailer, OutgoingMail, SentMail};

use crate::{read, write};

/// How many messages an outbox keeps; older ones are dropped.
pub const OUTBOX_CAPACITY: usize = 500;

/// Keeps every message sent to it (the newest [`OUTBOX_CAPACITY`]), once per message id.
#[derive(Clone)]
pub struct Outbox {
    sent: Arc<RwLock<Vec<SentMail>>>,
    clock: Arc<dyn Clock>,
    print: bool,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    /// An empty outbox, stamping messages with `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            sent: Arc::default(),
            clock,
            print: false,
        }
    }

    /// The same outbox, which also prints each new message on standard output: in dev, so that
    /// a developer can follow its links without a mail server. Never through the logs.
    #[must_use]
    pub fn printing(mut self) -> Self {
        self.print = true;
        self
    }
}

#[async_trait]
impl Mailer for Outbox {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let sent = SentMail {
            mail: mail.clone(),
            sent_at: self.clock.now(),
        };
        {
            let mut outbox = write(&self.sent);
            if outbox.iter().any(|held| held.mail.id == mail.id) {
                return Ok(());
            }
            if outbox.len() == OUTBOX_CAPACITY {
                outbox.remove(0);
            }
            outbox.push(sent);
        }
        if self.print {
            print_mail(mail);
        }
        Ok(())
    }
}

impl MailOutbox for Outbox {
    fn sent(&self) -> Vec<SentMail> {
        read(&self.sent).iter().rev().cloned().collect()
    }
}

#[expect(
    clippy::print_stdout,
    reason = "the dev outbox is for the developer's terminal, not the logs"
)]
fn print_mail(mail: &OutgoingMail) {
    println!(
        "\n--- mail {} to {} ---\nSubject: {}\n\n{}\n--- end of mail ---",
        mail.id,
        mail.to.as_str(),
        mail.subject,
        mail.text
    );
}
