//! People in several centres: the choice a sign-in without a centre offers, the caller's list
//! and the switch, on the in-memory adapters; and what a membership directory, tenant directory
//! or token store that does not answer makes of them (mockall mocks).

use std::sync::Arc;

use cubby_domain::{
    Actor, AuditAction, Email, EntitlementSet, MembershipChanges, MembershipStatus, Role, Tenant,
    TenantStatus,
};
use cubby_ports::contract::tenants::new_tenant;
use cubby_ports::mocks::{MockMembershipDirectory, MockTenantDirectory, MockTokenStore};
use cubby_ports::{AuditQuery, RepoError, SortDirection};
use secrecy::SecretString;

use super::CentreChoice;
use crate::auth::{Credentials, SignInError, SignedIn};
use crate::members::NewMember;
use crate::session::Session;
use crate::testing::{World, timed_out};
use crate::{App, AppError};

const EMAIL: &str = "ada@two-centres.example";
const PASSWORD: &str = "right-password";

/// The world's centre and a second one, whose codes sort as `first` then `second`.
struct TwoCentres {
    world: World,
    second: Tenant,
}

impl TwoCentres {
    /// Two centres, and Ada, with a password, an active member of both.
    async fn new() -> Self {
        let world = World::new().await;
        let second = centre(&world.app, TenantStatus::Active).await;
        let this = Self { world, second };
        this.enroll(&this.world.tenant).await;
        this.enroll(&this.second).await;
        this
    }

    fn app(&self) -> &App {
        &self.world.app
    }

    /// Ada, enrolled as a teacher of `tenant`.
    async fn enroll(&self, tenant: &Tenant) -> cubby_domain::Membership {
        let scope = cubby_ports::contract::scope_in(tenant.id());
        let new = NewMember {
            email: Email::parse(EMAIL).unwrap(),
            password: Some(SecretString::from(PASSWORD.to_owned())),
            email_verified: true,
            roles: vec![Role::Teacher.into()],
            entitlements: EntitlementSet::all(),
        };
        self.app().members.enroll(&scope, new).await.unwrap().1
    }

    /// Ada's centres, in code order, as a sign-in lists them.
    fn both(&self) -> Vec<CentreChoice> {
        let mut both: Vec<CentreChoice> = [&self.world.tenant, &self.second]
            .into_iter()
            .map(CentreChoice::of)
            .collect();
        both.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
        both
    }

    /// Ada signed into the world's centre, and the session her access token opens.
    async fn signed_in_first(&self) -> (SignedIn, Session) {
        let code = self.world.tenant.code().as_str();
        let signed_in = self
            .app()
            .auth
            .login(sign_in(Some(code), PASSWORD))
            .await
            .unwrap();
        let session = self
            .app()
            .sessions
            .verify(&signed_in.access.token)
            .await
            .unwrap();
        (signed_in, session)
    }

    /// The actions audited in `tenant`, oldest first, with their details.
    async fn audited(&self, tenant: &Tenant) -> Vec<(AuditAction, Vec<(String, String)>)> {
        let scope = cubby_ports::contract::scope_in(tenant.id());
        let events = self
            .world
            .ports
            .audit
            .list_events(
                &scope,
                &AuditQuery {
                    direction: SortDirection::Ascending,
                    ..AuditQuery::default()
                },
            )
            .await
            .unwrap();
        events
            .items
            .into_iter()
            .map(|event| (event.action, event.details))
            .collect()
    }
}

/// A new centre standing at `status`.
async fn centre(app: &App, status: TenantStatus) -> Tenant {
    let tenant = new_tenant();
    let tenant = if status == TenantStatus::Active {
        tenant
    } else {
        let by = Actor::User(cubby_domain::UserId::from_uuid(uuid::Uuid::now_v7()));
        tenant.with_status(status, by, tenant.audit().created_at())
    };
    app.ports().tenants.insert(&tenant).await.unwrap();
    tenant
}

fn sign_in(tenant_code: Option<&str>, password: &str) -> Credentials {
    Credentials {
        tenant_code: tenant_code.map(str::to_owned),
        email: EMAIL.to_owned(),
        password: SecretString::from(password.to_owned()),
        client: None,
    }
}

