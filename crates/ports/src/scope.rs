//! The proof of who is acting in which tenant.

use std::fmt;

use cubby_domain::audit::JobName;
use cubby_domain::{
    Actor, Membership, MembershipId, OperatorId, Permission, PermissionSet, Tenant, TenantId,
    TenantStatus, UserId, UserStatus,
};

use crate::Delivery;

/// What a verified session establishes; turned into a [`TenantScope`] by
/// [`TenantScope::from_verified_session`]. Only [`VerifiedSession::establish`] makes one, and
/// only for an active membership of an active centre, held by an active user who is the
/// session's own.
#[derive(Clone, Debug)]
pub struct VerifiedSession {
    tenant_id: TenantId,
    user_id: UserId,
    membership_id: MembershipId,
    roles: Vec<String>,
    permissions: PermissionSet,
    entitlements_version: u64,
}

impl VerifiedSession {
    /// The session of `user` (from a token whose signature and claims were checked) in
    /// `tenant`, through `membership` as stored; it may do nothing until
    /// [`VerifiedSession::permitted`] gives it what the membership's roles allow.
    ///
    /// # Errors
    ///
    /// The reason, for the logs, when the centre is not active, the membership is another
    /// user's or not active, or the user is not active.
    pub fn establish(
        tenant: &Tenant,
        user: UserId,
        user_status: UserStatus,
        membership: &Membership,
    ) -> Result<Self, &'static str> {
        if tenant.status() != TenantStatus::Active {
            return Err("tenant suspended");
        }
        if membership.user_id() != user {
            return Err("membership of another user");
        }
        if !membership.is_active() {
            return Err("membership suspended");
        }
        if user_status != UserStatus::Active {
            return Err("user suspended");
        }
        Ok(Self {
            tenant_id: tenant.id(),
            user_id: user,
            membership_id: membership.id(),
            roles: membership.roles().iter().map(ToString::to_string).collect(),
            permissions: PermissionSet::EMPTY,
            entitlements_version: membership.entitlements_version(),
        })
    }

    /// The session, allowed `permissions`: what the membership's roles allow at its
    /// entitlements version.
    #[must_use]
    pub fn permitted(self, permissions: PermissionSet) -> Self {
        Self {
            permissions,
            ..self
        }
    }
}

/// Proof that the caller acts inside one tenant: a verified session of an active membership,
/// a background job of that tenant, or one of the few narrow tasks that act for a tenant
/// without a session (each named below, each with no permission at all).
///
/// Every tenant-owned port method takes a scope first, and adapters build every query from
/// [`TenantScope::tenant_id`]. The fields are private and no constructor grants every
/// permission:
/// - [`TenantScope::from_verified_session`] takes a [`VerifiedSession`], which only
///   [`VerifiedSession::establish`] makes, from an active membership of an active centre held by
///   the session's own user (the application's session verification is its one caller);
/// - [`TenantScope::for_job`] needs a [`Delivery`], what a worker holds once it dequeued a job;
/// - the task scopes ([`TenantScope::for_schedule`], [`TenantScope::for_sign_in`],
///   [`TenantScope::for_permission_lookup`], [`TenantScope::for_invitee`],
///   [`TenantScope::for_provisioning`], [`TenantScope::for_operator`]) carry no permission,
///   so no use case that checks one accepts them; they reach only the port calls of their task.
///
/// An architecture test lists the files that may call each constructor.
#[derive(Clone)]
pub struct TenantScope {
    tenant_id: TenantId,
    actor: Actor,
    membership_id: Option<MembershipId>,
    roles: Vec<String>,
    permissions: PermissionSet,
    entitlements_version: u64,
}

impl TenantScope {
    /// The scope of a verified session. Called only by the application's session verification.
    pub fn from_verified_session(session: VerifiedSession) -> Self {
        Self {
            tenant_id: session.tenant_id,
            actor: Actor::User(session.user_id),
            membership_id: Some(session.membership_id),
            roles: session.roles,
            permissions: session.permissions,
            entitlements_version: session.entitlements_version,
        }
    }

    /// The scope of the job a worker dequeued: confined to the tenant its envelope names, with
    /// the worker recorded as the actor, allowed `permissions`: what that kind of job's work
    /// needs (the application declares it per kind), never more.
    pub fn for_job(delivery: &Delivery, permissions: PermissionSet) -> Self {
        Self {
            permissions,
            ..Self::task(delivery.envelope.tenant, "worker")
        }
    }

