//! The centre's own settings and day, and the ratio rules of its rooms.

use std::sync::Arc;

use cubby_domain::{
    AuditAction, CentreSettings, Permission, RatioError, RatioRule, Room, RoomError, RoomId,
    Tenant, Version,
};
use cubby_ports::{Clock, RoomRepository, TenantDirectory, TenantScope};
use time::Date;

use crate::AppError;
use crate::audit::AuditTrail;
use crate::cache::CachedTenants;
use crate::error::require;

/// The centre use cases.
pub struct Centre {
    pub(crate) tenants: Arc<CachedTenants>,
    pub(crate) rooms: Arc<dyn RoomRepository>,
    pub(crate) audit: Arc<AuditTrail>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Centre {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Centre").finish_non_exhaustive()
    }
}

/// A change to the centre's settings: each `Some` replaces the value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsChanges {
    /// A new ratio enforcement.
    pub ratio_enforcement: Option<cubby_domain::RatioEnforcement>,
    /// A new closing time (`Some(None)` clears it).
    pub closing_time: Option<Option<time::Time>>,
}

impl Centre {
    /// The caller's centre.
    ///
    /// # Errors
    ///
    /// Store failures.
    pub async fn get(&self, scope: &TenantScope) -> Result<Tenant, AppError> {
        Ok(self.tenants.by_id(scope.tenant_id()).await?)
    }

    /// The day it is now in the caller's centre.
    ///
    /// # Errors
    ///
    /// Store failures.
    pub async fn today(&self, scope: &TenantScope) -> Result<Date, AppError> {
        crate::children::today(&self.tenants, self.clock.as_ref(), scope).await
    }

    /// Changes the centre's settings, if it is still at `expected`.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `tenant:manage`; [`AppError::StaleVersion`].
    pub async fn update_settings(
        &self,
        scope: &TenantScope,
        expected: Version,
        changes: SettingsChanges,
    ) -> Result<Tenant, AppError> {
        require(scope, Permission::TenantManage)?;
        let tenant = self.get(scope).await?;
        if tenant.version() != expected {
            return Err(AppError::StaleVersion);
        }
        let settings = CentreSettings {
            ratio_enforcement: changes
                .ratio_enforcement
                .unwrap_or(tenant.settings().ratio_enforcement),
            closing_time: changes
                .closing_time
                .unwrap_or(tenant.settings().closing_time),
        };
        if settings == tenant.settings() {
            return Ok(tenant);
        }
        let changed = tenant.with_settings(settings, scope.actor().clone(), self.clock.now());
        self.tenants.update(&changed, expected).await?;
        self.audit
            .record(
                scope,
                AuditAction::SettingsChanged,
                Some(tenant.id().to_string()),
                &[(
                    "ratio_enforcement",
                    settings.ratio_enforcement.as_str().to_owned(),
                )],
            )
            .await;
        Ok(changed)
    }

    /// Adds a ratio rule set to a room's history, taking effect today or later.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `rooms:write`; [`AppError::NotFound`];
    /// [`AppError::StaleVersion`]; [`AppError::Invalid`] (`ratio.effective_in_the_past`,
    /// `ratio.rule_exists`); [`AppError::Rule`] (`room.archived`).
    pub async fn add_ratio_rule(
        &self,
        scope: &TenantScope,
        room: RoomId,
        expected: Version,
        rule: RatioRule,
    ) -> Result<Room, AppError> {
        require(scope, Permission::RoomsWrite)?;
        let today = self.today(scope).await?;
        let stored = self.rooms.get(scope, room).await?;
        if stored.version() != expected {
            return Err(AppError::StaleVersion);
        }
        let changed = stored
            .with_ratio_rule(rule, today, scope.actor().clone(), self.clock.now())
            .map_err(|error| match error {
                Some(error) => invalid_rule(&error),
                None => AppError::Rule {
                    code: RoomError::Archived.code(),
                    message: RoomError::Archived.to_string(),
                },
            })?;
        self.rooms.update(scope, &changed, expected).await?;
        Ok(changed)
    }
}

fn invalid_rule(error: &RatioError) -> AppError {
    AppError::Invalid {
        field: "effective_from",
        code: error.code(),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{World, corrupt, timed_out, today};
    use cubby_domain::{AgeBand, RoomId, StaffChildRatio};
    use cubby_ports::RepoError;
    use cubby_ports::mocks::{MockRoomRepository, MockTenantDirectory};
    use time::macros::time;
    use uuid::Uuid;

    fn closing_at_half_past_five() -> SettingsChanges {
        SettingsChanges {
            closing_time: Some(Some(time!(17:31))),
            ..SettingsChanges::default()
        }
    }

    #[tokio::test]
    async fn a_settings_change_is_stored_one_version_on_and_audited() {
        let world = World::new().await;
        let centre = &world.app.centre;
        let changed = centre
            .update_settings(
                &world.scope,
                world.tenant.version(),
                closing_at_half_past_five(),
            )
            .await
            .unwrap();
        assert_eq!(changed.version(), world.tenant.version().next());
        assert_eq!(changed.settings().closing_time, Some(time!(17:31)));
        assert_eq!(centre.get(&world.scope).await.unwrap(), changed);
        assert_eq!(world.audited().await, 1);
    }

    #[tokio::test]
    async fn a_directory_timing_out_fails_the_change_and_writes_nothing() {
        let world = World::new().await;
        let mut tenants = MockTenantDirectory::new();
        tenants.expect_by_id().returning(|_| Err(timed_out()));
        tenants.expect_update().never();
        let app = world.with(|ports| ports.tenants = Arc::new(tenants));
        let answer = app
            .centre
            .update_settings(
                &world.scope,
                world.tenant.version(),
                closing_at_half_past_five(),
            )
            .await;
        assert!(
            matches!(answer, Err(AppError::Unavailable(_))),
            "{answer:?}"
        );
        assert_eq!(world.audited().await, 0);
    }

    #[tokio::test]
    async fn a_change_that_lost_the_race_in_the_directory_is_stale_and_not_audited() {
        let world = World::new().await;
        let stored = world.tenant.clone();
        let mut tenants = MockTenantDirectory::new();
        tenants
            .expect_by_id()
            .returning(move |_| Ok(stored.clone()));
        tenants
            .expect_update()
            .times(1)
            .returning(|_, _| Err(RepoError::StaleVersion));
        let app = world.with(|ports| ports.tenants = Arc::new(tenants));
        let answer = app
            .centre
            .update_settings(
                &world.scope,
                world.tenant.version(),
                closing_at_half_past_five(),
            )
            .await;
        assert!(matches!(answer, Err(AppError::StaleVersion)), "{answer:?}");
        assert_eq!(world.audited().await, 0);
    }

    #[tokio::test]
    async fn a_corrupt_room_fails_a_new_ratio_rule_as_internal_and_writes_nothing() {
        let world = World::new().await;
        let mut rooms = MockRoomRepository::new();
        rooms.expect_get().times(1).returning(|_, _| Err(corrupt()));
        rooms.expect_update().never();
        let app = world.with(|ports| ports.rooms = Arc::new(rooms));
        let rule = RatioRule::new(
            today(),
            vec![AgeBand {
                from_months: 0,
                ratio: StaffChildRatio::new(1, 4).unwrap(),
            }],
            12,
        )
        .unwrap();
        let answer = app
            .centre
            .add_ratio_rule(
                &world.scope,
                RoomId::from_uuid(Uuid::now_v7()),
                Version::FIRST,
                rule,
            )
            .await;
        assert!(matches!(answer, Err(AppError::Internal(_))), "{answer:?}");
    }
}
