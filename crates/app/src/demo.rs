//! The demo data set `cargo run` starts with in dev: two centres, each with an owner, a
//! director, a teacher and a guardian, and a few rooms. Never seeded outside dev.

use std::collections::BTreeMap;

use cubby_domain::audit::JobName;
use cubby_domain::{
    Actor, AgeRange, Audit, Capacity, MembershipId, NewRoom, Role, RoomName, StaffChildRatio,
    Tenant, TenantCode, TenantName, TenantStatus, TimeZone, UserId, Version,
};
use cubby_ports::{RepoError, TenantScope};
use time::Duration;

use crate::session::AccessGrant;
use crate::{App, AppError};

/// How long the demo users' printed tokens live: a working day, so the README's examples keep
/// working; sessions opened any other way follow the configured access token lifetime.
pub const DEMO_TOKEN_TTL: Duration = Duration::hours(8);

/// One demo user.
#[derive(Clone, Debug)]
pub struct DemoUser {
    /// The role they have in their centre.
    pub role: Role,
    /// Their e-mail (`director@sunny-days.example`).
    pub email: String,
    /// Their access grant.
    pub grant: AccessGrant,
}

/// One demo centre.
#[derive(Clone, Debug)]
pub struct DemoTenant {
    /// The centre.
    pub tenant: Tenant,
    /// Its users, one per built-in role.
    pub users: Vec<DemoUser>,
    /// Its room names.
    pub rooms: Vec<String>,
}

/// The whole demo data set.
#[derive(Clone, Debug)]
pub struct DemoData {
    /// The centres.
    pub tenants: Vec<DemoTenant>,
}

type RoomSpec = (&'static str, u16, u16, u16, u8, u8);

const CENTRES: [(&str, &str, &str, [RoomSpec; 3]); 2] = [
    (
        "sunny-days",
        "Sunny Days Early Learning",
        "Australia/Sydney",
        [
            ("Joeys", 0, 24, 8, 1, 4),
            ("Koalas", 24, 36, 10, 1, 5),
            ("Kookaburras", 36, 60, 20, 1, 10),
        ],
    ),
    (
        "maple-grove",
        "Maple Grove Childcare",
        "America/Toronto",
        [
            ("Chickadees", 0, 18, 10, 1, 3),
            ("Beavers", 18, 30, 15, 1, 5),
            ("Moose", 30, 72, 24, 1, 8),
        ],
    ),
];

fn invalid_seed(what: &str) -> AppError {
    AppError::Internal(format!("demo seed: {what}").into())
}

/// Stores the demo centres and their rooms, unless a persistent store already has them, and
/// describes their users.
///
/// # Errors
///
/// Store failures.
pub async fn seed(app: &App) -> Result<DemoData, AppError> {
    let ports = app.ports();
    let job = JobName::parse("demo_seed").map_err(|_| invalid_seed("job name"))?;
    let now = ports.clock.now();
    let mut tenants = Vec::new();
    for (code, name, zone, rooms) in CENTRES {
        let code = TenantCode::parse(code).map_err(|_| invalid_seed("code"))?;
        let tenant = match ports.tenants.by_code(&code).await {
            // Seeded by an earlier start on a persistent store: keep what is there.
            Ok(existing) => existing,
            Err(RepoError::NotFound) => {
                let tenant = Tenant {
                    id: cubby_domain::TenantId::from_uuid(ports.ids.uuid()),
                    code: code.clone(),
                    name: TenantName::parse(name).map_err(|_| invalid_seed("name"))?,
                    time_zone: TimeZone::parse(zone).map_err(|_| invalid_seed("time zone"))?,
                    status: TenantStatus::Active,
                    audit: Audit::created(Actor::System(job.clone()), now),
                    version: Version::FIRST,
                };
                ports.tenants.insert(&tenant).await?;
                let scope = TenantScope::system(tenant.id, job.clone());
                for (room, min, max, capacity, staff, children) in rooms {
                    let new = NewRoom {
                        name: RoomName::parse(room).map_err(|_| invalid_seed("room name"))?,
                        age_range: AgeRange::new(min, max)
                            .map_err(|_| invalid_seed("age range"))?,
                        capacity: Capacity::new(capacity).map_err(|_| invalid_seed("capacity"))?,
                        ratio: StaffChildRatio::new(staff, children)
                            .map_err(|_| invalid_seed("ratio"))?,
                    };
                    app.rooms.create(&scope, new).await?;
                }
                tenant
            }
            Err(other) => return Err(other.into()),
        };
        let users = Role::ALL
            .into_iter()
            .map(|role| DemoUser {
                role,
                email: format!("{}@{}.example", role.as_str(), tenant.code),
                grant: AccessGrant {
                    tenant_id: tenant.id,
                    tenant_code: tenant.code.clone(),
                    user_id: UserId::from_uuid(ports.ids.uuid()),
                    membership_id: MembershipId::from_uuid(ports.ids.uuid()),
                    roles: vec![role],
                },
            })
            .collect();
        tenants.push(DemoTenant {
            tenant,
            users,
            rooms: rooms.iter().map(|r| r.0.to_owned()).collect(),
        });
    }
    Ok(DemoData { tenants })
}

/// Tenant code → role → access token.
pub type DemoTokens = BTreeMap<String, BTreeMap<String, String>>;

/// Seeds the demo data set, mints its users' tokens, and writes them to
/// `CUBBY_DEMO_TOKENS_FILE` (readable by its owner only) when that is set.
///
/// # Errors
///
/// As [`seed`] and [`tokens`]; [`AppError::Internal`] when the file cannot be written.
pub async fn prepare(app: &App, settings: &crate::Settings) -> Result<DemoTokens, AppError> {
    let data = seed(app).await?;
    let tokens = tokens(app, &data)?;
    if let Some(path) = &settings.demo_tokens_file {
        let json =
            serde_json::to_vec_pretty(&tokens).map_err(|e| AppError::Internal(Box::new(e)))?;
        write_private(path, &json)
            .map_err(|e| AppError::Internal(format!("writing {}: {e}", path.display()).into()))?;
    }
    Ok(tokens)
}

/// Writes a file only its owner can read.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

/// Mints an access token for every demo user: tenant code → role → token.
///
/// # Errors
///
/// [`AppError::Internal`] if signing fails.
pub fn tokens(app: &App, data: &DemoData) -> Result<DemoTokens, AppError> {
    let mut map = BTreeMap::new();
    for centre in &data.tenants {
        let mut by_role = BTreeMap::new();
        for user in &centre.users {
            let token = app.sessions.issue_with_ttl(&user.grant, DEMO_TOKEN_TTL)?;
            by_role.insert(user.role.as_str().to_owned(), token.token);
        }
        map.insert(centre.tenant.code.to_string(), by_role);
    }
    Ok(map)
}
