//! Cubby's application layer: the use cases, run on domain values through the ports.
//!
//! It verifies sessions into [`cubby_ports::TenantScope`]s (the only place that builds one for a
//! user), checks permissions, fills audit stamps from the scope and the clock, and turns port
//! errors into [`AppError`]s. It knows no HTTP, JSON shape, driver or framework.

pub mod cache;
pub mod demo;
mod error;
pub mod rooms;
pub mod session;
pub mod settings;
pub mod tokens;

use std::sync::Arc;

use cubby_ports::HealthProbe;
pub use cubby_ports::Ports;

pub use error::AppError;
pub use rooms::Rooms;
pub use session::{AuthError, Sessions};
pub use settings::{Environment, Settings, SettingsError};
pub use tokens::{AccessClaims, IssuedToken, TokenKeys, TokenPolicy};

/// Every use case, ready to serve.
pub struct App {
    /// Session verification and token minting.
    pub sessions: Sessions,
    /// Rooms.
    pub rooms: Rooms,
    /// Readiness probes.
    pub probes: Vec<Arc<dyn HealthProbe>>,
    /// The tenant directory behind the cache (for its hit rate).
    pub tenants: Arc<cache::CachedTenants>,
    ports: Ports,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Wires the use cases onto the ports.
    pub fn new(ports: Ports, keys: TokenKeys, policy: TokenPolicy) -> Self {
        let tenants = Arc::new(cache::CachedTenants::new(
            ports.tenants.clone(),
            ports.cache.clone(),
        ));
        Self {
            sessions: Sessions::new(
                keys,
                policy,
                tenants.clone(),
                ports.clock.clone(),
                ports.ids.clone(),
            ),
            tenants,
            rooms: Rooms::new(ports.rooms.clone(), ports.clock.clone(), ports.ids.clone()),
            probes: ports.probes.clone(),
            ports,
        }
    }

    /// The ports the use cases run on.
    pub fn ports(&self) -> &Ports {
        &self.ports
    }
}
