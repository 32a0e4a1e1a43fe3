//! A Supabase session exchanged for a Cubby session, linking the Supabase user to the Cubby
//! user with the same verified address on first use.

use cubby_domain::{
    Actor, AuditAction, Email, Membership, Tenant, TenantCode, TenantStatus, User, UserStatus,
};
use cubby_ports::RepoError;

use super::{Auth, IdentityError, SignInError, SignedIn};
use crate::AppError;

impl Auth {
    /// Exchanges a Supabase session for a Cubby session in the centre named by `tenant_code`,
    /// or in the user's only centre.
    ///
    /// # Errors
    ///
    /// [`SignInError::NotConfigured`] without Supabase settings; [`SignInError::Refused`] for a
    /// token that is not valid or a user unknown or without membership;
    /// [`SignInError::TenantRequired`], listing their centres, when the user is in several and
    /// named none.
    pub async fn exchange(
        &self,
        token: &str,
        tenant_code: Option<&str>,
    ) -> Result<SignedIn, SignInError> {
        let verifier = self.supabase.as_ref().ok_or(SignInError::NotConfigured)?;
        let identity = match verifier.verify(token).await {
            Ok(identity) => identity,
            Err(IdentityError::Invalid(reason)) => {
                tracing::info!(reason, "supabase token refused");
                return Err(SignInError::Refused);
            }
            Err(IdentityError::Unavailable(source)) => {
                return Err(AppError::Unavailable(source).into());
            }
        };
        let user = match self
            .ports
            .users
            .user_by_supabase_id(&identity.subject)
            .await
        {
            Ok(user) => user,
            Err(RepoError::NotFound) => match (&identity.email, identity.email_verified) {
                (Some(email), true) => self.link_supabase_user(email, &identity.subject).await?,
                _ => return Err(SignInError::Refused),
            },
            Err(other) => return Err(other.into()),
        };
        if user.status() != UserStatus::Active {
            return Err(SignInError::Refused);
        }
        let (tenant, membership) = self.centre_for(&user, tenant_code).await?;
        let signed_in = self.open_session(&tenant, &user, &membership, None).await?;
        self.record(
            tenant.id(),
            Some(Actor::User(user.id())),
            AuditAction::Exchange,
            Some(signed_in.session.id.to_string()),
            &[],
        )
        .await;
        Ok(signed_in)
    }

    /// The user with a verified `email`, linked now to the Supabase id.
    async fn link_supabase_user(
        &self,
        email: &Email,
        subject: &cubby_domain::ExternalId,
    ) -> Result<User, SignInError> {
        let user = match self.ports.users.user_by_email(email).await {
            Ok(user) if user.supabase_id().is_none() => user,
            Ok(_) | Err(RepoError::NotFound) => return Err(SignInError::Refused),
            Err(other) => return Err(other.into()),
        };
        let linked = user.linked(
            subject.clone(),
            Actor::User(user.id()),
            self.ports.clock.now(),
        );
        self.ports
            .users
            .update_user(&linked, user.version())
            .await?;
        Ok(linked)
    }

    /// The centre a user signs into: the one named, or their only one.
    async fn centre_for(
        &self,
        user: &User,
        tenant_code: Option<&str>,
    ) -> Result<(Tenant, Membership), SignInError> {
        let (tenant, membership) = match tenant_code {
            Some(code) => {
                let code = TenantCode::parse(code.trim()).map_err(|_| SignInError::Refused)?;
                let tenant = match self.tenants.by_code(&code).await {
                    Ok(tenant) => tenant,
                    Err(RepoError::NotFound) => return Err(SignInError::Refused),
                    Err(other) => return Err(other.into()),
                };
                match self
                    .ports
                    .membership_directory
                    .membership_of(tenant.id(), user.id())
                    .await
                {
                    Ok(membership) => (tenant, membership),
                    Err(RepoError::NotFound) => return Err(SignInError::Refused),
                    Err(other) => return Err(other.into()),
                }
            }
            None => self.only_centre(user).await?,
        };
        if tenant.status() != TenantStatus::Active || !membership.is_active() {
            return Err(SignInError::Refused);
        }
        Ok((tenant, membership))
    }
}
