//! Against the S3 stand-in `scripts/test` starts (SeaweedFS): the contract suite, and what only a
//! real store shows, with real HTTP requests as a browser would send them: that it refuses a
//! presigned request that breaks what was signed.
//!
//! The stand-in is found through `CUBBY_TEST_S3_ENDPOINT`, `CUBBY_TEST_S3_ACCESS_KEY`,
//! `CUBBY_TEST_S3_SECRET_KEY` and `CUBBY_TEST_S3_BUCKET`: when they are not set the tests are
//! skipped, or fail under `CUBBY_REQUIRE_SERVICES=1`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failed expectation must stop the test"
)]

use std::time::Duration;

use bytes::Bytes;
use cubby_domain::{FileId, FilePurpose, ObjectKey};
use cubby_ports::contract::fresh_scope;
use cubby_ports::contract::services::S3Service;
use cubby_ports::{ObjectStore, PresignedPost, PresignedRequest, RepoError, TenantScope};
use cubby_ports::{UploadPolicy, contract::scope_in};
use secrecy::SecretString;
use uuid::Uuid;

use super::{AwsKeys, S3Objects, S3Options};

const REGION: &str = "us-east-1";

fn stand() -> Option<S3Service> {
    cubby_ports::contract::services::s3()
}

fn store_on(endpoint: &str, bucket: &str, access_key: &str, secret_key: &str) -> S3Objects {
    S3Objects::new(S3Options {
        endpoint: Some(endpoint.to_owned()),
        region: REGION.to_owned(),
        bucket: bucket.to_owned(),
        keys: Some(AwsKeys {
            access_key_id: access_key.to_owned(),
            secret_access_key: SecretString::from(secret_key.to_owned()),
            session_token: None,
        }),
    })
    .unwrap()
}

/// The store on the stand-in's bucket (created if missing), or `None` when there is none.
async fn fresh() -> Option<S3Objects> {
    let stand = stand()?;
    let store = store_on(
        &stand.endpoint,
        &stand.bucket,
        &stand.access_key,
        &stand.secret_key,
    );
    let client = store.client();
    if client
        .head_bucket()
        .bucket(&stand.bucket)
        .send()
        .await
        .is_err()
    {
        // Another test may create it at the same time: check again rather than trust this.
        let _created = client.create_bucket().bucket(&stand.bucket).send().await;
        client
            .head_bucket()
            .bucket(&stand.bucket)
            .send()
            .await
            .expect("the test bucket exists");
    }
    Some(store)
}

mod contract {
    cubby_ports::object_store_contract!(optional super::fresh());
}

fn http() -> reqwest::Client {
    // reqwest has no TLS provider of its own here; plain HTTP needs none, but building asks.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn key(scope: &TenantScope, purpose: FilePurpose) -> ObjectKey {
    ObjectKey::new(
        scope.tenant_id(),
        purpose,
        FileId::from_uuid(Uuid::now_v7()),
    )
}

/// The last hex digit of a signature, changed.
fn tamper(signature: &str) -> String {
    let mut tampered = signature.to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    tampered
}

// --- presigned POST -------------------------------------------------------------------------

struct Upload {
    store: S3Objects,
    scope: TenantScope,
    key: ObjectKey,
    post: PresignedPost,
}

/// A POST policy for an image of at most 10 bytes, expiring in `expires_in`.
async fn upload(expires_in: Duration) -> Option<Upload> {
    let store = fresh().await?;
    let scope = fresh_scope();
    let key = key(&scope, FilePurpose::ChildPhoto);
    let policy = UploadPolicy {
        key: key.clone(),
        content_type: "image/jpeg".to_owned(),
        max_bytes: 10,
        expires_in,
    };
    let post = store.presign_post(&scope, &policy).await.unwrap();
    Some(Upload {
        store,
        scope,
        key,
        post,
    })
}

/// The policy's fields with `name` set to `value`.
fn with_field(post: &PresignedPost, name: &str, value: &str) -> Vec<(String, String)> {
    let mut fields = post.fields.clone();
    let field = fields.iter_mut().find(|(k, _)| k == name).unwrap();
    field.1 = value.to_owned();
    fields
}

