//! People in centres: listing and changing members, suspending and removing them, inviting
//! new ones, and enrolling people directly (the demo data set and tests).
//!
//! The rules: a member may only act on members whose permissions are within their own, and may
//! only grant what is within their own; the last active owner can be neither demoted,
//! suspended nor removed. Every change of what a member may do bumps their entitlements
//! version, so their next request sees it.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cubby_domain::{
    Actor, Audit, AuditAction, CustomRole, Email, EntitlementSet, Invitation, InvitationId,
    InvitationStatus, Membership, MembershipChanges, MembershipId, MembershipStatus, Permission,
    PermissionSet, Role, RoleRef, Tenant, TokenDigest, User, UserId, UserStatus, Version,
    effective_permissions,
};
use cubby_ports::{
    Clock, IdGenerator, InvitationQuery, InvitationRepository, MembershipDirectory,
    MembershipQuery, MembershipRepository, Page, PageRequest, RepoError, RoleRepository,
    TenantDirectory, TenantScope, UserDirectory,
};
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use time::Duration;

use crate::AppError;
use crate::audit::AuditTrail;
use crate::cache::Principals;
use crate::error::require;
use crate::passwords::Passwords;

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
    /// The token to hand to the invitee.
    pub token: SecretString,
}

impl std::fmt::Debug for InvitationSent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvitationSent")
            .field("invitation", &self.invitation.id)
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
            code: "members.beyond_your_permissions",
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

fn digest(bytes: &[u8]) -> TokenDigest {
    TokenDigest(Sha256::digest(bytes).into())
}

