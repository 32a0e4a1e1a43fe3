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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_trait::async_trait;
    use cubby_ports::contract::mail::{MailTransport, Received, Refusal, mail_to};
    use cubby_ports::{MailOutbox, Mailer};

    use super::{OUTBOX_CAPACITY, Outbox};
    use crate::SystemClock;

    /// The outbox as a transport: what it received is what it lists. It refuses nothing and
    /// is never out of reach.
    struct InMemory(Outbox);

    #[async_trait]
    impl MailTransport for InMemory {
        fn mailer(&self) -> &dyn Mailer {
            &self.0
        }

        async fn received(&self, id: &str) -> Option<Received> {
            let sent = self.0.sent().into_iter().find(|sent| sent.mail.id == id)?;
            Some(Received {
                to: vec![sent.mail.to.as_str().to_owned()],
                subject: sent.mail.subject,
                text: Some(sent.mail.text),
                html: sent.mail.html,
                message_id: Some(sent.mail.id),
            })
        }

        fn refusal(&self) -> Option<Refusal> {
            None
        }

        fn unreachable(&self) -> Option<Box<dyn Mailer>> {
            None
        }
    }

    fn outbox() -> Outbox {
        Outbox::new(Arc::new(SystemClock))
    }

    cubby_ports::mailer_contract!(async { InMemory(outbox()) });

    #[tokio::test]
    async fn the_outbox_lists_newest_first_keeps_each_id_once_and_drops_the_oldest() {
        let outbox = outbox();
        let first = mail_to("ada@example.com");
        let second = mail_to("grace@example.com");
        outbox.send(&first).await.unwrap();
        outbox.send(&second).await.unwrap();
        // The same message again (a retried job) is not listed twice.
        outbox.send(&first).await.unwrap();
        let ids: Vec<String> = outbox.sent().into_iter().map(|s| s.mail.id).collect();
        assert_eq!(ids, [second.id.clone(), first.id.clone()]);

        for _ in 0..OUTBOX_CAPACITY {
            outbox.send(&mail_to("ada@example.com")).await.unwrap();
        }
        let sent = outbox.sent();
        assert_eq!(sent.len(), OUTBOX_CAPACITY);
        assert!(
            sent.iter()
                .all(|s| s.mail.id != first.id && s.mail.id != second.id)
        );
    }

    #[test]
    fn the_outbox_prints_nothing_it_holds_in_debug() {
        assert_eq!(format!("{:?}", outbox()), "Outbox { .. }");
    }
}
