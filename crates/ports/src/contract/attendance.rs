//! The contracts of [`AttendanceLog`] and [`BreachLog`].

use cubby_domain::{
    Amendment, AttendanceEvent, AttendanceEventId, Breach, BreachId, ChildId, ContactId, Movement,
    Note, RoomId, StaffId, Subject,
};
use time::Date;
use time::macros::date;
use uuid::Uuid;

use super::{at, fresh_scope};
use crate::{Appended, AttendanceLog, BreachLog, BreachQuery, PageRequest, RepoError, TenantScope};

/// Runs every attendance log case against the log `$make` resolves to.
#[macro_export]
macro_rules! attendance_log_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!(
            $crate::contract::attendance,
            $($make)+,
            [
                every_kind_of_event_reads_back_unchanged,
                a_replayed_id_stores_nothing_and_answers_the_stored_event,
                concurrent_appends_of_one_id_store_one_event,
                a_taken_seq_conflicts_and_stores_nothing,
                concurrent_appends_of_one_seq_let_exactly_one_win,
                another_tenant_sees_nothing_and_its_ids_never_collide,
                a_subjects_events_span_days_in_order,
                a_day_filters_by_room_and_orders_by_subject_then_seq,
            ]
        );
    };
}

/// Runs every breach log case against the log `$make` resolves to.
#[macro_export]
macro_rules! breach_log_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!(
            $crate::contract::attendance,
            $($make)+,
            [
                breaches_list_newest_first_filtered_and_paged,
                breaches_sort_by_time_both_ways,
            ]
        );
    };
}

const DAY: Date = date!(2026 - 09 - 01);

fn child() -> Subject {
    Subject::Child(ChildId::from_uuid(Uuid::now_v7()))
}

fn event(
    scope: &TenantScope,
    subject: Subject,
    day: Date,
    seq: u32,
    movement: Movement,
    room: RoomId,
) -> AttendanceEvent {
    AttendanceEvent {
        id: AttendanceEventId::from_uuid(Uuid::now_v7()),
        subject,
        day,
        seq,
        movement,
        at: at(i64::from(seq) * 10),
        room,
        actor: scope.actor().clone(),
        recorded_at: at(i64::from(seq) * 10 + 1),
    }
}

fn check_in(room: RoomId) -> Movement {
    Movement::CheckIn {
        room,
        contact: None,
    }
}

fn room() -> RoomId {
    RoomId::from_uuid(Uuid::now_v7())
}

/// Each kind of event, with every optional part, reads back exactly as appended.
pub async fn every_kind_of_event_reads_back_unchanged(log: &dyn AttendanceLog) {
    let scope = fresh_scope();
    let (koalas, kid) = (room(), child());
    let contact = ContactId::from_uuid(Uuid::now_v7());
    let arrived = event(
        &scope,
        kid,
        DAY,
        1,
        Movement::CheckIn {
            room: koalas,
            contact: Some(contact),
        },
        koalas,
    );
    let left = event(
        &scope,
        kid,
        DAY,
        2,
        Movement::CheckOut {
            contact,
            pin_verified: true,
        },
        koalas,
    );
    let retimed = event(
        &scope,
        kid,
        DAY,
        3,
        Movement::Correction {
            amends: left.id,
            amendment: Amendment::Retime(at(15)),
            reason: Note::parse("left earlier").unwrap(),
        },
        koalas,
    );
    let voided = event(
        &scope,
        kid,
        DAY,
        4,
        Movement::Correction {
            amends: arrived.id,
            amendment: Amendment::Void,
            reason: Note::parse("wrong child").unwrap(),
        },
        koalas,
    );
    let staff = Subject::Staff(StaffId::from_uuid(Uuid::now_v7()));
    let clock_in = event(
        &scope,
        staff,
        DAY,
        1,
        Movement::ClockIn { room: koalas },
        koalas,
    );
    let clock_out = event(&scope, staff, DAY, 2, Movement::ClockOut, koalas);
    for e in [&arrived, &left, &retimed, &voided, &clock_in, &clock_out] {
        assert_eq!(log.append(&scope, e).await.unwrap(), Appended::Stored);
        assert_eq!(&log.get(&scope, e.id).await.unwrap(), e);
    }
    assert_eq!(
        log.of_subject(&scope, kid, DAY, DAY).await.unwrap(),
        vec![arrived, left, retimed, voided]
    );
    assert_eq!(
        log.of_subject(&scope, staff, DAY, DAY).await.unwrap(),
        vec![clock_in, clock_out]
    );
    let missing = log
        .get(&scope, AttendanceEventId::from_uuid(Uuid::now_v7()))
        .await;
    assert!(matches!(missing, Err(RepoError::NotFound)), "{missing:?}");
}

