//! People in several centres: the centres a person may sign into, the choice a sign-in without
//! a centre offers them, and moving a session from one of their centres to another.
//!
//! A person's centres are only ever listed to that person, after their password, Supabase token
//! or session was verified: the list is their active memberships of active centres, and nothing
//! here tells anyone else which centres exist.

use cubby_domain::{
    Actor, AuditAction, Membership, Tenant, TenantCode, TenantId, TenantName, TenantStatus, User,
    UserId, UserStatus,
};
use cubby_ports::{RepoError, TenantScope};

use super::{Auth, SignInError, SignedIn};
use crate::AppError;
use crate::session::Session;

/// A centre a person may sign into: an active centre where they hold an active membership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CentreChoice {
    /// The centre.
    pub id: TenantId,
    /// Its code, which a sign-in or a switch names it by.
    pub code: TenantCode,
    /// Its name, for people.
    pub name: TenantName,
}

impl CentreChoice {
    fn of(tenant: &Tenant) -> Self {
        Self {
            id: tenant.id(),
            code: tenant.code().clone(),
            name: tenant.name().clone(),
        }
    }
}

impl Auth {
    /// The centres `user` may sign into, with their membership of each, ordered by code. A
    /// membership that is not active, and a centre that is suspended or gone, are left out.
    ///
    /// # Errors
    ///
    /// Store failures.
    pub(super) async fn active_centres(
        &self,
        user: UserId,
    ) -> Result<Vec<(Tenant, Membership)>, RepoError> {
        let memberships = self
            .ports
            .membership_directory
            .memberships_of_user(user)
            .await?;
        let mut centres = Vec::with_capacity(memberships.len());
        for (tenant_id, membership) in memberships {
            if !membership.is_active() {
                continue;
            }
            match self.tenants.by_id(tenant_id).await {
                Ok(tenant) if tenant.status() == TenantStatus::Active => {
                    centres.push((tenant, membership));
                }
                Ok(_) | Err(RepoError::NotFound) => {}
                Err(other) => return Err(other),
            }
        }
        centres.sort_by(|(a, _), (b, _)| a.code().as_str().cmp(b.code().as_str()));
        Ok(centres)
    }

    /// The centre a verified `user` signs into when they named none: their only one.
    ///
    /// # Errors
    ///
    /// [`SignInError::Refused`] for a user with no centre to sign into;
    /// [`SignInError::TenantRequired`], listing their centres, for a user of several; store
    /// failures.
    pub(super) async fn only_centre(
        &self,
        user: &User,
    ) -> Result<(Tenant, Membership), SignInError> {
        let mut centres = self.active_centres(user.id()).await?;
        match centres.len() {
            0 => Err(SignInError::Refused),
            1 => Ok(centres.remove(0)),
            _ => Err(SignInError::TenantRequired {
                centres: centres
                    .iter()
                    .map(|(tenant, _)| CentreChoice::of(tenant))
                    .collect(),
            }),
        }
    }

    /// The centre a password sign-in without a centre opens a session in: the user's only one,
    /// when the password matched and the account is active; `None` otherwise, as for a wrong
    /// password.
    ///
    /// # Errors
    ///
    /// [`SignInError::TenantRequired`], listing the user's centres, once the password was
    /// verified, for a user of several; store failures.
    pub(super) async fn accepted_anywhere(
        &self,
        user: Option<User>,
        password_ok: bool,
    ) -> Result<Option<(Tenant, User, Membership)>, SignInError> {
        let Some(user) = user.filter(|user| password_ok && user.status() == UserStatus::Active)
        else {
            return Ok(None);
        };
        match self.only_centre(&user).await {
            Ok((tenant, membership)) => Ok(Some((tenant, user, membership))),
            Err(SignInError::Refused) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// The centres the caller may sign into, their current one among them (unless it was
    /// suspended since), ordered by code. Only the caller's own: the scope's user decides.
    ///
    /// # Errors
    ///
    /// [`AppError::NotFound`] for a scope of no user; store failures.
    pub async fn centres(&self, scope: &TenantScope) -> Result<Vec<CentreChoice>, AppError> {
        let user = scope.user_id().ok_or(AppError::NotFound)?;
        Ok(self
            .active_centres(user)
            .await?
            .iter()
            .map(|(tenant, _)| CentreChoice::of(tenant))
            .collect())
    }

    /// Moves the caller to their centre with `tenant_code`: the current session ends, as a
    /// logout ends it (audited in its centre), and a new one opens in the other centre
    /// (audited there as a sign-in). Nothing ends when the centre is refused.
    ///
    /// # Errors
    ///
    /// [`AppError::NotFound`] for a code that is not one of the caller's active centres
    /// (unknown, suspended, not theirs, or a membership that is not active: one answer for
    /// all, so that no one learns which centres exist); store failures.
    pub async fn switch(&self, session: &Session, tenant_code: &str) -> Result<SignedIn, AppError> {
        let user_id = session.scope.user_id().ok_or(AppError::NotFound)?;
        let code = TenantCode::parse(tenant_code.trim()).map_err(|_| AppError::NotFound)?;
        let (tenant, membership) = self
            .active_centres(user_id)
            .await?
            .into_iter()
            .find(|(tenant, _)| *tenant.code() == code)
            .ok_or(AppError::NotFound)?;
        let user = match self.ports.users.user_by_id(user_id).await {
            Ok(user) if user.status() == UserStatus::Active => user,
            Ok(_) | Err(RepoError::NotFound) => return Err(AppError::NotFound),
            Err(other) => return Err(other.into()),
        };
        // The old session ends first: whatever fails after, its tokens are refused.
        self.logout(session).await?;
        let signed_in = self.open_session(&tenant, &user, &membership, None).await?;
        self.record(
            tenant.id(),
            Some(Actor::User(user.id())),
            AuditAction::Login,
            Some(signed_in.session.id.to_string()),
            &[("via", "switch")],
        )
        .await;
        Ok(signed_in)
    }
}

#[cfg(test)]
mod tests;
