//! Users across centres: enrolling people directly (the demo data set and tests), and
//! suspending or reactivating a user everywhere.

use cubby_domain::{
    Actor, Email, Membership, MembershipId, MembershipStatus, PasswordHash, User, UserId,
    UserStatus,
};
use cubby_ports::{RepoError, TenantScope};
use time::OffsetDateTime;

use super::{Members, NewMember};
use crate::AppError;

impl Members {
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
        let user = self
            .enrolled_user(new.email, new.email_verified, hash, &by, now)
            .await?;
        match self
            .directory
            .membership_of(scope.tenant_id(), user.id())
            .await
        {
            Ok(membership) => return Ok((user, membership)),
            Err(RepoError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
        let membership = Membership::create(
            MembershipId::from_uuid(self.ids.uuid()),
            user.id(),
            new.roles,
            new.entitlements,
            MembershipStatus::Active,
            by,
            now,
        );
        self.memberships
            .insert_membership(scope, &membership)
            .await?;
        Ok((user, membership))
    }

    /// The user with `email`: created if new, their password replaced by `hash` when one is
    /// given and differs.
    async fn enrolled_user(
        &self,
        email: Email,
        email_verified: bool,
        hash: Option<PasswordHash>,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<User, AppError> {
        Ok(match self.users.user_by_email(&email).await {
            Ok(existing) if hash.is_some() && existing.password_hash() != hash.as_ref() => {
                let changed = existing.with_password_hash(hash, by.clone(), now);
                self.users.update_user(&changed, existing.version()).await?;
                changed
            }
            Ok(existing) => existing,
            Err(RepoError::NotFound) => {
                let user = User::create(
                    UserId::from_uuid(self.ids.uuid()),
                    email,
                    email_verified,
                    hash,
                    by.clone(),
                    now,
                );
                self.users.insert_user(&user).await?;
                user
            }
            Err(other) => return Err(other.into()),
        })
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
        let changed = user.with_status(status, by, self.clock.now());
        self.users.update_user(&changed, user.version()).await?;
        let memberships: Vec<_> = self
            .directory
            .memberships_of_user(id)
            .await?
            .into_iter()
            .map(|(t, m)| (t, m.id()))
            .collect();
        self.principals.forget(&memberships).await;
        Ok(changed)
    }
}
