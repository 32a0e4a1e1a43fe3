//! Against the SES stand-in `scripts/test` starts (moto, the same server as for SQS): the
//! contract suite, reading back what moto recorded (`GET /moto-api/data.json`, its `ses`
//! `Message` models), and what only SES shows.
//!
//! The stand-in is found through `CUBBY_TEST_SES_ENDPOINT`: when it is not set the tests that
//! need it are skipped, or fail under `CUBBY_REQUIRE_SERVICES=1`. It takes any keys. It sends
//! only from verified identities, so each test first verifies the domain `cubby.test`.
//!
//! moto records the subject, the HTML body, the sender and the destinations of a simple
//! message, and names it itself: it keeps neither the plain text nor an id of ours. The
//! contract's subjects carry the message's id, which is how a record is found.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failed expectation must stop the test"
)]

use std::io::{Read, Write};

use async_trait::async_trait;
use cubby_domain::Email;
use cubby_ports::contract::mail::{MailTransport, Received, Refusal, mail_to};
use cubby_ports::contract::services::ses_endpoint;
use cubby_ports::{MailError, Mailer};
use secrecy::SecretString;

use super::{AwsKeys, SesMailer, SesOptions};

const REGION: &str = "eu-west-1";
const FROM: &str = "Cubby Tests <no-reply@cubby.test>";

fn options(endpoint: &str, from: &str) -> SesOptions {
    SesOptions {
        region: REGION.to_owned(),
        from: from.to_owned(),
        endpoint: Some(endpoint.to_owned()),
        keys: Some(AwsKeys {
            access_key_id: "cubby-tests".to_owned(),
            secret_access_key: SecretString::from("cubby-tests-secret".to_owned()),
            session_token: None,
        }),
    }
}

/// The mailer on the stand-in, its sender's domain verified.
struct Moto {
    endpoint: String,
    mailer: SesMailer,
}

/// What moto recorded, as JSON: every model of every service.
fn recorded(endpoint: &str) -> serde_json::Value {
    let address = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET /moto-api/data.json HTTP/1.0\r\nHost: {address}\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    serde_json::from_str(body).unwrap()
}

#[async_trait]
impl MailTransport for Moto {
    fn mailer(&self) -> &dyn Mailer {
        &self.mailer
    }

    async fn received(&self, id: &str) -> Option<Received> {
        let data = recorded(&self.endpoint);
        let messages = data["ses"]["Message"].as_array()?;
        let found: Vec<&serde_json::Value> = messages
            .iter()
            .filter(|message| message["subject"].as_str().is_some_and(|s| s.contains(id)))
            .collect();
        let [message] = found.as_slice() else {
            assert!(found.is_empty(), "{id} was recorded {} times", found.len());
            return None;
        };
        assert_eq!(message["source"], FROM);
        let to = message["destinations"]["ToAddresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|address| address.as_str().unwrap().to_owned())
            .collect();
        Some(Received {
            to,
            subject: message["subject"].as_str().unwrap().to_owned(),
            text: None,
            html: message["body"].as_str().unwrap().to_owned(),
            message_id: None,
        })
    }

    fn refusal(&self) -> Option<Refusal> {
        // A sender SES has not verified: every message from it is refused.
        Some(Refusal {
            mailer: Box::new(
                SesMailer::new(options(
                    &self.endpoint,
                    "Stranger <no-reply@unverified.test>",
                ))
                .unwrap(),
            ),
            to: Email::parse("refused.recipient@example.org").unwrap(),
        })
    }

    fn unreachable(&self) -> Option<Box<dyn Mailer>> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Some(Box::new(
            SesMailer::new(options(&format!("http://127.0.0.1:{port}"), FROM)).unwrap(),
        ))
    }
}

/// The mailer on the stand-in with `cubby.test` verified, or `None` when there is none.
async fn moto() -> Option<Moto> {
    let endpoint = ses_endpoint()?;
    let mailer = SesMailer::new(options(&endpoint, FROM)).unwrap();
    let verified = mailer
        .client()
        .create_email_identity()
        .email_identity("cubby.test")
        .send()
        .await;
    if let Err(error) = verified {
        let code = cubby_adapters_aws::service_code(&error);
        assert_eq!(code, Some("AlreadyExistsException"), "{error:?}");
    }
    Some(Moto { endpoint, mailer })
}

mod contract {
    cubby_ports::mailer_contract!(optional super::moto());
}

#[tokio::test]
async fn a_refusal_names_neither_the_sender_nor_what_ses_said() {
    let Some(moto) = moto().await else {
        return;
    };
    let refusal = moto.refusal().unwrap();
    let error = refusal
        .mailer
        .send(&mail_to("ada@example.com"))
        .await
        .unwrap_err();
    // moto's answer is "Email address not verified Stranger <no-reply@unverified.test>".
    let MailError::Rejected(reason) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(reason, "SES SendEmail: MessageRejected (HTTP 400)");
}

#[tokio::test]
async fn options_that_cannot_work_are_refused_before_any_call() {
    let mut no_region = options("http://127.0.0.1:1", FROM);
    no_region.region = " ".to_owned();
    assert!(SesMailer::new(no_region).is_err());
    assert!(SesMailer::new(options("ftp://127.0.0.1:1", FROM)).is_err());
    assert!(SesMailer::new(options("http://127.0.0.1:1", " ")).is_err());
    let printed = format!(
        "{:?}",
        SesMailer::new(options("http://127.0.0.1:1", FROM)).unwrap()
    );
    assert!(!printed.contains("no-reply"), "{printed}");
}
