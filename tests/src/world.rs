//! A fresh application with two centres, A and B, and a session for each of their roles.

use std::sync::Arc;

use cubby_api::{Api, ApiConfig};
use cubby_app::session::AccessGrant;
use cubby_app::{App, TokenKeys, TokenPolicy};
use cubby_domain::{
    Actor, Audit, MembershipId, Role, Tenant, TenantCode, TenantId, TenantName, TenantStatus,
    TimeZone, UserId, Version,
};
use cubby_ports::Ports;
use uuid::Uuid;

use crate::tokens::{TEST_KID, TEST_SECRET};

/// One centre of the world and a token per built-in role.
#[derive(Clone)]
pub struct Centre {
    /// The tenant.
    pub tenant: Tenant,
    /// An owner's access token.
    pub owner: String,
    /// A director's access token.
    pub director: String,
    /// A teacher's access token.
    pub teacher: String,
    /// A guardian's access token.
    pub guardian: String,
    /// The director's grant, for minting variants.
    pub director_grant: AccessGrant,
}

/// The application under test and its two centres.
pub struct World {
    /// The api both hosts serve.
    pub api: Arc<Api>,
    /// The MongoDB database behind it, when it runs on one.
    pub mongo: Option<cubby_adapters_mongo::Mongo>,
    /// Centre A.
    pub a: Centre,
    /// Centre B.
    pub b: Centre,
}

impl World {
    /// A world on the in-memory adapters.
    pub async fn in_memory() -> World {
        Self::on(
            cubby_adapters_memory::embedded_ports(),
            ApiConfig::default(),
        )
        .await
    }

    /// A world on a fresh database of the shared MongoDB-compatible server and a fresh
    /// namespace of the shared Redis, or `None` when they are not configured (see
    /// [`cubby_ports::contract::services`]).
    pub async fn on_services() -> Option<World> {
        let uri = cubby_ports::contract::services::mongodb_uri()?;
        let url = cubby_ports::contract::services::redis_url()?;
        Some(Self::on_stores(&uri, &url).await)
    }

    /// A world on a fresh database of the MongoDB at `uri` and a fresh namespace of the Redis
    /// at `url`.
    pub async fn on_stores(uri: &str, url: &str) -> World {
        let mut ports = cubby_adapters_memory::embedded_ports();
        let mongo = crate::services::fresh_mongo(uri).await;
        mongo.install(&mut ports);
        crate::services::fresh_redis(url).install(&mut ports);
        let mut world = Self::on(ports, ApiConfig::default()).await;
        world.mongo = Some(mongo);
        world
    }

    /// A world on `ports`, served with `config`.
    pub async fn on(ports: Ports, config: ApiConfig) -> World {
        let keys = TokenKeys::hs256(TEST_KID, TEST_SECRET);
        let app = Arc::new(App::new(ports, keys, TokenPolicy::default()));
        let a = centre(&app, "a").await;
        let b = centre(&app, "b").await;
        let api = Arc::new(Api::new(app, config));
        World {
            api,
            mongo: None,
            a,
            b,
        }
    }

    /// The application.
    pub fn app(&self) -> &App {
        self.api.app()
    }
}

async fn centre(app: &App, label: &str) -> Centre {
    let id = TenantId::from_uuid(Uuid::now_v7());
    let code = format!("centre-{label}-{}", &id.uuid().simple().to_string()[20..]);
    let tenant = Tenant {
        id,
        code: TenantCode::parse(&code).unwrap(),
        name: TenantName::parse(&format!("Centre {label}")).unwrap(),
        time_zone: TimeZone::parse("Europe/Helsinki").unwrap(),
        status: TenantStatus::Active,
        audit: Audit::created(
            Actor::User(UserId::from_uuid(Uuid::now_v7())),
            app.ports().clock.now(),
        ),
        version: Version::FIRST,
    };
    app.ports().tenants.insert(&tenant).await.unwrap();
    let grant = |role| AccessGrant {
        tenant_id: tenant.id,
        tenant_code: tenant.code.clone(),
        user_id: UserId::from_uuid(Uuid::now_v7()),
        membership_id: MembershipId::from_uuid(Uuid::now_v7()),
        roles: vec![role],
    };
    let token = |role| app.sessions.issue(&grant(role)).unwrap().token;
    Centre {
        owner: token(Role::Owner),
        director: token(Role::Director),
        teacher: token(Role::Teacher),
        guardian: token(Role::Guardian),
        director_grant: grant(Role::Director),
        tenant,
    }
}