/// Appending an id the tenant has stores nothing and answers what was stored, even when the
/// replay differs (a kiosk's retry is the same event).
pub async fn a_replayed_id_stores_nothing_and_answers_the_stored_event(log: &dyn AttendanceLog) {
    let scope = fresh_scope();
    let (koalas, kid) = (room(), child());
    let first = event(&scope, kid, DAY, 1, check_in(koalas), koalas);
    log.append(&scope, &first).await.unwrap();
    let replay = AttendanceEvent {
        seq: 2,
        at: at(99),
        ..first.clone()
    };
    assert_eq!(
        log.append(&scope, &replay).await.unwrap(),
        Appended::Replayed(first.clone())
    );
    assert_eq!(
        log.of_subject(&scope, kid, DAY, DAY).await.unwrap(),
        vec![first]
    );
}

/// Ten concurrent appends of one event store it once.
pub async fn concurrent_appends_of_one_id_store_one_event(log: &dyn AttendanceLog) {
    let scope = fresh_scope();
    let (koalas, kid) = (room(), child());
    let once = event(&scope, kid, DAY, 1, check_in(koalas), koalas);
    let results = futures::future::join_all((0..10).map(|_| log.append(&scope, &once))).await;
    let stored = results
        .iter()
        .filter(|r| matches!(r, Ok(Appended::Stored)))
        .count();
    assert_eq!(stored, 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(Appended::Stored) | Ok(Appended::Replayed(_)))),
        "{results:?}"
    );
    assert_eq!(
        log.of_subject(&scope, kid, DAY, DAY).await.unwrap(),
        vec![once]
    );
}

/// A second event with a `seq` the subject's day has is refused.
pub async fn a_taken_seq_conflicts_and_stores_nothing(log: &dyn AttendanceLog) {
    let scope = fresh_scope();
    let (koalas, kid) = (room(), child());
    let first = event(&scope, kid, DAY, 1, check_in(koalas), koalas);
    log.append(&scope, &first).await.unwrap();
    let rival = event(&scope, kid, DAY, 1, check_in(koalas), koalas);
    let result = log.append(&scope, &rival).await;
    assert!(
        matches!(result, Err(RepoError::Conflict("attendance.seq"))),
        "{result:?}"
    );
    let missing = log.get(&scope, rival.id).await;
    assert!(matches!(missing, Err(RepoError::NotFound)), "{missing:?}");
    // The same seq of another subject, or another day, is free.
    log.append(
        &scope,
        &event(&scope, child(), DAY, 1, check_in(koalas), koalas),
    )
    .await
    .unwrap();
    log.append(
        &scope,
        &event(
            &scope,
            kid,
            date!(2026 - 09 - 02),
            1,
            check_in(koalas),
            koalas,
        ),
    )
    .await
    .unwrap();
}

