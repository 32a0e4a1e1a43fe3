//! The demo data set `cargo run` starts with in dev: two centres, each with an owner, a
//! director, a teacher and a guardian who sign in with the demo password, and a few rooms.
//! Never seeded outside dev.

use std::collections::BTreeMap;

use cubby_domain::audit::JobName;
use cubby_domain::{
    Actor, AgeRange, Capacity, Email, EntitlementSet, NewRoom, Role, Room, RoomName,
    StaffChildRatio, Tenant, TenantCode, TenantName, TimeZone,
};
use cubby_ports::{RepoError, TenantScope};
use secrecy::{ExposeSecret, SecretString};
use time::Duration;

use cubby_app::members::NewMember;
use cubby_app::{App, AppError};

/// How long the demo users' printed tokens live: a working day, so the README's examples keep
/// working; sessions opened by signing in follow the configured access token lifetime.
pub const DEMO_TOKEN_TTL: Duration = Duration::hours(8);

/// Tenant code → role → access token.
pub type DemoTokens = BTreeMap<String, BTreeMap<String, String>>;

/// The demo data set, ready to use.
pub struct Demo {
    /// An access token for every demo user.
    pub tokens: DemoTokens,
    /// The platform operator key generated for this process, when no key was configured.
    pub platform_key: Option<SecretString>,
    /// The demo users' password.
    pub password: SecretString,
    /// Whether the password was generated (and should be shown once), rather than set.
    pub password_generated: bool,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demo")
            .field("password_generated", &self.password_generated)
            .finish_non_exhaustive()
    }
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

/// A password of 20 random characters from an unambiguous alphabet.
fn generated_password() -> SecretString {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let bytes: [u8; 20] = rand::random();
    SecretString::from(
        bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect::<String>(),
    )
}

/// Stores the demo centres, their rooms and their users (reusing what a persistent store
/// already has, and setting the users' password to the demo password), opens a session for
/// each user, and writes the tokens to `CUBBY_DEMO_TOKENS_FILE` (readable by its owner only)
/// when that is set, with the generated platform operator key under `"platform"`.
///
/// # Errors
///
/// Store failures; [`AppError::Internal`] when the tokens file cannot be written.
pub async fn prepare(app: &App, settings: &cubby_settings::Settings) -> Result<Demo, AppError> {
    let (password, password_generated) = match &settings.demo_password {
        Some(password) => (password.clone(), false),
        None => (generated_password(), true),
    };
    let mut tokens = DemoTokens::new();
    for (code, name, zone, rooms) in CENTRES {
        let (tenant, fresh) = centre(app, code, name, zone).await?;
        // The people are provisioned first; everything else is done in the owner's session.
        let provisioning = TenantScope::for_provisioning(&tenant);
        let mut by_role = BTreeMap::new();
        let mut users = BTreeMap::new();
        let mut owner = None;
        for role in Role::ALL {
            let email = Email::parse(&format!("{}@{code}.example", role.as_str()))
                .map_err(|_| invalid_seed("email"))?;
            let new = NewMember {
                email,
                password: Some(SecretString::from(password.expose_secret().to_owned())),
                email_verified: true,
                roles: vec![role.into()],
                entitlements: EntitlementSet::all(),
            };
            let (user, membership) = app.members.enroll(&provisioning, new).await?;
            users.insert(role.as_str(), user.id());
            let session = app
                .auth
                .open_session(&tenant, &user, &membership, Some(DEMO_TOKEN_TTL))
                .await?;
            if role == Role::Owner {
                let verified = app.sessions.verify(&session.access.token).await;
                owner = Some(verified.map_err(|_| invalid_seed("owner session"))?.scope);
            }
            by_role.insert(role.as_str().to_owned(), session.access.token);
        }
        tokens.insert(code.to_owned(), by_role);
        let owner = owner.ok_or_else(|| invalid_seed("owner"))?;
        if fresh {
            let rooms = create_rooms(app, &owner, &rooms).await?;
            day(app, &owner, &rooms, &users).await?;
        }
    }
    let platform_key = app.platform.keys().generated().cloned();
    if let Some(path) = &settings.demo_tokens_file {
        let json = tokens_file(&tokens, platform_key.as_ref())?;
        write_private(path, &json)
            .map_err(|e| AppError::Internal(format!("writing {}: {e}", path.display()).into()))?;
    }
    Ok(Demo {
        tokens,
        platform_key,
        password,
        password_generated,
    })
}

/// The tokens file's JSON: each centre's code, then each role's token, and the platform
/// operator key under `"platform"` (no demo centre has that code).
fn tokens_file(tokens: &DemoTokens, platform: Option<&SecretString>) -> Result<Vec<u8>, AppError> {
    let mut file = serde_json::to_value(tokens).map_err(|e| AppError::Internal(Box::new(e)))?;
    if let (Some(key), Some(map)) = (platform, file.as_object_mut()) {
        map.insert(
            "platform".to_owned(),
            serde_json::Value::String(key.expose_secret().to_owned()),
        );
    }
    serde_json::to_vec_pretty(&file).map_err(|e| AppError::Internal(Box::new(e)))
}

