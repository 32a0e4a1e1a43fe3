//! A fresh application with two centres, A and B, each with a member per role who can sign in,
//! and an open session for each.

use std::sync::Arc;

use cubby_api::{Api, ApiConfig};
use cubby_app::auth::LoginPolicy;
use cubby_app::members::NewMember;
use cubby_app::passwords::PasswordParams;
use cubby_app::{App, AppConfig, TokenKeys, TokenPolicy};
use cubby_domain::{
    Actor, Email, MembershipId, Role, SessionId, Tenant, TenantCode, TenantId, TenantName,
    TimeZone, UserId,
};
use cubby_ports::Ports;
use secrecy::SecretString;
use uuid::Uuid;

use crate::tokens::{TEST_KID, TEST_SECRET};

/// One member of a centre, signed in.
#[derive(Clone, Debug)]
pub struct Member {
    /// Their address.
    pub email: String,
    /// Their password.
    pub password: String,
    /// Their user id.
    pub user_id: UserId,
    /// Their membership id.
    pub membership_id: MembershipId,
    /// Their session.
    pub session_id: SessionId,
    /// Their access token.
    pub token: String,
    /// Their refresh token.
    pub refresh_token: String,
}

/// One centre of the world and a signed-in member per built-in role.
#[derive(Clone, Debug)]
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
    /// Every member, by role: owner, director, teacher, guardian.
    pub members: Vec<(Role, Member)>,
}

impl Centre {
    /// The member with `role`.
    pub fn member(&self, role: Role) -> &Member {
        &self.members.iter().find(|(r, _)| *r == role).unwrap().1
    }
}

/// The application under test and its two centres.
pub struct World {
    /// The api both hosts serve.
    pub api: Arc<Api>,
    /// The MongoDB database behind it, when it runs on one.
    pub mongo: Option<cubby_adapters_mongo::Mongo>,
    /// The application's clock, which tests may move forward.
    pub clock: cubby_adapters_memory::ShiftedClock,
    /// Centre A.
    pub a: Centre,
    /// Centre B.
    pub b: Centre,
    /// Where its mail can be read.
    pub mailbox: crate::mailbox::Mailbox,
}

/// The configuration of a test application: the test key, cheap password hashing, sign-in
/// throttling after 5 failures of an account or 20 of an address, and the test operator key
/// of the platform API.
pub fn test_config() -> AppConfig {
    AppConfig {
        keys: TokenKeys::hs256(TEST_KID, TEST_SECRET),
        policy: TokenPolicy::default(),
        passwords: PasswordParams::for_tests(),
        login: LoginPolicy {
            max_failures_per_account: 5,
            max_failures_per_address: 20,
            window: std::time::Duration::from_secs(900),
        },
        session_lifetime: time::Duration::days(30),
        supabase: None,
        // Retries a few milliseconds apart, so that tests see them without waiting.
        jobs: cubby_app::jobs::RetryPolicy {
            max_attempts: 3,
            base: time::Duration::milliseconds(20),
            cap: time::Duration::milliseconds(100),
        },
        operators: crate::tokens::test_operator_keys(),
        links: cubby_app::mail::Links::new(TEST_ORIGIN),
    }
}

/// The browser origin test worlds allow.
pub const TEST_ORIGIN: &str = "https://app.cubby.example";

/// The api configuration of a test world: the defaults, allowing [`TEST_ORIGIN`], without the
/// API docs, with dev's conveniences (invitation tokens answered, `GET /dev/outbox`).
pub fn test_api_config() -> ApiConfig {
    ApiConfig {
        allowed_origins: vec![TEST_ORIGIN.to_owned()],
        dev: true,
        // The docs' pages carry their own Content-Security-Policy; tests/e2e/openapi.rs turns
        // them on.
        serve_docs: false,
        ..ApiConfig::default()
    }
}

