//! Outages of the stores: requests answer 503 in the uniform shape (authenticated ones fail
//! closed when Redis is down), `/readyz` names the dependency that is down, and everything
//! recovers without a restart once it is back.

use std::time::{Duration, Instant};

use cubby_ports::contract::services;
use cubby_tests::services::Private;
use cubby_tests::{ActixHost, Call, Host, World};

use crate::checked::Checked;

/// Waits until `/readyz` answers 200 again.
async fn ready_again(host: &impl Host) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = host.send(Call::get("/readyz")).await;
        if reply.status == 200 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not ready again: {}",
            reply.json()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_mongodb_outage_is_503_and_recovers_without_a_restart() {
    let Some(mut mongo) = Private::mongo() else {
        return;
    };
    let Some(redis) = services::redis_url() else {
        return;
    };
    let uri = format!(
        "mongodb://127.0.0.1:{}/?directConnection=true&serverSelectionTimeoutMS=1500",
        mongo.port()
    );
    let world = World::on_stores(&uri, &redis).await;
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    let rooms = || Call::get("/v1/rooms").bearer(&world.a.director);
    host.send(rooms()).await.expect(200);
    host.send(Call::get("/readyz")).await.expect(200);

    mongo.stop();
    host.send(rooms()).await.expect_error(503, "unavailable");
    let ready = host.send(Call::get("/readyz")).await;
    ready.expect_error(503, "not_ready");
    let checks = &ready.json()["details"]["checks"];
    assert_eq!(checks["mongodb"]["status"], "down", "{checks}");
    assert_eq!(checks["redis"]["status"], "up", "{checks}");
    host.send(Call::get("/health/ready"))
        .await
        .expect_error(503, "not_ready");
    host.send(Call::get("/healthz")).await.expect(200);

    mongo.restart();
    ready_again(&host).await;
    host.send(rooms()).await.expect(200);
}

#[tokio::test]
async fn a_redis_outage_fails_sessions_closed_and_recovers_without_a_restart() {
    let Some(mut redis) = Private::redis() else {
        return;
    };
    let Some(uri) = services::mongodb_uri() else {
        return;
    };
    let world = World::on_stores(&uri, &format!("redis://127.0.0.1:{}", redis.port())).await;
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    let rooms = || Call::get("/v1/rooms").bearer(&world.a.director);
    host.send(rooms()).await.expect(200);

    redis.stop();
    let sign_in = serde_json::json!({
        "tenant_code": world.a.tenant.code().as_str(),
        "email": world.a.member(cubby_domain::Role::Director).email,
        "password": world.a.member(cubby_domain::Role::Director).password,
    });
    host.send(Call::post("/v1/auth/login").json(&sign_in))
        .await
        .expect_error(503, "unavailable");
    for _ in 0..3 {
        host.send(rooms()).await.expect_error(503, "unavailable");
    }
    let ready = host.send(Call::get("/readyz")).await;
    ready.expect_error(503, "not_ready");
    let checks = &ready.json()["details"]["checks"];
    assert_eq!(checks["redis"]["status"], "down", "{checks}");
    assert_eq!(checks["mongodb"]["status"], "up", "{checks}");
    host.send(Call::get("/healthz")).await.expect(200);

    redis.restart();
    ready_again(&host).await;
    host.send(rooms()).await.expect(200);
    host.send(Call::post("/v1/auth/login").json(&sign_in))
        .await
        .expect(200);
}

/// A request gate whose store never answers.
struct GateDown;

#[async_trait::async_trait]
impl cubby_ports::RequestGate for GateDown {
    async fn admit(
        &self,
        _: &cubby_ports::GateReads,
    ) -> Result<cubby_ports::GateAnswer, cubby_ports::RepoError> {
        Err(cubby_ports::RepoError::Unavailable("down".into()))
    }
}

/// When the gate (on Redis, the rate-limit counters, the blocklist and the session caches)
/// does not answer, a public route is served uncounted, and a route with a session fails
/// closed: 503, never let through.
#[tokio::test]
async fn without_the_gate_public_routes_are_served_and_sessions_fail_closed() {
    let mut ports = cubby_adapters_memory::embedded_ports();
    ports.gate = Some(std::sync::Arc::new(GateDown));
    let config = cubby_api::ApiConfig {
        rate_limits: Some(cubby_api::RateLimits {
            per_address: 1,
            per_tenant: 1,
            window: Duration::from_secs(60),
        }),
        ..cubby_tests::world::test_api_config()
    };
    let world = World::on(ports, cubby_tests::world::test_config(), config).await;
    let actix = ActixHost::start(&world).await;
    let host = Checked(&actix);
    for _ in 0..3 {
        host.send(Call::get("/.well-known/jwks.json"))
            .await
            .expect(200);
        host.send(Call::get("/v1/rooms").bearer(&world.a.director))
            .await
            .expect_error(503, "unavailable");
    }
    // A token that is not valid by itself is still refused as such.
    host.send(Call::get("/v1/rooms").bearer("not-a-token"))
        .await
        .expect_error(401, "auth.invalid_token");
}
