//! The job queues on SQS.
//!
//! Each [`Queue`] is a standard SQS queue with a dead-letter queue of its own. A message's body
//! is the envelope as JSON: `{"id": "job_…", "tenant": "ten_…", "kind": "…", "payload": "…",
//! "attempt": 0}` (the payload is the job's parameters, as a JSON string), and `traceparent` when
//! the job continues a trace (a body without it, or with one that is not a string, has none); on
//! a dead-letter queue it also has `reason`. Reading one back goes through the domain's id parsers, and a body
//! that is not an envelope is [`RepoError::Corrupt`], named by field, never by value. No
//! message attributes are used.
//!
//! - `enqueue` is `SendMessage` with `DelaySeconds`. SQS delays are whole seconds, at most 900:
//!   the delay is rounded to the nearest second (so a job may come up to half a second early or
//!   late) and capped at 15 minutes. The retry policy's delays stay under its 10-minute cap.
//! - `receive` is `ReceiveMessage` of at most 10 messages (SQS's limit) with the caller's
//!   visibility timeout in whole seconds (rounded up, at least 1, at most 12 hours) and no
//!   long polling; the receipt is the receipt handle. SQS may answer fewer messages than are
//!   ready (a short poll samples its servers). When a message cannot be read, the call fails
//!   with [`RepoError::Corrupt`] and hands the readable messages of the batch back at once
//!   (visibility 0) rather than hiding them for the whole timeout; the unreadable one comes
//!   back after the timeout, until a redrive policy moves it to the dead-letter queue.
//! - `ack` is `DeleteMessage`. A receipt that SQS no longer knows (deleted already) is not an
//!   error.
//! - A delivery's attempt is the body's `attempt` plus the times SQS delivered the message
//!   before (`ApproximateReceiveCount` - 1): a retry keeps the message and only hides it, and a
//!   delivery whose visibility ran out (its worker died) counts as an attempt too, as it does
//!   for a redrive policy's `maxReceiveCount`.
//! - `retry` is `ChangeMessageVisibility` of the delivery to the retry's delay (whole seconds,
//!   rounded to the nearest): the message comes back by itself after it. On Lambda this is what
//!   lets the worker report the job in `batchItemFailures`, so that Lambda keeps the message. A
//!   receipt that no longer holds the message (deleted, or its timeout ran out and another
//!   worker may have it) is left alone, as the other adapters do with a delivery that is no
//!   longer pending.
//! - `dead_letter` first extends the delivery's visibility (`ChangeMessageVisibility`,
//!   [`HOLD_SECONDS`]; a stale receipt is left alone, as above), then `SendMessage`s the dead
//!   letter to the dead-letter queue, then `DeleteMessage`s the delivery. Sending before
//!   deleting never loses a job; if the delete fails after the send, the job is dead-lettered
//!   and also delivered again, which is harmless because job handlers are idempotent (job
//!   records' effect marks).
//! - `dead_letters` reads the dead-letter queue without taking anything: `ReceiveMessage`
//!   calls of up to 10 letters, each hiding what it read for [`PEEK_SECONDS`] so that the next
//!   call reads others, until `max` letters or an empty answer; then every letter read is made
//!   visible again. SQS keeps no order, so the letters are sorted by when they were sent to the
//!   dead-letter queue (`SentTimestamp`): "oldest first" holds among the letters read, and a
//!   `max` smaller than the queue gives some letters, not necessarily the oldest.
//! - `depth` is `GetQueueAttributes` of both queues: waiting is `ApproximateNumberOfMessages`
//!   plus `ApproximateNumberOfMessagesDelayed`, in flight `ApproximateNumberOfMessagesNotVisible`,
//!   dead every message of the dead-letter queue (visible, hidden by a listing, or delayed).
//!   SQS's counts are approximate and may lag by a second or so on AWS.
//!
//! Dead-lettering is explicit, so it works without a redrive policy. The deployment may add one
//! (`maxReceiveCount`) for the jobs whose worker dies every time: such letters have no `reason`
//! in their body, and are listed with [`REDRIVE_REASON`].

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::operation::receive_message::ReceiveMessageOutput;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, Message, MessageSystemAttributeName,
    QueueAttributeName,
};
use cubby_domain::{JobId, Queue, TenantId};
use cubby_ports::{DeadLetter, Delivery, JobEnvelope, JobQueue, QueueDepth, RepoError};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::SqsJobs;
use crate::errors::{Operation, corrupt, failed, is_stale_receipt, map_error};

