//! Rooms in memory, partitioned by tenant.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use cubby_domain::{Room, RoomId, Version};
use cubby_ports::{
    Page, RepoError, RoomQuery, RoomRepository, RoomSortKey, SortDirection, TenantScope,
};

use crate::partitioned::Partitioned;
use crate::{MemoryStore, paginate, read, write};

/// Every tenant's rooms.
#[derive(Default)]
pub(crate) struct RoomTable {
    tenants: Partitioned<TenantRooms>,
}

/// One tenant's rooms, by id (which is creation order), and the name keys of the active ones.
#[derive(Default)]
struct TenantRooms {
    by_id: BTreeMap<RoomId, Room>,
    active_names: HashMap<String, RoomId>,
}

impl TenantRooms {
    /// Whether an active room other than `except` holds the name key of `room`.
    fn name_taken(&self, room: &Room, except: Option<RoomId>) -> bool {
        !room.is_archived()
            && self
                .active_names
                .get(&room.name().key())
                .is_some_and(|holder| Some(*holder) != except)
    }

    fn put(&mut self, room: &Room) {
        if let Some(previous) = self.by_id.insert(room.id(), room.clone()) {
            let key = previous.name().key();
            if self.active_names.get(&key) == Some(&room.id()) {
                self.active_names.remove(&key);
            }
        }
        if !room.is_archived() {
            self.active_names.insert(room.name().key(), room.id());
        }
    }
}

fn compare(key: RoomSortKey, a: &Room, b: &Room) -> Ordering {
    let primary = match key {
        RoomSortKey::CreatedAt => a.audit().created_at().cmp(&b.audit().created_at()),
        RoomSortKey::Name => a.name().key().cmp(&b.name().key()),
    };
    primary.then_with(|| a.id().cmp(&b.id()))
}

#[async_trait]
impl RoomRepository for MemoryStore {
    async fn insert(&self, scope: &TenantScope, room: &Room) -> Result<(), RepoError> {
        let mut table = write(&self.rooms);
        let rooms = table.tenants.writing(scope);
        if rooms.by_id.contains_key(&room.id()) {
            return Err(RepoError::Conflict("room.id"));
        }
        if rooms.name_taken(room, None) {
            return Err(RepoError::Conflict("room.name"));
        }
        rooms.put(room);
        Ok(())
    }

    async fn get(&self, scope: &TenantScope, id: RoomId) -> Result<Room, RepoError> {
        read(&self.rooms)
            .tenants
            .of(scope)
            .and_then(|rooms| rooms.by_id.get(&id))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn list(&self, scope: &TenantScope, query: &RoomQuery) -> Result<Page<Room>, RepoError> {
        let table = read(&self.rooms);
        let Some(rooms) = table.tenants.of(scope) else {
            return Ok(Page::empty());
        };
        let prefix = query.name_prefix.as_deref().map(str::to_lowercase);
        let mut matching: Vec<&Room> = rooms
            .by_id
            .values()
            .filter(|room| query.include_archived || !room.is_archived())
            .filter(|room| {
                prefix
                    .as_deref()
                    .is_none_or(|p| room.name().key().starts_with(p))
            })
            .collect();
        matching.sort_by(|a, b| {
            let order = compare(query.sort.key, a, b);
            match query.sort.direction {
                SortDirection::Ascending => order,
                SortDirection::Descending => order.reverse(),
            }
        });
        Ok(paginate(matching, query.page))
    }

    async fn update(
        &self,
        scope: &TenantScope,
        room: &Room,
        expected: Version,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.rooms);
        let rooms = table.tenants.of_mut(scope).ok_or(RepoError::NotFound)?;
        let stored = rooms.by_id.get(&room.id()).ok_or(RepoError::NotFound)?;
        if stored.version() != expected {
            return Err(RepoError::StaleVersion);
        }
        if rooms.name_taken(room, Some(room.id())) {
            return Err(RepoError::Conflict("room.name"));
        }
        rooms.put(room);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::MemoryStore;

    cubby_ports::room_repository_contract!(async { MemoryStore::default() });
}
