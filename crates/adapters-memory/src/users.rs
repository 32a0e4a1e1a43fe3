//! Users and memberships in memory.

use std::collections::HashMap;

use async_trait::async_trait;
use cubby_domain::{Email, ExternalId, Membership, MembershipId, TenantId, User, UserId, Version};
use cubby_ports::{
    MembershipDirectory, MembershipQuery, MembershipRepository, Page, RepoError, SortDirection,
    TenantScope, UserDirectory,
};

use crate::partitioned::Partitioned;
use crate::{MemoryStore, read, write};

/// Users with their unique keys, and memberships by tenant.
#[derive(Default)]
pub(crate) struct UserTable {
    users: HashMap<UserId, User>,
    by_email: HashMap<String, UserId>,
    by_supabase: HashMap<String, UserId>,
    memberships: Partitioned<HashMap<MembershipId, Membership>>,
}

impl UserTable {
    fn conflict(&self, user: &User) -> Option<RepoError> {
        let taken = |index: &HashMap<String, UserId>, key: &str| {
            index.get(key).is_some_and(|holder| *holder != user.id())
        };
        if taken(&self.by_email, user.email().as_str()) {
            return Some(RepoError::Conflict("user.email"));
        }
        if user
            .supabase_id()
            .as_ref()
            .is_some_and(|id| taken(&self.by_supabase, id.as_str()))
        {
            return Some(RepoError::Conflict("user.supabase_id"));
        }
        None
    }

    fn put(&mut self, user: &User) {
        if let Some(previous) = self.users.insert(user.id(), user.clone()) {
            self.by_email.remove(previous.email().as_str());
            if let Some(id) = previous.supabase_id() {
                self.by_supabase.remove(id.as_str());
            }
        }
        self.by_email
            .insert(user.email().as_str().to_owned(), user.id());
        if let Some(id) = &user.supabase_id() {
            self.by_supabase.insert(id.as_str().to_owned(), user.id());
        }
    }
}

#[async_trait]
impl UserDirectory for MemoryStore {
    async fn user_by_id(&self, id: UserId) -> Result<User, RepoError> {
        read(&self.users)
            .users
            .get(&id)
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn user_by_email(&self, email: &Email) -> Result<User, RepoError> {
        let table = read(&self.users);
        table
            .by_email
            .get(email.as_str())
            .and_then(|id| table.users.get(id))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn user_by_supabase_id(&self, id: &ExternalId) -> Result<User, RepoError> {
        let table = read(&self.users);
        table
            .by_supabase
            .get(id.as_str())
            .and_then(|id| table.users.get(id))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn insert_user(&self, user: &User) -> Result<(), RepoError> {
        let mut table = write(&self.users);
        if table.users.contains_key(&user.id()) {
            return Err(RepoError::Conflict("user.id"));
        }
        if let Some(conflict) = table.conflict(user) {
            return Err(conflict);
        }
        table.put(user);
        Ok(())
    }

    async fn update_user(&self, user: &User, expected: Version) -> Result<(), RepoError> {
        let mut table = write(&self.users);
        let stored = table.users.get(&user.id()).ok_or(RepoError::NotFound)?;
        if stored.version() != expected {
            return Err(RepoError::StaleVersion);
        }
        if let Some(conflict) = table.conflict(user) {
            return Err(conflict);
        }
        table.put(user);
        Ok(())
    }
}

#[async_trait]
impl MembershipDirectory for MemoryStore {
    async fn membership_of(&self, tenant: TenantId, user: UserId) -> Result<Membership, RepoError> {
        read(&self.users)
            .memberships
            .in_tenant(tenant)
            .and_then(|members| members.values().find(|m| m.user_id() == user))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn membership_by_id(
        &self,
        tenant: TenantId,
        id: MembershipId,
    ) -> Result<Membership, RepoError> {
        read(&self.users)
            .memberships
            .in_tenant(tenant)
            .and_then(|members| members.get(&id))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn memberships_of_user(
        &self,
        user: UserId,
    ) -> Result<Vec<(TenantId, Membership)>, RepoError> {
        Ok(read(&self.users)
            .memberships
            .iter()
            .flat_map(|(tenant, members)| {
                members
                    .values()
                    .filter(|m| m.user_id() == user)
                    .map(|m| (*tenant, m.clone()))
            })
            .collect())
    }
}

#[async_trait]
impl MembershipRepository for MemoryStore {
    async fn insert_membership(
        &self,
        scope: &TenantScope,
        membership: &Membership,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.users);
        let members = table.memberships.writing(scope);
        if members.contains_key(&membership.id()) {
            return Err(RepoError::Conflict("membership.id"));
        }
        if members
            .values()
            .any(|m| m.user_id() == membership.user_id())
        {
            return Err(RepoError::Conflict("membership.user"));
        }
        members.insert(membership.id(), membership.clone());
        Ok(())
    }

    async fn get_membership(
        &self,
        scope: &TenantScope,
        id: MembershipId,
    ) -> Result<Membership, RepoError> {
        self.membership_by_id(scope.tenant_id(), id).await
    }

    async fn update_membership(
        &self,
        scope: &TenantScope,
        membership: &Membership,
        expected: Version,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.users);
        let stored = table
            .memberships
            .of_mut(scope)
            .and_then(|members| members.get_mut(&membership.id()))
            .ok_or(RepoError::NotFound)?;
        if stored.version() != expected {
            return Err(RepoError::StaleVersion);
        }
        if stored.user_id() != membership.user_id() {
            return Err(RepoError::Failed(
                "a membership's user cannot change".into(),
            ));
        }
        *stored = membership.clone();
        Ok(())
    }

    async fn list_memberships(
        &self,
        scope: &TenantScope,
        query: &MembershipQuery,
    ) -> Result<Page<Membership>, RepoError> {
        let table = read(&self.users);
        let mut found: Vec<&Membership> = table
            .memberships
            .of(scope)
            .map(|members| {
                members
                    .values()
                    .filter(|m| query.statuses.contains(&m.status()))
                    .filter(|m| query.role.is_none_or(|role| m.holds(role)))
                    .filter(|m| query.user_id.is_none_or(|user| m.user_id() == user))
                    .collect()
            })
            .unwrap_or_default();
        found.sort_by(|a, b| {
            let order = a
                .audit()
                .created_at()
                .cmp(&b.audit().created_at())
                .then_with(|| a.id().cmp(&b.id()));
            match query.direction {
                SortDirection::Ascending => order,
                SortDirection::Descending => order.reverse(),
            }
        });
        let total = found.len() as u64;
        let items = found
            .into_iter()
            .skip(usize::try_from(query.page.offset()).unwrap_or(usize::MAX))
            .take(query.page.limit() as usize)
            .cloned()
            .collect();
        Ok(Page { items, total })
    }
}

#[cfg(test)]
mod tests {
    use crate::MemoryStore;

    cubby_ports::user_directory_contract!(async { MemoryStore::default() });
}
