//! Changing a member's roles, entitlements or status, and removing them: never beyond the
//! caller's own permissions, never the last active owner.

use cubby_domain::{
    AuditAction, EntitlementSet, ErrorCode, Membership, MembershipChanges, MembershipId,
    MembershipStatus, Permission, Tenant, UserId, Version,
};
use cubby_ports::{MembershipQuery, PageRequest, RepoError, TenantScope};

use super::{Member, Members, is_active_owner, owner, roles_text, within};
use crate::AppError;
use crate::error::require;

impl Members {
    /// Changes a member's roles, entitlements or status (active or suspended), if the
    /// membership is still at the version the caller read.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `members:manage`; [`AppError::Denied`] beyond the
    /// caller's permissions; [`AppError::Conflict`] (`members.last_owner`) for the last owner;
    /// [`AppError::Invalid`] for unknown roles or a status that cannot be set this way;
    /// [`AppError::NotFound`], [`AppError::StaleVersion`].
    pub async fn update(
        &self,
        scope: &TenantScope,
        id: MembershipId,
        expected: Version,
        changes: MembershipChanges,
    ) -> Result<Member, AppError> {
        require(scope, Permission::MembersManage)?;
        if let Some(status) = changes.status
            && !matches!(
                status,
                MembershipStatus::Active | MembershipStatus::Suspended
            )
        {
            return Err(AppError::Invalid {
                field: "status",
                code: ErrorCode::MembersInvalidStatus,
                message: "a member's status can be set to active or suspended; invite or remove them instead".to_owned(),
            });
        }
        let stored = self.current(scope, id, expected).await?;
        if matches!(
            stored.status(),
            MembershipStatus::Removed | MembershipStatus::Invited
        ) && changes.status.is_some()
        {
            return Err(AppError::Rule {
                code: ErrorCode::MembersNotJoined,
                message: "only members who joined can be suspended or reactivated".to_owned(),
            });
        }
        let changed = stored.changed(changes, scope.actor().clone(), self.clock.now());
        self.apply(scope, &stored, changed).await
    }

    /// Removes a member (kept as removed, for the history), if the membership is still at the
    /// version the caller read, and ends every session they hold in the centre: their access
    /// tokens are refused from the next request on and their refresh tokens never work again,
    /// even if they are invited back.
    ///
    /// # Errors
    ///
    /// As [`Members::update`]; store failures ending the sessions (the member is removed by
    /// then, and their tokens are refused as a removed member's; inviting them back ends the
    /// sessions before anything else).
    pub async fn remove(
        &self,
        scope: &TenantScope,
        id: MembershipId,
        expected: Version,
    ) -> Result<Member, AppError> {
        require(scope, Permission::MembersManage)?;
        let stored = self.current(scope, id, expected).await?;
        let changes = MembershipChanges {
            status: Some(MembershipStatus::Removed),
            ..MembershipChanges::default()
        };
        let changed = stored.changed(changes, scope.actor().clone(), self.clock.now());
        let removed = self.apply(scope, &stored, changed).await?;
        self.end_sessions(scope, removed.user.id()).await?;
        Ok(removed)
    }

    /// Ends every session `user` holds in the centre (as logout does: each session's access
    /// tokens are refused, its refresh family revoked). Ending an ended session again changes
    /// nothing, so a removal whose ending failed is finished when the member is invited back.
    pub(super) async fn end_sessions(
        &self,
        scope: &TenantScope,
        user: UserId,
    ) -> Result<(), AppError> {
        let families = self.tokens.families_of(scope.tenant_id(), user).await?;
        for family in families {
            self.sessions
                .end(&*self.tokens, family.id, Some(family.expires_at), None)
                .await?;
        }
        Ok(())
    }

    async fn current(
        &self,
        scope: &TenantScope,
        id: MembershipId,
        expected: Version,
    ) -> Result<Membership, AppError> {
        let stored = self.memberships.get_membership(scope, id).await?;
        if stored.version() != expected {
            return Err(AppError::StaleVersion);
        }
        Ok(stored)
    }

