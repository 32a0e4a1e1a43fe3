//! Builds the application from the settings: which adapter serves each port.

use cubby_app::{App, Ports, Settings, TokenKeys, TokenPolicy};

/// The adapters the settings ask for. With no store configured (dev only; settings refuse
/// that elsewhere), everything lives in memory.
pub fn ports(_settings: &Settings) -> Ports {
    cubby_adapters_memory::embedded_ports()
}

/// The application the settings ask for.
pub fn app(settings: &Settings) -> App {
    App::new(
        ports(settings),
        TokenKeys::from_settings(settings),
        TokenPolicy::from_settings(settings),
    )
}
