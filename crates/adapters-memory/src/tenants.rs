//! The tenant directory in memory.

use std::collections::HashMap;

use async_trait::async_trait;
use cubby_domain::{Tenant, TenantCode, TenantId, Version};
use cubby_ports::{Page, RepoError, TenantDirectory, TenantQuery};

use crate::{MemoryStore, paginate, read, write};

#[derive(Default)]
pub(crate) struct TenantTable {
    by_id: HashMap<TenantId, Tenant>,
    by_code: HashMap<String, TenantId>,
}

#[async_trait]
impl TenantDirectory for MemoryStore {
    async fn by_code(&self, code: &TenantCode) -> Result<Tenant, RepoError> {
        let table = read(&self.tenants);
        table
            .by_code
            .get(code.as_str())
            .and_then(|id| table.by_id.get(id))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn by_id(&self, id: TenantId) -> Result<Tenant, RepoError> {
        read(&self.tenants)
            .by_id
            .get(&id)
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn insert(&self, tenant: &Tenant) -> Result<(), RepoError> {
        let mut table = write(&self.tenants);
        if table.by_code.contains_key(tenant.code().as_str()) {
            return Err(RepoError::Conflict("tenant.code"));
        }
        if table.by_id.contains_key(&tenant.id()) {
            return Err(RepoError::Conflict("tenant.id"));
        }
        table
            .by_code
            .insert(tenant.code().as_str().to_owned(), tenant.id());
        table.by_id.insert(tenant.id(), tenant.clone());
        Ok(())
    }

    async fn update(&self, tenant: &Tenant, expected: Version) -> Result<(), RepoError> {
        let mut table = write(&self.tenants);
        let stored = table.by_id.get(&tenant.id()).ok_or(RepoError::NotFound)?;
        if stored.version() != expected {
            return Err(RepoError::StaleVersion);
        }
        if stored.code() != tenant.code() {
            return Err(RepoError::Failed("a tenant's code cannot change".into()));
        }
        table.by_id.insert(tenant.id(), tenant.clone());
        Ok(())
    }

    async fn tenant_ids(
        &self,
        after: Option<TenantId>,
        limit: u32,
    ) -> Result<Vec<TenantId>, RepoError> {
        let mut ids: Vec<TenantId> = read(&self.tenants)
            .by_id
            .keys()
            .copied()
            .filter(|id| after.is_none_or(|after| *id > after))
            .collect();
        ids.sort();
        ids.truncate(limit as usize);
        Ok(ids)
    }

    async fn list_tenants(&self, query: &TenantQuery) -> Result<Page<Tenant>, RepoError> {
        let table = read(&self.tenants);
        let mut selected: Vec<&Tenant> = table
            .by_id
            .values()
            .filter(|t| {
                query
                    .code_prefix
                    .as_deref()
                    .is_none_or(|prefix| t.code().as_str().starts_with(prefix))
            })
            .filter(|t| query.status.is_none_or(|status| t.status() == status))
            .collect();
        selected.sort_by(|a, b| {
            query
                .direction
                .apply(a.code().as_str().cmp(b.code().as_str()))
        });
        Ok(paginate(selected, query.page))
    }
}

#[cfg(test)]
mod tests {
    use crate::MemoryStore;

    cubby_ports::tenant_directory_contract!(async { MemoryStore::default() });
}