/// The invitation id and the digest of the secret of an invitation token, if it is one.
pub fn parse_invitation_token(token: &str) -> Option<(InvitationId, TokenDigest)> {
    let (id, secret) = token.trim().split_once('.')?;
    let secret = URL_SAFE_NO_PAD
        .decode(secret)
        .ok()
        .filter(|s| s.len() == 32)?;
    Some((InvitationId::parse(id).ok()?, digest(&secret)))
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
                    code: "role.unknown",
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
        let user = self.users.user_by_id(membership.user_id).await?;
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
            let user = self.users.user_by_id(membership.user_id).await?;
            items.push(Member { membership, user });
        }
        Ok(Page {
            items,
            total: page.total,
        })
    }

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
                code: "members.invalid_status",
                message: "a member's status can be set to active or suspended; invite or remove them instead".to_owned(),
            });
        }
        let stored = self.current(scope, id, expected).await?;
        if matches!(
            stored.status,
            MembershipStatus::Removed | MembershipStatus::Invited
        ) && changes.status.is_some()
        {
            return Err(AppError::Rule {
                code: "members.not_joined",
                message: "only members who joined can be suspended or reactivated".to_owned(),
            });
        }
        let changed = stored.changed(changes, scope.actor().clone(), self.clock.now());
        self.apply(scope, &stored, changed).await
    }

    /// Removes a member (kept as removed, for the history), if the membership is still at the
    /// version the caller read.
    ///
    /// # Errors
    ///
    /// As [`Members::update`].
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
        self.apply(scope, &stored, changed).await
    }

    async fn current(
        &self,
        scope: &TenantScope,
        id: MembershipId,
        expected: Version,
    ) -> Result<Membership, AppError> {
        let stored = self.memberships.get_membership(scope, id).await?;
        if stored.version != expected {
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
        Self::known_roles(&changed.roles, &custom)?;
        within(scope, stored.permissions(&custom))?;
        within(scope, changed.permissions(&custom))?;
        if is_active_owner(stored) && !is_active_owner(&changed) {
            self.claim_owner_change(scope).await?;
        }
        self.memberships
            .update_membership(scope, &changed, stored.version)
            .await?;
        self.principals
            .forget(&[(scope.tenant_id(), changed.id)])
            .await;
        self.record_changes(scope, stored, &changed).await;
        let user = self.users.user_by_id(changed.user_id).await?;
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
            code: "members.last_owner",
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
        let bumped = Tenant {
            audit: tenant
                .audit
                .touched(scope.actor().clone(), self.clock.now()),
            version: tenant.version.next(),
            ..tenant.clone()
        };
        match self.tenants.update(&bumped, tenant.version).await {
            Ok(()) => Ok(()),
            Err(RepoError::StaleVersion) => Err(AppError::Conflict {
                code: "members.concurrent_change",
                message: "the centre's owners changed at the same time; try again".to_owned(),
            }),
            Err(other) => Err(other.into()),
        }
    }

    async fn record_changes(&self, scope: &TenantScope, before: &Membership, after: &Membership) {
        let target = Some(after.id.to_string());
        if before.roles != after.roles {
            let details = [
                ("from", roles_text(&before.roles)),
                ("to", roles_text(&after.roles)),
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
        if before.entitlements != after.entitlements {
            let list =
                |set: EntitlementSet| set.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(",");
            let details = [
                ("from", list(before.entitlements)),
                ("to", list(after.entitlements)),
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
        if before.status != after.status {
            let action = match after.status {
                MembershipStatus::Suspended => AuditAction::MemberSuspended,
                MembershipStatus::Removed => AuditAction::MemberRemoved,
                MembershipStatus::Active if before.status == MembershipStatus::Invited => {
                    AuditAction::MemberJoined
                }
                MembershipStatus::Active => AuditAction::MemberReactivated,
                MembershipStatus::Invited => AuditAction::MemberInvited,
            };
            self.audit.record(scope, action, target, &[]).await;
        }
    }

    /// Invites `new.email` into the centre: the user is created if new, the membership is
    /// created (or a removed one revived) as invited, and the invitation's token is answered
    /// once.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `members:manage`; [`AppError::Denied`] when the roles
    /// or entitlements grant more than the caller holds; [`AppError::Conflict`]
    /// (`invitations.already_member`) for someone already in the centre;
    /// [`AppError::Invalid`] for unknown roles, no role, or a lifetime out of range.
    pub async fn invite(
        &self,
        scope: &TenantScope,
        new: NewInvitation,
    ) -> Result<InvitationSent, AppError> {
        require(scope, Permission::MembersManage)?;
        if new.roles.is_empty() {
            return Err(AppError::Invalid {
                field: "roles",
                code: "invitations.no_role",
                message: "an invitation grants at least one role".to_owned(),
            });
        }
        let lifetime = new.lifetime.unwrap_or(INVITATION_LIFETIME);
        if lifetime <= Duration::ZERO || lifetime > MAX_INVITATION_LIFETIME {
            return Err(AppError::Invalid {
                field: "expires_in_hours",
                code: "invitations.invalid_lifetime",
                message: "an invitation lasts from 1 hour to 30 days".to_owned(),
            });
        }
        let custom = self.custom_roles(scope).await?;
        Self::known_roles(&new.roles, &custom)?;
        let entitlements = new
            .entitlements
            .unwrap_or_else(|| self.entitlements_of(scope));
        within(
            scope,
            effective_permissions(&new.roles, &custom, entitlements),
        )?;

        let now = self.clock.now();
        let by = scope.actor().clone();
        let user = match self.users.user_by_email(&new.email).await {
            Ok(user) => user,
            Err(RepoError::NotFound) => {
                let user = User {
                    id: UserId::from_uuid(self.ids.uuid()),
                    email: new.email.clone(),
                    email_verified: false,
                    password_hash: None,
                    supabase_id: None,
                    status: UserStatus::Active,
                    audit: Audit::created(by.clone(), now),
                    version: Version::FIRST,
                };
                self.users.insert_user(&user).await?;
                user
            }
            Err(other) => return Err(other.into()),
        };
        let invited = |existing: Option<&Membership>| match existing {
            Some(removed) => removed.changed(
                MembershipChanges {
                    roles: Some(new.roles.clone()),
                    entitlements: Some(entitlements),
                    status: Some(MembershipStatus::Invited),
                },
                by.clone(),
                now,
            ),
            None => Membership {
                id: MembershipId::from_uuid(self.ids.uuid()),
                user_id: user.id,
                roles: new.roles.clone(),
                entitlements,
                status: MembershipStatus::Invited,
                entitlements_version: 1,
                audit: Audit::created(by.clone(), now),
                version: Version::FIRST,
            },
        };
        let membership = match self
            .directory
            .membership_of(scope.tenant_id(), user.id)
            .await
        {
            Ok(existing) if existing.status == MembershipStatus::Removed => {
                let revived = invited(Some(&existing));
                self.memberships
                    .update_membership(scope, &revived, existing.version)
                    .await?;
                self.principals
                    .forget(&[(scope.tenant_id(), revived.id)])
                    .await;
                revived
            }
            Ok(_) => {
                return Err(AppError::Conflict {
                    code: "invitations.already_member",
                    message: "this address already belongs to a member or an invited person of the centre".to_owned(),
                });
            }
            Err(RepoError::NotFound) => {
                let fresh = invited(None);
                self.memberships.insert_membership(scope, &fresh).await.map_err(|e| match e {
                    RepoError::Conflict(_) => AppError::Conflict {
                        code: "invitations.already_member",
                        message: "this address already belongs to a member or an invited person of the centre".to_owned(),
                    },
                    other => other.into(),
                })?;
                fresh
            }
            Err(other) => return Err(other.into()),
        };
        let secret: [u8; 32] = rand::random();
        let invitation = Invitation {
            id: InvitationId::from_uuid(self.ids.uuid()),
            email: new.email,
            membership_id: membership.id,
            roles: new.roles,
            entitlements,
            token: digest(&secret),
            status: InvitationStatus::Pending,
            expires_at: now + lifetime,
            audit: Audit::created(by, now),
            version: Version::FIRST,
        };
        self.invitations
            .insert_invitation(scope, &invitation)
            .await?;
        let details = [("roles", roles_text(&invitation.roles))];
        self.audit
            .record(
                scope,
                AuditAction::MemberInvited,
                Some(membership.id.to_string()),
                &details,
            )
            .await;
        let token = SecretString::from(format!(
            "{}.{}",
            invitation.id,
            URL_SAFE_NO_PAD.encode(secret)
        ));
        Ok(InvitationSent { invitation, token })
    }

    /// The entitlements the caller's permissions imply they hold (an invitation grants, by
    /// default, what its sender has).
    fn entitlements_of(&self, scope: &TenantScope) -> EntitlementSet {
        let held = scope.permissions();
        cubby_domain::Entitlement::ALL
            .iter()
            .copied()
            .filter(|entitlement| held.iter().any(|p| p.entitlement() == Some(*entitlement)))
            .collect()
    }

    /// A page of the centre's invitations, newest first.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `members:manage`; store failures.
    pub async fn invitations(
        &self,
        scope: &TenantScope,
        query: &InvitationQuery,
    ) -> Result<Page<Invitation>, AppError> {
        require(scope, Permission::MembersManage)?;
        Ok(self.invitations.list_invitations(scope, query).await?)
    }

    /// One invitation of the centre.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `members:manage`; [`AppError::NotFound`].
    pub async fn invitation(
        &self,
        scope: &TenantScope,
        id: InvitationId,
    ) -> Result<Invitation, AppError> {
        require(scope, Permission::MembersManage)?;
        Ok(self.invitations.get_invitation(scope, id).await?)
    }

    /// Withdraws a pending invitation; the membership it created is removed.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`], [`AppError::NotFound`], [`AppError::StaleVersion`];
    /// [`AppError::Rule`] (`invitations.not_pending`) for an invitation already used or withdrawn.
    pub async fn revoke_invitation(
        &self,
        scope: &TenantScope,
        id: InvitationId,
        expected: Version,
    ) -> Result<Invitation, AppError> {
        require(scope, Permission::MembersManage)?;
        let stored = self.invitations.get_invitation(scope, id).await?;
        if stored.version != expected {
            return Err(AppError::StaleVersion);
        }
        if stored.status != InvitationStatus::Pending {
            return Err(AppError::Rule {
                code: "invitations.not_pending",
                message: "only a pending invitation can be withdrawn".to_owned(),
            });
        }
        let now = self.clock.now();
        let revoked = stored.with_status(InvitationStatus::Revoked, scope.actor().clone(), now);
        self.invitations
            .update_invitation(scope, &revoked, stored.version)
            .await?;
        if let Ok(membership) = self
            .memberships
            .get_membership(scope, stored.membership_id)
            .await
            && membership.status == MembershipStatus::Invited
        {
            let removed = membership.changed(
                MembershipChanges {
                    status: Some(MembershipStatus::Removed),
                    ..MembershipChanges::default()
                },
                scope.actor().clone(),
                now,
            );
            self.memberships
                .update_membership(scope, &removed, membership.version)
                .await?;
        }
        self.audit
            .record(
                scope,
                AuditAction::InvitationRevoked,
                Some(stored.id.to_string()),
                &[],
            )
            .await;
        Ok(revoked)
    }

    /// Makes the user with `new.email` (created if needed) an active member with `new.roles`,
    /// or, if they already are one, answers that membership as it is. A password given
    /// replaces the user's. For the demo data set and tests: no rule is checked.
    ///
    /// # Errors
    ///
    /// Store failures.
    pub async fn enroll(
        &self,
        scope: &TenantScope,
        new: NewMember,
    ) -> Result<(User, Membership), AppError> {
        let now = self.clock.now();
        let by = scope.actor().clone();
        let hash = match new.password {
            Some(password) => Some(self.passwords.hash(password).await?),
            None => None,
        };
        let user = match self.users.user_by_email(&new.email).await {
            Ok(existing) if hash.is_some() && existing.password_hash != hash => {
                let changed = User {
                    password_hash: hash,
                    audit: existing.audit.touched(by.clone(), now),
                    version: existing.version.next(),
                    ..existing.clone()
                };
                self.users.update_user(&changed, existing.version).await?;
                changed
            }
            Ok(existing) => existing,
            Err(RepoError::NotFound) => {
                let user = User {
                    id: UserId::from_uuid(self.ids.uuid()),
                    email: new.email,
                    email_verified: new.email_verified,
                    password_hash: hash,
                    supabase_id: None,
                    status: UserStatus::Active,
                    audit: Audit::created(by.clone(), now),
                    version: Version::FIRST,
                };
                self.users.insert_user(&user).await?;
                user
            }
            Err(other) => return Err(other.into()),
        };
        match self
            .directory
            .membership_of(scope.tenant_id(), user.id)
            .await
        {
            Ok(membership) => return Ok((user, membership)),
            Err(RepoError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
        let membership = Membership {
            id: MembershipId::from_uuid(self.ids.uuid()),
            user_id: user.id,
            roles: new.roles,
            entitlements: new.entitlements,
            status: MembershipStatus::Active,
            entitlements_version: 1,
            audit: Audit::created(by, now),
            version: Version::FIRST,
        };
        self.memberships
            .insert_membership(scope, &membership)
            .await?;
        Ok((user, membership))
    }

    /// Suspends or reactivates a user everywhere; their sessions stop (or start) working on the
    /// next request.
    ///
    /// # Errors
    ///
    /// [`AppError::NotFound`] for an unknown user; store failures.
    pub async fn set_user_status(
        &self,
        id: UserId,
        status: UserStatus,
        by: Actor,
    ) -> Result<User, AppError> {
        let user = self.users.user_by_id(id).await?;
        let changed = User {
            status,
            audit: user.audit.touched(by, self.clock.now()),
            version: user.version.next(),
            ..user.clone()
        };
        self.users.update_user(&changed, user.version).await?;
        let memberships: Vec<_> = self
            .directory
            .memberships_of_user(id)
            .await?
            .into_iter()
            .map(|(t, m)| (t, m.id))
            .collect();
        self.principals.forget(&memberships).await;
        Ok(changed)
    }
}
