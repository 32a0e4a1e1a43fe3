//! E-mail over HTTP: invitations reach the invitee by mail, an inviter outside dev never sees
//! the token, an invitation can be sent again, and the dev outbox is dev's only.

use cubby_tests::{Call, Host, World};
use serde_json::{Value, json};

async fn outside_dev() -> World {
    World::outside_dev().await
}

/// The token in the newest mail to `to`, read from its accept link.
fn token_mailed_to(world: &World, to: &str) -> String {
    world.mailbox.newest_to(to).token_for("/invitations/accept")
}

fn accept_body(world: &World, token: &str) -> Value {
    json!({
        "tenant_code": world.a.tenant.code().as_str(),
        "token": token,
        "password": "a long enough password",
    })
}

mod outside_dev {
    use super::*;

    crate::on_both_hosts_of!(outside_dev; the_token_reaches_the_invitee_only_by_mail);
}

async fn the_token_reaches_the_invitee_only_by_mail(host: &impl Host, world: &World) {
    let sent = host
        .send(
            Call::post("/v1/invitations")
                .bearer(&world.a.director)
                .json(&json!({ "email": "grace@example.org", "roles": ["teacher"] })),
        )
        .await;
    sent.expect(201);
    let sent = sent.json();
    assert!(sent.get("token").is_none(), "{sent}");
    assert!(sent["mail_id"].as_str().unwrap().starts_with("job_"));
    assert!(
        !host
            .send(Call::get("/v1/invitations").bearer(&world.a.director))
            .await
            .text()
            .contains("token")
    );
    // The dev outbox is not served.
    host.send(Call::get("/dev/outbox")).await.expect(404);

    world.deliver_mail().await;
    let token = token_mailed_to(world, "grace@example.org");
    host.send(Call::post("/v1/invitations/accept").json(&accept_body(world, &token)))
        .await
        .expect(200);
}

crate::on_both_hosts!(
    an_invitation_is_sent_again_with_a_new_token_and_the_old_one_stops_working,
    the_dev_outbox_lists_the_mail_sent_newest_first,
);

async fn an_invitation_is_sent_again_with_a_new_token_and_the_old_one_stops_working(
    host: &impl Host,
    world: &World,
) {
    let director = &world.a.director;
    let sent = host
        .send(
            Call::post("/v1/invitations")
                .bearer(director)
                .json(&json!({ "email": "grace@example.org", "roles": ["teacher"] })),
        )
        .await
        .json();
    let path = format!("/v1/invitations/{}/resend", sent["id"].as_str().unwrap());
    let version = sent["version"].as_u64().unwrap();
    // Another centre's director: no such invitation; a teacher: not allowed; no If-Match.
    host.send(
        Call::post(&path)
            .bearer(&world.b.director)
            .if_match(version),
    )
    .await
    .expect_error(404, "not_found");
    host.send(Call::post(&path).bearer(&world.a.teacher).if_match(version))
        .await
        .expect(403);
    host.send(Call::post(&path).bearer(director))
        .await
        .expect(428);

    let again = host
        .send(Call::post(&path).bearer(director).if_match(version))
        .await;
    again.expect(200);
    let again = again.json();
    assert_ne!(again["token"], sent["token"]);
    assert_ne!(again["mail_id"], sent["mail_id"]);
    assert_eq!(again["version"], version + 1);
    world.deliver_mail().await;
    assert_eq!(
        token_mailed_to(world, "grace@example.org"),
        again["token"].as_str().unwrap(),
        "the newest mail carries the new token"
    );
    let old = accept_body(world, sent["token"].as_str().unwrap());
    host.send(Call::post("/v1/invitations/accept").json(&old))
        .await
        .expect_error(404, "invitation.not_found");
    let new = accept_body(world, again["token"].as_str().unwrap());
    host.send(Call::post("/v1/invitations/accept").json(&new))
        .await
        .expect(200);
    // Used: it cannot be sent again.
    host.send(Call::post(&path).bearer(director).if_match(version + 2))
        .await
        .expect_error(409, "invitations.not_pending");
}

async fn the_dev_outbox_lists_the_mail_sent_newest_first(host: &impl Host, world: &World) {
    for email in ["first@example.org", "second@example.org"] {
        host.send(
            Call::post("/v1/invitations")
                .bearer(&world.a.director)
                .json(&json!({ "email": email, "roles": ["guardian"] })),
        )
        .await
        .expect(201);
    }
    world.deliver_mail().await;
    let outbox = host.send(Call::get("/dev/outbox")).await;
    outbox.expect(200);
    let items = outbox.json()["items"].as_array().unwrap().clone();
    let to: Vec<&str> = items.iter().map(|m| m["to"].as_str().unwrap()).collect();
    assert_eq!(to, ["second@example.org", "first@example.org"]);
    for field in ["id", "subject", "text", "html", "sent_at"] {
        assert!(items[0][field].is_string(), "{field}: {}", items[0]);
    }
}
