//! `/v1/files` over HTTP: presigned uploads and downloads, who may see which file, tenant
//! isolation and roles. The whole upload flow runs against the in-memory store's endpoint on both
//! hosts here; against a real S3 stand-in it runs in the S3 adapter's tests.

use cubby_domain::Role;
use cubby_tests::{Call, Host, World};
use serde_json::{Value, json};

use crate::children::{add_contact, child, contact};

crate::on_both_hosts!(
    presign_checks_purpose_type_size_and_child,
    another_tenant_gets_404_on_every_file_route,
    a_guardian_gets_a_photo_only_of_their_child_with_media_and_consent,
    roles_without_the_permission_get_403,
);

async fn presign(host: &impl Host, token: &str, body: &Value) -> cubby_tests::Reply {
    host.send(Call::post("/v1/files/presign").bearer(token).json(body))
        .await
}

fn photo_of(kid: &Value, size: u64, method: &str) -> Value {
    json!({ "operation": "upload", "purpose": "child_photo", "content_type": "image/jpeg", "size": size, "child_id": kid["id"], "method": method })
}

/// Stores the bytes of a pending file straight into the object store, as a client's upload
/// would, and confirms it.
async fn uploaded(
    host: &impl Host,
    world: &World,
    token: &str,
    file: &Value,
    bytes: &'static [u8],
) {
    let id: cubby_domain::FileId = file["id"].as_str().unwrap().parse().unwrap();
    let scope = cubby_ports::contract::scope_in(world.a.tenant.id());
    let record = world.app().files.get(&scope, id).await.unwrap();
    world
        .app()
        .ports()
        .objects
        .put(
            &scope,
            record.key(),
            record.content_type(),
            bytes::Bytes::from_static(bytes),
        )
        .await
        .unwrap();
    let path = format!("/v1/files/{}/confirm", file["id"].as_str().unwrap());
    let confirmed = host.send(Call::post(&path).bearer(token)).await;
    confirmed.expect(200);
    assert_eq!(confirmed.json()["status"], "stored");
    assert_eq!(confirmed.json()["size"], bytes.len());
}

async fn presign_checks_purpose_type_size_and_child(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let kid = child(host, token, "Aino", None).await;
    let upload = |purpose: &str, content_type: &str, size: u64| json!({ "operation": "upload", "purpose": purpose, "content_type": content_type, "size": size });
    presign(host, token, &upload("document", "text/html", 10))
        .await
        .expect_field_error("file.content_type_not_allowed");
    presign(
        host,
        token,
        &upload("document", "application/pdf", 20 * 1024 * 1024 + 1),
    )
    .await
    .expect_field_error("file.too_large");
    presign(host, token, &upload("report", "text/csv", 10))
        .await
        .expect_field_error("file.not_uploadable");
    presign(host, token, &upload("child_photo", "image/jpeg", 10))
        .await
        .expect_field_error("file.invalid_child");
    presign(host, token, &upload("spreadsheet", "text/csv", 10))
        .await
        .expect_field_error("file.unknown_purpose");
    presign(host, token, &json!({ "operation": "teleport" }))
        .await
        .expect_field_error("file.unknown_operation");

    let reply = presign(host, token, &upload("document", "application/pdf", 1234)).await;
    reply.expect(201);
    let body = reply.json();
    assert_eq!(body["file"]["status"], "pending");
    assert_eq!(body["upload"]["method"], "POST");
    let fields = body["upload"]["fields"].as_array().unwrap();
    let key = fields.iter().find(|f| f["name"] == "key").unwrap()["value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        key.starts_with(&format!("tenants/{}/document/file_", world.a.tenant.id())),
        "the server chooses the key: {key}"
    );
    // Nothing uploaded yet: no download, no confirmation.
    let id = body["file"]["id"].as_str().unwrap();
    presign(
        host,
        token,
        &json!({ "operation": "download", "file_id": id }),
    )
    .await
    .expect_error(409, "file.not_uploaded");
    host.send(Call::post(&format!("/v1/files/{id}/confirm")).bearer(token))
        .await
        .expect_error(409, "file.not_uploaded");

    // A child whose guardians have not consented to photos.
    let path = format!("/v1/children/{}", kid["id"].as_str().unwrap());
    host.send(
        Call::patch(&path)
            .bearer(token)
            .if_match(1)
            .json(&json!({ "photo_consent": false })),
    )
    .await
    .expect(200);
    presign(host, token, &photo_of(&kid, 10, "put"))
        .await
        .expect_error(409, "file.no_photo_consent");
}

