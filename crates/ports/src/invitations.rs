//! Invitations to join a centre.

use async_trait::async_trait;
use cubby_domain::{Invitation, InvitationId, InvitationStatus, TenantId, Version};

use crate::{Page, PageRequest, RepoError, SortDirection, TenantScope};

/// Which invitations to list: by creation time, newest first unless `direction` says otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvitationQuery {
    /// Only invitations with this status.
    pub status: Option<InvitationStatus>,
    /// The order by creation time, ties broken by id the same way.
    pub direction: SortDirection,
    /// The page.
    pub page: PageRequest,
}

impl Default for InvitationQuery {
    fn default() -> Self {
        Self {
            status: None,
            direction: SortDirection::Descending,
            page: PageRequest::default(),
        }
    }
}

/// Where a centre's invitations are kept.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait InvitationRepository: Send + Sync {
    /// Stores a new invitation in the scope's tenant.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn insert_invitation(
        &self,
        scope: &TenantScope,
        invitation: &Invitation,
    ) -> Result<(), RepoError>;

    /// The invitation with this id in the scope's tenant.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has no such invitation.
    async fn get_invitation(
        &self,
        scope: &TenantScope,
        id: InvitationId,
    ) -> Result<Invitation, RepoError>;

    /// A page of the tenant's invitations, in `query.direction` by creation time, and how many
    /// match.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn list_invitations(
        &self,
        scope: &TenantScope,
        query: &InvitationQuery,
    ) -> Result<Page<Invitation>, RepoError>;

    /// Replaces a stored invitation, if the stored version is still `expected`.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] (also for another tenant's invitation) or
    ///   [`RepoError::StaleVersion`], leaving it unchanged.
    async fn update_invitation(
        &self,
        scope: &TenantScope,
        invitation: &Invitation,
        expected: Version,
    ) -> Result<(), RepoError>;
}

/// The lookup accepting an invitation needs: it arrives with a token, not a session.
/// Platform-level and read-only.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait InvitationDirectory: Send + Sync {
    /// The invitation with this id, and its tenant.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when there is none.
    async fn invitation_by_id(&self, id: InvitationId)
    -> Result<(TenantId, Invitation), RepoError>;
}