    /// The scheduler's, while it starts a scheduled run for `tenant` (its job record only).
    pub fn for_schedule(tenant: TenantId) -> Self {
        Self::task(tenant, "scheduler")
    }

    /// A sign-in's, before any session exists: it writes the attempt's audit event.
    pub fn for_sign_in(tenant: TenantId) -> Self {
        Self::task(tenant, "auth")
    }

    /// The permission cache's, while it reads the centre's custom roles to compute a
    /// membership's permissions.
    pub fn for_permission_lookup(tenant: TenantId) -> Self {
        Self::task(tenant, "permissions")
    }

    /// An invitee's, while they accept their invitation: they act as themself, through their
    /// own (invited) membership, and may do nothing else until they sign in.
    pub fn for_invitee(tenant: TenantId, membership: &Membership) -> Self {
        Self {
            tenant_id: tenant,
            actor: Actor::User(membership.user_id()),
            membership_id: Some(membership.id()),
            roles: Vec::new(),
            permissions: PermissionSet::EMPTY,
            entitlements_version: membership.entitlements_version(),
        }
    }

    /// Provisioning's, while a new centre gets its first owner (after which everything is done
    /// in the owner's own session).
    pub fn for_provisioning(tenant: &Tenant) -> Self {
        Self::task(tenant.id(), "provisioning")
    }

    /// A platform operator's, acting on `tenant` as a whole: through the platform API (by their
    /// key's id) or at the command line (`cli`). They create the centre and invite its owner,
    /// suspend and resume it, and read what a job of it did; the audit log names `operator`.
    pub fn for_operator(tenant: TenantId, operator: &OperatorId) -> Self {
        Self {
            actor: operator.actor(),
            ..Self::task(tenant, "operator")
        }
    }

    /// The mail service's, while it queues a message that belongs to no centre (a password
    /// reset): confined to [`TenantId::PLATFORM`], where no centre's data lives.
    pub fn for_platform_mail() -> Self {
        Self::task(TenantId::PLATFORM, "mail")
    }

    /// A scope for tests, without a session.
    #[cfg(any(test, feature = "test-support"))]
    pub fn for_test(tenant_id: TenantId, user_id: UserId, permissions: PermissionSet) -> Self {
        Self {
            tenant_id,
            actor: Actor::User(user_id),
            membership_id: None,
            roles: Vec::new(),
            permissions,
            entitlements_version: 0,
        }
    }

    /// A task's scope: `name` acts, with no permission.
    fn task(tenant_id: TenantId, name: &'static str) -> Self {
        Self {
            tenant_id,
            actor: Actor::System(JobName::known(name)),
            membership_id: None,
            roles: Vec::new(),
            permissions: PermissionSet::EMPTY,
            entitlements_version: 0,
        }
    }

    /// The tenant every call with this scope is confined to.
    pub fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }

    /// Who acts: the session's user or the job.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The session's user, if a user acts.
    pub fn user_id(&self) -> Option<UserId> {
        self.actor.user_id()
    }

    /// The session's membership, if a user acts.
    pub fn membership_id(&self) -> Option<MembershipId> {
        self.membership_id
    }

    /// The membership's role names.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// What the caller may do.
    pub fn permissions(&self) -> PermissionSet {
        self.permissions
    }

    /// Whether the caller may do `permission`.
    pub fn has(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }

    /// The entitlements version the permissions were computed at.
    pub fn entitlements_version(&self) -> u64 {
        self.entitlements_version
    }
}

