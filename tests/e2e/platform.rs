//! The platform API over HTTP: an operator creates a centre whose owner is invited, lists,
//! reads, suspends and resumes centres; a suspended centre's sessions are refused on their next
//! request and its sign-ins refused, until it is resumed; no request without an operator key
//! (none, a wrong one, a centre's token) is ever served, and without a configured key every
//! platform path is 404.

use cubby_domain::Role;
use cubby_tests::tokens::TEST_OPERATOR_KEY;
use cubby_tests::world::{test_api_config, test_config};
use cubby_tests::{Call, Host, Reply, World};
use serde_json::{Value, json};

crate::on_both_hosts!(
    an_operator_creates_lists_and_reads_centres,
    a_new_centre_is_refused_when_its_values_break_the_rules_or_its_code_is_taken,
    a_suspended_centre_refuses_its_sessions_at_once_and_signs_in_again_once_resumed,
    no_request_without_an_operator_key_is_served,
    an_address_sending_wrong_keys_waits_even_with_the_right_one,
    an_owner_whose_mail_never_came_is_invited_again_with_a_new_token,
);

/// A world without an operator key: the platform API does not exist.
async fn world_without_keys() -> World {
    World::with_config(cubby_app::AppConfig {
        operators: cubby_app::platform::OperatorKeys::none(),
        ..test_config()
    })
    .await
}

/// A world configured as staging or production would be: the owner's invitation token reaches
/// the owner by mail only.
async fn world_outside_dev() -> World {
    World::outside_dev().await
}

mod without_keys {
    use super::*;
    crate::on_both_hosts_of!(world_without_keys; every_platform_path_is_404_without_a_configured_key);
}

mod outside_dev {
    use super::*;
    crate::on_both_hosts_of!(world_outside_dev; the_owner_of_a_new_centre_is_invited_by_mail_accepts_and_signs_in);
}

fn operator(call: Call) -> Call {
    call.bearer(TEST_OPERATOR_KEY)
}

fn new_centre(code: &str) -> Value {
    json!({
        "code": code,
        "name": "Wattle Tree Kindergarten",
        "time_zone": "Australia/Perth",
        "owner_email": format!("owner@{code}.example"),
        "owner_name": "Wendy Wattle",
    })
}

async fn create(host: &impl Host, code: &str) -> Reply {
    host.send(operator(Call::post("/platform/v1/centres")).json(&new_centre(code)))
        .await
}

/// A centre id that names no centre.
const NOBODY: &str = "tenant_01h455vb4pex5vsknk084sn02q";

/// Every platform route, with an id that names no centre.
const PLATFORM_ROUTES: [(&str, &str); 6] = [
    ("POST", "/platform/v1/centres"),
    ("GET", "/platform/v1/centres"),
    ("GET", "/platform/v1/centres/{id}"),
    ("POST", "/platform/v1/centres/{id}/suspend"),
    ("POST", "/platform/v1/centres/{id}/resume"),
    ("POST", "/platform/v1/centres/{id}/owner-invitation"),
];

/// A call of the platform route `(method, path)`, without a credential.
fn platform_call((method, path): (&str, &str)) -> Call {
    let path = path.replace("{id}", NOBODY);
    match (method, path.as_str()) {
        ("POST", "/platform/v1/centres") => Call::post(&path).json(&new_centre("never-made")),
        ("POST", owner) if owner.ends_with("/owner-invitation") => {
            Call::post(&path).json(&json!({ "owner_email": "owner@never-made.example" }))
        }
        ("POST", _) => Call::post(&path),
        _ => Call::get(&path),
    }
}