/// POSTs `fields` then the `file` part as `multipart/form-data`, as a browser form does;
/// returns the status and the response body.
async fn post_form(url: &str, fields: &[(String, String)], file: &[u8]) -> (u16, String) {
    let boundary = format!("cubby-{}", Uuid::now_v7().simple());
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = http()
        .post(url)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

/// The store refused the request with S3 error `code` (so for the reason the test means).
fn assert_refused((status, body): &(u16, String), code: &str) {
    assert!(
        (400..500).contains(status) && body.contains(&format!("<Code>{code}</Code>")),
        "not refused with {code}: {status} {body}"
    );
}

#[tokio::test]
async fn a_presigned_post_within_its_policy_stores_the_object() {
    let Some(u) = upload(Duration::from_secs(300)).await else {
        return;
    };
    let (status, body) = post_form(&u.post.url, &u.post.fields, b"0123456789").await;
    assert!((200..300).contains(&status), "{status} {body}");
    let info = u.store.head(&u.scope, &u.key).await.unwrap().unwrap();
    assert_eq!(info.size, 10);
    assert_eq!(info.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(
        u.store.get(&u.scope, &u.key, 10).await.unwrap(),
        Bytes::from_static(b"0123456789")
    );
}

#[tokio::test]
async fn a_presigned_post_one_byte_over_the_maximum_is_refused() {
    let Some(u) = upload(Duration::from_secs(300)).await else {
        return;
    };
    assert_refused(
        &post_form(&u.post.url, &u.post.fields, b"0123456789A").await,
        "EntityTooLarge",
    );
    assert_eq!(u.store.head(&u.scope, &u.key).await.unwrap(), None);
}

#[tokio::test]
async fn a_presigned_post_of_an_empty_file_is_refused() {
    let Some(u) = upload(Duration::from_secs(300)).await else {
        return;
    };
    assert_refused(
        &post_form(&u.post.url, &u.post.fields, b"").await,
        "EntityTooSmall",
    );
    assert_eq!(u.store.head(&u.scope, &u.key).await.unwrap(), None);
}

#[tokio::test]
async fn a_presigned_post_of_another_content_type_is_refused() {
    let Some(u) = upload(Duration::from_secs(300)).await else {
        return;
    };
    let fields = with_field(&u.post, "Content-Type", "text/html");
    assert_refused(
        &post_form(&u.post.url, &fields, b"<script>").await,
        "AccessDenied",
    );
    assert_eq!(u.store.head(&u.scope, &u.key).await.unwrap(), None);
}

#[tokio::test]
async fn a_presigned_post_to_another_key_is_refused() {
    let Some(u) = upload(Duration::from_secs(300)).await else {
        return;
    };
    // Another tenant's prefix, and another file of the same tenant.
    let victim = fresh_scope();
    let theirs = key(&victim, FilePurpose::ChildPhoto);
    let fields = with_field(&u.post, "key", theirs.as_str());
    assert_refused(
        &post_form(&u.post.url, &fields, b"0123456789").await,
        "AccessDenied",
    );
    assert_eq!(u.store.head(&victim, &theirs).await.unwrap(), None);

    let sibling = key(&u.scope, FilePurpose::ChildPhoto);
    let fields = with_field(&u.post, "key", sibling.as_str());
    assert_refused(
        &post_form(&u.post.url, &fields, b"0123456789").await,
        "AccessDenied",
    );
    assert_eq!(u.store.head(&u.scope, &sibling).await.unwrap(), None);
    assert_eq!(u.store.head(&u.scope, &u.key).await.unwrap(), None);
}

#[tokio::test]
async fn a_presigned_post_with_a_tampered_signature_is_refused() {
    let Some(u) = upload(Duration::from_secs(300)).await else {
        return;
    };
    let signature = &u
        .post
        .fields
        .iter()
        .find(|(k, _)| k == "x-amz-signature")
        .unwrap()
        .1;
    let fields = with_field(&u.post, "x-amz-signature", &tamper(signature));
    assert_refused(
        &post_form(&u.post.url, &fields, b"0123456789").await,
        "SignatureDoesNotMatch",
    );
    assert_eq!(u.store.head(&u.scope, &u.key).await.unwrap(), None);
}

#[tokio::test]
async fn an_expired_presigned_post_is_refused() {
    let Some(u) = upload(Duration::from_secs(1)).await else {
        return;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_refused(
        &post_form(&u.post.url, &u.post.fields, b"0123456789").await,
        "AccessDenied",
    );
    assert_eq!(u.store.head(&u.scope, &u.key).await.unwrap(), None);
}

// --- presigned PUT --------------------------------------------------------------------------

struct Put {
    store: S3Objects,
    scope: TenantScope,
    key: ObjectKey,
    request: PresignedRequest,
}

/// A presigned PUT of 10 bytes of PDF, expiring in `expires_in`.
async fn presigned_put(expires_in: Duration) -> Option<Put> {
    let store = fresh().await?;
    let scope = fresh_scope();
    let key = key(&scope, FilePurpose::Document);
    let request = store
        .presign_put(&scope, &key, "application/pdf", 10, expires_in)
        .await
        .unwrap();
    Some(Put {
        store,
        scope,
        key,
        request,
    })
}

/// Sends `method` to `url` with `headers` and `body`; returns the status and the body.
async fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &'static [u8],
) -> (u16, Bytes) {
    let mut request = http().request(method.parse().unwrap(), url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    if method == "PUT" {
        request = request.body(body);
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.bytes().await.unwrap_or_default(),
    )
}

fn assert_refused_bytes((status, body): &(u16, Bytes), code: &str) {
    assert_refused(&(*status, String::from_utf8_lossy(body).into_owned()), code);
}

/// The headers with `name` (any case) set to `value`, or left out when `value` is `None`.
fn with_header(
    headers: &[(String, String)],
    name: &str,
    value: Option<&str>,
) -> Vec<(String, String)> {
    let mut headers: Vec<_> = headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    if let Some(value) = value {
        headers.push((name.to_owned(), value.to_owned()));
    }
    headers
}

/// The URL with its `X-Amz-Signature` changed.
fn tampered_url(url: &str) -> String {
    let (rest, signature) = url.split_once("X-Amz-Signature=").unwrap();
    let (signature, tail) = signature.split_at(64);
    format!("{rest}X-Amz-Signature={}{tail}", tamper(signature))
}

#[tokio::test]
async fn a_presigned_put_with_the_signed_headers_stores_the_object() {
    let Some(p) = presigned_put(Duration::from_secs(300)).await else {
        return;
    };
    let (status, body) = send("PUT", &p.request.url, &p.request.headers, b"%PDF-1.7\n\n").await;
    assert!(
        (200..300).contains(&status),
        "{status} {}",
        String::from_utf8_lossy(&body)
    );
    let info = p.store.head(&p.scope, &p.key).await.unwrap().unwrap();
    assert_eq!(info.size, 10);
    assert_eq!(info.content_type.as_deref(), Some("application/pdf"));
}

#[tokio::test]
async fn a_presigned_put_of_another_content_type_is_refused() {
    let Some(p) = presigned_put(Duration::from_secs(300)).await else {
        return;
    };
    let headers = with_header(&p.request.headers, "content-type", Some("text/html"));
    assert_refused_bytes(
        &send("PUT", &p.request.url, &headers, b"<script>!!").await,
        "SignatureDoesNotMatch",
    );
    let headers = with_header(&p.request.headers, "content-type", None);
    assert_refused_bytes(
        &send("PUT", &p.request.url, &headers, b"%PDF-1.7\n\n").await,
        "SignatureDoesNotMatch",
    );
    assert_eq!(p.store.head(&p.scope, &p.key).await.unwrap(), None);
}

#[tokio::test]
async fn a_presigned_put_of_another_length_is_refused() {
    let Some(p) = presigned_put(Duration::from_secs(300)).await else {
        return;
    };
    // The client's own Content-Length, for a body one byte longer and one byte shorter.
    let headers = with_header(&p.request.headers, "content-length", None);
    assert_refused_bytes(
        &send("PUT", &p.request.url, &headers, b"%PDF-1.7\n\n\n").await,
        "SignatureDoesNotMatch",
    );
    assert_refused_bytes(
        &send("PUT", &p.request.url, &headers, b"%PDF-1.7\n").await,
        "SignatureDoesNotMatch",
    );
    assert_eq!(p.store.head(&p.scope, &p.key).await.unwrap(), None);
}

#[tokio::test]
async fn a_presigned_put_to_another_key_is_refused() {
    let Some(p) = presigned_put(Duration::from_secs(300)).await else {
        return;
    };
    let victim = scope_in(cubby_domain::TenantId::from_uuid(Uuid::now_v7()));
    let theirs = key(&victim, FilePurpose::Document);
    let url = p.request.url.replace(p.key.as_str(), theirs.as_str());
    assert_ne!(url, p.request.url);
    assert_refused_bytes(
        &send("PUT", &url, &p.request.headers, b"%PDF-1.7\n\n").await,
        "SignatureDoesNotMatch",
    );
    assert_eq!(p.store.head(&victim, &theirs).await.unwrap(), None);
    assert_eq!(p.store.head(&p.scope, &p.key).await.unwrap(), None);
}

#[tokio::test]
async fn a_presigned_put_with_a_tampered_signature_is_refused() {
    let Some(p) = presigned_put(Duration::from_secs(300)).await else {
        return;
    };
    let url = tampered_url(&p.request.url);
    assert_refused_bytes(
        &send("PUT", &url, &p.request.headers, b"%PDF-1.7\n\n").await,
        "SignatureDoesNotMatch",
    );
    assert_eq!(p.store.head(&p.scope, &p.key).await.unwrap(), None);
}

#[tokio::test]
async fn an_expired_presigned_put_is_refused() {
    let Some(p) = presigned_put(Duration::from_secs(1)).await else {
        return;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_refused_bytes(
        &send("PUT", &p.request.url, &p.request.headers, b"%PDF-1.7\n\n").await,
        "AccessDenied",
    );
    assert_eq!(p.store.head(&p.scope, &p.key).await.unwrap(), None);
}

// --- presigned GET --------------------------------------------------------------------------

/// A stored report and a presigned GET of it, expiring in `expires_in`.
async fn presigned_get(expires_in: Duration) -> Option<PresignedRequest> {
    let store = fresh().await?;
    let scope = fresh_scope();
    let key = key(&scope, FilePurpose::Report);
    store
        .put(
            &scope,
            &key,
            "text/csv",
            Bytes::from_static(b"child,minutes\n"),
        )
        .await
        .unwrap();
    Some(store.presign_get(&scope, &key, expires_in).await.unwrap())
}

#[tokio::test]
async fn a_presigned_get_reads_the_object() {
    let Some(request) = presigned_get(Duration::from_secs(300)).await else {
        return;
    };
    let (status, body) = send("GET", &request.url, &request.headers, b"").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(body, Bytes::from_static(b"child,minutes\n"));
}

#[tokio::test]
async fn a_presigned_get_with_a_tampered_signature_is_refused() {
    let Some(request) = presigned_get(Duration::from_secs(300)).await else {
        return;
    };
    let url = tampered_url(&request.url);
    assert_refused_bytes(
        &send("GET", &url, &request.headers, b"").await,
        "SignatureDoesNotMatch",
    );
}

#[tokio::test]
async fn an_expired_presigned_get_is_refused() {
    let Some(request) = presigned_get(Duration::from_secs(1)).await else {
        return;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_refused_bytes(
        &send("GET", &request.url, &request.headers, b"").await,
        "AccessDenied",
    );
}

// --- failures -------------------------------------------------------------------------------

/// Every message of an error and its sources.
fn messages(error: &RepoError) -> String {
    let mut text = format!("{error:?}");
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = source {
        text.push_str(&format!(" / {current}"));
        source = current.source();
    }
    text
}

#[tokio::test]
async fn a_store_that_does_not_answer_is_unavailable() {
    // Port 9 (discard) on loopback: nothing listens there.
    let store = store_on("http://127.0.0.1:9", "bucket", "AKID", "not-a-real-secret");
    let scope = fresh_scope();
    let error = store
        .head(&scope, &key(&scope, FilePurpose::Document))
        .await
        .unwrap_err();
    assert!(matches!(error, RepoError::Unavailable(_)), "{error:?}");
    assert!(!messages(&error).contains("not-a-real-secret"));
}

#[tokio::test]
async fn refused_credentials_fail_without_showing_the_secret() {
    let Some(stand) = stand() else {
        return;
    };
    let store = store_on(
        &stand.endpoint,
        &stand.bucket,
        &stand.access_key,
        "a-wrong-secret-key",
    );
    let scope = fresh_scope();
    let error = store
        .put(
            &scope,
            &key(&scope, FilePurpose::Report),
            "text/csv",
            Bytes::from_static(b"x"),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, RepoError::Failed(_)), "{error:?}");
    let text = messages(&error);
    assert!(!text.contains("a-wrong-secret-key"), "{text}");
    assert!(!text.contains(&stand.secret_key), "{text}");
    assert!(!format!("{store:?}").contains("a-wrong-secret-key"));
}

#[test]
fn options_are_checked() {
    let options = |endpoint: &str, region: &str, bucket: &str| S3Options {
        endpoint: Some(endpoint.to_owned()),
        region: region.to_owned(),
        bucket: bucket.to_owned(),
        keys: Some(AwsKeys {
            access_key_id: "AKID".to_owned(),
            secret_access_key: SecretString::from("secret".to_owned()),
            session_token: None,
        }),
    };
    assert!(S3Objects::new(options("ftp://x", "us-east-1", "b")).is_err());
    assert!(S3Objects::new(options("http://x", "", "b")).is_err());
    assert!(S3Objects::new(options("http://x", "us-east-1", " ")).is_err());
    let store = S3Objects::new(options("http://127.0.0.1:8333/", "us-east-1", "b")).unwrap();
    assert_eq!(store.post_url, "http://127.0.0.1:8333/b");
    let aws = S3Objects::new(S3Options {
        endpoint: None,
        ..options("", "eu-north-1", "b")
    })
    .unwrap();
    assert_eq!(aws.post_url, "https://b.s3.eu-north-1.amazonaws.com/");
    assert!(!format!("{aws:?}").contains("secret"));
}
