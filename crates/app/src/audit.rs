//! The audit trail: recording what people and jobs do in a centre, and reading it back.
//! Events name things by id and never hold a password, a token or an address.

use std::sync::Arc;

use cubby_domain::{Actor, AuditAction, AuditEvent, AuditEventId, Permission, TenantId};
use cubby_ports::{AuditLog, AuditQuery, Clock, IdGenerator, Page, TenantScope};

use crate::AppError;

/// Writes and reads the audit log.
pub struct AuditTrail {
    log: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for AuditTrail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditTrail").finish_non_exhaustive()
    }
}

impl AuditTrail {
    /// The trail on `log`.
    pub fn new(log: Arc<dyn AuditLog>, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { log, clock, ids }
    }

    /// Records what the scope's actor did; a failure is logged, never answered (the change is
    /// already made).
    pub async fn record(
        &self,
        scope: &TenantScope,
        action: AuditAction,
        target: Option<String>,
        details: &[(&str, String)],
    ) {
        self.write(scope, Some(scope.actor().clone()), action, target, details)
            .await;
    }

    /// Records what the scope's actor is about to be shown, before it is shown: reads of
    /// sensitive data are answered only once their audit event is stored.
    ///
    /// # Errors
    ///
    /// [`AppError::Unavailable`] (or another store error) when the event could not be stored.
    pub async fn record_before(
        &self,
        scope: &TenantScope,
        action: AuditAction,
        target: Option<String>,
        details: &[(&str, String)],
    ) -> Result<(), AppError> {
        let event = self.event(Some(scope.actor().clone()), action, target, details);
        Ok(self.log.append(scope, &event).await?)
    }

    /// Records what happened in `tenant` before any session (sign-in): `actor` when known.
    pub async fn record_in(
        &self,
        tenant: TenantId,
        actor: Option<Actor>,
        action: AuditAction,
        target: Option<String>,
        details: &[(&str, String)],
    ) {
        self.write(
            &TenantScope::for_sign_in(tenant),
            actor,
            action,
            target,
            details,
        )
        .await;
    }

    async fn write(
        &self,
        scope: &TenantScope,
        actor: Option<Actor>,
        action: AuditAction,
        target: Option<String>,
        details: &[(&str, String)],
    ) {
        let event = self.event(actor, action, target, details);
        if let Err(error) = self.log.append(scope, &event).await {
            tracing::error!(tenant_id = %scope.tenant_id(), action = action.as_str(), error = %error, "audit event not recorded");
        }
    }

    fn event(
        &self,
        actor: Option<Actor>,
        action: AuditAction,
        target: Option<String>,
        details: &[(&str, String)],
    ) -> AuditEvent {
        AuditEvent {
            id: AuditEventId::from_uuid(self.ids.uuid()),
            at: self.clock.now(),
            actor,
            action,
            target,
            details: details
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        }
    }

    /// A page of the centre's audit log.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `audit:read`; store failures.
    pub async fn list(
        &self,
        scope: &TenantScope,
        query: &AuditQuery,
    ) -> Result<Page<AuditEvent>, AppError> {
        if !scope.has(Permission::AuditRead) {
            return Err(AppError::Forbidden(Permission::AuditRead));
        }
        Ok(self.log.list_events(scope, query).await?)
    }
}