async fn an_operator_creates_lists_and_reads_centres(host: &impl Host, world: &World) {
    let created = create(host, "wattle-tree").await;
    created.expect(201);
    let body = created.json();
    let centre = &body["centre"];
    assert_eq!(centre["code"], "wattle-tree");
    assert_eq!(centre["status"], "active");
    assert_eq!(centre["time_zone"], "Australia/Perth");
    assert_eq!(centre["created_by"], "system:operator_ops_test");
    let id = centre["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/platform/v1/centres/{id}").as_str())
    );
    let invitation = &body["owner_invitation"];
    assert_eq!(invitation["status"], "pending");
    assert!(invitation["id"].as_str().unwrap().starts_with("inv_"));
    assert!(invitation["expires_at"].is_string());
    assert!(invitation["mail_id"].as_str().unwrap().starts_with("job_"));
    // In dev (this world) the token is answered too.
    assert!(
        invitation["token"].as_str().unwrap().starts_with("inv_"),
        "{body}"
    );
    assert!(
        !created.text().contains("Wendy"),
        "the owner's name is not kept"
    );

    create(host, "wattle-grove").await.expect(201);
    let read = host
        .send(operator(Call::get(&format!("/platform/v1/centres/{id}"))))
        .await;
    read.expect(200);
    assert_eq!(read.json()["code"], "wattle-tree");
    assert_eq!(read.header("etag"), Some("\"1\""));

    let list = |query: &str| {
        let call = operator(Call::get(&format!("/platform/v1/centres{query}")));
        async move {
            let reply = host.send(call).await;
            reply.expect(200);
            let page = reply.json();
            let codes: Vec<String> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["code"].as_str().unwrap().to_owned())
                .collect();
            (codes, page["total"].as_u64().unwrap())
        }
    };
    assert_eq!(
        list("?code_prefix=wattle-").await,
        (vec!["wattle-grove".to_owned(), "wattle-tree".to_owned()], 2)
    );
    assert_eq!(
        list("?code_prefix=wattle-&sort=-code&limit=1").await,
        (vec!["wattle-tree".to_owned()], 2)
    );
    // The world's two centres and the new ones.
    assert_eq!(list("?status=active").await.1, 4);
    assert_eq!(list("?status=suspended").await.1, 0);
    host.send(operator(Call::get("/platform/v1/centres?status=closed")))
        .await
        .expect_error(400, "request.invalid_query");
    host.send(operator(Call::get("/platform/v1/centres?tenant_id=x")))
        .await
        .expect_error(400, "request.invalid_query");

    // Ids that name no centre, or are not centre ids, are 404.
    for path in [
        format!("/platform/v1/centres/{NOBODY}"),
        format!(
            "/platform/v1/centres/{}",
            world.a.member(Role::Owner).user_id
        ),
        "/platform/v1/centres/sunny-days".to_owned(),
    ] {
        host.send(operator(Call::get(&path)))
            .await
            .expect_error(404, "not_found");
    }
    // The new centre's owner is invited, not a member yet: the centre is nobody's to read.
    let other = host
        .send(Call::get("/v1/centre").bearer(&world.a.owner))
        .await;
    other.expect(200);
    assert_eq!(other.json()["id"], world.a.tenant.id().to_string());
}

