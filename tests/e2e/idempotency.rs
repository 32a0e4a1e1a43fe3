//! `Idempotency-Key` on POST: the first response is kept and replayed, another body with the
//! same key is refused, and concurrent duplicates create one record.

use cubby_tests::{Call, Host, World};
use serde_json::{Value, json};

crate::on_both_hosts!(
    a_retry_with_the_same_key_replays_the_first_response,
    the_same_key_with_another_body_is_422,
    concurrent_duplicates_create_one_room,
    keys_belong_to_one_user_and_must_be_well_formed,
    a_refused_request_is_replayed_as_refused,
);

fn room(name: &str) -> Value {
    json!({ "name": name, "age_range": { "min_months": 12, "max_months": 24 }, "capacity": 12, "ratio": "1:4" })
}

fn create(token: &str, key: &str, body: &Value) -> Call {
    Call::post("/v1/rooms")
        .bearer(token)
        .header("idempotency-key", key)
        .json(body)
}

async fn count(host: &impl Host, token: &str) -> u64 {
    host.send(Call::get("/v1/rooms").bearer(token)).await.json()["total"]
        .as_u64()
        .unwrap()
}

async fn a_retry_with_the_same_key_replays_the_first_response(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let first = host.send(create(token, "retry-1", &room("Koalas"))).await;
    first.expect(201);
    assert!(first.header("idempotent-replayed").is_none());

    let retry = host.send(create(token, "retry-1", &room("Koalas"))).await;
    retry.expect(201);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.json(), first.json());
    assert_eq!(retry.header("etag"), first.header("etag"));
    assert_eq!(retry.header("location"), first.header("location"));
    assert_ne!(retry.header("x-request-id"), first.header("x-request-id"));
    assert_eq!(count(host, token).await, 1);

    // A new key is a new request (here refused: the name is now taken).
    host.send(create(token, "retry-2", &room("Koalas")))
        .await
        .expect_error(409, "room.name_taken");
}

async fn the_same_key_with_another_body_is_422(host: &impl Host, world: &World) {
    let token = &world.a.director;
    host.send(create(token, "reused", &room("Koalas")))
        .await
        .expect(201);
    host.send(create(token, "reused", &room("Wombats")))
        .await
        .expect_error(422, "idempotency.key_reused");
    let patch = Call::patch("/v1/rooms/room_01h455vb4pex5vsknk084sn02q")
        .bearer(token)
        .header("idempotency-key", "reused")
        .if_match(1)
        .json(&json!({ "capacity": 3 }));
    host.send(patch)
        .await
        .expect_error(422, "idempotency.key_reused");
    assert_eq!(count(host, token).await, 1);
}

async fn concurrent_duplicates_create_one_room(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let replies = futures::future::join_all(
        (0..10).map(|_| host.send(create(token, "burst", &room("Koalas")))),
    )
    .await;
    let ids: Vec<Value> = replies
        .iter()
        .map(|reply| {
            reply.expect(201);
            reply.json()["id"].clone()
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(
        replies
            .iter()
            .filter(|r| r.header("idempotent-replayed").is_none())
            .count(),
        1
    );
    assert_eq!(count(host, token).await, 1);
}

async fn keys_belong_to_one_user_and_must_be_well_formed(host: &impl Host, world: &World) {
    host.send(create(&world.a.director, "mine", &room("Koalas")))
        .await
        .expect(201);
    // The owner of the same centre, and a director of another, using the same key: new requests.
    let owners = host
        .send(create(&world.a.owner, "mine", &room("Wombats")))
        .await;
    owners.expect(201);
    assert!(owners.header("idempotent-replayed").is_none());
    host.send(create(&world.b.director, "mine", &room("Koalas")))
        .await
        .expect(201);
    assert_eq!(count(host, &world.a.director).await, 2);

    for bad in ["", &"k".repeat(256), "with space"] {
        host.send(create(&world.a.director, bad, &room("Emus")))
            .await
            .expect_error(400, "idempotency.invalid_key");
    }
    assert_eq!(count(host, &world.a.director).await, 2);
}

async fn a_refused_request_is_replayed_as_refused(host: &impl Host, world: &World) {
    let token = &world.a.director;
    let invalid = json!({ "name": "", "age_range": { "min_months": 1, "max_months": 2 }, "capacity": 1, "ratio": "1:1" });
    let first = host.send(create(token, "invalid", &invalid)).await;
    first.expect_error(422, "validation.failed");
    let retry = host.send(create(token, "invalid", &invalid)).await;
    retry.expect(422);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.json(), first.json());
}
