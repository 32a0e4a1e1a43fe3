//! Micro-benchmarks of the request path on the in-memory adapters: access-token verification
//! (HS256 and EdDSA), the permission check on the verified scope, and a page of 25 children
//! through the whole api (`scripts/bench micro` runs them; docs/benchmarks.md keeps the
//! numbers). They measure; they assert nothing about the times.
#![expect(
    clippy::expect_used,
    reason = "benchmark set-up on fixed, valid values; a broken set-up must stop the run"
)]

use std::hint::black_box;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use cubby_api::{Api, ApiConfig};
use cubby_app::auth::LoginPolicy;
use cubby_app::children::NewChild;
use cubby_app::members::NewMember;
use cubby_app::passwords::PasswordParams;
use cubby_app::session::AccessGrant;
use cubby_app::{App, AppConfig, TokenKeys, TokenPolicy};
use cubby_domain::{
    Actor, Email, Enrolment, EnrolmentStatus, EntitlementSet, Permission, PermissionSet,
    PersonName, Role, SessionId, Tenant, TenantCode, TenantId, TenantName, TimeZone, UserId,
};
use cubby_ports::TenantScope;
use http::{Method, Request, StatusCode};
use tokio::runtime::Runtime;
use uuid::Uuid;

/// Children in the centre the page is read from.
const CHILDREN: usize = 100;
/// The EdDSA key of the test fixtures (a test key, never deployed).
const ED25519_PEM: &str = include_str!("../../../tests/fixtures/keys/ed25519-a.private.pem");

/// An in-memory application signing with `keys`, with cheap password hashing.
fn app(keys: TokenKeys) -> Arc<App> {
    let config = AppConfig {
        keys,
        policy: TokenPolicy::default(),
        passwords: PasswordParams::for_tests(),
        login: LoginPolicy {
            max_failures_per_account: 5,
            max_failures_per_address: 20,
            window: std::time::Duration::from_secs(900),
        },
        session_lifetime: time::Duration::days(30),
        supabase: None,
        jobs: cubby_app::jobs::RetryPolicy::default(),
        operators: cubby_app::platform::OperatorKeys::none(),
        links: cubby_app::mail::Links::new("https://app.cubby.example"),
    };
    Arc::new(App::new(cubby_adapters_memory::embedded_ports(), config).expect("an app"))
}

/// One centre with `children` children and a director; returns the director's access token.
async fn centre(app: &App, children: usize) -> String {
    let now = app.ports().clock.now();
    let id = TenantId::from_uuid(Uuid::now_v7());
    let tenant = Tenant::create(
        id,
        TenantCode::parse("bench-centre").expect("a code"),
        TenantName::parse("Bench centre").expect("a name"),
        TimeZone::parse("Europe/Helsinki").expect("a zone"),
        Actor::User(UserId::from_uuid(Uuid::now_v7())),
        now,
    );
    app.ports().tenants.insert(&tenant).await.expect("a tenant");
    let scope = TenantScope::for_test(id, UserId::from_uuid(Uuid::now_v7()), PermissionSet::all());
    let director = NewMember {
        email: Email::parse("director@bench.example").expect("an address"),
        password: None,
        email_verified: true,
        roles: vec![Role::Director.into()],
        entitlements: EntitlementSet::all(),
    };
    let (user, membership) = app
        .members
        .enroll(&scope, director)
        .await
        .expect("a member");
    for n in 0..children {
        let born = now.date() - time::Duration::days(400 + 9 * i64::try_from(n).unwrap_or(0));
        let new = NewChild {
            name: PersonName::parse(&format!("Child{n}"), "Benchmark").expect("a name"),
            date_of_birth: born,
            room_id: None,
            enrolment: Enrolment::new(EnrolmentStatus::Enrolled, now.date(), None)
                .expect("an enrolment"),
            photo_consent: n % 3 != 0,
        };
        app.children.create(&scope, new).await.expect("a child");
    }
    let grant = AccessGrant {
        tenant_id: id,
        tenant_code: tenant.code().clone(),
        user_id: user.id(),
        membership_id: membership.id(),
        roles: membership.roles().to_vec(),
        session_id: SessionId::from_uuid(Uuid::now_v7()),
        entitlements_version: membership.entitlements_version(),
    };
    app.sessions.issue(&grant).expect("a token").token
}

fn eddsa_keys() -> TokenKeys {
    let set =
        serde_json::json!([{"kid": "bench-ed", "alg": "EdDSA", "private_key_pem": ED25519_PEM}]);
    TokenKeys::from_key_set(&set.to_string(), "bench-ed").expect("the fixture key set")
}

fn tokens(c: &mut Criterion) {
    let rt = Runtime::new().expect("a runtime");
    let keys = [
        (
            "hs256",
            TokenKeys::hs256("bench", b"a bench secret of thirty-two bytes or more"),
        ),
        ("eddsa", eddsa_keys()),
    ];
    for (name, keys) in keys {
        let app = app(keys);
        let token = rt.block_on(centre(&app, 0));
        let session = rt.block_on(app.sessions.verify(&token)).expect("a session");
        assert!(session.scope.has(Permission::ChildrenRead));
        c.bench_function(&format!("api/token/verify_{name}_in_memory"), |b| {
            b.to_async(&rt)
                .iter(|| async { app.sessions.verify(black_box(&token)).await.is_ok() })
        });
        if name == "hs256" {
            let scope = session.scope;
            c.bench_function("api/permissions/scope_has", |b| {
                b.iter(|| black_box(&scope).has(black_box(Permission::ChildrenReadSensitive)))
            });
        }
    }
}

fn get(path: &str, token: &str) -> Request<Bytes> {
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(path)
        .body(Bytes::new())
        .expect("a request");
    let bearer = format!("Bearer {token}").parse().expect("a header value");
    request
        .headers_mut()
        .insert(http::header::AUTHORIZATION, bearer);
    request
}

fn children_page(c: &mut Criterion) {
    let rt = Runtime::new().expect("a runtime");
    let keys = TokenKeys::hs256("bench", b"a bench secret of thirty-two bytes or more");
    let app = app(keys);
    let token = rt.block_on(centre(&app, CHILDREN));
    let api = Api::new(app, ApiConfig::default());
    for limit in [25, 1] {
        let path = format!("/v1/children?limit={limit}");
        let response = rt.block_on(api.handle(get(&path, &token)));
        assert_eq!(response.status(), StatusCode::OK);
        let body: serde_json::Value = serde_json::from_slice(response.body()).expect("a JSON page");
        let items = body["items"].as_array().map_or(0, Vec::len);
        assert_eq!(items, limit, "a full page of children");
        c.bench_function(
            &format!("api/children/get_page_of_{limit}_of_{CHILDREN}"),
            |b| {
                b.to_async(&rt)
                    .iter(|| async { api.handle(get(black_box(&path), &token)).await.status() })
            },
        );
    }
}

criterion_group!(benches, tokens, children_page);
criterion_main!(benches);