/// SQS's longest message delay, in seconds (15 minutes).
const MAX_DELAY_SECONDS: u64 = 900;

/// SQS's longest visibility timeout, in seconds (12 hours).
const MAX_VISIBILITY_SECONDS: u64 = 43_200;

/// The most messages one `ReceiveMessage` (or batch call) takes.
const MAX_BATCH: usize = 10;

/// How long `dead_letter` keeps a delivery hidden while it moves it, in seconds.
const HOLD_SECONDS: i32 = 60;

/// How long `dead_letters` hides the letters it has read until it gives them back, in
/// seconds (it gives them back before it returns; this only matters if it dies midway).
const PEEK_SECONDS: i32 = 30;

/// The reason of a letter a redrive policy moved (its body has none).
pub const REDRIVE_REASON: &str = "received too many times (moved by the queue's redrive policy)";

/// A message body: the envelope, and on a dead-letter queue the reason.
#[derive(Serialize)]
struct Body<'a> {
    id: String,
    tenant: String,
    kind: &'a str,
    payload: &'a str,
    attempt: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    traceparent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

/// The body of a message carrying `job` (and `reason`, to a dead-letter queue).
fn body(job: &JobEnvelope, reason: Option<&str>) -> Result<String, RepoError> {
    let json = serde_json::to_string(&Body {
        id: job.id.to_string(),
        tenant: job.tenant.to_string(),
        kind: &job.kind,
        payload: &job.payload,
        attempt: job.attempt,
        traceparent: job.traceparent.as_deref(),
        reason,
    })
    .map_err(|_| failed("a job could not be serialized"))?;
    Ok(sqs_safe(json))
}

/// `json` with the characters SQS refuses in a message but JSON leaves unescaped (U+FFFE and
/// U+FFFF; JSON already escapes the control characters) written as escapes. They can only be
/// inside strings, where the escape means the same.
fn sqs_safe(json: String) -> String {
    if json.contains(['\u{FFFE}', '\u{FFFF}']) {
        json.replace('\u{FFFE}', "\\ufffe")
            .replace('\u{FFFF}', "\\uffff")
    } else {
        json
    }
}

fn malformed(name: &str) -> RepoError {
    corrupt(&format!("missing or malformed {name}"))
}

/// The envelope and the reason (if any) a body holds.
fn read(body: &str) -> Result<(JobEnvelope, Option<String>), RepoError> {
    let fields: Map<String, Value> =
        serde_json::from_str(body).map_err(|_| corrupt("the body is not a JSON object"))?;
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(name))
    };
    let id = JobId::parse(text("id")?).map_err(|_| malformed("id"))?;
    let tenant = TenantId::parse(text("tenant")?).map_err(|_| malformed("tenant"))?;
    let kind = text("kind")?.to_owned();
    let payload = text("payload")?.to_owned();
    let attempt = match fields.get("attempt") {
        Some(Value::Number(number)) => number.as_u64().and_then(|n| u32::try_from(n).ok()),
        Some(Value::String(digits)) => digits.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| malformed("attempt"))?;
    let reason = match fields.get("reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(reason)) => Some(reason.clone()),
        Some(_) => return Err(malformed("reason")),
    };
    // Tracing never stops a job: a trace context that is not text is left behind.
    let traceparent = fields
        .get("traceparent")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let envelope = JobEnvelope {
        id,
        tenant,
        kind,
        payload,
        attempt,
        traceparent,
    };
    Ok((envelope, reason))
}

fn delivery(message: &Message) -> Result<Delivery, RepoError> {
    let receive_count = message.attributes().and_then(|attributes| {
        attributes.get(&MessageSystemAttributeName::ApproximateReceiveCount)
    });
    delivery_of(
        message.body().ok_or_else(|| corrupt("no body"))?,
        message
            .receipt_handle()
            .ok_or_else(|| corrupt("no receipt handle"))?,
        receive_count.map(String::as_str),
    )
}

