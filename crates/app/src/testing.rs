//! What the use case tests share: an [`App`] on the in-memory adapters with a centre in it, and
//! a second `App` on the same stores with one port swapped for a mockall mock
//! ([`cubby_ports::mocks`]), to make that port time out, conflict or answer corrupt data at a
//! given call.

use cubby_domain::{
    Child, ChildId, Email, Enrolment, EnrolmentStatus, EntitlementSet, Membership, PersonName,
    Role, Tenant, User,
};
use cubby_ports::contract::tenants::new_tenant;
use cubby_ports::{AuditQuery, Ports, RepoError, TenantScope};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::auth::LoginPolicy;
use crate::children::NewChild;
use crate::members::NewMember;
use crate::passwords::PasswordParams;
use crate::{App, AppConfig, TokenKeys, TokenPolicy};

/// The configuration of a test app: a fixed HMAC key and cheap password hashing.
pub(crate) fn config() -> AppConfig {
    AppConfig {
        keys: TokenKeys::hs256("test", b"0123456789abcdef0123456789abcdef"),
        policy: TokenPolicy::default(),
        passwords: PasswordParams::for_tests(),
        login: LoginPolicy {
            max_failures_per_account: 100,
            max_failures_per_address: 100,
            window: std::time::Duration::from_secs(60),
        },
        session_lifetime: Duration::days(1),
        supabase: None,
        jobs: crate::jobs::RetryPolicy::default(),
        operators: crate::platform::OperatorKeys::none(),
        links: crate::mail::Links::new("https://app.example"),
    }
}

/// A centre on the in-memory adapters, and a scope in it holding every permission.
pub(crate) struct World {
    pub(crate) app: App,
    pub(crate) ports: Ports,
    pub(crate) tenant: Tenant,
    pub(crate) scope: TenantScope,
}

impl World {
    pub(crate) async fn new() -> Self {
        let ports = cubby_adapters_memory::embedded_ports();
        let tenant = new_tenant();
        ports.tenants.insert(&tenant).await.unwrap();
        let scope = cubby_ports::contract::scope_in(tenant.id());
        let app = App::new(ports.clone(), config()).unwrap();
        Self {
            app,
            ports,
            tenant,
            scope,
        }
    }

    /// Another app on the same stores, with the ports `swap` changes.
    pub(crate) fn with(&self, swap: impl FnOnce(&mut Ports)) -> App {
        let mut ports = self.ports.clone();
        swap(&mut ports);
        App::new(ports, config()).unwrap()
    }

    /// How many audit events the centre has.
    pub(crate) async fn audited(&self) -> u64 {
        self.ports
            .audit
            .list_events(&self.scope, &AuditQuery::default())
            .await
            .unwrap()
            .total
    }

    /// A new active member of the centre with `role` (an unaudited enrolment).
    pub(crate) async fn member(&self, email: &str, role: Role) -> (User, Membership) {
        self.app
            .members
            .enroll(
                &self.scope,
                NewMember {
                    email: Email::parse(email).unwrap(),
                    password: None,
                    email_verified: true,
                    roles: vec![role.into()],
                    entitlements: EntitlementSet::all(),
                },
            )
            .await
            .unwrap()
    }

    /// A child added through the use case.
    pub(crate) async fn child(&self) -> Child {
        self.app
            .children
            .create(&self.scope, new_child())
            .await
            .unwrap()
    }
}

/// Today, as the system clock of the memory adapters says.
pub(crate) fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// A child of two, enrolled since a month ago, in no room.
pub(crate) fn new_child() -> NewChild {
    NewChild {
        name: PersonName::parse("Ada", "Lovelace").unwrap(),
        date_of_birth: today() - Duration::days(730),
        room_id: None,
        enrolment: Enrolment::new(
            EnrolmentStatus::Enrolled,
            today() - Duration::days(30),
            None,
        )
        .unwrap(),
        photo_consent: true,
    }
}

/// A store that did not answer in time.
pub(crate) fn timed_out() -> RepoError {
    RepoError::Unavailable("timed out".into())
}

/// A stored record that does not read back into the domain.
pub(crate) fn corrupt() -> RepoError {
    RepoError::corrupt("unknown enrolment status")
}

/// A child id nobody has.
pub(crate) fn some_child_id() -> ChildId {
    ChildId::from_uuid(Uuid::now_v7())
}