#[tokio::test]
async fn a_sign_in_without_a_centre_lists_the_centres_only_after_the_password() {
    let two = TwoCentres::new().await;
    let outcome = two.app().auth.login(sign_in(None, PASSWORD)).await;
    match outcome {
        Err(SignInError::TenantRequired { centres }) => assert_eq!(centres, two.both()),
        other => panic!("{other:?}"),
    }
    // A wrong password learns nothing, however many centres the account has.
    let outcome = two.app().auth.login(sign_in(None, "wrong-password")).await;
    assert!(matches!(outcome, Err(SignInError::Refused)), "{outcome:?}");
    // Naming one still signs in there.
    let code = two.second.code().as_str();
    let signed_in = two.app().auth.login(sign_in(Some(code), PASSWORD)).await;
    assert_eq!(signed_in.unwrap().tenant.id(), two.second.id());
}

#[tokio::test]
async fn a_sign_in_without_a_centre_checks_one_password_whatever_is_wrong() {
    let two = TwoCentres::new().await;
    let unknown = Credentials {
        email: "nobody@two-centres.example".to_owned(),
        ..sign_in(None, PASSWORD)
    };
    let not_an_address = Credentials {
        email: "not an address".to_owned(),
        ..sign_in(None, PASSWORD)
    };
    for attempt in [unknown, not_an_address, sign_in(None, "wrong-password")] {
        let before = two.app().auth.passwords().verifications();
        let outcome = two.app().auth.login(attempt).await;
        assert!(matches!(outcome, Err(SignInError::Refused)), "{outcome:?}");
        assert_eq!(two.app().auth.passwords().verifications(), before + 1);
    }
    let before = two.app().auth.passwords().verifications();
    let outcome = two.app().auth.login(sign_in(None, PASSWORD)).await;
    assert!(matches!(outcome, Err(SignInError::TenantRequired { .. })));
    assert_eq!(two.app().auth.passwords().verifications(), before + 1);
}

#[tokio::test]
async fn a_person_of_one_centre_needs_no_code_and_the_others_do_not_count() {
    let world = World::new().await;
    let two = TwoCentres {
        second: centre(&world.app, TenantStatus::Suspended).await,
        world,
    };
    two.enroll(&two.world.tenant).await;
    two.enroll(&two.second).await;
    // A third centre whose membership was suspended.
    let third = centre(two.app(), TenantStatus::Active).await;
    let membership = two.enroll(&third).await;
    let scope = cubby_ports::contract::scope_in(third.id());
    let changes = MembershipChanges {
        status: Some(MembershipStatus::Suspended),
        ..MembershipChanges::default()
    };
    two.app()
        .members
        .update(&scope, membership.id(), membership.version(), changes)
        .await
        .unwrap();

    let signed_in = two.app().auth.login(sign_in(None, PASSWORD)).await.unwrap();
    assert_eq!(signed_in.tenant.id(), two.world.tenant.id());
    let session = two
        .app()
        .sessions
        .verify(&signed_in.access.token)
        .await
        .unwrap();
    let listed = two.app().auth.centres(&session.scope).await.unwrap();
    assert_eq!(listed, vec![CentreChoice::of(&two.world.tenant)]);
}

#[tokio::test]
async fn the_list_is_the_callers_own_centres() {
    let two = TwoCentres::new().await;
    let (_, session) = two.signed_in_first().await;
    assert_eq!(
        two.app().auth.centres(&session.scope).await.unwrap(),
        two.both()
    );
    // Someone of the world's centre alone sees that one only.
    let (user, membership) = two.world.member("bo@one-centre.example", Role::Owner).await;
    let other = two
        .app()
        .auth
        .open_session(&two.world.tenant, &user, &membership, None)
        .await
        .unwrap();
    let other = two
        .app()
        .sessions
        .verify(&other.access.token)
        .await
        .unwrap();
    assert_eq!(
        two.app().auth.centres(&other.scope).await.unwrap(),
        vec![CentreChoice::of(&two.world.tenant)]
    );
}