/// The delivery of a message with `body`, held by `receipt`, that SQS has delivered
/// `receive_count` times (`ApproximateReceiveCount`, as SQS writes it; `None` counts as once):
/// what the Lambda worker builds from each record of its SQS event.
///
/// # Errors
///
/// [`RepoError::Corrupt`] when the body is not an envelope (named by field, never by value).
pub fn delivery_of(
    body: &str,
    receipt: &str,
    receive_count: Option<&str>,
) -> Result<Delivery, RepoError> {
    let (mut envelope, _) = read(body)?;
    let earlier = receive_count
        .and_then(|count| count.trim().parse::<u32>().ok())
        .unwrap_or(1)
        .saturating_sub(1);
    envelope.attempt = envelope.attempt.saturating_add(earlier);
    Ok(Delivery {
        envelope,
        receipt: receipt.to_owned(),
    })
}

fn dead_letter(message: &Message) -> Result<DeadLetter, RepoError> {
    let (envelope, reason) = read(message.body().ok_or_else(|| corrupt("no body"))?)?;
    Ok(DeadLetter {
        envelope,
        reason: reason.unwrap_or_else(|| REDRIVE_REASON.to_owned()),
    })
}

/// When a message was sent, in milliseconds since the epoch (unknown ones last).
fn sent_at(message: &Message) -> i64 {
    message
        .attributes()
        .and_then(|attributes| attributes.get(&MessageSystemAttributeName::SentTimestamp))
        .and_then(|sent| sent.parse().ok())
        .unwrap_or(i64::MAX)
}

/// `delay` for `DelaySeconds`: rounded to the nearest whole second, at most 900.
fn delay_seconds(delay: Duration) -> i32 {
    let seconds = delay
        .as_secs()
        .saturating_add(u64::from(delay.subsec_millis() >= 500))
        .min(MAX_DELAY_SECONDS);
    i32::try_from(seconds).unwrap_or(i32::MAX)
}

/// `visibility` for `VisibilityTimeout`: rounded up to whole seconds, at least 1 and at most
/// 12 hours.
fn visibility_seconds(visibility: Duration) -> i32 {
    let seconds = visibility
        .as_secs()
        .saturating_add(u64::from(visibility.subsec_nanos() > 0))
        .clamp(1, MAX_VISIBILITY_SECONDS);
    i32::try_from(seconds).unwrap_or(i32::MAX)
}

/// `max` for `MaxNumberOfMessages` (1 to 10).
fn batch(max: usize) -> i32 {
    i32::try_from(max.clamp(1, MAX_BATCH)).unwrap_or(1)
}

/// The three approximate counts of a queue.
/// Runs `call` as `operation` of SQS (see [`cubby_ports::observe::timed`]).
async fn timed<T, E>(
    operation: &'static str,
    call: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    cubby_ports::observe::timed("sqs", operation, call).await
}

#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    visible: u64,
    not_visible: u64,
    delayed: u64,
}

impl SqsJobs {
    async fn send(
        &self,
        url: &str,
        job: &JobEnvelope,
        reason: Option<&str>,
        delay: Duration,
    ) -> Result<(), RepoError> {
        let send = self
            .client
            .send_message()
            .queue_url(url)
            .message_body(body(job, reason)?)
            .delay_seconds(delay_seconds(delay))
            .send();
        timed("jobs.send_message", send)
            .await
            .map_err(|e| map_error(Operation::SendMessage, e))?;
        Ok(())
    }

    async fn receive_from(
        &self,
        url: &str,
        max: usize,
        visibility: i32,
    ) -> Result<ReceiveMessageOutput, RepoError> {
        let receive = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(batch(max))
            .visibility_timeout(visibility)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send();
        timed("jobs.receive_message", receive)
            .await
            .map_err(|e| map_error(Operation::ReceiveMessage, e))
    }

    /// Deletes the message `receipt` holds; a receipt SQS no longer knows is not an error.
    async fn delete(&self, url: &str, receipt: &str) -> Result<(), RepoError> {
        let delete = self
            .client
            .delete_message()
            .queue_url(url)
            .receipt_handle(receipt)
            .send();
        // A stale receipt is an answer, not a failed call.
        let deleted = async {
            match delete.await {
                Err(error) if !is_stale_receipt(&error) => Err(error),
                _ => Ok(()),
            }
        };
        timed("jobs.delete_message", deleted)
            .await
            .map_err(|error| map_error(Operation::DeleteMessage, error))
    }

