//! The set of adapters an application runs on.

use std::sync::Arc;

use crate::{
    Cache, Clock, HealthProbe, IdGenerator, IdempotencyStore, RoomRepository, TenantDirectory,
};

/// The adapters a host picked, one per port: what the application is built on.
#[derive(Clone)]
pub struct Ports {
    /// Rooms.
    pub rooms: Arc<dyn RoomRepository>,
    /// The tenant directory.
    pub tenants: Arc<dyn TenantDirectory>,
    /// The shared cache.
    pub cache: Arc<dyn Cache>,
    /// Idempotency records.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The id source.
    pub ids: Arc<dyn IdGenerator>,
    /// Readiness probes of the dependencies behind the adapters (none for the in-memory ones).
    pub probes: Vec<Arc<dyn HealthProbe>>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}
