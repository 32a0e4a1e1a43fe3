//! The audit log of each centre.

use async_trait::async_trait;
use cubby_domain::{AuditAction, AuditEvent};
use time::OffsetDateTime;

use crate::{Page, PageRequest, RepoError, SortDirection, TenantScope};

/// Which audit events to list: by time (`at`), newest first unless `direction` says otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events by this actor (its stored form: a user id or `system:job`).
    pub actor: Option<String>,
    /// Only events of this action.
    pub action: Option<AuditAction>,
    /// Only events about this target.
    pub target: Option<String>,
    /// Only events at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Only events before this time.
    pub until: Option<OffsetDateTime>,
    /// The order by time (`at`), ties broken by id the same way.
    pub direction: SortDirection,
    /// The page.
    pub page: PageRequest,
}

impl Default for AuditQuery {
    fn default() -> Self {
        Self {
            actor: None,
            action: None,
            target: None,
            from: None,
            until: None,
            direction: SortDirection::Descending,
            page: PageRequest::default(),
        }
    }
}

/// Where a centre's audit events are appended. Entries are never changed or removed.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends an event to the scope's tenant's log.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when the store does not answer.
    async fn append(&self, scope: &TenantScope, event: &AuditEvent) -> Result<(), RepoError>;

    /// A page of the scope's tenant's events matching `query`, in `query.direction` by time.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn list_events(
        &self,
        scope: &TenantScope,
        query: &AuditQuery,
    ) -> Result<Page<AuditEvent>, RepoError>;
}