impl World {
    /// A world on the in-memory adapters.
    pub async fn in_memory() -> World {
        Self::with_config(test_config()).await
    }

    /// A world on the in-memory adapters served as staging and production are: without dev's
    /// conveniences, so that tokens reach people by mail only.
    pub async fn outside_dev() -> World {
        let api = ApiConfig {
            dev: false,
            ..test_api_config()
        };
        Self::on(cubby_adapters_memory::embedded_ports(), test_config(), api).await
    }

    /// Runs the critical queue, where mail travels, until it is empty.
    pub async fn deliver_mail(&self) {
        while self
            .app()
            .jobs
            .work_once(cubby_domain::Queue::Critical)
            .await
            .unwrap()
            > 0
        {}
    }

    /// A world on the in-memory adapters, configured with `config`.
    pub async fn with_config(config: AppConfig) -> World {
        Self::on(
            cubby_adapters_memory::embedded_ports(),
            config,
            test_api_config(),
        )
        .await
    }

    /// A world on a fresh database of the shared MongoDB-compatible server and a fresh
    /// namespace of the shared Redis, or `None` when they are not configured (see
    /// [`cubby_ports::contract::services`]).
    pub async fn on_services() -> Option<World> {
        let uri = cubby_ports::contract::services::mongodb_uri()?;
        let url = cubby_ports::contract::services::redis_url()?;
        let s3 = cubby_ports::contract::services::s3()?;
        Some(Self::on_all_stores(&uri, &url, Some(&s3), test_api_config(), None).await)
    }

    /// [`World::on_services`] served without dev conveniences, whose mail goes to the SMTP test
    /// server (`CUBBY_TEST_SMTP_URL`), read back from its spool: `None` when a service is not configured (a failure under
    /// `CUBBY_REQUIRE_SERVICES=1`).
    pub async fn on_services_by_smtp() -> Option<World> {
        let uri = cubby_ports::contract::services::mongodb_uri()?;
        let url = cubby_ports::contract::services::redis_url()?;
        let s3 = cubby_ports::contract::services::s3()?;
        let smtp = cubby_ports::contract::services::smtp()?;
        // Served as staging and production are: tokens reach people by mail only.
        let api = ApiConfig {
            dev: false,
            ..test_api_config()
        };
        Some(Self::on_all_stores(&uri, &url, Some(&s3), api, Some(&smtp)).await)
    }

    /// A world on a fresh database of the MongoDB at `uri` and a fresh namespace of the Redis
    /// at `url` (files in memory).
    pub async fn on_stores(uri: &str, url: &str) -> World {
        Self::on_all_stores(uri, url, None, test_api_config(), None).await
    }

    /// [`World::on_stores`] served with `api_config`.
    pub async fn on_stores_with(uri: &str, url: &str, api_config: ApiConfig) -> World {
        Self::on_all_stores(uri, url, None, api_config, None).await
    }

    /// A world on MongoDB, Redis and, when given, the S3 stand-in's bucket and the SMTP test
    /// server.
    async fn on_all_stores(
        uri: &str,
        url: &str,
        s3: Option<&cubby_ports::contract::services::S3Service>,
        api_config: ApiConfig,
        smtp: Option<&cubby_ports::contract::services::SmtpService>,
    ) -> World {
        let mut ports = cubby_adapters_memory::embedded_ports();
        if let Some(smtp) = smtp {
            let mailer = cubby_adapters_smtp::SmtpMailer::new(
                &SecretString::from(smtp.url.clone()),
                "Cubby Tests <no-reply@cubby.test>",
            )
            .unwrap();
            ports.mailer = Arc::new(mailer);
            ports.outbox = None;
        }
        let mongo = crate::services::fresh_mongo(uri).await;
        mongo.install(&mut ports);
        crate::services::fresh_redis(url).install(&mut ports);
        if let Some(s3) = s3 {
            cubby_adapters_s3::S3Objects::new(cubby_adapters_s3::S3Options {
                endpoint: Some(s3.endpoint.clone()),
                region: "us-east-1".to_owned(),
                bucket: s3.bucket.clone(),
                keys: Some(cubby_adapters_s3::AwsKeys {
                    access_key_id: s3.access_key.clone(),
                    secret_access_key: SecretString::from(s3.secret_key.clone()),
                    session_token: None,
                }),
            })
            .unwrap()
            .install(&mut ports);
        }
        let mut world = Self::on(ports, test_config(), api_config).await;
        world.mongo = Some(mongo);
        if let Some(smtp) = smtp {
            world.mailbox = crate::mailbox::Mailbox::Spool(smtp.spool.clone());
        }
        world
    }

