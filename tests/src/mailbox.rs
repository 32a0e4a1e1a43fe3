//! Where a test world's mail can be read: the in-memory outbox, or the spool of the SMTP test
//! server the world's mailer sends to.

use std::path::PathBuf;
use std::sync::Arc;

use cubby_ports::MailOutbox;

/// A message as its recipient got it.
#[derive(Clone, Debug)]
pub struct Letter {
    /// The recipient.
    pub to: String,
    /// The subject.
    pub subject: String,
    /// The plain text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

impl Letter {
    /// The value of `token=` in the link of the body that leads to `path`
    /// (`/invitations/accept`, `/password/reset`).
    pub fn token_for(&self, path: &str) -> String {
        let link = self
            .text
            .lines()
            .find(|line| line.contains(&format!("{path}?")))
            .unwrap_or_else(|| panic!("no link to {path} in {:?}", self.subject));
        let token = link.split("token=").nth(1).unwrap();
        let token = token.split('&').next().unwrap().to_owned();
        assert!(
            self.html.contains(&format!("token={token}")),
            "the HTML body carries the same link"
        );
        token
    }
}

/// Where the mail goes.
#[derive(Clone)]
pub enum Mailbox {
    /// The in-memory outbox.
    Outbox(Arc<dyn MailOutbox>),
    /// The SMTP test server's spool: one JSON file per message.
    Spool(PathBuf),
}

impl Mailbox {
    /// Every message to `address`, newest first.
    pub fn to(&self, address: &str) -> Vec<Letter> {
        match self {
            Mailbox::Outbox(outbox) => outbox
                .sent()
                .into_iter()
                .filter(|sent| sent.mail.to.as_str() == address)
                .map(|sent| Letter {
                    to: address.to_owned(),
                    subject: sent.mail.subject,
                    text: sent.mail.text,
                    html: sent.mail.html,
                })
                .collect(),
            Mailbox::Spool(dir) => {
                let mut found: Vec<(std::time::SystemTime, Letter)> = std::fs::read_dir(dir)
                    .unwrap()
                    .filter_map(Result::ok)
                    .filter_map(|entry| {
                        let modified = entry.metadata().ok()?.modified().ok()?;
                        let text = std::fs::read_to_string(entry.path()).ok()?;
                        let record: serde_json::Value = serde_json::from_str(&text).ok()?;
                        let to = record["rcpt_tos"].as_array()?;
                        if !to.iter().any(|rcpt| rcpt == address) {
                            return None;
                        }
                        let field = |name: &str| record[name].as_str().unwrap_or("").to_owned();
                        Some((
                            modified,
                            Letter {
                                to: address.to_owned(),
                                subject: field("subject"),
                                text: field("text"),
                                html: field("html"),
                            },
                        ))
                    })
                    .collect();
                found.sort_by_key(|found| std::cmp::Reverse(found.0));
                found.into_iter().map(|(_, letter)| letter).collect()
            }
        }
    }

    /// The newest message to `address`.
    pub fn newest_to(&self, address: &str) -> Letter {
        self.to(address)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no mail to {address}"))
    }
}
