//! Password sign-in, and the throttling of failed sign-ins by account and by address.
//!
//! A refused sign-in does the same work whatever is wrong (one password check), so that the
//! time taken tells nothing about which part was.

use cubby_domain::{
    Actor, AuditAction, Email, Membership, Tenant, TenantCode, TenantStatus, User, UserStatus,
};
use cubby_ports::{LimitKey, RepoError};

use super::{Auth, Credentials, SignInError, SignedIn, account_key};

/// What a sign-in found: each part is `None` when it does not exist.
type Found = (Option<Tenant>, Option<User>, Option<Membership>);

impl Auth {
    /// Signs in with a password, in the centre named or, when none is, in the account's only
    /// centre.
    ///
    /// # Errors
    ///
    /// [`SignInError::Refused`] whatever is wrong with the credentials, after the same work;
    /// [`SignInError::Throttled`] after too many failures of the account or the address;
    /// [`SignInError::TenantRequired`], once the password was verified, when no centre was
    /// named and the account has several.
    pub async fn login(&self, credentials: Credentials) -> Result<SignedIn, SignInError> {
        let account = account_key(&credentials.email);
        let address = credentials.client.map(LimitKey::failed_logins_from);
        let tenant = match &credentials.tenant_code {
            Some(code) => self.centre_named(code).await?,
            None => None,
        };

        if let Some(retry_after) = self.throttled(&account, address.as_ref()).await? {
            if let Some(tenant) = &tenant {
                self.record(
                    tenant.id(),
                    None,
                    AuditAction::LoginFailed,
                    None,
                    &[("reason", "throttled")],
                )
                .await;
            }
            return Err(SignInError::Throttled { retry_after });
        }

        let user = self.user_with_address(&credentials.email).await?;
        let membership = self.membership_in(tenant.as_ref(), user.as_ref()).await?;
        // The password is checked whatever was found, so that the time taken tells nothing.
        let hash = user.as_ref().and_then(|u| u.password_hash());
        let password_ok = self.passwords.verify(credentials.password, hash).await?;

        let accepted = if credentials.tenant_code.is_some() {
            self.accepted((tenant, user, membership), password_ok).await
        } else {
            self.accepted_anywhere(user, password_ok).await?
        };
        let Some((tenant, user, membership)) = accepted else {
            self.count_failure(&account, address.as_ref()).await?;
            return Err(SignInError::Refused);
        };
        self.ports.limits.clear(&account).await?;
        let signed_in = self.open_session(&tenant, &user, &membership, None).await?;
        self.record(
            tenant.id(),
            Some(Actor::User(user.id())),
            AuditAction::Login,
            Some(signed_in.session.id.to_string()),
            &[],
        )
        .await;
        Ok(signed_in)
    }

    /// The centre with the code as typed, if there is one.
    async fn centre_named(&self, typed: &str) -> Result<Option<Tenant>, SignInError> {
        let code = TenantCode::parse(typed.trim()).ok();
        Ok(match &code {
            Some(code) => match self.tenants.by_code(code).await {
                Ok(tenant) => Some(tenant),
                Err(RepoError::NotFound) => None,
                Err(other) => return Err(other.into()),
            },
            None => None,
        })
    }

    /// The user with the address as typed, if there is one.
    async fn user_with_address(&self, typed: &str) -> Result<Option<User>, SignInError> {
        Ok(match Email::parse(typed) {
            Ok(email) => match self.ports.users.user_by_email(&email).await {
                Ok(user) => Some(user),
                Err(RepoError::NotFound) => None,
                Err(other) => return Err(other.into()),
            },
            Err(_) => None,
        })
    }

    /// The user's membership of the centre, if both exist and there is one.
    async fn membership_in(
        &self,
        tenant: Option<&Tenant>,
        user: Option<&User>,
    ) -> Result<Option<Membership>, SignInError> {
        Ok(match (tenant, user) {
            (Some(tenant), Some(user)) => match self
                .ports
                .membership_directory
                .membership_of(tenant.id(), user.id())
                .await
            {
                Ok(membership) => Some(membership),
                Err(RepoError::NotFound) => None,
                Err(other) => return Err(other.into()),
            },
            _ => None,
        })
    }

    /// The centre, user and membership signing in, when the password matched and all three
    /// are active; otherwise `None`, and the failure is audited in the centre if there is one.
    async fn accepted(
        &self,
        found: Found,
        password_ok: bool,
    ) -> Option<(Tenant, User, Membership)> {
        match found {
            (Some(tenant), Some(user), Some(membership))
                if password_ok
                    && tenant.status() == TenantStatus::Active
                    && user.status() == UserStatus::Active
                    && membership.is_active() =>
            {
                Some((tenant, user, membership))
            }
            (tenant, user, _) => {
                if let Some(tenant) = tenant {
                    let actor = user.as_ref().map(|u| Actor::User(u.id()));
                    self.record(
                        tenant.id(),
                        actor,
                        AuditAction::LoginFailed,
                        None,
                        &[("reason", "credentials")],
                    )
                    .await;
                }
                None
            }
        }
    }

    /// When the account or the address has failed too often: how long until it may try again.
    pub(super) async fn throttled(
        &self,
        account: &LimitKey,
        address: Option<&LimitKey>,
    ) -> Result<Option<std::time::Duration>, RepoError> {
        let account_window = self.ports.limits.current(account).await?;
        let mut wait = None;
        if account_window.count >= self.login.max_failures_per_account {
            wait = Some(account_window.resets_in);
        }
        if let Some(address) = address {
            let address_window = self.ports.limits.current(address).await?;
            if address_window.count >= self.login.max_failures_per_address {
                wait = Some(wait.unwrap_or_default().max(address_window.resets_in));
            }
        }
        Ok(wait.map(|w| w.max(std::time::Duration::from_secs(1))))
    }

    pub(super) async fn count_failure(
        &self,
        account: &LimitKey,
        address: Option<&LimitKey>,
    ) -> Result<(), RepoError> {
        self.ports.limits.hit(account, self.login.window).await?;
        if let Some(address) = address {
            self.ports.limits.hit(address, self.login.window).await?;
        }
        Ok(())
    }
}