#[tokio::test]
async fn a_switch_ends_the_first_session_and_opens_one_in_the_other_centre() {
    let two = TwoCentres::new().await;
    let (first, session) = two.signed_in_first().await;
    let switched = two
        .app()
        .auth
        .switch(&session, &format!(" {} ", two.second.code()))
        .await
        .unwrap();
    assert_eq!(switched.tenant.id(), two.second.id());
    assert_ne!(switched.session.id, first.session.id);
    let opened = two
        .app()
        .sessions
        .verify(&switched.access.token)
        .await
        .unwrap();
    assert_eq!(opened.scope.tenant_id(), two.second.id());
    // The first session's access and refresh tokens are refused.
    let old = two.app().sessions.verify(&first.access.token).await;
    assert!(old.is_err(), "the first access token still opens a session");
    let refresh = secrecy::ExposeSecret::expose_secret(&first.refresh_token).to_owned();
    let refreshed = two.app().auth.refresh(&refresh).await;
    assert!(
        matches!(refreshed, Err(SignInError::Refused)),
        "{refreshed:?}"
    );
    // Audited in both centres: the session ended in one, signed in through a switch in the other.
    let ended = two.audited(&two.world.tenant).await;
    assert_eq!(ended.last().unwrap().0, AuditAction::Logout);
    let started = two.audited(&two.second).await;
    assert_eq!(
        started.last().unwrap(),
        &(
            AuditAction::Login,
            vec![("via".to_owned(), "switch".to_owned())]
        )
    );
}

#[tokio::test]
async fn a_switch_to_a_centre_that_is_not_the_callers_ends_nothing() {
    let two = TwoCentres::new().await;
    let (first, session) = two.signed_in_first().await;
    let foreign = centre(two.app(), TenantStatus::Active).await;
    let suspended = centre(two.app(), TenantStatus::Suspended).await;
    two.enroll(&suspended).await;
    for code in [
        foreign.code().as_str(),
        suspended.code().as_str(),
        "no-such-centre",
        "Not A Code",
    ] {
        let outcome = two.app().auth.switch(&session, code).await;
        assert!(
            matches!(outcome, Err(AppError::NotFound)),
            "{code}: {outcome:?}"
        );
    }
    two.app()
        .sessions
        .verify(&first.access.token)
        .await
        .expect("a refused switch ended the session");
}

#[tokio::test]
async fn a_switch_whose_memberships_do_not_answer_ends_nothing() {
    let two = TwoCentres::new().await;
    let (first, session) = two.signed_in_first().await;
    let mut memberships = MockMembershipDirectory::new();
    memberships
        .expect_memberships_of_user()
        .times(1)
        .returning(|_| Err(timed_out()));
    let failing = two
        .world
        .with(|ports| ports.membership_directory = Arc::new(memberships));
    let outcome = failing
        .auth
        .switch(&session, two.second.code().as_str())
        .await;
    assert!(
        matches!(outcome, Err(AppError::Unavailable(_))),
        "{outcome:?}"
    );
    two.app()
        .sessions
        .verify(&first.access.token)
        .await
        .expect("a failed switch ended the session");
}

#[tokio::test]
async fn a_switch_that_cannot_end_the_session_opens_no_other() {
    let two = TwoCentres::new().await;
    let (_, session) = two.signed_in_first().await;
    let mut tokens = MockTokenStore::new();
    tokens
        .expect_block_access()
        .times(1)
        .returning(|_, _| Err(timed_out()));
    tokens.expect_create_family().never();
    let failing = two.world.with(|ports| ports.tokens = Arc::new(tokens));
    let outcome = failing
        .auth
        .switch(&session, two.second.code().as_str())
        .await;
    assert!(
        matches!(outcome, Err(AppError::Unavailable(_))),
        "{outcome:?}"
    );
    assert_eq!(two.audited(&two.second).await, Vec::new());
}

#[tokio::test]
async fn a_sign_in_without_a_centre_whose_centres_do_not_answer_fails() {
    let two = TwoCentres::new().await;
    let mut tenants = MockTenantDirectory::new();
    tenants
        .expect_by_id()
        .returning(|_| Err(RepoError::Unavailable("timed out".into())));
    let failing = two.world.with(|ports| ports.tenants = Arc::new(tenants));
    let outcome = failing.auth.login(sign_in(None, PASSWORD)).await;
    assert!(
        matches!(outcome, Err(SignInError::Failed(AppError::Unavailable(_)))),
        "{outcome:?}"
    );
}
