//! Every Cubby port in memory: the embedded default that `cargo run` serves with nothing
//! installed, and the fakes the tests use. Each adapter passes the same contract suite as the
//! real one.
//!
//! Data is partitioned by tenant first, so a tenant's calls never walk another tenant's data.

mod attendance;
mod cache;
mod children;
mod identity;
mod jobs;
mod mail;
mod messages;
mod objects;
mod partitioned;
mod roles;
mod rooms;
mod sessions;
mod system;
mod tenants;
mod users;

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use identity::{LocalClaims, LocalIdentityProvider};
pub use mail::{OUTBOX_CAPACITY, Outbox};
pub use system::{RandomIds, ShiftedClock, SystemClock};

/// The in-memory store: cheap to clone, all clones share the data.
#[derive(Clone, Default)]
pub struct MemoryStore {
    tenants: Arc<RwLock<tenants::TenantTable>>,
    rooms: Arc<RwLock<rooms::RoomTable>>,
    children: Arc<RwLock<children::ChildTable>>,
    staff: Arc<RwLock<children::StaffTable>>,
    attendance: Arc<RwLock<attendance::AttendanceTable>>,
    breaches: Arc<RwLock<attendance::BreachTable>>,
    messages: Arc<RwLock<messages::MessageTable>>,
    objects: Arc<RwLock<objects::ObjectTable>>,
    jobs: Arc<RwLock<jobs::JobTable>>,
    cache: Arc<RwLock<cache::Expiring<String, Vec<u8>>>>,
    idempotency: Arc<RwLock<cache::Expiring<cache::RecordKey, cache::Record>>>,
    users: Arc<RwLock<users::UserTable>>,
    roles: Arc<RwLock<roles::RoleTable>>,
    tokens: Arc<RwLock<sessions::TokenTable>>,
    limits: Arc<RwLock<sessions::LimitTable>>,
    audit: Arc<RwLock<sessions::AuditTable>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

/// Reads a table; a panic while another task held the lock leaves the data as it was, so the
/// poison is ignored.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Writes a table (see [`read`] about poison).
fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// The page `page` of `matching` (already filtered and sorted), and its total.
fn paginate<T: Clone>(matching: Vec<&T>, page: cubby_ports::PageRequest) -> cubby_ports::Page<T> {
    let total = matching.len() as u64;
    let items = matching
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(page.limit() as usize)
        .cloned()
        .collect();
    cubby_ports::Page { items, total }
}

/// Every port on one fresh in-memory store, with the system clock and random ids: the
/// embedded default.
pub fn embedded_ports() -> cubby_ports::Ports {
    let store = MemoryStore::default();
    let outbox = Outbox::new(Arc::new(SystemClock));
    cubby_ports::Ports {
        rooms: Arc::new(store.clone()),
        children: Arc::new(store.clone()),
        staff: Arc::new(store.clone()),
        attendance: Arc::new(store.clone()),
        breaches: Arc::new(store.clone()),
        messages: Arc::new(store.clone()),
        files: Arc::new(store.clone()),
        jobs: Arc::new(store.clone()),
        job_records: Arc::new(store.clone()),
        objects: Arc::new(store.clone()),
        local_objects: Some(Arc::new(store.clone())),
        tenants: Arc::new(store.clone()),
        users: Arc::new(store.clone()),
        membership_directory: Arc::new(store.clone()),
        memberships: Arc::new(store.clone()),
        roles: Arc::new(store.clone()),
        invitations: Arc::new(store.clone()),
        invitation_directory: Arc::new(store.clone()),
        tokens: Arc::new(store.clone()),
        limits: Arc::new(store.clone()),
        audit: Arc::new(store.clone()),
        cache: Arc::new(store.clone()),
        gate: None,
        idempotency: Arc::new(store),
        mailer: Arc::new(outbox.clone()),
        outbox: Some(Arc::new(outbox)),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        probes: Vec::new(),
    }
}
