//! The synthetic data set: tenants with rooms, a director, staff, children with a contact
//! each, and past days of attendance, stored through the application's use cases (and, for
//! the history the use cases refuse as too old, the attendance log port).

use cubby_app::App;
use cubby_app::children::{NewChild, NewContact};
use cubby_app::members::NewMember;
use cubby_app::staff::NewStaff;
use cubby_domain::audit::JobName;
use cubby_domain::{
    Actor, AgeRange, Capability, Capacity, ChildId, ContactId, Email, Enrolment, EnrolmentStatus,
    EntitlementSet, Membership, NewRoom, PersonName, Relationship, Role, RoomId, RoomName,
    StaffChildRatio, StaffId, Tenant, TenantCode, TenantId, TenantName, TimeZone, User,
};
use cubby_ports::TenantScope;
use secrecy::SecretString;

use crate::Options;

/// Children per room: with two staff at 1:10, every room is in ratio.
const CHILDREN_PER_ROOM: usize = 20;
/// How long the fixture's access tokens live: longer than any benchmark.
const TOKEN_TTL: time::Duration = time::Duration::hours(8);
const GIVEN: [&str; 10] = [
    "Aino", "Eero", "Mia", "Noah", "Olivia", "Leo", "Ella", "Oscar", "Lily", "Hugo",
];
const FAMILY: [&str; 10] = [
    "Virtanen", "Smith", "Nguyen", "Garcia", "Muller", "Rossi", "Silva", "Kim", "Dubois", "Novak",
];

/// A child the load scripts may name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SeededChild {
    pub(crate) id: ChildId,
    pub(crate) room: RoomId,
    pub(crate) contact: ContactId,
}

/// A tenant the load scripts may use.
#[derive(Debug)]
pub(crate) struct SeededTenant {
    pub(crate) code: String,
    pub(crate) token: String,
    pub(crate) children: Vec<SeededChild>,
}

/// Who signs in in the login scenario: the first tenant's director.
#[derive(Debug)]
pub(crate) struct Login {
    pub(crate) tenant_code: String,
    pub(crate) email: String,
    pub(crate) password: SecretString,
}

/// What was seeded, for the fixture.
#[derive(Debug)]
pub(crate) struct Seeded {
    pub(crate) tenants: Vec<SeededTenant>,
    pub(crate) login: Login,
    pub(crate) children: usize,
    pub(crate) events: usize,
}

/// What one tenant's seeding made.
pub(crate) struct Made {
    pub(crate) tenant: Tenant,
    pub(crate) scope: TenantScope,
    pub(crate) director: (User, Membership),
    pub(crate) rooms: Vec<RoomId>,
    pub(crate) staff: Vec<(StaffId, RoomId)>,
    pub(crate) children: Vec<SeededChild>,
}

fn bad(what: &str) -> anyhow::Error {
    anyhow::anyhow!("bench seed: invalid {what}")
}

/// Seeds every tenant the options ask for.
pub(crate) async fn seed(app: &App, options: &Options) -> anyhow::Result<Seeded> {
    let job = JobName::parse("bench_seed").map_err(|_| bad("job name"))?;
    let password = password();
    let mut seeded = Seeded {
        tenants: Vec::new(),
        login: Login {
            tenant_code: code(0),
            email: email("director", 0)?.as_str().to_owned(),
            password: password.clone(),
        },
        children: 0,
        events: 0,
    };
    for index in 0..options.tenants {
        let login = (index == 0).then(|| password.clone());
        let made = tenant(app, options, index, &job, login).await?;
        seeded.events += crate::seed_days::history(app, &made, options.days).await?;
        crate::seed_days::today(app, &made).await?;
        seeded.children += made.children.len();
        if index < options.sample {
            let token = session(app, &made).await?;
            seeded.tenants.push(SeededTenant {
                code: made.tenant.code().as_str().to_owned(),
                token,
                children: made.children,
            });
        }
        if (index + 1) % 100 == 0 {
            eprintln!("cubby-bench: {} tenants seeded", index + 1);
        }
    }
    Ok(seeded)
}

fn code(index: usize) -> String {
    format!("bench-{index}")
}

fn email(role: &str, index: usize) -> anyhow::Result<Email> {
    Email::parse(&format!("{role}@bench-{index}.example")).map_err(|_| bad("email"))
}

/// A password of 24 random letters and digits.
fn password() -> SecretString {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let bytes: [u8; 24] = rand::random();
    SecretString::from(
        bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect::<String>(),
    )
}

/// An access token of the tenant's director.
async fn session(app: &App, made: &Made) -> anyhow::Result<String> {
    let (user, membership) = &made.director;
    let signed = app
        .auth
        .open_session(&made.tenant, user, membership, Some(TOKEN_TTL))
        .await?;
    Ok(signed.access.token)
}