    /// Checks the rules for replacing `stored` by `changed`, stores it, drops the cached
    /// principal and records what changed.
    async fn apply(
        &self,
        scope: &TenantScope,
        stored: &Membership,
        changed: Membership,
    ) -> Result<Member, AppError> {
        let custom = self.custom_roles(scope).await?;
        Self::known_roles(changed.roles(), &custom)?;
        within(scope, stored.permissions(&custom))?;
        within(scope, changed.permissions(&custom))?;
        if is_active_owner(stored) && !is_active_owner(&changed) {
            self.claim_owner_change(scope).await?;
        }
        self.memberships
            .update_membership(scope, &changed, stored.version())
            .await?;
        self.principals
            .forget(&[(scope.tenant_id(), changed.id())])
            .await;
        self.record_changes(scope, stored, &changed).await;
        let user = self.users.user_by_id(changed.user_id()).await?;
        Ok(Member {
            membership: changed,
            user,
        })
    }

    /// Makes sure another active owner remains, and serialises changes to owners through a
    /// compare-and-swap on the centre's version, so that two concurrent demotions cannot leave
    /// the centre without an owner.
    async fn claim_owner_change(&self, scope: &TenantScope) -> Result<(), AppError> {
        let last_owner = || AppError::Conflict {
            code: ErrorCode::MembersLastOwner,
            message: "the centre's last owner cannot be demoted, suspended or removed".to_owned(),
        };
        let tenant: Tenant = self.tenants.by_id(scope.tenant_id()).await?;
        let owners = MembershipQuery {
            statuses: vec![MembershipStatus::Active],
            role: Some(owner()),
            page: PageRequest::new(2, 0).map_err(|e| AppError::Internal(Box::new(e)))?,
            ..MembershipQuery::default()
        };
        if self
            .memberships
            .list_memberships(scope, &owners)
            .await?
            .total
            <= 1
        {
            return Err(last_owner());
        }
        let bumped = tenant.touched(scope.actor().clone(), self.clock.now());
        match self.tenants.update(&bumped, tenant.version()).await {
            Ok(()) => Ok(()),
            Err(RepoError::StaleVersion) => Err(AppError::Conflict {
                code: ErrorCode::MembersConcurrentChange,
                message: "the centre's owners changed at the same time; try again".to_owned(),
            }),
            Err(other) => Err(other.into()),
        }
    }

    async fn record_changes(&self, scope: &TenantScope, before: &Membership, after: &Membership) {
        let target = Some(after.id().to_string());
        if before.roles() != after.roles() {
            let details = [
                ("from", roles_text(before.roles())),
                ("to", roles_text(after.roles())),
            ];
            self.audit
                .record(
                    scope,
                    AuditAction::MemberRolesChanged,
                    target.clone(),
                    &details,
                )
                .await;
        }
        if before.entitlements() != after.entitlements() {
            let list =
                |set: EntitlementSet| set.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(",");
            let details = [
                ("from", list(before.entitlements())),
                ("to", list(after.entitlements())),
            ];
            self.audit
                .record(
                    scope,
                    AuditAction::MemberEntitlementsChanged,
                    target.clone(),
                    &details,
                )
                .await;
        }
        if before.status() != after.status() {
            let action = match after.status() {
                MembershipStatus::Suspended => AuditAction::MemberSuspended,
                MembershipStatus::Removed => AuditAction::MemberRemoved,
                MembershipStatus::Active if before.status() == MembershipStatus::Invited => {
                    AuditAction::MemberJoined
                }
                MembershipStatus::Active => AuditAction::MemberReactivated,
                MembershipStatus::Invited => AuditAction::MemberInvited,
            };
            self.audit.record(scope, action, target, &[]).await;
        }
    }
}
