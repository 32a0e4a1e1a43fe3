//! People in centres: listing and changing members, suspending and removing them, inviting
//! new ones, and enrolling people directly (the demo data set and tests).
//!
//! The rules: a member may only act on members whose permissions are within their own, and may
//! only grant what is within their own; the last active owner can be neither demoted,
//! suspended nor removed. Every change of what a member may do bumps their entitlements
//! version, so their next request sees it.
//!
//! One use case a file: `changes` (changing, suspending and removing members under those
//! rules), `invitations` (inviting, listing and withdrawing) and `accounts` (enrolling people
//! directly, and a user's status everywhere).

mod accounts;
mod changes;
mod invitations;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use cubby_domain::{
    CustomRole, Email, EntitlementSet, ErrorCode, Invitation, Membership, MembershipId, Permission,
    PermissionSet, Role, RoleRef, User,
};
use cubby_ports::{
    Clock, IdGenerator, InvitationRepository, MembershipDirectory, MembershipQuery,
    MembershipRepository, Page, RoleRepository, TenantDirectory, TenantScope, TokenStore,
    UserDirectory,
};
use secrecy::SecretString;
use time::Duration;

use crate::AppError;
use crate::audit::AuditTrail;
use crate::cache::Principals;
use crate::error::require;
use crate::passwords::Passwords;
use crate::session::Sessions;

pub use invitations::parse_invitation_token;

/// How long an invitation lasts unless the inviter says otherwise.
pub const INVITATION_LIFETIME: Duration = Duration::days(7);
/// The longest an invitation may last.
pub const MAX_INVITATION_LIFETIME: Duration = Duration::days(30);

/// Someone to enrol in a centre directly.
pub struct NewMember {
    /// Their address; an existing user with it is reused.
    pub email: Email,
    /// Their password, for a new user or to replace an existing user's.
    pub password: Option<SecretString>,
    /// Whether the address is known to be theirs.
    pub email_verified: bool,
    /// Their roles in the centre.
    pub roles: Vec<RoleRef>,
    /// The plan features they may use.
    pub entitlements: EntitlementSet,
}

impl std::fmt::Debug for NewMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMember")
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

/// An invitation to send.
#[derive(Clone, Debug)]
pub struct NewInvitation {
    /// The address invited.
    pub email: Email,
    /// The roles it grants.
    pub roles: Vec<RoleRef>,
    /// The entitlements it grants (default: the inviter's own).
    pub entitlements: Option<EntitlementSet>,
    /// How long it lasts (default 7 days, at most 30).
    pub lifetime: Option<Duration>,
}

/// An invitation just created, with its token (shown once, stored only as a digest).
pub struct InvitationSent {
    /// The invitation.
    pub invitation: Invitation,
    /// The token to hand to the invitee (e-mailed to them; answered only in dev).
    pub token: SecretString,
    /// The id of the e-mail that carries it, or `None` when it could not be queued (the
    /// invitation stands: send it again).
    pub mail: Option<cubby_domain::JobId>,
}

impl std::fmt::Debug for InvitationSent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvitationSent")
            .field("invitation", &self.invitation.id())
            .finish_non_exhaustive()
    }
}

/// A member with their user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The membership.
    pub membership: Membership,
    /// The user.
    pub user: User,
}

/// The member use cases.
pub struct Members {
    pub(crate) users: Arc<dyn UserDirectory>,
    pub(crate) directory: Arc<dyn MembershipDirectory>,
    pub(crate) memberships: Arc<dyn MembershipRepository>,
    pub(crate) roles: Arc<dyn RoleRepository>,
    pub(crate) invitations: Arc<dyn InvitationRepository>,
    pub(crate) tenants: Arc<dyn TenantDirectory>,
    pub(crate) principals: Arc<Principals>,
    pub(crate) audit: Arc<AuditTrail>,
    pub(crate) passwords: Passwords,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
    /// Session state: a removed member's sessions end.
    pub(crate) tokens: Arc<dyn TokenStore>,
    /// How long an ended session's entry lasts.
    pub(crate) sessions: Arc<Sessions>,
    /// Invitations are e-mailed.
    pub(crate) mail: crate::mail::Mail,
}

impl std::fmt::Debug for Members {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Members").finish_non_exhaustive()
    }
}

/// Refuses acting on, or granting, more than the caller holds.
fn within(scope: &TenantScope, permissions: PermissionSet) -> Result<(), AppError> {
    if permissions.is_subset_of(scope.permissions()) {
        Ok(())
    } else {
        Err(AppError::Denied {
            code: ErrorCode::MembersBeyondYourPermissions,
            message: "this would act on or grant permissions you do not have".to_owned(),
        })
    }
}

fn owner() -> RoleRef {
    RoleRef::Builtin(Role::Owner)
}

fn is_active_owner(membership: &Membership) -> bool {
    membership.is_active() && membership.holds(owner())
}

fn roles_text(roles: &[RoleRef]) -> String {
    roles
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

impl Members {
    /// The centre's custom roles.
    async fn custom_roles(&self, scope: &TenantScope) -> Result<Vec<CustomRole>, AppError> {
        Ok(self.roles.list_roles(scope).await?)
    }

    /// Checks that every custom role in `roles` exists in the centre.
    fn known_roles(roles: &[RoleRef], custom: &[CustomRole]) -> Result<(), AppError> {
        for role in roles {
            if let RoleRef::Custom(id) = role
                && !custom.iter().any(|c| c.id == *id)
            {
                return Err(AppError::Invalid {
                    field: "roles",
                    code: ErrorCode::RoleUnknown,
                    message: format!("{id} is not a role of this centre"),
                });
            }
        }
        Ok(())
    }

    /// The member with this membership id.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `members:read`; [`AppError::NotFound`].
    pub async fn get(&self, scope: &TenantScope, id: MembershipId) -> Result<Member, AppError> {
        require(scope, Permission::MembersRead)?;
        let membership = self.memberships.get_membership(scope, id).await?;
        let user = self.users.user_by_id(membership.user_id()).await?;
        Ok(Member { membership, user })
    }

    /// A page of the centre's members.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `members:read`; store failures.
    pub async fn list(
        &self,
        scope: &TenantScope,
        query: &MembershipQuery,
    ) -> Result<Page<Member>, AppError> {
        require(scope, Permission::MembersRead)?;
        let page = self.memberships.list_memberships(scope, query).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for membership in page.items {
            let user = self.users.user_by_id(membership.user_id()).await?;
            items.push(Member { membership, user });
        }
        Ok(Page {
            items,
            total: page.total,
        })
    }
}