/// The demo centre with `code`, and whether it is new (a persistent store may have it).
async fn centre(app: &App, code: &str, name: &str, zone: &str) -> Result<(Tenant, bool), AppError> {
    let ports = app.ports();
    let code = TenantCode::parse(code).map_err(|_| invalid_seed("code"))?;
    match ports.tenants.by_code(&code).await {
        Ok(existing) => return Ok((existing, false)),
        Err(RepoError::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    let tenant = Tenant::create(
        cubby_domain::TenantId::from_uuid(ports.ids.uuid()),
        code,
        TenantName::parse(name).map_err(|_| invalid_seed("name"))?,
        TimeZone::parse(zone).map_err(|_| invalid_seed("time zone"))?,
        Actor::System(JobName::known("demo_seed")),
        ports.clock.now(),
    );
    ports.tenants.insert(&tenant).await?;
    Ok((tenant, true))
}

/// A new demo centre's rooms, created by its owner.
async fn create_rooms(
    app: &App,
    owner: &TenantScope,
    rooms: &[RoomSpec],
) -> Result<Vec<Room>, AppError> {
    let mut created = Vec::new();
    for &(room, min, max, capacity, staff, children) in rooms {
        let new = NewRoom {
            name: RoomName::parse(room).map_err(|_| invalid_seed("room name"))?,
            age_range: AgeRange::new(min, max).map_err(|_| invalid_seed("age range"))?,
            capacity: Capacity::new(capacity).map_err(|_| invalid_seed("capacity"))?,
            ratio: StaffChildRatio::new(staff, children).map_err(|_| invalid_seed("ratio"))?,
        };
        created.push(app.rooms.create(owner, new).await?);
    }
    Ok(created)
}

/// Given names of the demo children, two per room.
const CHILDREN: [&str; 6] = ["Aino", "Eero", "Mia", "Noah", "Olivia", "Leo"];

/// A day under way in a fresh demo centre: the teacher's staff record in the first room,
/// two children per room (the first one's guardian is the demo guardian, who may pick up and
/// message), the teacher clocked in and the first child checked in, and an announcement.
async fn day(
    app: &App,
    scope: &TenantScope,
    rooms: &[Room],
    users: &BTreeMap<&str, cubby_domain::UserId>,
) -> Result<(), AppError> {
    use cubby_domain::{
        AttendanceEventId, Audience, Body, Capability, Enrolment, EnrolmentStatus, PersonName,
        Relationship, Title,
    };
    let user = |role: &str| {
        users
            .get(role)
            .copied()
            .ok_or_else(|| invalid_seed("demo user"))
    };
    let first_room = rooms.first().ok_or_else(|| invalid_seed("rooms"))?;
    let teacher = app
        .staff
        .create(
            scope,
            cubby_app::staff::NewStaff {
                user_id: user("teacher")?,
                name: PersonName::parse("Tiina", "Teacher").map_err(|_| invalid_seed("name"))?,
                qualifications: Vec::new(),
                room_ids: vec![first_room.id()],
            },
        )
        .await?;
    let today = app.centre.today(scope).await?;
    let mut first_child = None;
    for (n, (given, room)) in CHILDREN
        .iter()
        .zip(rooms.iter().flat_map(|r| [r, r]))
        .enumerate()
    {
        // Born to be in the middle of the room's age range.
        let months = (room.age_range().min_months() + room.age_range().max_months()) / 2;
        let born = today - time::Duration::days(i64::from(months) * 30 + 3);
        let new = cubby_app::children::NewChild {
            name: PersonName::parse(given, "Demo").map_err(|_| invalid_seed("name"))?,
            date_of_birth: born,
            room_id: Some(room.id()),
            enrolment: Enrolment::new(
                EnrolmentStatus::Enrolled,
                today - time::Duration::days(90),
                None,
            )
            .map_err(|_| invalid_seed("enrolment"))?,
            photo_consent: n % 2 == 0,
        };
        let child = app.children.create(scope, new).await?;
        let (guardian, capabilities): (Option<cubby_domain::UserId>, &[Capability]) = if n == 0 {
            (
                Some(user("guardian")?),
                &[
                    Capability::Guardian,
                    Capability::MayPickUp,
                    Capability::Messaging,
                    Capability::DailyFeed,
                    Capability::Media,
                ],
            )
        } else {
            (None, &[Capability::Guardian, Capability::MayPickUp])
        };
        let contact = cubby_app::children::NewContact {
            name: PersonName::parse("Parent", given).map_err(|_| invalid_seed("name"))?,
            relationship: Relationship::parse("parent")
                .map_err(|_| invalid_seed("relationship"))?,
            phone: None,
            email: None,
            user_id: guardian,
            capabilities: capabilities.iter().copied().collect(),
            pickup_pin: None,
        };
        let (child, _) = app
            .children
            .add_contact(scope, child.id(), child.version(), contact)
            .await?;
        first_child.get_or_insert(child.id());
    }
    let record = |record| cubby_app::attendance::Request {
        id: AttendanceEventId::from_uuid(app.ports().ids.uuid()),
        at: None,
        record,
    };
    app.attendance
        .record(
            scope,
            record(cubby_app::attendance::Record::ClockIn {
                staff: Some(teacher.id),
                room: first_room.id(),
            }),
        )
        .await?;
    if let Some(child) = first_child {
        app.attendance
            .record(
                scope,
                record(cubby_app::attendance::Record::CheckIn {
                    child,
                    room: None,
                    contact: None,
                }),
            )
            .await?;
    }
    app.messages
        .announce(
            scope,
            cubby_app::messages::NewAnnouncement {
                audience: Audience::Centre,
                title: Title::parse("Welcome to Cubby").map_err(|_| invalid_seed("title"))?,
                body: Body::parse("This is the demo centre: children, attendance, ratios and messages are yours to try.")
                    .map_err(|_| invalid_seed("body"))?,
            },
        )
        .await?;
    Ok(())
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
