//! Children and staff in memory, partitioned by tenant.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use cubby_domain::{Child, ChildId, StaffId, StaffMember, TenantId, UserId, Version};
use cubby_ports::{
    ChildQuery, ChildRepository, ChildSortKey, Page, RepoError, SortDirection, StaffQuery,
    StaffRepository, TenantScope,
};

use crate::{MemoryStore, paginate, read, write};

/// Every tenant's children, by id.
#[derive(Default)]
pub(crate) struct ChildTable {
    tenants: HashMap<TenantId, BTreeMap<ChildId, Child>>,
}

/// Every tenant's staff, by id.
#[derive(Default)]
pub(crate) struct StaffTable {
    tenants: HashMap<TenantId, BTreeMap<StaffId, StaffMember>>,
}

fn compare(key: ChildSortKey, a: &Child, b: &Child) -> Ordering {
    let primary = match key {
        ChildSortKey::Name => a.name.key().cmp(&b.name.key()),
        ChildSortKey::CreatedAt => a.audit.created_at().cmp(&b.audit.created_at()),
        ChildSortKey::DateOfBirth => a.date_of_birth.cmp(&b.date_of_birth),
    };
    primary.then_with(|| a.id.cmp(&b.id))
}

fn matches(query: &ChildQuery, child: &Child) -> bool {
    let within = query.within.as_ref().is_none_or(|set| {
        set.children.contains(&child.id) || child.room_id.is_some_and(|r| set.rooms.contains(&r))
    });
    let linked = query
        .linked_user
        .is_none_or(|user| child.contacts.iter().any(|c| c.user_id == Some(user)));
    within
        && linked
        && (query.include_archived || !child.is_archived())
        && query.room.is_none_or(|room| child.room_id == Some(room))
        && query
            .status
            .is_none_or(|status| child.enrolment.status() == status)
        && query
            .name_prefix
            .as_deref()
            .is_none_or(|prefix| child.name.key().starts_with(prefix))
}

#[async_trait]
impl ChildRepository for MemoryStore {
    async fn insert(&self, scope: &TenantScope, child: &Child) -> Result<(), RepoError> {
        let mut table = write(&self.children);
        let children = table.tenants.entry(scope.tenant_id()).or_default();
        if children.contains_key(&child.id) {
            return Err(RepoError::Conflict("child.id"));
        }
        children.insert(child.id, child.clone());
        Ok(())
    }

    async fn get(&self, scope: &TenantScope, id: ChildId) -> Result<Child, RepoError> {
        read(&self.children)
            .tenants
            .get(&scope.tenant_id())
            .and_then(|children| children.get(&id))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn list(
        &self,
        scope: &TenantScope,
        query: &ChildQuery,
    ) -> Result<Page<Child>, RepoError> {
        let table = read(&self.children);
        let Some(children) = table.tenants.get(&scope.tenant_id()) else {
            return Ok(Page::empty());
        };
        let mut matching: Vec<&Child> = children
            .values()
            .filter(|child| matches(query, child))
            .collect();
        matching.sort_by(|a, b| {
            let order = compare(query.sort, a, b);
            match query.direction {
                SortDirection::Ascending => order,
                SortDirection::Descending => order.reverse(),
            }
        });
        Ok(paginate(matching, query.page))
    }

    async fn update(
        &self,
        scope: &TenantScope,
        child: &Child,
        expected: Version,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.children);
        let stored = table
            .tenants
            .get_mut(&scope.tenant_id())
            .and_then(|children| children.get_mut(&child.id))
            .ok_or(RepoError::NotFound)?;
        if stored.version != expected {
            return Err(RepoError::StaleVersion);
        }
        *stored = child.clone();
        Ok(())
    }
}

fn user_taken(
    staff: &BTreeMap<StaffId, StaffMember>,
    member: &StaffMember,
    except: Option<StaffId>,
) -> bool {
    !member.is_archived()
        && staff.values().any(|other| {
            other.user_id == member.user_id && !other.is_archived() && Some(other.id) != except
        })
}

#[async_trait]
impl StaffRepository for MemoryStore {
    async fn insert(&self, scope: &TenantScope, member: &StaffMember) -> Result<(), RepoError> {
        let mut table = write(&self.staff);
        let staff = table.tenants.entry(scope.tenant_id()).or_default();
        if staff.contains_key(&member.id) {
            return Err(RepoError::Conflict("staff.id"));
        }
        if user_taken(staff, member, None) {
            return Err(RepoError::Conflict("staff.user"));
        }
        staff.insert(member.id, member.clone());
        Ok(())
    }

    async fn get(&self, scope: &TenantScope, id: StaffId) -> Result<StaffMember, RepoError> {
        read(&self.staff)
            .tenants
            .get(&scope.tenant_id())
            .and_then(|staff| staff.get(&id))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn by_user(
        &self,
        scope: &TenantScope,
        user: UserId,
    ) -> Result<Option<StaffMember>, RepoError> {
        Ok(read(&self.staff)
            .tenants
            .get(&scope.tenant_id())
            .and_then(|staff| {
                staff
                    .values()
                    .find(|m| m.user_id == user && !m.is_archived())
            })
            .cloned())
    }

    async fn list(
        &self,
        scope: &TenantScope,
        query: &StaffQuery,
    ) -> Result<Page<StaffMember>, RepoError> {
        let table = read(&self.staff);
        let Some(staff) = table.tenants.get(&scope.tenant_id()) else {
            return Ok(Page::empty());
        };
        let mut matching: Vec<&StaffMember> = staff
            .values()
            .filter(|m| query.include_archived || !m.is_archived())
            .filter(|m| query.room.is_none_or(|room| m.works_in(room)))
            .collect();
        matching.sort_by(|a, b| a.name.key().cmp(&b.name.key()).then(a.id.cmp(&b.id)));
        Ok(paginate(matching, query.page))
    }

    async fn update(
        &self,
        scope: &TenantScope,
        member: &StaffMember,
        expected: Version,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.staff);
        let staff = table
            .tenants
            .get_mut(&scope.tenant_id())
            .ok_or(RepoError::NotFound)?;
        let stored = staff.get(&member.id).ok_or(RepoError::NotFound)?;
        if stored.version != expected {
            return Err(RepoError::StaleVersion);
        }
        if user_taken(staff, member, Some(member.id)) {
            return Err(RepoError::Conflict("staff.user"));
        }
        staff.insert(member.id, member.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::MemoryStore;

    cubby_ports::child_repository_contract!(async { MemoryStore::default() });
    cubby_ports::staff_repository_contract!(async { MemoryStore::default() });
}