    /// Hides the message `receipt` holds for `seconds` from now: `false` when the receipt no
    /// longer holds it.
    async fn hide(&self, url: &str, receipt: &str, seconds: i32) -> Result<bool, RepoError> {
        let change = self
            .client
            .change_message_visibility()
            .queue_url(url)
            .receipt_handle(receipt)
            .visibility_timeout(seconds)
            .send();
        let hidden = async {
            match change.await {
                Ok(_) => Ok(true),
                Err(error) if is_stale_receipt(&error) => Ok(false),
                Err(error) => Err(error),
            }
        };
        timed("jobs.change_visibility", hidden)
            .await
            .map_err(|error| map_error(Operation::ChangeMessageVisibility, error))
    }

    /// Makes the messages `receipts` hold visible again, as best it can: a message not given
    /// back comes back by itself when its visibility timeout runs out.
    async fn release(&self, url: &str, receipts: &[String]) {
        for chunk in receipts.chunks(MAX_BATCH) {
            let entries = chunk.iter().enumerate().filter_map(|(index, receipt)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(index.to_string())
                    .receipt_handle(receipt)
                    .visibility_timeout(0)
                    .build()
                    .ok()
            });
            let release = self
                .client
                .change_message_visibility_batch()
                .queue_url(url)
                .set_entries(Some(entries.collect()))
                .send();
            let _best_effort = timed("jobs.release", release).await;
        }
    }

    async fn counts(&self, url: &str) -> Result<Counts, RepoError> {
        let attributes = self
            .client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send();
        let output = timed("jobs.get_attributes", attributes)
            .await
            .map_err(|e| map_error(Operation::GetQueueAttributes, e))?;
        let count = |name: QueueAttributeName| -> Result<u64, RepoError> {
            match output.attributes().and_then(|all| all.get(&name)) {
                None => Ok(0),
                Some(value) => value.trim().parse().map_err(|_| {
                    failed(format!(
                        "SQS GetQueueAttributes: {} is not a count",
                        name.as_str()
                    ))
                }),
            }
        };
        Ok(Counts {
            visible: count(QueueAttributeName::ApproximateNumberOfMessages)?,
            not_visible: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)?,
            delayed: count(QueueAttributeName::ApproximateNumberOfMessagesDelayed)?,
        })
    }
}

#[async_trait]
impl JobQueue for SqsJobs {
    async fn enqueue(
        &self,
        queue: Queue,
        job: &JobEnvelope,
        delay: Duration,
    ) -> Result<(), RepoError> {
        self.send(&self.urls(queue).live, job, None, delay).await
    }

    async fn receive(
        &self,
        queue: Queue,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Delivery>, RepoError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let url = &self.urls(queue).live;
        let output = self
            .receive_from(url, max, visibility_seconds(visibility))
            .await?;
        let mut deliveries = Vec::with_capacity(output.messages().len());
        let mut unreadable = None;
        for message in output.messages() {
            match delivery(message) {
                Ok(delivery) => deliveries.push(delivery),
                Err(error) => unreadable = unreadable.or(Some(error)),
            }
        }
        if let Some(error) = unreadable {
            let readable: Vec<String> = deliveries.into_iter().map(|d| d.receipt).collect();
            self.release(url, &readable).await;
            return Err(error);
        }
        Ok(deliveries)
    }

    async fn ack(&self, queue: Queue, delivery: &Delivery) -> Result<(), RepoError> {
        self.delete(&self.urls(queue).live, &delivery.receipt).await
    }

    async fn retry(
        &self,
        queue: Queue,
        delivery: &Delivery,
        delay: Duration,
    ) -> Result<(), RepoError> {
        let url = &self.urls(queue).live;
        self.hide(url, &delivery.receipt, delay_seconds(delay))
            .await
            .map(|_| ())
    }

