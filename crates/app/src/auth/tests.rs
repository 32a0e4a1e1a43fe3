//! Tests of the sign-in use cases, over the memory adapters.

use super::*;
use crate::App;
use crate::members::NewMember;
use crate::testing::config;
use cubby_domain::{Email, Role};
use cubby_ports::contract::tenants::new_tenant;

fn app() -> App {
    App::new(cubby_adapters_memory::embedded_ports(), config()).unwrap()
}

fn credentials(tenant: &str, email: &str, password: &str) -> Credentials {
    Credentials {
        tenant_code: Some(tenant.to_owned()),
        email: email.to_owned(),
        password: SecretString::from(password.to_owned()),
        client: None,
    }
}

/// The memory token store, keeping what `block_access` was asked for.
struct Recording {
    inner: std::sync::Arc<dyn cubby_ports::TokenStore>,
    blocked: std::sync::Mutex<Vec<time::OffsetDateTime>>,
    ended: std::sync::Mutex<Vec<time::OffsetDateTime>>,
}

#[async_trait::async_trait]
impl cubby_ports::TokenStore for Recording {
    async fn block_access(&self, jti: &str, until: time::OffsetDateTime) -> Result<(), RepoError> {
        self.blocked.lock().unwrap().push(until);
        self.inner.block_access(jti, until).await
    }
    async fn is_access_blocked(&self, jti: &str) -> Result<bool, RepoError> {
        self.inner.is_access_blocked(jti).await
    }
    async fn end_session(
        &self,
        id: cubby_domain::SessionId,
        until: time::OffsetDateTime,
    ) -> Result<(), RepoError> {
        self.ended.lock().unwrap().push(until);
        self.inner.end_session(id, until).await
    }
    async fn is_session_ended(&self, id: cubby_domain::SessionId) -> Result<bool, RepoError> {
        self.inner.is_session_ended(id).await
    }
    async fn families_of(
        &self,
        tenant_id: cubby_domain::TenantId,
        user_id: cubby_domain::UserId,
    ) -> Result<Vec<cubby_domain::RefreshFamily>, RepoError> {
        self.inner.families_of(tenant_id, user_id).await
    }
    async fn create_family(&self, family: &cubby_domain::RefreshFamily) -> Result<(), RepoError> {
        self.inner.create_family(family).await
    }
    async fn family(
        &self,
        id: cubby_domain::SessionId,
    ) -> Result<Option<cubby_domain::RefreshFamily>, RepoError> {
        self.inner.family(id).await
    }
    async fn swap_family(
        &self,
        family: &cubby_domain::RefreshFamily,
        expected: u64,
    ) -> Result<bool, RepoError> {
        self.inner.swap_family(family, expected).await
    }
    async fn revoke_family(&self, id: cubby_domain::SessionId) -> Result<(), RepoError> {
        self.inner.revoke_family(id).await
    }
}

#[tokio::test]
async fn a_logged_out_token_stays_blocked_through_the_leeway_past_its_expiry() {
    let mut ports = cubby_adapters_memory::embedded_ports();
    let recording = std::sync::Arc::new(Recording {
        inner: ports.tokens.clone(),
        blocked: std::sync::Mutex::default(),
        ended: std::sync::Mutex::default(),
    });
    ports.tokens = recording.clone();
    let app = App::new(ports, config()).unwrap();
    let tenant = new_tenant();
    app.ports().tenants.insert(&tenant).await.unwrap();
    let scope = cubby_ports::contract::scope_in(tenant.id());
    app.members
        .enroll(
            &scope,
            NewMember {
                email: Email::parse("member@here.example").unwrap(),
                password: Some(SecretString::from("right-password".to_owned())),
                email_verified: true,
                roles: vec![Role::Director.into()],
                entitlements: cubby_domain::EntitlementSet::all(),
            },
        )
        .await
        .unwrap();
    let signed_in = app
        .auth
        .login(credentials(
            tenant.code().as_str(),
            "member@here.example",
            "right-password",
        ))
        .await
        .unwrap();
    let session = app.sessions.verify(&signed_in.access.token).await.unwrap();
    app.auth.logout(&session).await.unwrap();
    let leeway = app.sessions.policy().leeway;
    assert!(leeway.is_positive());
    assert_eq!(
        *recording.blocked.lock().unwrap(),
        vec![session.expires_at + leeway]
    );
    // The whole session ends until the last access token a refresh could have minted before
    // the family's end has expired, leeway included.
    let policy = app.sessions.policy();
    assert_eq!(
        *recording.ended.lock().unwrap(),
        vec![signed_in.session.expires_at + policy.access_ttl + leeway]
    );
    assert!(
        app.ports()
            .tokens
            .is_session_ended(signed_in.session.id)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn every_refused_sign_in_checks_one_password_like_an_accepted_one() {
    let app = app();
    let (here, elsewhere) = (new_tenant(), new_tenant());
    for tenant in [&here, &elsewhere] {
        app.ports().tenants.insert(tenant).await.unwrap();
    }
    let enroll = |tenant: &Tenant, email: &str| {
        let scope = cubby_ports::contract::scope_in(tenant.id());
        let new = NewMember {
            email: Email::parse(email).unwrap(),
            password: Some(SecretString::from("right-password".to_owned())),
            email_verified: true,
            roles: vec![Role::Director.into()],
            entitlements: cubby_domain::EntitlementSet::all(),
        };
        let app = &app;
        async move { app.members.enroll(&scope, new).await.unwrap() }
    };
    enroll(&here, "member@here.example").await;
    enroll(&elsewhere, "outsider@elsewhere.example").await;
    let code = here.code().as_str();
    let refused = [
        credentials("no-such-centre", "member@here.example", "right-password"),
        credentials("Not A Code", "member@here.example", "right-password"),
        credentials(code, "not an address", "right-password"),
        credentials(code, "nobody@here.example", "right-password"),
        credentials(code, "member@here.example", "wrong-password"),
        credentials(code, "outsider@elsewhere.example", "right-password"),
    ];
    for attempt in refused {
        let before = app.auth.passwords().verifications();
        let outcome = app.auth.login(attempt).await;
        assert!(matches!(outcome, Err(SignInError::Refused)), "{outcome:?}");
        assert_eq!(
            app.auth.passwords().verifications(),
            before + 1,
            "a refusal skipped or repeated the password check"
        );
    }
    let before = app.auth.passwords().verifications();
    app.auth
        .login(credentials(code, "member@here.example", "right-password"))
        .await
        .unwrap();
    assert_eq!(app.auth.passwords().verifications(), before + 1);
}
