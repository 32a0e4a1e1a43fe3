//! A server error, end to end: the client gets the uniform body with only the code and the
//! request id, the log gets exactly one error line with the cause chain, and error reporting
//! gets exactly one event tagged with the request and tenant ids, with nothing personal.

use std::sync::Arc;

use cubby_ports::RepoError;
use cubby_ports::mocks::MockAuditLog;
use cubby_tests::logs::Logs;
use cubby_tests::{ActixHost, Call, Host, LambdaHost, World};

#[derive(Debug)]
struct Decode(std::io::Error);

impl std::fmt::Display for Decode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the reply could not be decoded")
    }
}

impl std::error::Error for Decode {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// The audit log whose reads fail as a broken driver would, with a chain of causes (its
/// writes succeed, and are dropped).
fn broken_audit() -> MockAuditLog {
    let mut audit = MockAuditLog::new();
    audit.expect_append().returning(|_, _| Ok(()));
    audit.expect_list_events().returning(|_, _| {
        let cause = std::io::Error::other("connection reset by peer");
        Err(RepoError::Failed(Box::new(Decode(cause))))
    });
    audit
}

async fn broken_world() -> World {
    let mut ports = cubby_adapters_memory::embedded_ports();
    ports.audit = Arc::new(broken_audit());
    World::on(
        ports,
        cubby_tests::world::test_config(),
        cubby_tests::world::test_api_config(),
    )
    .await
}

async fn a_server_error_is_logged_once_and_reported_once(host: &impl Host, world: &World) {
    let (logs, reports) = Logs::capture_with_reports();
    reports.take();
    let reply = host
        .send(
            Call::get("/v1/audit")
                .bearer(&world.a.owner)
                .header("x-request-id", "req-broken-1"),
        )
        .await;

    assert_eq!(reply.status, 500);
    let body = reply.json();
    let mut keys: Vec<_> = body
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    assert_eq!(keys, ["code", "message", "request_id"], "{body}");
    assert_eq!(body["code"], "internal");
    assert_eq!(body["request_id"], "req-broken-1");
    assert!(
        !reply.text().contains("connection reset"),
        "{}",
        reply.text()
    );

    let errors: Vec<_> = logs
        .lines()
        .into_iter()
        .filter(|line| line["level"] == "ERROR" && line["request_id"] == "req-broken-1")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0]["error.cause_chain"],
        "the store refused the operation: the reply could not be decoded: connection reset by peer"
    );

    let events = reports.take();
    assert_eq!(events.len(), 1, "{events:?}");
    let tags = &events[0].tags;
    assert_eq!(
        tags.get("request_id").map(String::as_str),
        Some("req-broken-1")
    );
    let tenant = world.a.tenant.id().to_string();
    assert_eq!(tags.get("tenant_id"), Some(&tenant));
    let sent = serde_json::to_string(&events[0]).unwrap_or_default();
    let owner = world.a.member(cubby_domain::Role::Owner);
    for private in [owner.email.as_str(), world.a.owner.as_str()] {
        assert!(
            !sent.contains(private),
            "the report holds `{private}`: {sent}"
        );
    }
}

#[tokio::test]
async fn a_server_error_on_actix() {
    let world = broken_world().await;
    let actix = ActixHost::start(&world).await;
    a_server_error_is_logged_once_and_reported_once(&actix, &world).await;
}

#[tokio::test]
async fn a_server_error_on_lambda() {
    let world = broken_world().await;
    let lambda = LambdaHost::start(&world);
    a_server_error_is_logged_once_and_reported_once(&lambda, &world).await;
}
