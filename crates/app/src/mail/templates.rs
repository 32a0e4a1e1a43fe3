//! The messages' words: each [`Message`] rendered as a subject, a plain text body and an HTML
//! body, with links under the frontend's base URL.
//!
//! Subjects never hold a child's name or a count of children's data beyond a number; bodies
//! hold links with tokens, which is why a rendered message is never logged.

use secrecy::ExposeSecret;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::Message;

/// A message as sent: subject, text and HTML.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Rendered {
    pub(crate) subject: String,
    pub(crate) text: String,
    pub(crate) html: String,
}

/// Where links in mail lead: pages of the frontend at `CUBBY_APP_URL`.
///
/// | page | path |
/// |---|---|
/// | accept an invitation | `/invitations/accept?centre={code}&token={token}` |
/// | reset a password | `/password/reset?token={token}` |
/// | a day's attendance | `/attendance?day={YYYY-MM-DD}` |
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Links {
    base: String,
}

impl Links {
    /// Links under `base` (a trailing `/` is dropped).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    fn page(&self, path: &str, query: &[(&str, &str)]) -> String {
        let query: Vec<String> = query
            .iter()
            .map(|(key, value)| format!("{key}={}", encode(value)))
            .collect();
        format!("{}{path}?{}", self.base, query.join("&"))
    }
}

/// `value` percent-encoded for a query string: everything but the unreserved characters.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `text` safe inside HTML text and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// An HTML mail: the paragraphs, then a button-like link, then a closing line.
fn html(paragraphs: &[String], action: Option<(&str, &str)>) -> String {
    let mut body = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"></head>\n<body style=\"font-family: sans-serif; line-height: 1.5\">\n",
    );
    for paragraph in paragraphs {
        body.push_str(&format!("<p>{}</p>\n", escape(paragraph)));
    }
    if let Some((label, link)) = action {
        body.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>\n<p style=\"font-size: small\">If the button does not work, copy this address into your browser: {}</p>\n",
            escape(link),
            escape(label),
            escape(link)
        ));
    }
    body.push_str(
        "<p style=\"font-size: small; color: #555\">Sent by Cubby.</p>\n</body></html>\n",
    );
    body
}

/// A plain text mail: the paragraphs, then the link.
fn text(paragraphs: &[String], link: Option<&str>) -> String {
    let mut body = paragraphs.join("\n\n");
    if let Some(link) = link {
        body.push_str("\n\n");
        body.push_str(link);
    }
    body.push_str("\n\n-- \nSent by Cubby.\n");
    body
}

fn when(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// `message` as it is sent, with links under `links`.
pub(crate) fn render(message: &Message, links: &Links) -> Rendered {
    match message {
        Message::Invitation {
            centre_name,
            tenant_code,
            token,
            expires_at,
        } => {
            let link = links.page(
                "/invitations/accept",
                &[("centre", tenant_code), ("token", token.expose_secret())],
            );
            let paragraphs = [
                format!("You have been invited to join {centre_name} on Cubby."),
                format!(
                    "Open the link below to accept and choose your password. It works once, until {} (UTC).",
                    when(*expires_at)
                ),
                "If you did not expect this invitation, ignore this message.".to_owned(),
            ];
            Rendered {
                subject: format!("You are invited to join {centre_name} on Cubby"),
                text: text(&paragraphs, Some(&link)),
                html: html(&paragraphs, Some(("Accept the invitation", &link))),
            }
        }
        Message::PasswordReset { token } => {
            let link = links.page("/password/reset", &[("token", token.expose_secret())]);
            let paragraphs = [
                "Someone asked to reset the password of your Cubby account.".to_owned(),
                "Open the link below within 30 minutes to choose a new one. It works once, and every session of your account ends when you use it.".to_owned(),
                "If you did not ask for this, ignore this message: your password stays as it is.".to_owned(),
            ];
            Rendered {
                subject: "Reset your Cubby password".to_owned(),
                text: text(&paragraphs, Some(&link)),
                html: html(&paragraphs, Some(("Choose a new password", &link))),
            }
        }
        Message::ClosingReminder {
            centre_name,
            day,
            children,
        } => {
            let link = links.page("/attendance", &[("day", &day.to_string())]);
            let counted = if *children == 1 {
                "1 child is".to_owned()
            } else {
                format!("{children} children are")
            };
            let paragraphs = [
                format!("{counted} still checked in at {centre_name} after closing time on {day}."),
                "Open the day's attendance to see who, and check them out once they are collected."
                    .to_owned(),
            ];
            Rendered {
                subject: format!("{counted} still checked in after closing at {centre_name}"),
                text: text(&paragraphs, Some(&link)),
                html: html(&paragraphs, Some(("Open the attendance", &link))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;
    use time::macros::{date, datetime};

    fn links() -> Links {
        Links::new("https://app.example/")
    }

    #[test]
    fn an_invitation_links_to_its_page_with_the_centre_and_the_token() {
        let rendered = render(
            &Message::Invitation {
                centre_name: "Little <Acorns> & Co".to_owned(),
                tenant_code: "acorns".to_owned(),
                token: SecretString::from("inv_01.secret+/="),
                expires_at: datetime!(2026-12-14 09:00 UTC),
            },
            &links(),
        );
        let link =
            "https://app.example/invitations/accept?centre=acorns&token=inv_01.secret%2B%2F%3D";
        assert!(rendered.text.contains(link), "{}", rendered.text);
        let escaped = link.replace('&', "&amp;");
        assert!(rendered.html.contains(&format!("href=\"{escaped}\"")));
        assert!(rendered.html.contains("Little &lt;Acorns&gt; &amp; Co"));
        assert!(!rendered.html.contains("<Acorns>"));
        assert_eq!(
            rendered.subject,
            "You are invited to join Little <Acorns> & Co on Cubby"
        );
        assert!(rendered.text.contains("2026-12-14T09:00:00Z"));
    }

    #[test]
    fn a_password_reset_links_to_its_page_and_says_how_long_it_works() {
        let rendered = render(
            &Message::PasswordReset {
                token: SecretString::from("pwr_token"),
            },
            &links(),
        );
        assert!(
            rendered
                .text
                .contains("https://app.example/password/reset?token=pwr_token")
        );
        assert!(rendered.text.contains("30 minutes"));
        assert!(!rendered.subject.contains("pwr_token"));
    }

    #[test]
    fn the_closing_reminder_counts_children_and_names_none() {
        let one = render(
            &Message::ClosingReminder {
                centre_name: "Acorns".to_owned(),
                day: date!(2026 - 12 - 07),
                children: 1,
            },
            &links(),
        );
        assert_eq!(
            one.subject,
            "1 child is still checked in after closing at Acorns"
        );
        assert!(
            one.text
                .contains("https://app.example/attendance?day=2026-12-07")
        );
        let three = render(
            &Message::ClosingReminder {
                centre_name: "Acorns".to_owned(),
                day: date!(2026 - 12 - 07),
                children: 3,
            },
            &links(),
        );
        assert!(three.subject.starts_with("3 children are"));
    }
}
