//! Cubby's application layer: the use cases, run on domain values through the ports.
//!
//! It verifies sessions into [`cubby_ports::TenantScope`]s (the only place that builds one for a
//! user), checks permissions, fills audit stamps from the scope and the clock, and turns port
//! errors into [`AppError`]s. It knows no HTTP, JSON shape, driver or framework.

pub mod attendance;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod centre;
pub mod children;
pub mod custom_roles;
mod error;
pub mod files;
pub mod jobs;
pub mod mail;
pub mod members;
pub mod messages;
pub mod passwords;
pub mod platform;
pub mod rooms;
pub mod session;
pub mod staff;
pub mod tokens;
pub mod trace;
mod wiring;

#[cfg(test)]
mod testing;

use std::sync::Arc;

pub use cubby_ports::Ports;
use cubby_ports::{HealthProbe, IdentityVerifier};

use cubby_settings::{Settings, SettingsError};
pub use error::AppError;
pub use rooms::Rooms;
pub use session::{AuthError, Sessions};
pub use tokens::{AccessClaims, IssuedToken, TokenKeys, TokenPolicy};

/// How the application is configured, apart from its adapters.
pub struct AppConfig {
    /// The keys access tokens are signed and verified with.
    pub keys: TokenKeys,
    /// Access token issuer, audience and lifetime.
    pub policy: TokenPolicy,
    /// argon2id costs.
    pub passwords: passwords::PasswordParams,
    /// Sign-in throttling.
    pub login: auth::LoginPolicy,
    /// A session's absolute lifetime.
    pub session_lifetime: time::Duration,
    /// Supabase session verification, when configured: an adapter, which the composition root
    /// builds from the settings.
    pub supabase: Option<Arc<dyn IdentityVerifier>>,
    /// How jobs are retried.
    pub jobs: jobs::RetryPolicy,
    /// The operator API keys of the platform API (none turns it off).
    pub operators: platform::OperatorKeys,
    /// Where links in e-mail lead (`CUBBY_APP_URL`).
    pub links: mail::Links,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("keys", &self.keys)
            .field("login", &self.login)
            .field("operators", &self.operators)
            .finish_non_exhaustive()
    }
}

impl AppConfig {
    /// The configuration the settings ask for, without adapters: no Supabase verification
    /// (`supabase` is `None`; the composition root sets it from the settings).
    ///
    /// # Errors
    ///
    /// [`SettingsError`] naming `CUBBY_JWT_KEYS` when the key set cannot be loaded.
    pub fn from_settings(settings: &Settings) -> Result<Self, SettingsError> {
        let keys = TokenKeys::from_settings(settings).map_err(|error| SettingsError {
            problems: vec![("CUBBY_JWT_KEYS".to_owned(), error.to_string())],
        })?;
        Ok(Self {
            keys,
            policy: TokenPolicy::from_settings(settings),
            passwords: passwords::PasswordParams::from_settings(settings),
            login: auth::LoginPolicy::from_settings(settings),
            session_lifetime: time::Duration::days(settings.refresh_token_ttl_days.into()),
            supabase: None,
            jobs: jobs::RetryPolicy::default(),
            operators: platform::OperatorKeys::from_settings(settings)?,
            links: mail::Links::new(
                settings
                    .app_url
                    .as_deref()
                    .unwrap_or(cubby_settings::DEV_APP_URL),
            ),
        })
    }
}

/// Every use case, ready to serve.
pub struct App {
    /// Session verification and token minting.
    pub sessions: Arc<Sessions>,
    /// A request's reads before it reaches the data (rate-limit counters, blocklist, cached
    /// session entries), in one call: the ports' own gate, or one call per read.
    pub gate: Arc<dyn cubby_ports::RequestGate>,
    /// Signing in and out.
    pub auth: auth::Auth,
    /// People in centres.
    pub members: members::Members,
    /// The centre's own roles.
    pub custom_roles: custom_roles::CustomRoles,
    /// The audit trail.
    pub audit: Arc<audit::AuditTrail>,
    /// Rooms.
    pub rooms: Rooms,
    /// Children, contacts and custody restrictions.
    pub children: Arc<children::Children>,
    /// Staff records.
    pub staff: staff::Staff,
    /// Attendance, ratios and breaches.
    pub attendance: Arc<attendance::Attendance>,
    /// The centre's settings and its rooms' ratio rules.
    pub centre: centre::Centre,
    /// The platform operators' work on centres.
    pub platform: platform::Platform,
    /// Announcements and threads.
    pub messages: messages::Messages,
    /// Presigned uploads and downloads.
    pub files: files::Files,
    /// Background jobs and the worker.
    pub jobs: Arc<jobs::Jobs>,
    /// E-mail, sent by jobs.
    pub mail: mail::Mail,
    /// Readiness probes.
    pub probes: Vec<Arc<dyn HealthProbe>>,
    /// The tenant directory behind the cache (for its hit rate).
    pub tenants: Arc<cache::CachedTenants>,
    /// Principals behind the cache (for its hit rate).
    pub principals: Arc<cache::Principals>,
    /// Permission sets behind the cache (for its hit rate).
    pub permissions: Arc<cache::Permissions>,
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
    ///
    /// # Errors
    ///
    /// [`AppError::Internal`] when the password hashing costs are not valid.
    pub fn new(ports: Ports, config: AppConfig) -> Result<Self, AppError> {
        let shared = wiring::Shared::new(&ports, config.passwords)?;
        let sessions = wiring::sessions(&ports, &shared, config.keys, config.policy);
        let children = Arc::new(wiring::children(&ports, &shared));
        let attendance = Arc::new(wiring::attendance(&ports, &shared, &children));
        let jobs = Arc::new(wiring::jobs(
            &ports,
            &shared,
            &children,
            &attendance,
            config.jobs,
            config.links,
        ));
        let mail = mail::Mail { jobs: jobs.clone() };
        let members = wiring::members(&ports, &shared, &sessions, &mail);
        let platform = wiring::platform(&ports, &shared, &sessions, &mail, config.operators);
        let auth = auth::Auth::new(
            sessions.clone(),
            shared.tenants.clone(),
            ports.clone(),
            auth::AuthConfig {
                passwords: shared.passwords.clone(),
                login: config.login,
                session_lifetime: config.session_lifetime,
                supabase: config.supabase,
                principals: shared.principals.clone(),
                audit: shared.audit.clone(),
                mail: mail.clone(),
            },
        );
        Ok(Self {
            gate: shared.gate.clone(),
            sessions,
            auth,
            members,
            custom_roles: wiring::custom_roles(&ports, &shared),
            rooms: Rooms::new(ports.rooms.clone(), ports.clock.clone(), ports.ids.clone()),
            staff: wiring::staff(&ports, &shared),
            centre: wiring::centre(&ports, &shared),
            platform,
            messages: wiring::messages(&ports, &children),
            files: wiring::files(&ports, &children),
            jobs,
            mail,
            children,
            attendance,
            probes: ports.probes.clone(),
            audit: shared.audit,
            tenants: shared.tenants,
            principals: shared.principals,
            permissions: shared.permissions,
            ports,
        })
    }

    /// The ports the use cases run on.
    pub fn ports(&self) -> &Ports {
        &self.ports
    }
}