/// Of several different events racing for one `seq`, exactly one is stored.
pub async fn concurrent_appends_of_one_seq_let_exactly_one_win(log: &dyn AttendanceLog) {
    let scope = fresh_scope();
    let (koalas, kid) = (room(), child());
    let rivals: Vec<AttendanceEvent> = (0..8)
        .map(|_| event(&scope, kid, DAY, 1, check_in(koalas), koalas))
        .collect();
    let results = futures::future::join_all(rivals.iter().map(|e| log.append(&scope, e))).await;
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, Ok(Appended::Stored)))
            .count(),
        1,
        "{results:?}"
    );
    assert!(
        results.iter().all(|r| matches!(
            r,
            Ok(Appended::Stored) | Err(RepoError::Conflict("attendance.seq"))
        )),
        "{results:?}"
    );
    assert_eq!(
        log.of_subject(&scope, kid, DAY, DAY).await.unwrap().len(),
        1
    );
}

/// Another tenant reads none of the events, and may use the same ids for its own.
pub async fn another_tenant_sees_nothing_and_its_ids_never_collide(log: &dyn AttendanceLog) {
    let owner = fresh_scope();
    let other = fresh_scope();
    let (koalas, kid) = (room(), child());
    let mine = event(&owner, kid, DAY, 1, check_in(koalas), koalas);
    log.append(&owner, &mine).await.unwrap();

    let read = log.get(&other, mine.id).await;
    assert!(matches!(read, Err(RepoError::NotFound)), "{read:?}");
    assert!(
        log.of_subject(&other, kid, DAY, DAY)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(log.day(&other, DAY, None).await.unwrap().is_empty());

    let theirs = AttendanceEvent {
        actor: other.actor().clone(),
        ..mine.clone()
    };
    assert_eq!(log.append(&other, &theirs).await.unwrap(), Appended::Stored);
    assert_eq!(log.get(&other, mine.id).await.unwrap(), theirs);
    assert_eq!(log.get(&owner, mine.id).await.unwrap(), mine);
}

/// A subject's events come by day, then `seq`, within the days asked.
pub async fn a_subjects_events_span_days_in_order(log: &dyn AttendanceLog) {
    let scope = fresh_scope();
    let (koalas, kid) = (room(), child());
    let days = [
        date!(2026 - 09 - 03),
        date!(2026 - 09 - 01),
        date!(2026 - 09 - 02),
    ];
    let mut stored = Vec::new();
    for day in days {
        for seq in [2, 1] {
            let e = event(&scope, kid, day, seq, check_in(koalas), koalas);
            log.append(&scope, &e).await.unwrap();
            stored.push(e);
        }
    }
    let found = log
        .of_subject(&scope, kid, date!(2026 - 09 - 02), date!(2026 - 09 - 03))
        .await
        .unwrap();
    let order: Vec<(Date, u32)> = found.iter().map(|e| (e.day, e.seq)).collect();
    assert_eq!(
        order,
        [
            (date!(2026 - 09 - 02), 1),
            (date!(2026 - 09 - 02), 2),
            (date!(2026 - 09 - 03), 1),
            (date!(2026 - 09 - 03), 2),
        ]
    );
}

/// A day's events, of every subject or of one room, by subject then `seq`.
pub async fn a_day_filters_by_room_and_orders_by_subject_then_seq(log: &dyn AttendanceLog) {
    let scope = fresh_scope();
    let (koalas, wombats) = (room(), room());
    let (first, second) = (child(), child());
    let staff = Subject::Staff(StaffId::from_uuid(Uuid::now_v7()));
    let events = [
        event(&scope, second, DAY, 1, check_in(koalas), koalas),
        event(
            &scope,
            first,
            DAY,
            2,
            Movement::CheckOut {
                contact: ContactId::from_uuid(Uuid::now_v7()),
                pin_verified: false,
            },
            koalas,
        ),
        event(&scope, first, DAY, 1, check_in(koalas), koalas),
        event(
            &scope,
            staff,
            DAY,
            1,
            Movement::ClockIn { room: wombats },
            wombats,
        ),
        event(
            &scope,
            first,
            date!(2026 - 09 - 02),
            1,
            check_in(koalas),
            koalas,
        ),
    ];
    for e in &events {
        log.append(&scope, e).await.unwrap();
    }
    let all = log.day(&scope, DAY, None).await.unwrap();
    assert_eq!(all.len(), 4);
    for pair in all.windows(2) {
        assert!(
            (pair[0].subject, pair[0].seq) < (pair[1].subject, pair[1].seq),
            "ordered by subject then seq"
        );
    }
    let in_koalas = log.day(&scope, DAY, Some(koalas)).await.unwrap();
    assert_eq!(in_koalas.len(), 3);
    assert!(in_koalas.iter().all(|e| e.room == koalas && e.day == DAY));
    let in_wombats = log.day(&scope, DAY, Some(wombats)).await.unwrap();
    assert_eq!(in_wombats, vec![events[3].clone()]);
}

fn breach(scope: &TenantScope, room: RoomId, day: Date, minute: i64, refused: bool) -> Breach {
    Breach {
        id: BreachId::from_uuid(Uuid::now_v7()),
        room,
        day,
        at: at(minute),
        event: AttendanceEventId::from_uuid(Uuid::now_v7()),
        refused,
        children: 9,
        staff: 2,
        staff_needed: 3,
        over_group_size: 0,
        actor: scope.actor().clone(),
    }
}

/// Breaches read back newest first, filtered by room and days, paged and counted; another
/// tenant sees none.
pub async fn breaches_list_newest_first_filtered_and_paged(log: &dyn BreachLog) {
    let scope = fresh_scope();
    let (koalas, wombats) = (room(), room());
    let first = breach(&scope, koalas, date!(2026 - 09 - 01), 0, false);
    let second = breach(&scope, wombats, date!(2026 - 09 - 02), 1500, true);
    let third = breach(&scope, koalas, date!(2026 - 09 - 03), 3000, false);
    for b in [&first, &second, &third] {
        log.record(&scope, b).await.unwrap();
    }
    let all = log.breaches(&scope, &BreachQuery::default()).await.unwrap();
    assert_eq!(
        all.items,
        vec![third.clone(), second.clone(), first.clone()]
    );
    assert_eq!(all.total, 3);
    let koala_ones = BreachQuery {
        room: Some(koalas),
        ..BreachQuery::default()
    };
    assert_eq!(
        log.breaches(&scope, &koala_ones).await.unwrap().items,
        vec![third.clone(), first.clone()]
    );
    let window = BreachQuery {
        from: Some(date!(2026 - 09 - 02)),
        to: Some(date!(2026 - 09 - 02)),
        ..BreachQuery::default()
    };
    assert_eq!(
        log.breaches(&scope, &window).await.unwrap().items,
        vec![second]
    );
    let paged = BreachQuery {
        page: PageRequest::new(1, 1).unwrap(),
        ..BreachQuery::default()
    };
    let page = log.breaches(&scope, &paged).await.unwrap();
    assert_eq!((page.items.len(), page.total), (1, 3));
    let other = fresh_scope();
    assert_eq!(
        log.breaches(&other, &BreachQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
}

/// Breaches sort by time either way, and page in that order.
pub async fn breaches_sort_by_time_both_ways(log: &dyn BreachLog) {
    let scope = fresh_scope();
    let koalas = room();
    let first = breach(&scope, koalas, date!(2026 - 09 - 01), 0, false);
    let second = breach(&scope, koalas, date!(2026 - 09 - 01), 10, true);
    let third = breach(&scope, koalas, date!(2026 - 09 - 02), 1500, false);
    for b in [&second, &third, &first] {
        log.record(&scope, b).await.unwrap();
    }
    let in_scope = &scope;
    let list = |direction, page| {
        let query = BreachQuery {
            direction,
            page,
            ..BreachQuery::default()
        };
        async move { log.breaches(in_scope, &query).await }
    };
    super::assert_sorts_both_ways(list, |b: &Breach| b.id, &[first.id, second.id, third.id]).await;
}
