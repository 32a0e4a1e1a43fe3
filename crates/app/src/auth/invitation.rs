//! Accepting an invitation: the membership becomes active, the invitee proves or sets their
//! password, and a session opens. The invitee acts as themself through the membership they
//! are accepting.

use std::net::IpAddr;

use cubby_domain::{
    Actor, AuditAction, Invitation, InvitationError, InvitationId, InvitationStatus, Membership,
    MembershipChanges, MembershipStatus, PasswordHash, Tenant, TenantCode, TenantStatus, User,
};
use cubby_ports::{RepoError, TenantScope};
use secrecy::SecretString;
use time::OffsetDateTime;

use super::{AcceptError, Auth, Refusal, SignedIn};
use crate::members::parse_invitation_token;

fn failed(error: RepoError) -> AcceptError {
    AcceptError::Failed(error.into())
}

impl Auth {
    /// Accepts an invitation to the centre `tenant_code` with its token: the membership
    /// becomes active, the address counts as verified, a new user sets their password, someone
    /// who has a password proves it (the token alone would let whoever holds it, the inviter
    /// included, in as them), and a session opens. An invitation works once; a refusal leaves
    /// it pending.
    ///
    /// # Errors
    ///
    /// [`AcceptError::NotFound`] for a token that is not an invitation of this centre;
    /// [`AcceptError::Unusable`] for one used, withdrawn or expired;
    /// [`AcceptError::PasswordRequired`] for a new user without a good password or an account
    /// with a password presenting none; [`AcceptError::WrongPassword`] for a password that is
    /// not the account's, counted like a failed sign-in; [`AcceptError::Throttled`] after too
    /// many failed sign-ins of the account or of `client`.
    pub async fn accept_invitation(
        &self,
        tenant_code: &str,
        token: &str,
        password: Option<SecretString>,
        client: Option<IpAddr>,
    ) -> Result<SignedIn, AcceptError> {
        let (id, digest) = parse_invitation_token(token).ok_or(AcceptError::NotFound)?;
        let (tenant, invitation) = self.invitation_of_centre(tenant_code, id).await?;
        let now = self.ports.clock.now();
        invitation.check(digest, now).map_err(|error| match error {
            InvitationError::WrongToken => AcceptError::NotFound,
            other => AcceptError::Unusable(other),
        })?;
        let membership = self
            .ports
            .membership_directory
            .membership_by_id(tenant.id(), invitation.membership_id())
            .await
            .map_err(failed)?;
        // The invitee acts as themself, through the membership they are accepting.
        let scope = TenantScope::for_invitee(tenant.id(), &membership);
        if membership.status() != MembershipStatus::Invited {
            return Err(AcceptError::Unusable(InvitationError::Used));
        }
        let user = self
            .ports
            .users
            .user_by_id(membership.user_id())
            .await
            .map_err(failed)?;
        let password_hash = self
            .password_on_accepting(&tenant, &user, password, client)
            .await?;
        let actor = Actor::User(user.id());
        self.use_invitation(&scope, &invitation, &actor, now)
            .await?;
        let joined = self
            .join(&scope, &membership, &invitation, &actor, now)
            .await?;
        let verified = self
            .verify_address(&user, password_hash, &actor, now)
            .await?;
        self.record(
            tenant.id(),
            Some(actor),
            AuditAction::MemberJoined,
            Some(joined.id().to_string()),
            &[],
        )
        .await;
        self.open_session(&tenant, &verified, &joined, None)
            .await
            .map_err(AcceptError::Failed)
    }

