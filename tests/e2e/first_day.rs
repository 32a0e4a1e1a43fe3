//! A centre's first day, walked over HTTP as its people would: an operator creates the centre,
//! the owner's invitation arrives by mail, the owner joins with a password and signs in, invites
//! a director and a guardian whose mail arrives, they join; the guardian forgets the password,
//! resets it from the mail, and the old session is refused.
//!
//! Served as staging and production are (no dev conveniences): every token reaches its person
//! by mail only. On both hosts in memory, and on MongoDB, Redis and S3 with the mail going
//! through the SMTP test server. Every log line of the walk is scanned: no address, link,
//! token or password may appear in one.

use cubby_tests::logs::Logs;
use cubby_tests::tokens::TEST_OPERATOR_KEY;
use cubby_tests::{Call, Host, World};
use serde_json::{Value, json};

async fn outside_dev() -> World {
    World::outside_dev().await
}

mod in_memory {
    use super::*;
    crate::on_both_hosts_of!(outside_dev; a_centre_s_first_day);
}

mod smtp {
    use crate::checked::Checked;

    #[tokio::test]
    async fn a_centre_s_first_day_on_actix() {
        let Some(world) = cubby_tests::World::on_services_by_smtp().await else {
            return;
        };
        let host = cubby_tests::ActixHost::start(&world).await;
        super::a_centre_s_first_day(&Checked(&host), &world).await;
    }

    #[tokio::test]
    async fn a_centre_s_first_day_on_lambda() {
        let Some(world) = cubby_tests::World::on_services_by_smtp().await else {
            return;
        };
        let host = cubby_tests::LambdaHost::start(&world);
        super::a_centre_s_first_day(&Checked(&host), &world).await;
    }
}

/// Accepts the invitation mailed to `address` with `password`: the new member's session.
async fn join(host: &impl Host, world: &World, code: &str, address: &str, password: &str) -> Value {
    world.deliver_mail().await;
    let letter = world.mailbox.newest_to(address);
    assert!(
        letter.subject.starts_with("You are invited to join"),
        "{}",
        letter.subject
    );
    let token = letter.token_for("/invitations/accept");
    assert!(
        letter
            .text
            .contains(&format!("/invitations/accept?centre={code}&")),
        "the link names the centre"
    );
    let joined = host
        .send(Call::post("/v1/invitations/accept").json(&json!({
            "tenant_code": code, "token": token, "password": password,
        })))
        .await;
    joined.expect(200);
    joined.json()
}

async fn sign_in(host: &impl Host, code: &str, address: &str, password: &str) -> Value {
    let signed_in = host
        .send(Call::post("/v1/auth/login").json(&json!({
            "tenant_code": code, "email": address, "password": password,
        })))
        .await;
    signed_in.expect(200);
    signed_in.json()
}

async fn a_centre_s_first_day(host: &impl Host, world: &World) {
    let logs = Logs::capture();
    // Unique per run: the SMTP server's spool is shared by every test of a run.
    let run = uuid::Uuid::now_v7().simple().to_string();
    let code = format!("first-{}", &run[run.len() - 10..]);
    let owner = format!("owner.{run}@first-day.example");
    let director = format!("director.{run}@first-day.example");
    let guardian = format!("guardian.{run}@first-day.example");
    let passwords = [
        "the owner's own password",
        "the director's own password",
        "the guardian's first password",
        "the guardian's second password",
    ];
    let mut secrets: Vec<String> = vec![
        TEST_OPERATOR_KEY.to_owned(),
        owner.clone(),
        director.clone(),
        guardian.clone(),
    ];
    secrets.extend(passwords.iter().map(|p| (*p).to_owned()));

    // The operator creates the centre: the answer holds no token.
    let created = host
        .send(
            Call::post("/platform/v1/centres")
                .bearer(TEST_OPERATOR_KEY)
                .json(&json!({
                    "code": code, "name": "First Day Early Learning",
                    "time_zone": "Europe/Helsinki", "owner_email": owner,
                })),
        )
        .await;
    created.expect(201);
    assert!(!created.text().contains("token"), "{}", created.text());

    // The owner's mail arrives; the owner joins, choosing a password, and signs in.
    let joined = join(host, world, &code, &owner, passwords[0]).await;
    secrets.push(joined["access_token"].as_str().unwrap().to_owned());
    let owner_session = sign_in(host, &code, &owner, passwords[0]).await;
    let owner_token = owner_session["access_token"].as_str().unwrap().to_owned();
    secrets.push(owner_token.clone());

    // The owner invites a director and a guardian; their mail arrives and they join.
    for (address, role) in [(&director, "director"), (&guardian, "guardian")] {
        let invited = host
            .send(
                Call::post("/v1/invitations")
                    .bearer(&owner_token)
                    .json(&json!({ "email": address, "roles": [role] })),
            )
            .await;
        invited.expect(201);
        assert!(invited.json().get("token").is_none());
    }
    let joined = join(host, world, &code, &director, passwords[1]).await;
    let director_token = joined["access_token"].as_str().unwrap().to_owned();
    host.send(Call::get("/v1/me/context").bearer(&director_token))
        .await
        .expect(200);
    let guardian_session = join(host, world, &code, &guardian, passwords[2]).await;
    let old_access = guardian_session["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_refresh = guardian_session["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    secrets.extend([director_token, old_access.clone(), old_refresh.clone()]);
    host.send(Call::get("/v1/me/context").bearer(&old_access))
        .await
        .expect(200);

    // The guardian forgets the password: an unknown address gets the very same answer.
    let forgot = |address: String| async move {
        host.send(Call::post("/v1/auth/password/forgot").json(&json!({ "email": address })))
            .await
    };
    let known = forgot(guardian.clone()).await;
    let unknown = forgot(format!("nobody.{run}@first-day.example")).await;
    known.expect(202);
    unknown.expect(202);
    assert_eq!(known.json(), unknown.json());
    world.deliver_mail().await;
    let letter = world.mailbox.newest_to(&guardian);
    assert_eq!(letter.subject, "Reset your Cubby password");
    let token = letter.token_for("/password/reset");
    secrets.push(token.clone());
    host.send(
        Call::post("/v1/auth/password/reset")
            .json(&json!({ "token": token, "password": passwords[3] })),
    )
    .await
    .expect(204);

    // The old session is refused, the old password too; the new one signs in.
    host.send(Call::get("/v1/me/context").bearer(&old_access))
        .await
        .expect_error(401, "auth.invalid_token");
    host.send(Call::post("/v1/auth/refresh").json(&json!({ "refresh_token": old_refresh })))
        .await
        .expect(401);
    host.send(Call::post("/v1/auth/login").json(&json!({
        "tenant_code": code, "email": guardian, "password": passwords[2],
    })))
    .await
    .expect_error(401, "auth.invalid_credentials");
    let again = sign_in(host, &code, &guardian, passwords[3]).await;
    secrets.push(again["access_token"].as_str().unwrap().to_owned());

    let text = logs.text();
    assert!(text.contains("/platform/v1/centres"), "the walk was logged");
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "a secret reached the logs");
    }
    assert!(
        !text.contains("token="),
        "a link with a token reached the logs"
    );
}