impl fmt::Debug for TenantScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantScope")
            .field("tenant_id", &self.tenant_id)
            .field("actor", &self.actor)
            .field("permissions", &self.permissions)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use cubby_domain::{
        Audit, CentreSettings, EntitlementSet, MembershipStatus, Role, TenantCode, TenantName,
        TimeZone, Version,
    };
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::*;

    fn new_tenant() -> Tenant {
        Tenant::restore(cubby_domain::TenantParts {
            id: TenantId::from_uuid(Uuid::now_v7()),
            code: TenantCode::parse("sunny-days").unwrap(),
            name: TenantName::parse("Sunny Days").unwrap(),
            time_zone: TimeZone::parse("Australia/Sydney").unwrap(),
            status: TenantStatus::Active,
            settings: CentreSettings::default(),
            audit: Audit::created(
                Actor::System(JobName::known("test")),
                OffsetDateTime::UNIX_EPOCH,
            ),
            version: Version::FIRST,
        })
    }

    fn member_of_a_centre() -> (Tenant, UserId, Membership) {
        let user = UserId::from_uuid(Uuid::now_v7());
        let membership = Membership::restore(cubby_domain::MembershipParts {
            id: MembershipId::from_uuid(Uuid::now_v7()),
            user_id: user,
            roles: vec![Role::Owner.into()],
            entitlements: EntitlementSet::all(),
            status: MembershipStatus::Active,
            entitlements_version: 1,
            audit: Audit::created(Actor::User(user), OffsetDateTime::UNIX_EPOCH),
            version: Version::FIRST,
        });
        (new_tenant(), user, membership)
    }

    #[test]
    fn a_verified_session_may_do_nothing_until_it_is_permitted() {
        let (tenant, user, membership) = member_of_a_centre();
        let session =
            VerifiedSession::establish(&tenant, user, UserStatus::Active, &membership).unwrap();
        let unpermitted = TenantScope::from_verified_session(session.clone());
        assert!(unpermitted.permissions().is_empty());
        let all = PermissionSet::all();
        let scope = TenantScope::from_verified_session(session.permitted(all));
        assert_eq!(scope.permissions(), all);
        assert_eq!(scope.tenant_id(), tenant.id());
        assert_eq!(scope.user_id(), Some(user));
        assert_eq!(scope.membership_id(), Some(membership.id()));
    }

    #[test]
    fn no_session_is_established_for_a_suspended_centre_user_or_membership_or_another_user() {
        let (tenant, user, membership) = member_of_a_centre();
        let suspended_centre = Tenant::restore(cubby_domain::TenantParts {
            status: TenantStatus::Suspended,
            ..tenant.clone().into_parts()
        });
        let suspended_membership = Membership::restore(cubby_domain::MembershipParts {
            status: MembershipStatus::Suspended,
            ..membership.clone().into_parts()
        });
        let someone_else = UserId::from_uuid(uuid::Uuid::now_v7());
        let refusals = [
            (&suspended_centre, user, UserStatus::Active, &membership),
            (&tenant, user, UserStatus::Suspended, &membership),
            (&tenant, user, UserStatus::Active, &suspended_membership),
            (&tenant, someone_else, UserStatus::Active, &membership),
        ];
        for (tenant, user, status, membership) in refusals {
            assert!(VerifiedSession::establish(tenant, user, status, membership).is_err());
        }
    }

    #[test]
    fn task_scopes_carry_no_permission_and_name_their_task() {
        let tenant = new_tenant();
        let (_, _, membership) = member_of_a_centre();
        let tasks = [
            (TenantScope::for_schedule(tenant.id()), "scheduler"),
            (TenantScope::for_sign_in(tenant.id()), "auth"),
            (
                TenantScope::for_permission_lookup(tenant.id()),
                "permissions",
            ),
            (TenantScope::for_provisioning(&tenant), "provisioning"),
            (
                TenantScope::for_operator(tenant.id(), &OperatorId::parse("cli").unwrap()),
                "operator_cli",
            ),
        ];
        for (scope, name) in tasks {
            assert!(scope.permissions().is_empty(), "{name}");
            assert_eq!(scope.tenant_id(), tenant.id());
            assert_eq!(scope.actor(), &Actor::System(JobName::parse(name).unwrap()));
        }
        let invitee = TenantScope::for_invitee(tenant.id(), &membership);
        assert!(invitee.permissions().is_empty());
        assert_eq!(invitee.actor(), &Actor::User(membership.user_id()));
    }

    #[test]
    fn a_job_scope_is_confined_to_its_envelope_and_allowed_only_what_it_is_given() {
        let tenant = new_tenant();
        let delivery = Delivery {
            envelope: crate::JobEnvelope {
                id: cubby_domain::JobId::from_uuid(Uuid::now_v7()),
                tenant: tenant.id(),
                kind: "attendance_report".to_owned(),
                payload: "{}".to_owned(),
                attempt: 0,
                traceparent: None,
            },
            receipt: "r".to_owned(),
        };
        let needs = PermissionSet::from_iter([Permission::AttendanceRead]);
        let scope = TenantScope::for_job(&delivery, needs);
        assert_eq!(scope.tenant_id(), tenant.id());
        assert_eq!(scope.permissions(), needs);
        assert_eq!(scope.user_id(), None);
    }
}