    async fn dead_letter(
        &self,
        queue: Queue,
        delivery: &Delivery,
        reason: &str,
    ) -> Result<(), RepoError> {
        let urls = self.urls(queue);
        if !self
            .hide(&urls.live, &delivery.receipt, HOLD_SECONDS)
            .await?
        {
            return Ok(());
        }
        self.send(&urls.dead, &delivery.envelope, Some(reason), Duration::ZERO)
            .await?;
        // Should this fail, the job is dead-lettered and also delivered again after
        // HOLD_SECONDS: handlers are idempotent, and a job that fails again is dead-lettered
        // again.
        self.delete(&urls.live, &delivery.receipt).await
    }

    async fn dead_letters(&self, queue: Queue, max: usize) -> Result<Vec<DeadLetter>, RepoError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let url = &self.urls(queue).dead;
        let mut seen = HashSet::new();
        let mut receipts = Vec::new();
        let mut letters = Vec::new();
        let mut outcome = Ok(());
        // Every call reads at least one new letter or ends the loop: at most `max` calls.
        while letters.len() < max {
            let output = match self
                .receive_from(url, max - letters.len(), PEEK_SECONDS)
                .await
            {
                Ok(output) => output,
                Err(error) => {
                    outcome = Err(error);
                    break;
                }
            };
            let mut new = 0_usize;
            for message in output.messages() {
                if let Some(receipt) = message.receipt_handle() {
                    receipts.push(receipt.to_owned());
                }
                // A letter read twice (its peek ran out during a long listing) counts once.
                if let Some(id) = message.message_id()
                    && !seen.insert(id.to_owned())
                {
                    continue;
                }
                new += 1;
                match dead_letter(message) {
                    Ok(letter) => letters.push((sent_at(message), letter)),
                    Err(error) => outcome = Err(error),
                }
            }
            if new == 0 || outcome.is_err() {
                break;
            }
        }
        self.release(url, &receipts).await;
        outcome?;
        letters.sort_by_key(|(sent, _)| *sent);
        letters.truncate(max);
        Ok(letters.into_iter().map(|(_, letter)| letter).collect())
    }

    async fn depth(&self, queue: Queue) -> Result<QueueDepth, RepoError> {
        let urls = self.urls(queue);
        let (live, dead) =
            futures::future::try_join(self.counts(&urls.live), self.counts(&urls.dead)).await?;
        Ok(QueueDepth {
            waiting: live.visible + live.delayed,
            in_flight: live.not_visible,
            dead: dead.visible + dead.not_visible + dead.delayed,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "tests: a failed expectation must stop the test"
    )]

    use std::time::Duration;

    use cubby_domain::{JobId, TenantId};
    use cubby_ports::{JobEnvelope, RepoError};
    use uuid::Uuid;

    use super::{batch, body, delay_seconds, delivery_of, read, visibility_seconds};

    fn job() -> JobEnvelope {
        JobEnvelope {
            id: JobId::from_uuid(Uuid::now_v7()),
            tenant: TenantId::from_uuid(Uuid::now_v7()),
            kind: "roster_import".to_owned(),
            payload: "{\"file\":\"ü\u{1}\u{FFFF}\u{FFFE}\"}".to_owned(),
            attempt: 7,
            traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
        }
    }

    #[test]
    fn a_body_reads_back_with_its_reason() {
        let job = job();
        let plain = body(&job, None).unwrap();
        assert_eq!(read(&plain).unwrap(), (job.clone(), None));
        let dead = body(&job, Some("store unavailable")).unwrap();
        assert_eq!(
            read(&dead).unwrap(),
            (job, Some("store unavailable".to_owned()))
        );
    }

    #[test]
    fn a_body_without_a_usable_trace_context_reads_back_without_one() {
        let job = JobEnvelope {
            traceparent: None,
            ..job()
        };
        let plain = body(&job, None).unwrap();
        assert!(!plain.contains("traceparent"), "{plain}");
        assert_eq!(read(&plain).unwrap(), (job.clone(), None));
        let (id, tenant) = (job.id.to_string(), job.tenant.to_string());
        let odd = format!(
            r#"{{"id":"{id}","tenant":"{tenant}","kind":"k","payload":"{{}}","attempt":0,"traceparent":7}}"#
        );
        assert_eq!(read(&odd).unwrap().0.traceparent, None);
    }

    #[test]
    fn a_body_holds_only_characters_sqs_accepts() {
        let text = body(&job(), None).unwrap();
        assert!(
            text.chars().all(|c| matches!(c,
                '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)),
            "{text:?}"
        );
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["attempt"], 7);
        assert!(json.get("reason").is_none());
    }

    #[test]
    fn unreadable_bodies_are_corrupt_and_name_no_value() {
        let job = job();
        let (id, tenant) = (job.id.to_string(), job.tenant.to_string());
        let cases = [
            ("{secret".to_owned(), "JSON"),
            ("[\"secret\"]".to_owned(), "JSON"),
            (
                format!(
                    r#"{{"id":"job_secret","tenant":"{tenant}","kind":"k","payload":"{{}}","attempt":0}}"#
                ),
                "id",
            ),
            (
                format!(
                    r#"{{"id":"{id}","tenant":"secret","kind":"k","payload":"{{}}","attempt":0}}"#
                ),
                "tenant",
            ),
            (
                format!(
                    r#"{{"id":"{id}","tenant":"{tenant}","kind":"k","payload":"secret","attempt":-1}}"#
                ),
                "attempt",
            ),
            (
                format!(r#"{{"id":"{id}","tenant":"{tenant}","kind":"secret","attempt":0}}"#),
                "payload",
            ),
            (
                format!(
                    r#"{{"id":"{id}","tenant":"{tenant}","kind":"k","payload":"secret","attempt":0,"reason":7}}"#
                ),
                "reason",
            ),
        ];
        for (stored, what) in cases {
            let error = read(&stored).unwrap_err();
            let text = format!("{error} {:?}", std::error::Error::source(&error));
            assert!(matches!(error, RepoError::Corrupt(_)), "{text}");
            assert!(text.contains(what) && !text.contains("secret"), "{text}");
        }
    }

    #[test]
    fn an_attempt_written_as_text_reads_too() {
        let job = job();
        let stored = format!(
            r#"{{"id":"{}","tenant":"{}","kind":"k","payload":"{{}}","attempt":"3"}}"#,
            job.id, job.tenant
        );
        assert_eq!(read(&stored).unwrap().0.attempt, 3);
    }

    #[test]
    fn each_earlier_receive_counts_as_an_attempt() {
        let job = job();
        let stored = body(&job, None).unwrap();
        let attempt = |count| delivery_of(&stored, "r", count).unwrap().envelope.attempt;
        assert_eq!(attempt(None), 7);
        assert_eq!(attempt(Some("1")), 7);
        assert_eq!(attempt(Some("3")), 9);
        assert_eq!(attempt(Some("not a count")), 7);
        assert_eq!(delivery_of(&stored, "r", None).unwrap().receipt, "r");
        assert!(matches!(
            delivery_of("{", "r", Some("1")),
            Err(RepoError::Corrupt(_))
        ));
    }

    #[test]
    fn delays_are_whole_seconds_within_sqs_limit() {
        let ms = Duration::from_millis;
        assert_eq!(delay_seconds(Duration::ZERO), 0);
        assert_eq!(delay_seconds(ms(499)), 0);
        assert_eq!(delay_seconds(ms(500)), 1);
        assert_eq!(delay_seconds(ms(1200)), 1);
        assert_eq!(delay_seconds(ms(1500)), 2);
        assert_eq!(delay_seconds(Duration::from_secs(600)), 600);
        assert_eq!(delay_seconds(Duration::from_secs(3600)), 900);
        assert_eq!(delay_seconds(Duration::MAX), 900);
    }

    #[test]
    fn visibility_timeouts_are_whole_seconds_rounded_up() {
        let ms = Duration::from_millis;
        assert_eq!(visibility_seconds(Duration::ZERO), 1);
        assert_eq!(visibility_seconds(ms(300)), 1);
        assert_eq!(visibility_seconds(ms(1000)), 1);
        assert_eq!(visibility_seconds(ms(1001)), 2);
        assert_eq!(visibility_seconds(Duration::from_secs(300)), 300);
        assert_eq!(visibility_seconds(Duration::MAX), 43_200);
        assert_eq!((batch(1), batch(10), batch(1000)), (1, 10, 10));
    }
}