async fn another_tenant_gets_404_on_every_file_route(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let kid = child(host, token, "Aino", None).await;
    let reply = presign(host, token, &photo_of(&kid, 4, "put")).await;
    reply.expect(201);
    let file = reply.json()["file"].clone();
    uploaded(host, world, token, &file, b"\xff\xd8\xff\xe0").await;
    let id = file["id"].as_str().unwrap();

    let intruder = &world.b.owner;
    presign(
        host,
        intruder,
        &json!({ "operation": "download", "file_id": id }),
    )
    .await
    .expect_error(404, "not_found");
    host.send(Call::get(&format!("/v1/files/{id}")).bearer(intruder))
        .await
        .expect_error(404, "not_found");
    host.send(Call::post(&format!("/v1/files/{id}/confirm")).bearer(intruder))
        .await
        .expect_error(404, "not_found");
    presign(host, intruder, &photo_of(&kid, 4, "put"))
        .await
        .expect_error(404, "not_found");
    let mine = presign(
        host,
        token,
        &json!({ "operation": "download", "file_id": id }),
    )
    .await;
    mine.expect(200);
    assert_eq!(mine.json()["download"]["method"], "GET");
}

async fn a_guardian_gets_a_photo_only_of_their_child_with_media_and_consent(
    host: &impl Host,
    world: &World,
) {
    let director = &world.a.director;
    let guardian = &world.a.guardian;
    let me = world.a.member(Role::Guardian).user_id.to_string();
    let mine = child(host, director, "Aino", None).await;
    let mine = add_contact(
        host,
        director,
        &mine,
        &contact("Maria", Some(me), &["guardian", "media"]),
    )
    .await;
    let theirs = child(host, director, "Eero", None).await;
    let mut files = Vec::new();
    for kid in [&mine, &theirs] {
        let reply = presign(host, director, &photo_of(kid, 4, "post")).await;
        reply.expect(201);
        let file = reply.json()["file"].clone();
        uploaded(host, world, director, &file, b"\xff\xd8\xff\xe0").await;
        files.push(file);
    }
    let download = |file: &Value| json!({ "operation": "download", "file_id": file["id"] });
    presign(host, guardian, &download(&files[0]))
        .await
        .expect(200);
    presign(host, guardian, &download(&files[1]))
        .await
        .expect_error(404, "not_found");
    // Without consent, or without the media capability, the photo is out of reach.
    let path = format!("/v1/children/{}", mine["id"].as_str().unwrap());
    let version = mine["version"].as_u64().unwrap();
    host.send(
        Call::patch(&path)
            .bearer(director)
            .if_match(version)
            .json(&json!({ "photo_consent": false })),
    )
    .await
    .expect(200);
    presign(host, guardian, &download(&files[0]))
        .await
        .expect_error(404, "not_found");
    host.send(
        Call::patch(&path)
            .bearer(director)
            .if_match(version + 1)
            .json(&json!({ "photo_consent": true })),
    )
    .await
    .expect(200);
    let contact_id = mine["contacts"][0]["id"].as_str().unwrap();
    host.send(
        Call::patch(&format!("{path}/contacts/{contact_id}"))
            .bearer(director)
            .if_match(version + 2)
            .json(&json!({ "capabilities": ["guardian"] })),
    )
    .await
    .expect(200);
    presign(host, guardian, &download(&files[0]))
        .await
        .expect_error(404, "not_found");
}

async fn roles_without_the_permission_get_403(host: &impl Host, world: &World) {
    let kid = child(host, &world.a.director, "Aino", None).await;
    presign(host, &world.a.guardian, &photo_of(&kid, 4, "put"))
        .await
        .expect_error(403, "forbidden");
    let roster = json!({ "operation": "upload", "purpose": "roster_import", "content_type": "text/csv", "size": 10 });
    presign(host, &world.a.teacher, &roster)
        .await
        .expect_error(403, "forbidden");
}

