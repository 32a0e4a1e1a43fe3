//! The proof of who is acting in which tenant.

use std::fmt;

use cubby_domain::audit::JobName;
use cubby_domain::{Actor, MembershipId, Permission, PermissionSet, TenantId, UserId};

/// What a verified session establishes; turned into a [`TenantScope`] by
/// [`TenantScope::from_verified_session`].
#[derive(Clone, Debug)]
pub struct VerifiedSession {
    /// The tenant of the session (from the signed token, never from the request).
    pub tenant_id: TenantId,
    /// The user of the session.
    pub user_id: UserId,
    /// The user's membership of the tenant.
    pub membership_id: MembershipId,
    /// The membership's role names.
    pub roles: Vec<String>,
    /// What the roles allow.
    pub permissions: PermissionSet,
    /// The membership's entitlements version when the permissions were computed.
    pub entitlements_version: u64,
}

/// Proof that the caller acts inside one tenant: a verified session of an active membership,
/// or a background job of that tenant.
///
/// Every tenant-owned port method takes a scope first, and adapters build every query from
/// [`TenantScope::tenant_id`]. The fields are private: a scope for a user is built only by the
/// application's session verification, through [`TenantScope::from_verified_session`] (an
/// architecture test checks that nothing else calls it); jobs use [`TenantScope::system`].
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

    /// The scope of a background job working for `tenant_id`; the job is recorded as the actor
    /// and may do anything in that tenant.
    pub fn system(tenant_id: TenantId, job: JobName) -> Self {
        Self {
            tenant_id,
            actor: Actor::System(job),
            membership_id: None,
            roles: Vec::new(),
            permissions: PermissionSet::all(),
            entitlements_version: 0,
        }
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
