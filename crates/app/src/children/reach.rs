//! Who reaches which child: `centre:all_rooms`, staff through their rooms, linked contacts as
//! far as their capabilities allow, and nobody a records restriction in force names.

use cubby_domain::{Child, ChildId, Permission, RoomId};
use cubby_ports::{Clock, TenantDirectory, TenantScope};
use time::Date;

use super::{Access, Children};
use crate::AppError;
use crate::cache::CachedTenants;

/// The day it is now in the scope's centre.
pub(crate) async fn today(
    tenants: &CachedTenants,
    clock: &dyn Clock,
    scope: &TenantScope,
) -> Result<Date, AppError> {
    let tenant = tenants.by_id(scope.tenant_id()).await?;
    let now = clock.now();
    Ok(now.to_offset(tenant.time_zone().offset_at(now)).date())
}

impl Children {
    /// The day it is now in the scope's centre.
    pub(crate) async fn today(&self, scope: &TenantScope) -> Result<Date, AppError> {
        today(&self.tenants, self.clock.as_ref(), scope).await
    }

    /// The rooms the caller works in as staff (empty when not staff).
    pub(crate) async fn staff_rooms(&self, scope: &TenantScope) -> Result<Vec<RoomId>, AppError> {
        let Some(user) = scope.user_id() else {
            return Ok(Vec::new());
        };
        Ok(self
            .staff
            .by_user(scope, user)
            .await?
            .map(|member| member.room_ids)
            .unwrap_or_default())
    }

    /// How the caller reaches `child` on `day`, or [`AppError::NotFound`].
    pub(crate) async fn reach(
        &self,
        scope: &TenantScope,
        child: &Child,
        day: Date,
    ) -> Result<Access, AppError> {
        let Some(user) = scope.user_id() else {
            // A job of the tenant.
            return Ok(Access::Staff);
        };
        if child.records_blocked_for(user, day) {
            return Err(AppError::NotFound);
        }
        if scope.has(Permission::CentreAllRooms) {
            return Ok(Access::Staff);
        }
        if let Some(room) = child.room_id()
            && self.staff_rooms(scope).await?.contains(&room)
        {
            return Ok(Access::Staff);
        }
        child
            .guardian_view(user, day)
            .map(Access::Guardian)
            .ok_or(AppError::NotFound)
    }

    /// The child, if the caller reaches it as staff.
    pub(crate) async fn as_staff(
        &self,
        scope: &TenantScope,
        id: ChildId,
        day: Date,
    ) -> Result<Child, AppError> {
        let child = self.children.get(scope, id).await?;
        match self.reach(scope, &child, day).await? {
            Access::Staff => Ok(child),
            Access::Guardian(_) => Err(AppError::NotFound),
        }
    }
}
