//! Custom roles and invitations in memory.

use std::collections::HashMap;

use async_trait::async_trait;
use cubby_domain::{CustomRole, Invitation, InvitationId, RoleId, TenantId, Version};
use cubby_ports::{
    InvitationDirectory, InvitationQuery, InvitationRepository, Page, RepoError, RoleRepository,
    TenantScope,
};

use crate::partitioned::Partitioned;
use crate::{MemoryStore, read, write};

/// Every tenant's custom roles (in creation order) and invitations.
#[derive(Default)]
pub(crate) struct RoleTable {
    roles: Partitioned<Vec<CustomRole>>,
    invitations: Partitioned<HashMap<InvitationId, Invitation>>,
}

#[async_trait]
impl RoleRepository for MemoryStore {
    async fn insert_role(&self, scope: &TenantScope, role: &CustomRole) -> Result<(), RepoError> {
        let mut table = write(&self.roles);
        let roles = table.roles.writing(scope);
        if roles.iter().any(|r| r.id == role.id) {
            return Err(RepoError::Conflict("role.id"));
        }
        if roles.iter().any(|r| r.name.key() == role.name.key()) {
            return Err(RepoError::Conflict("role.name"));
        }
        roles.push(role.clone());
        Ok(())
    }

    async fn list_roles(&self, scope: &TenantScope) -> Result<Vec<CustomRole>, RepoError> {
        Ok(read(&self.roles)
            .roles
            .of(scope)
            .cloned()
            .unwrap_or_default())
    }

    async fn update_role(
        &self,
        scope: &TenantScope,
        role: &CustomRole,
        expected: Version,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.roles);
        let roles = table.roles.of_mut(scope).ok_or(RepoError::NotFound)?;
        if roles
            .iter()
            .any(|r| r.id != role.id && r.name.key() == role.name.key())
        {
            if !roles.iter().any(|r| r.id == role.id) {
                return Err(RepoError::NotFound);
            }
            return Err(RepoError::Conflict("role.name"));
        }
        let stored = roles
            .iter_mut()
            .find(|r| r.id == role.id)
            .ok_or(RepoError::NotFound)?;
        if stored.version != expected {
            return Err(RepoError::StaleVersion);
        }
        *stored = role.clone();
        Ok(())
    }

    async fn delete_role(
        &self,
        scope: &TenantScope,
        id: RoleId,
        expected: Version,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.roles);
        let roles = table.roles.of_mut(scope).ok_or(RepoError::NotFound)?;
        let position = roles
            .iter()
            .position(|r| r.id == id)
            .ok_or(RepoError::NotFound)?;
        if roles[position].version != expected {
            return Err(RepoError::StaleVersion);
        }
        roles.remove(position);
        Ok(())
    }
}

#[async_trait]
impl InvitationRepository for MemoryStore {
    async fn insert_invitation(
        &self,
        scope: &TenantScope,
        invitation: &Invitation,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.roles);
        // Ids are unique across centres, as the document store's `_id` is.
        if table
            .invitations
            .iter()
            .any(|(_, invitations)| invitations.contains_key(&invitation.id()))
        {
            return Err(RepoError::Conflict("invitation.id"));
        }
        table
            .invitations
            .writing(scope)
            .insert(invitation.id(), invitation.clone());
        Ok(())
    }

    async fn get_invitation(
        &self,
        scope: &TenantScope,
        id: InvitationId,
    ) -> Result<Invitation, RepoError> {
        read(&self.roles)
            .invitations
            .of(scope)
            .and_then(|invitations| invitations.get(&id))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn list_invitations(
        &self,
        scope: &TenantScope,
        query: &InvitationQuery,
    ) -> Result<Page<Invitation>, RepoError> {
        let table = read(&self.roles);
        let mut found: Vec<&Invitation> = table
            .invitations
            .of(scope)
            .into_iter()
            .flat_map(HashMap::values)
            .filter(|invitation| {
                query
                    .status
                    .is_none_or(|status| invitation.status() == status)
            })
            .collect();
        found.sort_by(|a, b| {
            query.direction.apply(
                a.audit()
                    .created_at()
                    .cmp(&b.audit().created_at())
                    .then_with(|| a.id().cmp(&b.id())),
            )
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

    async fn update_invitation(
        &self,
        scope: &TenantScope,
        invitation: &Invitation,
        expected: Version,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.roles);
        let stored = table
            .invitations
            .of_mut(scope)
            .and_then(|invitations| invitations.get_mut(&invitation.id()))
            .ok_or(RepoError::NotFound)?;
        if stored.version() != expected {
            return Err(RepoError::StaleVersion);
        }
        *stored = invitation.clone();
        Ok(())
    }
}

#[async_trait]
impl InvitationDirectory for MemoryStore {
    async fn invitation_by_id(
        &self,
        id: InvitationId,
    ) -> Result<(TenantId, Invitation), RepoError> {
        // Before a session exists: the id names the invitation in every centre's partition.
        read(&self.roles)
            .invitations
            .iter()
            .find_map(|(tenant, invitations)| {
                invitations.get(&id).map(|found| (*tenant, found.clone()))
            })
            .ok_or(RepoError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    mod roles {
        use crate::MemoryStore;
        cubby_ports::role_repository_contract!(async { MemoryStore::default() });
    }

    mod invitations {
        use crate::MemoryStore;
        cubby_ports::invitation_repository_contract!(async { MemoryStore::default() });
    }
}