async fn a_new_centre_is_refused_when_its_values_break_the_rules_or_its_code_is_taken(
    host: &impl Host,
    world: &World,
) {
    let refused = host
        .send(operator(Call::post("/platform/v1/centres")).json(&json!({
            "code": "Bad Code",
            "name": "",
            "time_zone": "Mars/Olympus_Mons",
            "owner_email": "not an address",
            "owner_name": "x".repeat(201),
        })))
        .await;
    refused.expect_error(422, "validation.failed");
    let codes: Vec<(String, String)> = refused.json()["details"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (field, code) in [
        ("code", "centre.invalid_code"),
        ("name", "centre.invalid_name"),
        ("time_zone", "centre.unknown_time_zone"),
        ("owner_email", "user.invalid_email"),
        ("owner_name", "centre.invalid_name"),
    ] {
        assert!(
            codes.contains(&(field.to_owned(), code.to_owned())),
            "{field}: {codes:?}"
        );
    }
    // A tenant can never be chosen in the body.
    let mut chosen = new_centre("chosen-one");
    chosen["tenant_id"] = json!(world.a.tenant.id().to_string());
    host.send(operator(Call::post("/platform/v1/centres")).json(&chosen))
        .await
        .expect_error(400, "request.malformed_json");
    // The world's own centre's code is taken.
    let taken = create(host, world.a.tenant.code().as_str()).await;
    taken.expect_error(409, "centre.code_taken");
}

async fn login(host: &impl Host, world_centre: &cubby_tests::Centre, role: Role) -> Reply {
    let member = world_centre.member(role);
    host.send(Call::post("/v1/auth/login").json(&json!({
        "tenant_code": world_centre.tenant.code().as_str(),
        "email": member.email,
        "password": member.password,
    })))
    .await
}

async fn a_suspended_centre_refuses_its_sessions_at_once_and_signs_in_again_once_resumed(
    host: &impl Host,
    world: &World,
) {
    let rooms = |token: &str| Call::get("/v1/rooms").bearer(token);
    // Open sessions of centre A, used (so the centre is in the cache), and one of B.
    host.send(rooms(&world.a.director)).await.expect(200);
    host.send(rooms(&world.a.teacher)).await.expect(200);
    host.send(rooms(&world.b.director)).await.expect(200);

    let centre = format!("/platform/v1/centres/{}", world.a.tenant.id());
    let suspended = host
        .send(operator(Call::post(&format!("{centre}/suspend"))))
        .await;
    suspended.expect(200);
    assert_eq!(suspended.json()["status"], "suspended");
    assert_eq!(suspended.json()["updated_by"], "system:operator_ops_test");

    // The very next request of each of A's sessions is refused; B's are not.
    for token in [&world.a.director, &world.a.teacher, &world.a.owner] {
        host.send(rooms(token))
            .await
            .expect_error(401, "auth.invalid_token");
    }
    host.send(rooms(&world.b.director)).await.expect(200);
    // A's members cannot sign in; B's can.
    let refused = login(host, &world.a, Role::Director).await;
    assert_eq!(refused.status, 401, "{}", refused.text());
    login(host, &world.b, Role::Director).await.expect(200);
    // Suspending again answers the centre as it is; nothing was deleted.
    let again = host
        .send(operator(Call::post(&format!("{centre}/suspend"))))
        .await;
    again.expect(200);
    assert_eq!(again.json()["version"], suspended.json()["version"]);

    let resumed = host
        .send(operator(Call::post(&format!("{centre}/resume"))))
        .await;
    resumed.expect(200);
    assert_eq!(resumed.json()["status"], "active");
    let signed = login(host, &world.a, Role::Director).await;
    signed.expect(200);
    let token = signed.json()["access_token"].as_str().unwrap().to_owned();
    let listed = host.send(rooms(&token)).await;
    listed.expect(200);
    // The rooms are all still there.
    let before = host.send(rooms(&world.b.director)).await.json()["total"].clone();
    assert!(before.is_u64());
    host.send(Call::get("/v1/members").bearer(&token))
        .await
        .expect(200);
}

async fn no_request_without_an_operator_key_is_served(host: &impl Host, world: &World) {
    for (n, route) in PLATFORM_ROUTES.into_iter().enumerate() {
        let call = || platform_call(route);
        let path = route.1;
        host.send(call())
            .await
            .expect_error(401, "platform.key_required");
        // Every kind of wrong key on the first route, a centre's token on all: wrong keys are
        // counted per address, and ten of them would make the rest wait (see below).
        let wrong: &[&str] = if n == 0 {
            &["not-the-key", &TEST_OPERATOR_KEY[1..], &world.b.director]
        } else {
            &[]
        };
        for token in wrong.iter().chain([&world.a.owner.as_str()]) {
            let reply = host.send(call().bearer(token)).await;
            reply.expect_error(401, "platform.invalid_key");
            assert!(!reply.text().contains(*token), "{path} echoes the key");
        }
        if n == 0 {
            // Another scheme is a wrong key too.
            host.send(call().header("authorization", &format!("Basic {TEST_OPERATOR_KEY}")))
                .await
                .expect_error(401, "platform.invalid_key");
        }
        // Two credentials are refused before either is judged.
        let twice = host
            .send(
                call()
                    .header("authorization", &format!("Bearer {TEST_OPERATOR_KEY}"))
                    .header("authorization", &format!("Bearer {}", world.a.owner)),
            )
            .await;
        twice.expect_error(401, "auth.invalid_token");
        // A centre's session cookie opens nothing either.
        let cookie = format!("{}={}", cubby_api::cookies::ACCESS, world.a.owner);
        host.send(call().header("cookie", &cookie))
            .await
            .expect_error(401, "platform.key_required");
    }
}

async fn an_address_sending_wrong_keys_waits_even_with_the_right_one(
    host: &impl Host,
    _world: &World,
) {
    for _ in 0..cubby_app::platform::MAX_KEY_FAILURES {
        host.send(Call::get("/platform/v1/centres").bearer("a guess"))
            .await
            .expect_error(401, "platform.invalid_key");
    }
    let waiting = host.send(operator(Call::get("/platform/v1/centres"))).await;
    waiting.expect_error(429, "platform.throttled");
    assert!(waiting.header("retry-after").is_some());
}

async fn every_platform_path_is_404_without_a_configured_key(host: &impl Host, world: &World) {
    for route in PLATFORM_ROUTES {
        for credential in [None, Some(TEST_OPERATOR_KEY), Some(world.a.owner.as_str())] {
            let call = match credential {
                Some(key) => platform_call(route).bearer(key),
                None => platform_call(route),
            };
            host.send(call).await.expect_error(404, "not_found");
        }
    }
    host.send(Call::put("/platform/v1/centres").bearer(TEST_OPERATOR_KEY))
        .await
        .expect_error(404, "not_found");
    assert!(!world.api.routes().any(|r| r.path.starts_with("/platform")));
}

/// The token in the newest mail to `to`, read from its accept link, once the critical queue
/// (where mail travels) has run.
async fn token_mailed_to(world: &World, to: &str) -> String {
    world.deliver_mail().await;
    let letter = world.mailbox.newest_to(to);
    assert!(letter.text.contains("Wattle Tree Kindergarten"));
    letter.token_for("/invitations/accept")
}

async fn the_owner_of_a_new_centre_is_invited_by_mail_accepts_and_signs_in(
    host: &impl Host,
    world: &World,
) {
    let created = create(host, "wattle-tree").await;
    created.expect(201);
    let body = created.json();
    // Outside dev the token reaches the owner by mail only.
    assert!(body["owner_invitation"].get("token").is_none(), "{body}");
    let token = token_mailed_to(world, "owner@wattle-tree.example").await;
    assert!(!created.text().contains(&token));
    let accepted = host
        .send(Call::post("/v1/invitations/accept").json(&json!({
            "tenant_code": "wattle-tree",
            "token": token,
            "password": "a long enough password",
        })))
        .await;
    accepted.expect(200);
    let access = accepted.json()["access_token"].as_str().unwrap().to_owned();
    let centre = host.send(Call::get("/v1/centre").bearer(&access)).await;
    centre.expect(200);
    assert_eq!(centre.json()["id"], body["centre"]["id"]);
    let members = host.send(Call::get("/v1/members").bearer(&access)).await;
    members.expect(200);
    assert_eq!(members.json()["total"], 1);
    assert_eq!(members.json()["items"][0]["roles"], json!(["owner"]));
    // The owner's audit log shows who created the centre and invited them.
    let audit = host.send(Call::get("/v1/audit").bearer(&access)).await;
    audit.expect(200);
    let actions: Vec<(String, String)> = audit.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["actor"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for action in ["centre.created", "members.invited"] {
        assert!(
            actions.contains(&(action.to_owned(), "system:operator_ops_test".to_owned())),
            "{action}: {actions:?}"
        );
    }
    // The operator key is not a session of the new centre either.
    host.send(Call::get("/v1/centre").bearer(TEST_OPERATOR_KEY))
        .await
        .expect_error(401, "auth.invalid_token");
}

/// Two instances on one store and one Redis: a suspension made through one is in force on the
/// very next request the other serves, though the other had the centre in the shared cache.
#[tokio::test]
async fn a_suspension_made_on_one_instance_is_in_force_at_once_on_another() {
    let Some(url) = cubby_ports::contract::services::redis_url() else {
        return;
    };
    let mut ports = cubby_adapters_memory::embedded_ports();
    cubby_tests::services::fresh_redis(&url).install(&mut ports);
    let world = World::on(ports.clone(), test_config(), test_api_config()).await;
    let one = cubby_tests::ActixHost::start(&world).await;
    let other_app = cubby_app::App::new(ports, test_config()).unwrap();
    let other = cubby_api::Api::new(std::sync::Arc::new(other_app), test_api_config());
    let rooms = || {
        Call::get("/v1/rooms")
            .bearer(&world.a.director)
            .into_request()
    };
    // The other instance reads (and caches) the centre as active.
    assert_eq!(other.handle(rooms()).await.status(), 200);
    one.send(operator(Call::post(&format!(
        "/platform/v1/centres/{}/suspend",
        world.a.tenant.id()
    ))))
    .await
    .expect(200);
    assert_eq!(other.handle(rooms()).await.status(), 401);
    one.send(operator(Call::post(&format!(
        "/platform/v1/centres/{}/resume",
        world.a.tenant.id()
    ))))
    .await
    .expect(200);
    assert_eq!(other.handle(rooms()).await.status(), 200);
}

async fn an_owner_whose_mail_never_came_is_invited_again_with_a_new_token(
    host: &impl Host,
    world: &World,
) {
    let created = create(host, "wattle-tree").await;
    created.expect(201);
    let created = created.json();
    let id = created["centre"]["id"].as_str().unwrap();
    let first = created["owner_invitation"]["token"].as_str().unwrap();
    let path = format!("/platform/v1/centres/{id}/owner-invitation");
    let again =
        |email: &str| host.send(operator(Call::post(&path)).json(&json!({ "owner_email": email })));
    let resent = again("owner@wattle-tree.example").await;
    resent.expect(200);
    let resent = resent.json();
    assert_eq!(
        resent["id"], created["owner_invitation"]["id"],
        "the same invitation"
    );
    assert_eq!(resent["status"], "pending");
    assert!(resent["mail_id"].as_str().unwrap().starts_with("job_"));
    let second = resent["token"].as_str().unwrap();
    assert_ne!(first, second);
    world.deliver_mail().await;
    assert_eq!(
        world
            .mailbox
            .newest_to("owner@wattle-tree.example")
            .token_for("/invitations/accept"),
        second
    );
    let accept = |token: &str| {
        host.send(Call::post("/v1/invitations/accept").json(&json!({
            "tenant_code": "wattle-tree", "token": token, "password": "the owner's own password",
        })))
    };
    accept(first)
        .await
        .expect_error(404, "invitation.not_found");
    accept(second).await.expect(200);
    // Joined: not invited again; another address is a new owner's invitation.
    again("owner@wattle-tree.example")
        .await
        .expect_error(409, "invitations.already_member");
    let other = again("co-owner@wattle-tree.example").await;
    other.expect(200);
    assert_ne!(other.json()["id"], created["owner_invitation"]["id"]);
    // A bad address, an unknown centre, a centre's token.
    again("not an address").await.expect(422);
    host.send(
        operator(Call::post(&format!(
            "/platform/v1/centres/{NOBODY}/owner-invitation"
        )))
        .json(&json!({ "owner_email": "owner@wattle-tree.example" })),
    )
    .await
    .expect_error(404, "not_found");
    host.send(
        Call::post(&path)
            .bearer(&world.a.owner)
            .json(&json!({ "owner_email": "owner@wattle-tree.example" })),
    )
    .await
    .expect_error(401, "platform.invalid_key");
}
