//! Browser uploads by POST policy (the SDK has no builder for them): a policy document naming
//! the bucket, the exact key and content type, a size range and an expiry, signed with SigV4.
//! See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html>.

use std::time::SystemTime;

use aws_sdk_s3::config::Credentials;
use aws_sigv4::sign::v4::{calculate_signature, generate_signing_key};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cubby_ports::{PresignedPost, RepoError, UploadPolicy};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::errors::failed;

/// Where the upload goes.
#[derive(Debug)]
pub(crate) struct Target<'a> {
    pub(crate) url: &'a str,
    pub(crate) bucket: &'a str,
    pub(crate) region: &'a str,
}

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Signs `policy` at `now` with `credentials`.
pub(crate) fn sign(
    target: &Target<'_>,
    credentials: &Credentials,
    policy: &UploadPolicy,
    now: OffsetDateTime,
) -> Result<PresignedPost, RepoError> {
    if policy.max_bytes == 0 {
        return Err(failed("an upload policy allows at least one byte"));
    }
    if policy.expires_in.is_zero() {
        return Err(failed("an upload policy expires in the future"));
    }
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let expires_at = now + policy.expires_in;
    // Whole seconds: the policy's expiry is read to the millisecond at most.
    let expires_at = expires_at.replace_nanosecond(0).unwrap_or(expires_at);
    let bad_time = |_| failed("the upload policy's time could not be written");
    let amz_date = now
        .format(format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .map_err(bad_time)?;
    let date = now
        .format(format_description!("[year][month][day]"))
        .map_err(bad_time)?;
    let expiration = expires_at
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].000Z"
        ))
        .map_err(bad_time)?;
    let credential = format!(
        "{}/{date}/{}/s3/aws4_request",
        credentials.access_key_id(),
        target.region
    );

    let key = policy.key.as_str();
    let mut conditions = vec![
        json!({ "bucket": target.bucket }),
        json!({ "key": key }),
        json!({ "Content-Type": policy.content_type }),
        json!(["content-length-range", 1, policy.max_bytes]),
        json!({ "x-amz-algorithm": ALGORITHM }),
        json!({ "x-amz-credential": credential }),
        json!({ "x-amz-date": amz_date }),
    ];
    if let Some(token) = credentials.session_token() {
        conditions.push(json!({ "x-amz-security-token": token }));
    }
    let document = json!({ "expiration": expiration, "conditions": Value::Array(conditions) });
    let encoded = STANDARD.encode(document.to_string());
    let signing_key = generate_signing_key(
        credentials.secret_access_key(),
        SystemTime::from(now),
        target.region,
        "s3",
    );
    let signature = calculate_signature(signing_key, encoded.as_bytes());

    let mut fields = vec![
        ("key".to_owned(), key.to_owned()),
        ("Content-Type".to_owned(), policy.content_type.clone()),
        ("x-amz-algorithm".to_owned(), ALGORITHM.to_owned()),
        ("x-amz-credential".to_owned(), credential),
        ("x-amz-date".to_owned(), amz_date),
    ];
    if let Some(token) = credentials.session_token() {
        fields.push(("x-amz-security-token".to_owned(), token.to_owned()));
    }
    fields.push(("policy".to_owned(), encoded));
    fields.push(("x-amz-signature".to_owned(), signature));
    Ok(PresignedPost {
        url: target.url.to_owned(),
        fields,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "tests: a failed expectation must stop the test"
    )]

    use std::time::Duration;

    use cubby_domain::{FileId, FilePurpose, ObjectKey, TenantId};
    use time::macros::datetime;
    use uuid::Uuid;

    use super::*;

    fn policy() -> UploadPolicy {
        UploadPolicy {
            key: ObjectKey::new(
                TenantId::from_uuid(Uuid::nil()),
                FilePurpose::Document,
                FileId::from_uuid(Uuid::nil()),
            ),
            content_type: "application/pdf".to_owned(),
            max_bytes: 1024,
            expires_in: Duration::from_secs(300),
        }
    }

    fn target() -> Target<'static> {
        Target {
            url: "http://127.0.0.1:8333/bucket",
            bucket: "bucket",
            region: "us-east-1",
        }
    }

    fn field<'a>(post: &'a PresignedPost, name: &str) -> &'a str {
        post.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap()
    }

    #[test]
    fn the_policy_names_every_condition_and_is_signed_with_sigv4() {
        let credentials = Credentials::new("AKID", "SECRET", None, None, "test");
        let now = datetime!(2026-09-01 07:00:00.5 UTC);
        let post = sign(&target(), &credentials, &policy(), now).unwrap();
        let names: Vec<&str> = post.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "key",
                "Content-Type",
                "x-amz-algorithm",
                "x-amz-credential",
                "x-amz-date",
                "policy",
                "x-amz-signature"
            ]
        );
        assert_eq!(post.expires_at, datetime!(2026-09-01 07:05:00 UTC));
        assert_eq!(
            field(&post, "x-amz-credential"),
            "AKID/20260901/us-east-1/s3/aws4_request"
        );
        assert_eq!(field(&post, "x-amz-date"), "20260901T070000Z");
        let document: Value =
            serde_json::from_slice(&STANDARD.decode(field(&post, "policy")).unwrap()).unwrap();
        assert_eq!(document["expiration"], "2026-09-01T07:05:00.000Z");
        let conditions = document["conditions"].as_array().unwrap();
        assert!(conditions.contains(&json!({ "key": policy().key.as_str() })));
        assert!(conditions.contains(&json!({ "Content-Type": "application/pdf" })));
        assert!(conditions.contains(&json!(["content-length-range", 1, 1024])));
        assert!(conditions.contains(&json!({ "bucket": "bucket" })));
        // HMAC-SHA256 chain of SigV4, independent of the policy's content: the signature is the
        // hex of 32 bytes and changes with the secret.
        let signature = field(&post, "x-amz-signature");
        assert_eq!(signature.len(), 64);
        let other = Credentials::new("AKID", "OTHER", None, None, "test");
        let resigned = sign(&target(), &other, &policy(), now).unwrap();
        assert_ne!(field(&resigned, "x-amz-signature"), signature);
    }

    #[test]
    fn a_session_token_is_a_field_and_a_condition() {
        let credentials = Credentials::new("AKID", "SECRET", Some("TOKEN".into()), None, "test");
        let post = sign(
            &target(),
            &credentials,
            &policy(),
            OffsetDateTime::now_utc(),
        )
        .unwrap();
        assert_eq!(field(&post, "x-amz-security-token"), "TOKEN");
        let document: Value =
            serde_json::from_slice(&STANDARD.decode(field(&post, "policy")).unwrap()).unwrap();
        assert!(
            document["conditions"]
                .as_array()
                .unwrap()
                .contains(&json!({ "x-amz-security-token": "TOKEN" }))
        );
    }

    #[test]
    fn an_empty_range_or_window_is_refused() {
        let credentials = Credentials::new("AKID", "SECRET", None, None, "test");
        let now = OffsetDateTime::now_utc();
        let empty = UploadPolicy {
            max_bytes: 0,
            ..policy()
        };
        assert!(sign(&target(), &credentials, &empty, now).is_err());
        let instant = UploadPolicy {
            expires_in: Duration::ZERO,
            ..policy()
        };
        assert!(sign(&target(), &credentials, &instant, now).is_err());
    }
}
