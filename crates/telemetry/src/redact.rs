//! The last line of defence between a log event and the log: every JSON line is rewritten
//! before it is written, so that no token, password, cookie, e-mail address, person's name or
//! sensitive child field reaches the log, whatever a caller passed as a field.
//!
//! Two rules apply. A field whose name says what it holds (`password`, `*token*`, `cookie`,
//! `email`, `first_name`, `allergies`, ...) has its value replaced by `[redacted]`, at any depth.
//! Any string value, the message included, has what looks like a JWT, a bearer credential, an
//! argon2 hash or an e-mail address replaced. A line that is not JSON gets the second rule.

use std::io::{self, Write};
use std::sync::LazyLock;

use regex_lite::Regex;
use serde_json::Value;
use tracing_subscriber::fmt::MakeWriter;

/// What replaces a redacted value.
pub const REDACTED: &str = "[redacted]";

/// Field names whose values are never written: matched case-insensitively against the whole
/// name (`exact`) or any part of it (`contains`).
const EXACT: &[&str] = &[
    "name", "phone", "address", "dob", "notes", "note", "body", "dsn",
];
const CONTAINS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "csrf",
    "email",
    "e_mail",
    "first_name",
    "last_name",
    "given_name",
    "family_name",
    "full_name",
    "preferred_name",
    "display_name",
    "birth",
    "allerg",
    "medical",
    "medication",
    "diet",
    "health_",
    "api_key",
    "private_key",
];

/// Objects whose `name` field is the name of a span, not of a person.
const SPAN_KEYS: &[&str] = &["span", "spans"];

static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // A JWT (three base64url parts, the first two JSON objects: `eyJ`).
        r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*",
        // A credential after an authentication scheme.
        r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}",
        // An argon2 password hash in PHC form.
        r"\$argon2[a-z]{0,2}\$[A-Za-z0-9$=,+/.-]+",
        // An e-mail address.
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    ]
    .into_iter()
    .filter_map(|pattern| Regex::new(pattern).ok())
    .collect()
});

/// Whether a field of this name holds something that is never logged.
pub fn is_sensitive(field: &str) -> bool {
    let field = field.to_ascii_lowercase();
    EXACT.contains(&field.as_str()) || CONTAINS.iter().any(|part| field.contains(part))
}

/// `text` with every credential-, hash- or address-like part replaced.
pub fn scrub(text: &str) -> String {
    PATTERNS.iter().fold(text.to_owned(), |text, pattern| {
        pattern.replace_all(&text, REDACTED).into_owned()
    })
}

/// One log line, redacted (see the module's rules); the line ending is kept.
pub fn line(text: &str) -> String {
    let (content, ending) = match text.strip_suffix('\n') {
        Some(content) => (content, "\n"),
        None => (text, ""),
    };
    match serde_json::from_str::<Value>(content) {
        Ok(mut value) => {
            clean(&mut value, false);
            format!("{value}{ending}")
        }
        Err(_) => format!("{}{ending}", scrub(content)),
    }
}

fn clean(value: &mut Value, in_span: bool) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                let span_name = in_span && key == "name";
                if !span_name && is_sensitive(key) && !field.is_null() {
                    *field = Value::String(REDACTED.to_owned());
                } else {
                    clean(field, SPAN_KEYS.contains(&key.as_str()));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| clean(item, in_span)),
        Value::String(text) => {
            let scrubbed = scrub(text);
            if scrubbed != *text {
                *text = scrubbed;
            }
        }
        _ => {}
    }
}

/// A [`MakeWriter`] whose writers redact each line before passing it on.
#[derive(Debug, Clone)]
pub struct Redacting<W>(W);

impl<W> Redacting<W> {
    /// Redacts what `inner`'s writers would write.
    pub fn new(inner: W) -> Self {
        Self(inner)
    }
}

impl<'a, W: MakeWriter<'a>> MakeWriter<'a> for Redacting<W> {
    type Writer = RedactingWriter<W::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.0.make_writer())
    }
}

/// Writes each buffer it is given (the JSON formatter writes one whole line at a time) once
/// redacted.
#[derive(Debug)]
pub struct RedactingWriter<W>(W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(bytes);
        self.0.write_all(line(&text).as_bytes())?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn redacted(value: Value) -> Value {
        serde_json::from_str(&line(&value.to_string())).unwrap_or(Value::Null)
    }

    #[test]
    fn named_fields_lose_their_values_at_any_depth() {
        let out = redacted(json!({
            "message": "signed in",
            "password": "hunter2-hunter2",
            "refresh_token": "opaque-random-value",
            "fields": { "Set-Cookie": "cubby_access=abc", "first_name": "Ada", "allergies": "nuts" },
            "span": { "name": "request", "request_id": "r-1" },
            "tenant_id": "t-1",
        }));
        assert_eq!(out["password"], REDACTED);
        assert_eq!(out["refresh_token"], REDACTED);
        assert_eq!(out["fields"]["Set-Cookie"], REDACTED);
        assert_eq!(out["fields"]["first_name"], REDACTED);
        assert_eq!(out["fields"]["allergies"], REDACTED);
        assert_eq!(
            out["span"]["name"], "request",
            "a span's name is not a person's"
        );
        assert_eq!(out["tenant_id"], "t-1");
        assert_eq!(out["message"], "signed in");
    }

    #[test]
    fn credentials_and_addresses_inside_text_are_replaced() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
        let out = redacted(json!({
            "message": format!("refused {jwt} from ada@example.org"),
            "error": format!("Authorization: Bearer abcdefgh12345678 stored {hash}"),
        }));
        let text = out.to_string();
        for secret in [jwt, "ada@example.org", "abcdefgh12345678", hash] {
            assert!(!text.contains(secret), "{secret} survived in {text}");
        }
        assert!(
            text.contains("refused [redacted] from [redacted]"),
            "{text}"
        );
    }

    #[test]
    fn a_line_that_is_not_json_is_scrubbed_as_text() {
        assert_eq!(line("login by ada@example.org\n"), "login by [redacted]\n");
    }

    #[test]
    fn the_writer_redacts_what_it_is_given() {
        let mut sink = Vec::new();
        RedactingWriter(&mut sink)
            .write_all(b"{\"email\":\"ada@example.org\",\"status\":200}\n")
            .ok();
        assert_eq!(
            String::from_utf8_lossy(&sink),
            "{\"email\":\"[redacted]\",\"status\":200}\n"
        );
    }
}