    /// A world on `ports`, configured with `config` and served with `api_config`.
    pub async fn on(mut ports: Ports, config: AppConfig, api_config: ApiConfig) -> World {
        let clock = cubby_adapters_memory::ShiftedClock::default();
        ports.clock = Arc::new(clock.clone());
        // A spool is set by the caller that configured the SMTP mailer.
        let mailbox =
            crate::mailbox::Mailbox::Outbox(ports.outbox.clone().unwrap_or_else(|| {
                Arc::new(cubby_adapters_memory::Outbox::new(ports.clock.clone()))
            }));
        let app = Arc::new(App::new(ports, config).unwrap());
        let a = centre(&app, "a").await;
        let b = centre(&app, "b").await;
        let api = Arc::new(Api::new(app, api_config));
        World {
            api,
            mongo: None,
            clock,
            a,
            b,
            mailbox,
        }
    }

    /// The application.
    pub fn app(&self) -> &App {
        self.api.app()
    }

    /// How many centres the application holds (up to 100).
    pub async fn centres(&self) -> usize {
        let tenants = &self.app().ports().tenants;
        tenants.tenant_ids(None, 100).await.unwrap().len()
    }
}

/// A centre with a member per role, each signed in.
pub async fn centre(app: &App, label: &str) -> Centre {
    let id = TenantId::from_uuid(Uuid::now_v7());
    let suffix = &id.uuid().simple().to_string()[20..];
    let tenant = Tenant::create(
        id,
        TenantCode::parse(&format!("centre-{label}-{suffix}")).unwrap(),
        TenantName::parse(&format!("Centre {label}")).unwrap(),
        TimeZone::parse("Europe/Helsinki").unwrap(),
        Actor::User(UserId::from_uuid(Uuid::now_v7())),
        app.ports().clock.now(),
    );
    app.ports().tenants.insert(&tenant).await.unwrap();
    let scope = cubby_ports::contract::scope_in(tenant.id());
    let mut members = Vec::new();
    for role in Role::ALL {
        let email = format!("{}.{suffix}@centre-{label}.example", role.as_str());
        let password = format!("{}-password-{suffix}", role.as_str());
        let new = NewMember {
            email: Email::parse(&email).unwrap(),
            password: Some(SecretString::from(password.clone())),
            email_verified: true,
            roles: vec![role.into()],
            entitlements: cubby_domain::EntitlementSet::all(),
        };
        let (user, membership) = app.members.enroll(&scope, new).await.unwrap();
        let session = app
            .auth
            .open_session(&tenant, &user, &membership, None)
            .await
            .unwrap();
        let member = Member {
            email,
            password,
            user_id: user.id(),
            membership_id: membership.id(),
            session_id: session.session.id,
            token: session.access.token.clone(),
            refresh_token: secrecy::ExposeSecret::expose_secret(&session.refresh_token).to_owned(),
        };
        members.push((role, member));
    }
    let token = |role| {
        members
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, m): &(Role, Member)| m.token.clone())
            .unwrap()
    };
    Centre {
        owner: token(Role::Owner),
        director: token(Role::Director),
        teacher: token(Role::Teacher),
        guardian: token(Role::Guardian),
        members,
        tenant,
    }
}
