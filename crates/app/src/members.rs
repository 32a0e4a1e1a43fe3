//! People in centres: enrolling a user as a member, suspending a user. (Invitations and member
//! management over HTTP come with the RBAC work; the demo data set and the tests use these.)

use std::sync::Arc;

use cubby_domain::{
    Actor, Audit, Email, Membership, MembershipId, MembershipStatus, Role, User, UserId,
    UserStatus, Version,
};
use cubby_ports::{
    Clock, IdGenerator, MembershipDirectory, MembershipRepository, RepoError, TenantScope,
    UserDirectory,
};
use secrecy::SecretString;

use crate::AppError;
use crate::cache::Principals;
use crate::passwords::Passwords;

/// Someone to enrol in a centre.
pub struct NewMember {
    /// Their address; an existing user with it is reused.
    pub email: Email,
    /// Their password, for a new user or to replace an existing user's.
    pub password: Option<SecretString>,
    /// Whether the address is known to be theirs.
    pub email_verified: bool,
    /// Their roles in the centre.
    pub roles: Vec<Role>,
}

impl std::fmt::Debug for NewMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMember").finish_non_exhaustive()
    }
}

/// The member use cases.
pub struct Members {
    users: Arc<dyn UserDirectory>,
    directory: Arc<dyn MembershipDirectory>,
    memberships: Arc<dyn MembershipRepository>,
    principals: Arc<Principals>,
    passwords: Passwords,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for Members {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Members").finish_non_exhaustive()
    }
}

/// What the member use cases run on.
pub struct MemberStores {
    /// Users.
    pub users: Arc<dyn UserDirectory>,
    /// Membership lookups.
    pub directory: Arc<dyn MembershipDirectory>,
    /// Membership writes.
    pub memberships: Arc<dyn MembershipRepository>,
    /// The principal cache to invalidate.
    pub principals: Arc<Principals>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The id source.
    pub ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for MemberStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberStores").finish_non_exhaustive()
    }
}

impl Members {
    /// The use cases on `stores`, hashing with `passwords`.
    pub fn new(stores: MemberStores, passwords: Passwords) -> Self {
        Self {
            users: stores.users,
            directory: stores.directory,
            memberships: stores.memberships,
            principals: stores.principals,
            passwords,
            clock: stores.clock,
            ids: stores.ids,
        }
    }

    /// Makes the user with `new.email` (created if needed) a member of the scope's centre with
    /// `new.roles`, or, if they already are one, answers that membership as it is. A password
    /// given replaces the user's.
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