    /// The active centre with the code as typed and its invitation `id`; not found when either
    /// is missing or the invitation is another centre's.
    async fn invitation_of_centre(
        &self,
        tenant_code: &str,
        id: InvitationId,
    ) -> Result<(Tenant, Invitation), AcceptError> {
        let code = TenantCode::parse(tenant_code.trim()).map_err(|_| AcceptError::NotFound)?;
        let tenant = match self.tenants.by_code(&code).await {
            Ok(tenant) if tenant.status() == TenantStatus::Active => tenant,
            Ok(_) | Err(RepoError::NotFound) => return Err(AcceptError::NotFound),
            Err(other) => return Err(failed(other)),
        };
        let (owner, invitation) = match self.ports.invitation_directory.invitation_by_id(id).await {
            Ok(found) => found,
            Err(RepoError::NotFound) => return Err(AcceptError::NotFound),
            Err(other) => return Err(failed(other)),
        };
        if owner != tenant.id() {
            return Err(AcceptError::NotFound);
        }
        Ok((tenant, invitation))
    }

    /// Marks the invitation accepted. Single use: of concurrent acceptances, only one moves
    /// the invitation on; the others find it used.
    async fn use_invitation(
        &self,
        scope: &TenantScope,
        invitation: &Invitation,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> Result<(), AcceptError> {
        let accepted = invitation.with_status(InvitationStatus::Accepted, actor.clone(), now);
        match self
            .ports
            .invitations
            .update_invitation(scope, &accepted, invitation.version())
            .await
        {
            Ok(()) => Ok(()),
            Err(RepoError::StaleVersion) => Err(AcceptError::Unusable(InvitationError::Used)),
            Err(other) => Err(failed(other)),
        }
    }

    /// Makes the membership active with the invitation's roles and entitlements, and drops
    /// its cached principal.
    async fn join(
        &self,
        scope: &TenantScope,
        membership: &Membership,
        invitation: &Invitation,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> Result<Membership, AcceptError> {
        let joined = membership.changed(
            MembershipChanges {
                roles: Some(invitation.roles().to_vec()),
                entitlements: Some(invitation.entitlements()),
                status: Some(MembershipStatus::Active),
            },
            actor.clone(),
            now,
        );
        self.ports
            .memberships
            .update_membership(scope, &joined, membership.version())
            .await
            .map_err(failed)?;
        self.principals
            .forget(&[(scope.tenant_id(), joined.id())])
            .await;
        Ok(joined)
    }

    /// The user with their address verified (the invitation reached it) and `password_hash`.
    async fn verify_address(
        &self,
        user: &User,
        password_hash: Option<PasswordHash>,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> Result<User, AcceptError> {
        let verified = user.verified(password_hash, actor.clone(), now);
        self.ports
            .users
            .update_user(&verified, user.version())
            .await
            .map_err(failed)?;
        Ok(verified)
    }

    /// The password hash a user accepting an invitation to `tenant` ends up with: an account
    /// with a password must present it, a new user chooses one of 10 characters or more, and
    /// an account linked to Supabase only joins without one (the token alone suffices there:
    /// see the residual risks in docs/SECURITY.md).
    async fn password_on_accepting(
        &self,
        tenant: &Tenant,
        user: &User,
        password: Option<SecretString>,
        client: Option<IpAddr>,
    ) -> Result<Option<PasswordHash>, AcceptError> {
        if let Some(hash) = user.password_hash() {
            let password = password.ok_or(AcceptError::PasswordRequired)?;
            self.prove_password(tenant.id(), user, password, client)
                .await
                .map_err(|refusal| match refusal {
                    Refusal::Throttled { retry_after } => AcceptError::Throttled { retry_after },
                    Refusal::Wrong => AcceptError::WrongPassword,
                    Refusal::Failed(error) => AcceptError::Failed(error),
                })?;
            return Ok(Some(hash.clone()));
        }
        if user.supabase_id().is_some() {
            return Ok(None);
        }
        match password {
            Some(password) if crate::passwords::acceptable(&password) => {
                let hash = self.passwords.hash(password).await;
                Ok(Some(hash.map_err(AcceptError::Failed)?))
            }
            _ => Err(AcceptError::PasswordRequired),
        }
    }
}
