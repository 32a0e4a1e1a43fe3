//! `/v1/files` over HTTP: presigned uploads and downloads, who may see which file, tenant
//! isolation and roles. The whole upload flow runs against the in-memory store's endpoint on the
//! actix host here; against a real S3 stand-in it runs in the S3 adapter's tests.

use cubby_domain::Role;
use cubby_tests::{ActixHost, Call, Host, World};
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
    let scope = cubby_ports::contract::scope_in(world.a.tenant.id);
    let record = world.app().files.get(&scope, id).await.unwrap();
    world
        .app()
        .ports()
        .objects
        .put(
            &scope,
            &record.key,
            &record.content_type,
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
        key.starts_with(&format!("tenants/{}/document/file_", world.a.tenant.id)),
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

/// The whole flow over HTTP on the actix host: presign, upload to the store's URL (PUT and
/// POST), confirm, presign a download and fetch it; a broken upload is refused by the store.
#[tokio::test]
async fn uploads_and_downloads_go_to_the_store_not_through_the_api() {
    let world = World::in_memory().await;
    let host = ActixHost::start(&world).await;
    let checked = crate::checked::Checked(&host);
    let token = &world.a.director;
    let kid = child(&checked, token, "Aino", None).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = host.base();

    // PUT, with the signed headers.
    let reply = presign(&checked, token, &photo_of(&kid, 4, "put")).await;
    reply.expect(201);
    let upload = reply.json()["upload"].clone();
    let url = format!("{base}{}", upload["url"].as_str().unwrap());
    let wrong_type = client
        .put(&url)
        .header("content-type", "image/png")
        .body(&b"abcd"[..])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 403);
    let too_long = client
        .put(&url)
        .header("content-type", "image/jpeg")
        .body(&b"abcde"[..])
        .send()
        .await
        .unwrap();
    assert_eq!(too_long.status(), 403);
    let done = client
        .put(&url)
        .header("content-type", "image/jpeg")
        .body(&b"abcd"[..])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
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
    let get = format!(
        "{base}{}",
        download.json()["download"]["url"].as_str().unwrap()
    );
    let fetched = client.get(&get).send().await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), b"abcd");
    let tampered = client
        .get(get.replace("op=get", "op=put"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 403);

    // POST, a browser form under a policy: one byte over the purpose's maximum is refused.
    let reply = presign(&checked, token, &json!({ "operation": "upload", "purpose": "roster_import", "content_type": "text/csv", "size": 10 })).await;
    reply.expect(201);
    let upload = reply.json()["upload"].clone();
    let form = |file: Vec<u8>| {
        let mut form = reqwest::multipart::Form::new();
        for field in upload["fields"].as_array().unwrap() {
            form = form.text(
                field["name"].as_str().unwrap().to_owned(),
                field["value"].as_str().unwrap().to_owned(),
            );
        }
        form.part(
            "file",
            reqwest::multipart::Part::bytes(file).file_name("roster.csv"),
        )
    };
    let url = format!("{base}{}", upload["url"].as_str().unwrap());
    let over = client
        .post(&url)
        .multipart(form(vec![b'x'; 5 * 1024 * 1024 + 1]))
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), 400);
    let fine = client
        .post(&url)
        .multipart(form(b"name\nAino\n".to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(fine.status(), 204);
    let id = reply.json()["file"]["id"].as_str().unwrap().to_owned();
    let confirmed = checked
        .send(Call::post(&format!("/v1/files/{id}/confirm")).bearer(token))
        .await;
    confirmed.expect(200);
    assert_eq!(confirmed.json()["size"], 10);
}