/// The whole flow over HTTP on each host: presign, upload to the store's URL (PUT and POST),
/// confirm, presign a download and fetch it; a broken upload is refused by the store. The
/// store's URLs are served by the api's router on both hosts (`/local-objects/...`); their
/// refusals are the store's S3-style texts, so only the API's own calls go through `Checked`.
mod the_store_endpoint {
    use cubby_tests::{ActixHost, LambdaHost, World};

    #[tokio::test]
    async fn on_actix() {
        let world = World::in_memory().await;
        let host = ActixHost::start(&world).await;
        super::uploads_and_downloads_go_to_the_store_not_through_the_api(&host, &world).await;
    }

    #[tokio::test]
    async fn on_lambda() {
        let world = World::in_memory().await;
        let host = LambdaHost::start(&world);
        super::uploads_and_downloads_go_to_the_store_not_through_the_api(&host, &world).await;
    }
}

/// A `multipart/form-data` body of `fields`, then `file`, as a browser sends a POST policy form.
fn form(fields: &Value, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "cubby-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for field in fields.as_array().unwrap() {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{}\r\n",
                field["name"].as_str().unwrap(),
                field["value"].as_str().unwrap()
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"roster.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn uploads_and_downloads_go_to_the_store_not_through_the_api(
    host: &impl Host,
    world: &World,
) {
    let checked = crate::checked::Checked(host);
    let token = &world.a.director;
    let kid = child(&checked, token, "Aino", None).await;

    // PUT, with the signed headers.
    let reply = presign(&checked, token, &photo_of(&kid, 4, "put")).await;
    reply.expect(201);
    let url = reply.json()["upload"]["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/local-objects/"), "{url}");
    let put = |content_type: &str, body: &'static [u8]| Call::put(&url).raw(content_type, body);
    let wrong_type = host.send(put("image/png", b"abcd")).await;
    assert_eq!(wrong_type.status, 403);
    assert_eq!(wrong_type.text(), "SignatureDoesNotMatch");
    assert!(wrong_type.header("x-request-id").is_some());
    let too_long = host.send(put("image/jpeg", b"abcde")).await;
    assert_eq!(too_long.status, 403);
    let done = host.send(put("image/jpeg", b"abcd")).await;
    assert_eq!(done.status, 200);
    let id = reply.json()["file"]["id"].as_str().unwrap().to_owned();
    checked
        .send(Call::post(&format!("/v1/files/{id}/confirm")).bearer(token))
        .await
        .expect(200);
    let download = presign(
        &checked,
        token,
        &json!({ "operation": "download", "file_id": id }),
    )
    .await;
    download.expect(200);
    let get = download.json()["download"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let fetched = host.send(Call::get(&get)).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.bytes.as_ref(), b"abcd");
    assert_eq!(fetched.header("content-type"), Some("image/jpeg"));
    // Other origins may embed it, as they may embed S3's objects.
    assert_eq!(
        fetched.header("cross-origin-resource-policy"),
        Some("cross-origin")
    );
    let tampered = host.send(Call::get(&get.replace("op=get", "op=put"))).await;
    assert_eq!(tampered.status, 403);
    let unsigned = host.send(Call::get(get.split('?').next().unwrap())).await;
    assert_eq!(unsigned.status, 403);

    // POST, a browser form under a policy: one byte over the purpose's maximum is refused.
    let reply = presign(&checked, token, &json!({ "operation": "upload", "purpose": "roster_import", "content_type": "text/csv", "size": 10 })).await;
    reply.expect(201);
    let upload = reply.json()["upload"].clone();
    let url = upload["url"].as_str().unwrap().to_owned();
    let post = |file: &[u8]| {
        let (content_type, body) = form(&upload["fields"], file);
        Call::post(&url).raw(&content_type, body)
    };
    let over = host.send(post(&vec![b'x'; 5 * 1024 * 1024 + 1])).await;
    assert_eq!(over.status, 400);
    assert_eq!(over.text(), "EntityTooLarge");
    let fine = host.send(post(b"name\nAino\n")).await;
    assert_eq!(fine.status, 204);
    let id = reply.json()["file"]["id"].as_str().unwrap().to_owned();
    let confirmed = checked
        .send(Call::post(&format!("/v1/files/{id}/confirm")).bearer(token))
        .await;
    confirmed.expect(200);
    assert_eq!(confirmed.json()["size"], 10);
}
