//! Micro-benchmarks of the domain's hot rules: permission evaluation for a member's role set,
//! and a room's staff:child ratio (`scripts/bench micro` runs them; docs/benchmarks.md keeps
//! the numbers). They measure; they assert nothing.
#![expect(
    clippy::expect_used,
    reason = "benchmark set-up on fixed, valid values"
)]

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use cubby_domain::attendance::fold;
use cubby_domain::ratio::{AgeBand, RatioRule};
use cubby_domain::{
    Actor, AttendanceEvent, AttendanceEventId, Audit, ChildId, ContactId, CustomRole,
    EntitlementSet, Movement, Permission, PermissionSet, Presence, Role, RoleId, RoleName, RoleRef,
    RoomId, StaffChildRatio, StaffId, Subject, UserId, Version, effective_permissions,
};
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// Children checked in during the day; the last two are collected again before the measured
/// moment.
const CHILDREN_IN: usize = 26;
/// Staff clocked in; the last one has clocked out again.
const STAFF_IN: usize = 6;
const DAY: Date = date!(2026 - 03 - 10);
const MORNING: OffsetDateTime = datetime!(2026-03-10 07:30 UTC);

fn id() -> Uuid {
    Uuid::now_v7()
}

/// A teacher who also holds two of the centre's eight custom roles.
fn permission_inputs() -> (Vec<RoleRef>, Vec<CustomRole>) {
    let at = MORNING;
    let custom: Vec<CustomRole> = (0..8)
        .map(|n| CustomRole {
            id: RoleId::from_uuid(id()),
            name: RoleName::parse(&format!("Custom role {n}")).expect("a valid role name"),
            permissions: [Permission::ReportsRun, Permission::MessagesSend]
                .into_iter()
                .collect::<PermissionSet>(),
            audit: Audit::created(Actor::User(UserId::from_uuid(id())), at),
            version: Version::FIRST,
        })
        .collect();
    let roles = vec![
        RoleRef::Builtin(Role::Teacher),
        RoleRef::Custom(custom[3].id),
        RoleRef::Custom(custom[7].id),
    ];
    (roles, custom)
}

fn permissions(c: &mut Criterion) {
    let (roles, custom) = permission_inputs();
    let entitlements = EntitlementSet::all();
    c.bench_function("domain/permissions/effective_for_role_set", |b| {
        b.iter(|| effective_permissions(black_box(&roles), black_box(&custom), entitlements))
    });
    let set = effective_permissions(&roles, &custom, entitlements);
    c.bench_function("domain/permissions/contains", |b| {
        b.iter(|| black_box(set).contains(black_box(Permission::ChildrenReadSensitive)))
    });
}

/// A mixed nursery room: 1:3 under two, 1:5 from two, 1:8 from three, at most 26 children.
fn nursery_rule() -> RatioRule {
    let band = |from_months, staff, children| AgeBand {
        from_months,
        ratio: StaffChildRatio::new(staff, children).expect("a valid ratio"),
    };
    RatioRule::new(
        date!(2026 - 01 - 01),
        vec![band(0, 1, 3), band(24, 1, 5), band(36, 1, 8)],
        26,
    )
    .expect("a valid rule")
}

fn event(
    subject: Subject,
    seq: u32,
    movement: Movement,
    minutes: i64,
    room: RoomId,
) -> AttendanceEvent {
    let at = MORNING + Duration::minutes(minutes);
    AttendanceEvent {
        id: AttendanceEventId::from_uuid(id()),
        subject,
        day: DAY,
        seq,
        movement,
        at,
        room,
        actor: Actor::User(UserId::from_uuid(id())),
        recorded_at: at,
    }
}

/// The room's events of the day so far, and every child's date of birth (8 to 47 months old).
fn room_day(room: RoomId) -> (Vec<AttendanceEvent>, HashMap<ChildId, Date>) {
    let mut events = Vec::new();
    let mut born = HashMap::new();
    for n in 0..CHILDREN_IN {
        let child = ChildId::from_uuid(id());
        let months = 8 + i64::try_from(n).unwrap_or(0) * 3 / 2;
        born.insert(child, DAY - Duration::days(months * 30 + 3));
        let subject = Subject::Child(child);
        let minutes = i64::try_from(n).unwrap_or(0);
        let check_in = Movement::CheckIn {
            room,
            contact: None,
        };
        events.push(event(subject, 1, check_in, minutes, room));
        if n >= CHILDREN_IN - 2 {
            let contact = ContactId::from_uuid(id());
            let out = Movement::CheckOut {
                contact,
                pin_verified: true,
            };
            events.push(event(subject, 2, out, 240 + minutes, room));
        }
    }
    for n in 0..STAFF_IN {
        let subject = Subject::Staff(StaffId::from_uuid(id()));
        events.push(event(subject, 1, Movement::ClockIn { room }, -15, room));
        if n == STAFF_IN - 1 {
            events.push(event(subject, 2, Movement::ClockOut, 300, room));
        }
    }
    (events, born)
}

/// What the live ratio of a room does once its day's events and its children are read: group
/// the events by subject, fold each day, count who is present, take their ages, judge.
fn live_ratio(
    room: RoomId,
    events: &[AttendanceEvent],
    born: &HashMap<ChildId, Date>,
    rule: &RatioRule,
) -> cubby_domain::RatioReport {
    let mut grouped: BTreeMap<Subject, Vec<AttendanceEvent>> = BTreeMap::new();
    for event in events {
        grouped
            .entry(event.subject)
            .or_default()
            .push(event.clone());
    }
    let mut ages = Vec::new();
    let mut staff = 0u32;
    for (subject, mut stream) in grouped {
        stream.sort_by_key(|e| e.seq);
        let Ok(timeline) = fold(subject, DAY, &stream) else {
            continue;
        };
        if matches!(timeline.presence(), Presence::Present { room: r, .. } if r == room) {
            match subject {
                Subject::Child(child) => ages.extend(
                    born.get(&child)
                        .map(|b| cubby_domain::child::age_in_months(*b, DAY)),
                ),
                Subject::Staff(_) => staff += 1,
            }
        }
    }
    rule.judge(&ages, staff)
}

fn ratio(c: &mut Criterion) {
    let rule = nursery_rule();
    let room = RoomId::from_uuid(id());
    let (events, born) = room_day(room);
    let report = live_ratio(room, &events, &born, &rule);
    // The set-up is what the names say: 24 children and 5 staff present, out of ratio under
    // two's 1:3 band.
    assert_eq!((report.children, report.staff), (24, 5), "the room's day");
    let ages: Vec<u16> = born
        .values()
        .take(report.children as usize)
        .map(|b| cubby_domain::child::age_in_months(*b, DAY))
        .collect();
    c.bench_function("domain/ratio/judge_24_children_5_staff", |b| {
        b.iter(|| black_box(&rule).judge(black_box(&ages), black_box(report.staff)))
    });
    c.bench_function("domain/ratio/live_room_day_32_subjects", |b| {
        b.iter(|| live_ratio(room, black_box(&events), black_box(&born), &rule))
    });
}

criterion_group!(benches, permissions, ratio);
criterion_main!(benches);
