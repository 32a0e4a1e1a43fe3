//! Data that is wrong in the store: a document written by hand with a malformed field is a
//! store error, answered 500 with only a code and a request id and logged once, never a panic.

use bson::doc;
use cubby_tests::logs::Logs;
use cubby_tests::{ActixHost, Call, Host, World};

use crate::checked::Checked;

#[tokio::test]
async fn a_malformed_stored_room_is_a_500_logged_once() {
    let logs = Logs::capture();
    let Some(world) = World::on_services().await else {
        return;
    };
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    let id = "room_01h455vb4pex5vsknk084sn02q";
    let rooms = world
        .mongo
        .as_ref()
        .unwrap()
        .database()
        .collection::<bson::Document>("rooms");
    rooms
        .insert_one(doc! {
            "_id": id,
            "tenant_id": world.a.tenant.id().to_string(),
            "name": "Hand-written",
            "name_key": "hand-written",
            "age_range": { "min_months": 12, "max_months": 24 },
            "capacity": "lots of children",
            "ratio": { "staff": 1, "children": 4 },
            "archived": false,
            "audit": {},
            "version": 1_i64,
        })
        .await
        .unwrap();

    for path in [format!("/v1/rooms/{id}"), "/v1/rooms".to_owned()] {
        let reply = host
            .send(
                Call::get(&path)
                    .bearer(&world.a.director)
                    .header("x-request-id", "corrupt-read"),
            )
            .await;
        reply.expect_error(500, "internal");
        let body = reply.json();
        assert!(body.get("details").is_none(), "{body}");
        assert!(!body.to_string().contains("lots of children"), "{body}");
    }
    // The other centre never reads it.
    host.send(Call::get(&format!("/v1/rooms/{id}")).bearer(&world.b.director))
        .await
        .expect_error(404, "not_found");

    let errors: Vec<_> = logs
        .lines()
        .into_iter()
        .filter(|line| line["level"] == "ERROR" && line["request_id"] == "corrupt-read")
        .collect();
    assert_eq!(
        errors.len(),
        2,
        "one error line per failed request: {errors:?}"
    );
    assert!(
        errors.iter().all(|line| line["error.cause_chain"]
            .as_str()
            .is_some_and(|c| c.contains("corrupt"))),
        "{errors:?}"
    );
    assert!(
        !logs.text().contains("lots of children"),
        "a stored value reached the logs"
    );
}
