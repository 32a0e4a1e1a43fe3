//! The attendance use cases: a day on the in-memory adapters, and what an attendance or breach
//! log that times out, keeps losing races or answers corrupt data makes of them (mockall mocks).

use std::sync::Arc;

use cubby_domain::{
    AgeRange, AttendanceEventId, Capacity, ChildId, ErrorCode, NewRoom, PersonName, Role, Room,
    RoomName, StaffChildRatio, StaffId, Subject,
};
use cubby_ports::mocks::{MockAttendanceLog, MockBreachLog};
use cubby_ports::{RepoError, TenantScope};
use uuid::Uuid;

use super::{Record, Request, SubjectDay};
use crate::AppError;
use crate::staff::NewStaff;
use crate::testing::{World, corrupt, timed_out};

async fn room(world: &World) -> Room {
    let new = NewRoom {
        name: RoomName::parse("Koalas").unwrap(),
        age_range: AgeRange::new(12, 36).unwrap(),
        capacity: Capacity::new(12).unwrap(),
        ratio: StaffChildRatio::new(1, 4).unwrap(),
    };
    world.app.rooms.create(&world.scope, new).await.unwrap()
}

async fn staff_of(world: &World, room: &Room) -> StaffId {
    let (user, _) = world.member("grace@here.example", Role::Teacher).await;
    let new = NewStaff {
        user_id: user.id(),
        name: PersonName::parse("Grace", "Hopper").unwrap(),
        qualifications: Vec::new(),
        room_ids: vec![room.id()],
    };
    world.app.staff.create(&world.scope, new).await.unwrap().id
}

fn request(record: Record) -> Request {
    Request {
        id: AttendanceEventId::from_uuid(Uuid::now_v7()),
        at: None,
        record,
    }
}

fn check_in(child: ChildId, room: &Room) -> Request {
    request(Record::CheckIn {
        child,
        room: Some(room.id()),
        contact: None,
    })
}

fn clock_in(staff: StaffId, room: &Room) -> Request {
    request(Record::ClockIn {
        staff: Some(staff),
        room: room.id(),
    })
}

async fn the_day(world: &World, scope: &TenantScope) -> Vec<SubjectDay> {
    let attendance = &world.app.attendance;
    let day = world.app.centre.today(scope).await.unwrap();
    attendance.day_view(scope, day, None).await.unwrap()
}

#[tokio::test]
async fn a_child_checked_in_with_staff_present_is_in_ratio_and_replays() {
    let world = World::new().await;
    let room = room(&world).await;
    let staff = staff_of(&world, &room).await;
    let child = world.child().await;
    let attendance = &world.app.attendance;
    attendance
        .record(&world.scope, clock_in(staff, &room))
        .await
        .unwrap();
    let checked_in = check_in(child.id(), &room);
    let recorded = attendance
        .record(&world.scope, checked_in.clone())
        .await
        .unwrap();
    assert!(!recorded.replayed);
    assert!(recorded.ratio.unwrap().complies());
    let again = attendance.record(&world.scope, checked_in).await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.event, recorded.event);
    let subjects: Vec<Subject> = the_day(&world, &world.scope)
        .await
        .into_iter()
        .map(|day| day.subject)
        .collect();
    assert_eq!(subjects.len(), 2);
    assert!(subjects.contains(&Subject::Child(child.id())));
}

#[tokio::test]
async fn a_breach_log_timing_out_on_a_refused_check_in_appends_nothing() {
    let world = World::new().await;
    let room = room(&world).await;
    let child = world.child().await;
    let mut breaches = MockBreachLog::new();
    breaches
        .expect_record()
        .times(1)
        .returning(|_, _| Err(timed_out()));
    let app = world.with(|ports| ports.breaches = Arc::new(breaches));
    let answer = app
        .attendance
        .record(&world.scope, check_in(child.id(), &room))
        .await;
    assert!(
        matches!(answer, Err(AppError::Unavailable(_))),
        "{answer:?}"
    );
    assert!(the_day(&world, &world.scope).await.is_empty());
}

#[tokio::test]
async fn a_log_timing_out_on_the_replay_check_appends_nothing() {
    let world = World::new().await;
    let room = room(&world).await;
    let child = world.child().await;
    let mut log = MockAttendanceLog::new();
    log.expect_get().times(1).returning(|_, _| Err(timed_out()));
    log.expect_append().never();
    let app = world.with(|ports| ports.attendance = Arc::new(log));
    let answer = app
        .attendance
        .record(&world.scope, check_in(child.id(), &room))
        .await;
    assert!(
        matches!(answer, Err(AppError::Unavailable(_))),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_place_lost_on_every_attempt_is_busy() {
    let world = World::new().await;
    let room = room(&world).await;
    let staff = staff_of(&world, &room).await;
    let mut log = MockAttendanceLog::new();
    log.expect_get().returning(|_, _| Err(RepoError::NotFound));
    log.expect_of_subject()
        .times(5)
        .returning(|_, _, _, _| Ok(Vec::new()));
    log.expect_append()
        .times(5)
        .returning(|_, _| Err(RepoError::Conflict("attendance.seq")));
    let app = world.with(|ports| ports.attendance = Arc::new(log));
    let answer = app
        .attendance
        .record(&world.scope, clock_in(staff, &room))
        .await;
    assert!(
        matches!(
            answer,
            Err(AppError::Conflict {
                code: ErrorCode::AttendanceBusy,
                ..
            })
        ),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_corrupt_day_is_an_internal_error_and_appends_nothing() {
    let world = World::new().await;
    let room = room(&world).await;
    let staff = staff_of(&world, &room).await;
    let mut log = MockAttendanceLog::new();
    log.expect_get().returning(|_, _| Err(RepoError::NotFound));
    log.expect_of_subject()
        .times(1)
        .returning(|_, _, _, _| Err(corrupt()));
    log.expect_append().never();
    let app = world.with(|ports| ports.attendance = Arc::new(log));
    let answer = app
        .attendance
        .record(&world.scope, clock_in(staff, &room))
        .await;
    assert!(matches!(answer, Err(AppError::Internal(_))), "{answer:?}");
}
