//! Invitations: inviting someone into the centre (the user created if new, the membership
//! created or revived as invited), listing them, and withdrawing one. The token is answered
//! once and stored only as a digest.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cubby_domain::{
    Actor, AuditAction, Email, EntitlementSet, ErrorCode, Invitation, InvitationId,
    InvitationStatus, Membership, MembershipChanges, MembershipId, MembershipStatus, Permission,
    RoleRef, TokenDigest, User, UserId, Version, effective_permissions,
};
use cubby_ports::{InvitationQuery, Page, PageRequest, RepoError, TenantScope};
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::{
    INVITATION_LIFETIME, InvitationSent, MAX_INVITATION_LIFETIME, Members, NewInvitation,
    roles_text, within,
};
use crate::AppError;
use crate::error::require;
use crate::mail::Message;

fn digest(bytes: &[u8]) -> TokenDigest {
    TokenDigest(Sha256::digest(bytes).into())
}

/// The token of `invitation` with `secret`: its id, a dot, and the secret in base64url.
fn token_of(invitation: &Invitation, secret: &[u8; 32]) -> SecretString {
    SecretString::from(format!(
        "{}.{}",
        invitation.id(),
        URL_SAFE_NO_PAD.encode(secret)
    ))
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

/// The lifetime `new` asks for (by default [`INVITATION_LIFETIME`]), once it is checked along
/// with its roles.
fn check_invitation(new: &NewInvitation) -> Result<Duration, AppError> {
    if new.roles.is_empty() {
        return Err(AppError::Invalid {
            field: "roles",
            code: ErrorCode::InvitationsNoRole,
            message: "an invitation grants at least one role".to_owned(),
        });
    }
    let lifetime = new.lifetime.unwrap_or(INVITATION_LIFETIME);
    if lifetime <= Duration::ZERO || lifetime > MAX_INVITATION_LIFETIME {
        return Err(AppError::Invalid {
            field: "expires_in_hours",
            code: ErrorCode::InvitationsInvalidLifetime,
            message: "an invitation lasts from 1 hour to 30 days".to_owned(),
        });
    }
    Ok(lifetime)
}

/// The refusal to invite someone already in the centre.
fn already_member() -> AppError {
    AppError::Conflict {
        code: ErrorCode::InvitationsAlreadyMember,
        message: "this address already belongs to a member or an invited person of the centre"
            .to_owned(),
    }
}

impl Members {
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
        let lifetime = check_invitation(&new)?;
        let custom = self.custom_roles(scope).await?;
        Self::known_roles(&new.roles, &custom)?;
        let entitlements = new
            .entitlements
            .unwrap_or_else(|| self.entitlements_of(scope));
        within(
            scope,
            effective_permissions(&new.roles, &custom, entitlements),
        )?;
        self.issue(scope, new.email, new.roles, entitlements, lifetime, false)
            .await
    }

    /// Invites the first owner of a centre a platform operator just created: every role
    /// and entitlement of an owner, for [`INVITATION_LIFETIME`]. No permission is checked: the
    /// scope is the operator's ([`TenantScope::for_operator`]), which the platform use cases
    /// alone hold, and a new centre has nobody whose permissions could bound the grant.
    ///
    /// # Errors
    ///
    /// [`AppError::Conflict`] (`invitations.already_member`) when the address is in the centre
    /// already; store failures.
    pub(crate) async fn invite_owner(
        &self,
        scope: &TenantScope,
        email: Email,
    ) -> Result<InvitationSent, AppError> {
        self.issue_owner(scope, email, false).await
    }

    /// Stores an invitation of `email` with `roles` and `entitlements` for `lifetime`, once
    /// the caller's right to grant them is established: the invitee's user and membership,
    /// the invitation (its token's digest only) and the audit event; the token is e-mailed to
    /// the invitee and answered. With `reuse_invited`, a membership already invited (whose
    /// invitation was never stored) is invited again rather than refused.
    async fn issue(
        &self,
        scope: &TenantScope,
        email: Email,
        roles: Vec<RoleRef>,
        entitlements: EntitlementSet,
        lifetime: Duration,
        reuse_invited: bool,
    ) -> Result<InvitationSent, AppError> {
        let now = self.clock.now();
        let by = scope.actor().clone();
        let user = self.invitee(&email, &by, now).await?;
        let membership = self
            .invited_membership(scope, &user, &roles, entitlements, now, reuse_invited)
            .await?;
        let secret: [u8; 32] = rand::random();
        let invitation = Invitation::create(
            InvitationId::from_uuid(self.ids.uuid()),
            cubby_domain::NewInvitation {
                email,
                membership_id: membership.id(),
                roles,
                entitlements,
                token: digest(&secret),
                expires_at: now + lifetime,
            },
            by,
            now,
        );
        self.invitations
            .insert_invitation(scope, &invitation)
            .await?;
        let details = [("roles", roles_text(invitation.roles()))];
        self.audit
            .record(
                scope,
                AuditAction::MemberInvited,
                Some(membership.id().to_string()),
                &details,
            )
            .await;
        let token = token_of(&invitation, &secret);
        let mail = self.mail_invitation(scope, &invitation, &token).await;
        Ok(InvitationSent {
            invitation,
            token,
            mail,
        })
    }

    /// Sends a pending invitation again, with a new token (the old one stops working) valid
    /// for [`INVITATION_LIFETIME`] from now, and e-mails it.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `members:manage`; [`AppError::NotFound`];
    /// [`AppError::StaleVersion`]; [`AppError::Rule`] (`invitations.not_pending`) for an
    /// invitation already used or withdrawn.
    pub async fn resend_invitation(
        &self,
        scope: &TenantScope,
        id: InvitationId,
        expected: Version,
    ) -> Result<InvitationSent, AppError> {
        require(scope, Permission::MembersManage)?;
        let stored = self.invitations.get_invitation(scope, id).await?;
        if stored.version() != expected {
            return Err(AppError::StaleVersion);
        }
        self.reissue(scope, &stored).await
    }

    /// Invites the owner of a centre again at `email`, for an operator: when an owner's
    /// invitation is pending for that address, the same one with a new token (the old stops
    /// working) valid for [`INVITATION_LIFETIME`] from now; otherwise a new owner's invitation,
    /// also for someone invited whose invitation was never stored. Either way it is e-mailed.
    /// As [`Members::invite_owner`], no permission is checked: the scope is an operator's.
    ///
    /// # Errors
    ///
    /// [`AppError::Conflict`] (`invitations.already_member`) when the address belongs to a
    /// member who joined; store failures.
    pub(crate) async fn reinvite_owner(
        &self,
        scope: &TenantScope,
        email: Email,
    ) -> Result<InvitationSent, AppError> {
        if let Some(pending) = self.pending_owner_invitation(scope, &email).await? {
            return self.reissue(scope, &pending).await;
        }
        self.issue_owner(scope, email, true).await
    }

    /// An owner's invitation of `email`: every role and entitlement of an owner, for
    /// [`INVITATION_LIFETIME`] (see [`Members::issue`] for `reuse_invited`).
    async fn issue_owner(
        &self,
        scope: &TenantScope,
        email: Email,
        reuse_invited: bool,
    ) -> Result<InvitationSent, AppError> {
        self.issue(
            scope,
            email,
            vec![super::owner()],
            EntitlementSet::all(),
            INVITATION_LIFETIME,
            reuse_invited,
        )
        .await
    }

    /// The pending invitation of `email` as an owner, if there is one (a centre holds few
    /// pending invitations; they are read a page at a time).
    async fn pending_owner_invitation(
        &self,
        scope: &TenantScope,
        email: &Email,
    ) -> Result<Option<Invitation>, AppError> {
        let mut offset = 0;
        loop {
            let page = PageRequest::new(cubby_ports::MAX_LIMIT, offset).unwrap_or_default();
            let found = self
                .invitations
                .list_invitations(
                    scope,
                    &InvitationQuery {
                        status: Some(InvitationStatus::Pending),
                        page,
                        ..InvitationQuery::default()
                    },
                )
                .await?;
            if let Some(invitation) = found.items.iter().find(|invitation| {
                invitation.email() == email && invitation.roles().contains(&super::owner())
            }) {
                return Ok(Some(invitation.clone()));
            }
            offset += u64::from(cubby_ports::MAX_LIMIT);
            if found.items.is_empty() || offset >= found.total {
                return Ok(None);
            }
        }
    }

    /// `stored` (pending) with a new token valid for [`INVITATION_LIFETIME`] from now, stored,
    /// audited and e-mailed.
    async fn reissue(
        &self,
        scope: &TenantScope,
        stored: &Invitation,
    ) -> Result<InvitationSent, AppError> {
        let now = self.clock.now();
        let secret: [u8; 32] = rand::random();
        let invitation = stored
            .reissued(
                digest(&secret),
                now + INVITATION_LIFETIME,
                scope.actor().clone(),
                now,
            )
            .ok_or_else(|| AppError::Rule {
                code: ErrorCode::InvitationsNotPending,
                message: "only a pending invitation can be sent again".to_owned(),
            })?;
        self.invitations
            .update_invitation(scope, &invitation, stored.version())
            .await?;
        self.audit
            .record(
                scope,
                AuditAction::InvitationResent,
                Some(invitation.id().to_string()),
                &[],
            )
            .await;
        let token = token_of(&invitation, &secret);
        let mail = self.mail_invitation(scope, &invitation, &token).await;
        Ok(InvitationSent {
            invitation,
            token,
            mail,
        })
    }

    /// Queues the e-mail that carries an invitation's token to its invitee; `None` when it
    /// could not be queued (logged without the address), which leaves the invitation as it is.
    async fn mail_invitation(
        &self,
        scope: &TenantScope,
        invitation: &Invitation,
        token: &SecretString,
    ) -> Option<cubby_domain::JobId> {
        let queued = match self.tenants.by_id(scope.tenant_id()).await {
            Ok(tenant) => {
                let message = Message::Invitation {
                    centre_name: tenant.name().as_str().to_owned(),
                    tenant_code: tenant.code().as_str().to_owned(),
                    token: token.clone(),
                    expires_at: invitation.expires_at(),
                };
                self.mail.send(scope, invitation.email(), message).await
            }
            Err(error) => Err(error.into()),
        };
        queued
            .inspect_err(|error| {
                tracing::warn!(invitation_id = %invitation.id(), error = %error, "the invitation's e-mail could not be queued; it can be sent again");
            })
            .ok()
    }

    /// The user invited at `email`, created (unverified, without a password) if new.
    async fn invitee(
        &self,
        email: &Email,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<User, AppError> {
        match self.users.user_by_email(email).await {
            Ok(user) => Ok(user),
            Err(RepoError::NotFound) => {
                let user = User::create(
                    UserId::from_uuid(self.ids.uuid()),
                    email.clone(),
                    false,
                    None,
                    by.clone(),
                    now,
                );
                self.users.insert_user(&user).await?;
                Ok(user)
            }
            Err(other) => Err(other.into()),
        }
    }

    /// The invitee's membership as invited with `roles` and `entitlements`: a new one, or the
    /// one they were removed from, revived (its cached principal dropped). Someone still in the
    /// centre, or invited already, is a conflict.
    async fn invited_membership(
        &self,
        scope: &TenantScope,
        user: &User,
        roles: &[RoleRef],
        entitlements: EntitlementSet,
        now: OffsetDateTime,
        reuse_invited: bool,
    ) -> Result<Membership, AppError> {
        let by = scope.actor().clone();
        match self
            .directory
            .membership_of(scope.tenant_id(), user.id())
            .await
        {
            Ok(existing) if existing.status() == MembershipStatus::Removed => {
                // Whatever the removal left open ends before the membership lives again.
                self.end_sessions(scope, user.id()).await?;
                let revived = existing.changed(
                    MembershipChanges {
                        roles: Some(roles.to_vec()),
                        entitlements: Some(entitlements),
                        status: Some(MembershipStatus::Invited),
                    },
                    by,
                    now,
                );
                self.memberships
                    .update_membership(scope, &revived, existing.version())
                    .await?;
                self.principals
                    .forget(&[(scope.tenant_id(), revived.id())])
                    .await;
                Ok(revived)
            }
            Ok(existing) if reuse_invited && existing.status() == MembershipStatus::Invited => {
                let invited = existing.changed(
                    MembershipChanges {
                        roles: Some(roles.to_vec()),
                        entitlements: Some(entitlements),
                        status: None,
                    },
                    by,
                    now,
                );
                self.memberships
                    .update_membership(scope, &invited, existing.version())
                    .await?;
                Ok(invited)
            }
            Ok(_) => Err(already_member()),
            Err(RepoError::NotFound) => {
                let fresh = Membership::create(
                    MembershipId::from_uuid(self.ids.uuid()),
                    user.id(),
                    roles.to_vec(),
                    entitlements,
                    MembershipStatus::Invited,
                    by,
                    now,
                );
                self.memberships
                    .insert_membership(scope, &fresh)
                    .await
                    .map_err(|e| match e {
                        RepoError::Conflict(_) => already_member(),
                        other => other.into(),
                    })?;
                Ok(fresh)
            }
            Err(other) => Err(other.into()),
        }
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
        if stored.version() != expected {
            return Err(AppError::StaleVersion);
        }
        if stored.status() != InvitationStatus::Pending {
            return Err(AppError::Rule {
                code: ErrorCode::InvitationsNotPending,
                message: "only a pending invitation can be withdrawn".to_owned(),
            });
        }
        let now = self.clock.now();
        let revoked = stored.with_status(InvitationStatus::Revoked, scope.actor().clone(), now);
        self.invitations
            .update_invitation(scope, &revoked, stored.version())
            .await?;
        if let Ok(membership) = self
            .memberships
            .get_membership(scope, stored.membership_id())
            .await
            && membership.status() == MembershipStatus::Invited
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
                .update_membership(scope, &removed, membership.version())
                .await?;
        }
        self.audit
            .record(
                scope,
                AuditAction::InvitationRevoked,
                Some(stored.id().to_string()),
                &[],
            )
            .await;
        Ok(revoked)
    }
}