/// One tenant: the centre, its rooms, its director and staff, and its children.
async fn tenant(
    app: &App,
    options: &Options,
    index: usize,
    job: &JobName,
    password: Option<SecretString>,
) -> anyhow::Result<Made> {
    let ports = app.ports();
    let tenant = Tenant::create(
        TenantId::from_uuid(ports.ids.uuid()),
        TenantCode::parse(&code(index)).map_err(|_| bad("code"))?,
        TenantName::parse(&format!("Bench Centre {index}")).map_err(|_| bad("name"))?,
        TimeZone::parse("Europe/Helsinki").map_err(|_| bad("time zone"))?,
        Actor::System(job.clone()),
        ports.clock.now(),
    );
    ports.tenants.insert(&tenant).await?;
    // The owner is provisioned; everything else is seeded in the owner's own session.
    let provisioning = TenantScope::for_provisioning(&tenant);
    let owner = member(app, &provisioning, ("owner", index), Role::Owner, None).await?;
    let scope = owner_scope(app, &tenant, &owner).await?;
    let rooms = rooms(app, &scope, options.children.div_ceil(CHILDREN_PER_ROOM)).await?;
    let director = member(app, &scope, ("director", index), Role::Director, password).await?;
    let staff = staff(app, &scope, index, options.staff, &rooms).await?;
    let mut made = Made {
        tenant,
        scope,
        director,
        rooms,
        staff,
        children: Vec::with_capacity(options.children),
    };
    for n in 0..options.children {
        let child = child(app, &made, n).await?;
        made.children.push(child);
    }
    Ok(made)
}

/// `count` teachers, each with a staff record in a room, in turn.
async fn staff(
    app: &App,
    scope: &TenantScope,
    index: usize,
    count: usize,
    rooms: &[RoomId],
) -> anyhow::Result<Vec<(StaffId, RoomId)>> {
    let mut staff = Vec::with_capacity(count);
    for n in 0..count {
        let (user, _) = member(
            app,
            scope,
            (&format!("teacher-{n}"), index),
            Role::Teacher,
            None,
        )
        .await?;
        let room = rooms[n % rooms.len()];
        let new = NewStaff {
            user_id: user.id(),
            name: PersonName::parse(GIVEN[n % 10], FAMILY[(n / 10) % 10])
                .map_err(|_| bad("name"))?,
            qualifications: Vec::new(),
            room_ids: vec![room],
        };
        staff.push((app.staff.create(scope, new).await?.id, room));
    }
    Ok(staff)
}

/// `count` rooms for children of 0 to 6 years, 24 places, one adult to ten children.
async fn rooms(app: &App, scope: &TenantScope, count: usize) -> anyhow::Result<Vec<RoomId>> {
    let mut rooms = Vec::with_capacity(count);
    for n in 0..count {
        let new = NewRoom {
            name: RoomName::parse(&format!("Room {n}")).map_err(|_| bad("room name"))?,
            age_range: AgeRange::new(0, 72).map_err(|_| bad("age range"))?,
            capacity: Capacity::new(24).map_err(|_| bad("capacity"))?,
            ratio: StaffChildRatio::new(1, 10).map_err(|_| bad("ratio"))?,
        };
        rooms.push(app.rooms.create(scope, new).await?.id());
    }
    Ok(rooms)
}

/// The scope of a session of `owner` in `tenant`, as a request of theirs would have it.
async fn owner_scope(
    app: &App,
    tenant: &Tenant,
    (user, membership): &(User, Membership),
) -> anyhow::Result<TenantScope> {
    let session = app
        .auth
        .open_session(tenant, user, membership, None)
        .await?;
    let verified = app.sessions.verify(&session.access.token).await;
    Ok(verified
        .map_err(|e| anyhow::anyhow!("the owner's session: {e}"))?
        .scope)
}

/// A member with one role (no password: only the login user needs one, argon2 is slow).
async fn member(
    app: &App,
    scope: &TenantScope,
    (role_name, index): (&str, usize),
    role: Role,
    password: Option<SecretString>,
) -> anyhow::Result<(User, Membership)> {
    let new = NewMember {
        email: email(role_name, index)?,
        password,
        email_verified: true,
        roles: vec![role.into()],
        entitlements: EntitlementSet::all(),
    };
    Ok(app.members.enroll(scope, new).await?)
}

/// The `n`th child, enrolled since well before the history, with one guardian contact.
async fn child(app: &App, made: &Made, n: usize) -> anyhow::Result<SeededChild> {
    let today = app.centre.today(&made.scope).await?;
    let room = made.rooms[n / CHILDREN_PER_ROOM % made.rooms.len()];
    let family = FAMILY[(n / 10) % 10];
    let new = NewChild {
        name: PersonName::parse(GIVEN[n % 10], &format!("{family}{}", n / 100))
            .map_err(|_| bad("name"))?,
        date_of_birth: today - time::Duration::days(3 * 365),
        room_id: Some(room),
        enrolment: Enrolment::new(
            EnrolmentStatus::Enrolled,
            today - time::Duration::days(400),
            None,
        )
        .map_err(|_| bad("enrolment"))?,
        photo_consent: n.is_multiple_of(2),
    };
    let child = app.children.create(&made.scope, new).await?;
    let contact = NewContact {
        name: PersonName::parse("Parent", family).map_err(|_| bad("name"))?,
        relationship: Relationship::parse("parent").map_err(|_| bad("relationship"))?,
        phone: None,
        email: None,
        user_id: None,
        capabilities: [Capability::Guardian, Capability::MayPickUp]
            .into_iter()
            .collect(),
        pickup_pin: None,
    };
    let (_, contact) = app
        .children
        .add_contact(&made.scope, child.id(), child.version(), contact)
        .await?;
    Ok(SeededChild {
        id: child.id(),
        room,
        contact,
    })
}
