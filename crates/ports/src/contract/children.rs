//! The contracts of [`ChildRepository`] and [`StaffRepository`].

use cubby_domain::{
    Audit, Capabilities, Capability, Child, ChildId, Contact, ContactId, CustodyRestriction, Email,
    Enrolment, EnrolmentStatus, Note, PasswordHash, PersonName, Phone, Qualification, Relationship,
    RestrictionId, RoomId, SensitiveInfo, StaffId, StaffMember, UserId, Version,
};
use time::Date;
use time::macros::date;
use uuid::Uuid;

use super::{at, fresh_scope};
use crate::{
    ChildQuery, ChildRepository, ChildSet, ChildSortKey, Page, PageRequest, RepoError,
    SortDirection, StaffQuery, StaffRepository, TenantScope,
};

/// Runs every child repository case against the repository `$make` resolves to.
#[macro_export]
macro_rules! child_repository_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!(
            $crate::contract::children,
            $($make)+,
            [
                a_stored_child_reads_back_unchanged,
                a_missing_child_is_not_found,
                another_tenant_can_neither_read_list_nor_update_a_child,
                a_duplicate_child_id_conflicts_and_changes_nothing,
                a_child_update_with_a_stale_version_is_refused_and_changes_nothing,
                concurrent_child_updates_of_one_version_let_exactly_one_win,
                child_lists_filter_by_every_field,
                child_lists_sort_paginate_and_count,
            ]
        );
    };
}

/// Runs every staff repository case against the repository `$make` resolves to.
#[macro_export]
macro_rules! staff_repository_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!(
            $crate::contract::children,
            $($make)+,
            [
                a_stored_staff_member_reads_back_unchanged,
                one_active_staff_record_per_user_and_tenant,
                by_user_finds_only_the_active_record_of_the_tenant,
                a_staff_update_with_a_stale_version_is_refused,
                staff_lists_filter_by_room_and_paginate,
                staff_lists_sort_by_name_both_ways,
            ]
        );
    };
}

fn contact(user: Option<UserId>, capabilities: &[Capability]) -> Contact {
    Contact {
        id: ContactId::from_uuid(Uuid::now_v7()),
        name: PersonName::parse("Alex", "Smith").unwrap(),
        relationship: Relationship::parse("parent").unwrap(),
        phone: Some(Phone::parse("+358 40 123 4567").unwrap()),
        email: Some(Email::parse("alex@example.com").unwrap()),
        user_id: user,
        capabilities: capabilities.iter().copied().collect::<Capabilities>(),
        pickup_pin: None,
    }
}

/// A child of `scope`'s tenant named `given Smith`, born `born`, in `room`, created at
/// `minute`.
fn child(scope: &TenantScope, given: &str, born: Date, room: Option<RoomId>, minute: i64) -> Child {
    Child::restore(cubby_domain::ChildParts {
        id: ChildId::from_uuid(Uuid::now_v7()),
        name: PersonName::parse(given, "Smith").unwrap(),
        date_of_birth: born,
        room_id: room,
        enrolment: Enrolment::new(EnrolmentStatus::Enrolled, date!(2026 - 01 - 05), None).unwrap(),
        photo_consent: false,
        sensitive: SensitiveInfo::default(),
        contacts: Vec::new(),
        restrictions: Vec::new(),
        archived_at: None,
        audit: Audit::created(scope.actor().clone(), at(minute)),
        version: Version::FIRST,
    })
}

fn renamed(child: &Child, given: &str, scope: &TenantScope) -> Child {
    child
        .changed(
            |c| c.rename(PersonName::parse(given, "Smith").unwrap()),
            scope.actor().clone(),
            at(60),
        )
        .unwrap()
}

fn everything() -> ChildQuery {
    ChildQuery {
        include_archived: true,
        ..ChildQuery::default()
    }
}

fn given_names(page: &Page<Child>) -> Vec<&str> {
    page.items.iter().map(|c| c.name().given()).collect()
}

/// A child with every optional part filled reads back exactly as stored.
pub async fn a_stored_child_reads_back_unchanged(repo: &dyn ChildRepository) {
    let scope = fresh_scope();
    let mut full = child(
        &scope,
        "Mia",
        date!(2024 - 03 - 31),
        Some(RoomId::from_uuid(Uuid::now_v7())),
        0,
    )
    .into_parts();
    full.enrolment = Enrolment::new(
        EnrolmentStatus::Withdrawn,
        date!(2025 - 08 - 01),
        Some(date!(2026 - 06 - 30)),
    )
    .unwrap();
    full.photo_consent = true;
    full.sensitive = SensitiveInfo {
        allergies: Some(Note::parse("Peanuts").unwrap()),
        medical_notes: Some(Note::parse("Asthma, inhaler in bag").unwrap()),
        medication: Some(Note::parse("Salbutamol as needed").unwrap()),
        custody_notes: Some(Note::parse("See court order").unwrap()),
    };
    let mut parent = contact(
        Some(UserId::from_uuid(Uuid::now_v7())),
        &[
            Capability::Guardian,
            Capability::MayPickUp,
            Capability::Messaging,
        ],
    );
    parent.pickup_pin = Some(
        PasswordHash::parse("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo").unwrap(),
    );
    let mut grandma = contact(None, &[Capability::EmergencyOnly]);
    grandma.phone = None;
    grandma.email = None;
    full.restrictions = vec![CustodyRestriction {
        id: RestrictionId::from_uuid(Uuid::now_v7()),
        person: PersonName::parse("Sam", "Jones").unwrap(),
        contact_id: Some(grandma.id),
        user_id: Some(UserId::from_uuid(Uuid::now_v7())),
        blocks_pickup: true,
        blocks_records: false,
        starts_on: date!(2026 - 01 - 01),
        ends_on: Some(date!(2026 - 12 - 31)),
        note: Some(Note::parse("Interim order").unwrap()),
    }];
    full.contacts = vec![parent, grandma];
    let full = Child::restore(full);
    repo.insert(&scope, &full).await.unwrap();
    assert_eq!(repo.get(&scope, full.id()).await.unwrap(), full);

    let mut archived = full.clone().into_parts();
    archived.archived_at = Some(at(5));
    archived.version = full.version().next();
    let archived = Child::restore(archived);
    repo.update(&scope, &archived, full.version())
        .await
        .unwrap();
    assert_eq!(repo.get(&scope, full.id()).await.unwrap(), archived);
}

/// An id never stored is not found.
pub async fn a_missing_child_is_not_found(repo: &dyn ChildRepository) {
    let result = repo
        .get(&fresh_scope(), ChildId::from_uuid(Uuid::now_v7()))
        .await;
    assert!(matches!(result, Err(RepoError::NotFound)), "{result:?}");
}

/// Tenant isolation: another tenant's scope sees nothing of the child and cannot change it.
pub async fn another_tenant_can_neither_read_list_nor_update_a_child(repo: &dyn ChildRepository) {
    let owner = fresh_scope();
    let intruder = fresh_scope();
    let mia = child(&owner, "Mia", date!(2024 - 03 - 31), None, 0);
    repo.insert(&owner, &mia).await.unwrap();

    let read = repo.get(&intruder, mia.id()).await;
    assert!(matches!(read, Err(RepoError::NotFound)), "{read:?}");
    let listed = repo.list(&intruder, &everything()).await.unwrap();
    assert_eq!((listed.total, listed.items.len()), (0, 0));

    let hijack = renamed(&mia, "Hijacked", &intruder);
    let update = repo.update(&intruder, &hijack, mia.version()).await;
    assert!(matches!(update, Err(RepoError::NotFound)), "{update:?}");
    let _ = repo.insert(&intruder, &hijack).await;
    assert_eq!(repo.get(&owner, mia.id()).await.unwrap(), mia);
}

/// Storing a second child with an id the tenant has conflicts and keeps the first.
pub async fn a_duplicate_child_id_conflicts_and_changes_nothing(repo: &dyn ChildRepository) {
    let scope = fresh_scope();
    let mia = child(&scope, "Mia", date!(2024 - 03 - 31), None, 0);
    repo.insert(&scope, &mia).await.unwrap();
    let again = repo.insert(&scope, &renamed(&mia, "Other", &scope)).await;
    assert!(
        matches!(again, Err(RepoError::Conflict("child.id"))),
        "{again:?}"
    );
    assert_eq!(repo.get(&scope, mia.id()).await.unwrap(), mia);
}

/// An update from an older version is refused and the stored child stays as it was.
pub async fn a_child_update_with_a_stale_version_is_refused_and_changes_nothing(
    repo: &dyn ChildRepository,
) {
    let scope = fresh_scope();
    let mia = child(&scope, "Mia", date!(2024 - 03 - 31), None, 0);
    repo.insert(&scope, &mia).await.unwrap();
    let first = renamed(&mia, "Maya", &scope);
    repo.update(&scope, &first, mia.version()).await.unwrap();
    let late = renamed(&mia, "Mila", &scope);
    let result = repo.update(&scope, &late, mia.version()).await;
    assert!(matches!(result, Err(RepoError::StaleVersion)), "{result:?}");
    assert_eq!(repo.get(&scope, mia.id()).await.unwrap(), first);

    let missing = child(&scope, "Ghost", date!(2024 - 03 - 31), None, 0);
    let result = repo.update(&scope, &missing, missing.version()).await;
    assert!(matches!(result, Err(RepoError::NotFound)), "{result:?}");
}

/// Of several writers racing from the same version, exactly one wins.
pub async fn concurrent_child_updates_of_one_version_let_exactly_one_win(
    repo: &dyn ChildRepository,
) {
    let scope = fresh_scope();
    let mia = child(&scope, "Mia", date!(2024 - 03 - 31), None, 0);
    repo.insert(&scope, &mia).await.unwrap();
    let writers = (0..8).map(|n| {
        let changed = renamed(&mia, &format!("Mia{n}"), &scope);
        let scope = &scope;
        let expected = mia.version();
        async move { repo.update(scope, &changed, expected).await }
    });
    let results = futures::future::join_all(writers).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || matches!(r, Err(RepoError::StaleVersion)))
    );
    assert_eq!(
        repo.get(&scope, mia.id()).await.unwrap().version(),
        mia.version().next()
    );
}

/// Every filter narrows the list, and they combine.
pub async fn child_lists_filter_by_every_field(repo: &dyn ChildRepository) {
    let scope = fresh_scope();
    let koalas = RoomId::from_uuid(Uuid::now_v7());
    let wombats = RoomId::from_uuid(Uuid::now_v7());
    let parent = UserId::from_uuid(Uuid::now_v7());

    let ava = child(&scope, "Ava", date!(2024 - 01 - 10), Some(koalas), 0);
    let mut ben = child(&scope, "Ben", date!(2023 - 05 - 02), Some(wombats), 1).into_parts();
    ben.contacts = vec![contact(Some(parent), &[Capability::Guardian])];
    let ben = Child::restore(ben);
    let mut cal = child(&scope, "Cal", date!(2023 - 07 - 20), None, 2).into_parts();
    cal.enrolment =
        Enrolment::new(EnrolmentStatus::Waitlisted, date!(2026 - 09 - 01), None).unwrap();
    let cal = Child::restore(cal);
    let mut dot = child(&scope, "Dot", date!(2022 - 11 - 11), Some(koalas), 3).into_parts();
    dot.archived_at = Some(at(4));
    let dot = Child::restore(dot);
    for c in [&ava, &ben, &cal, &dot] {
        repo.insert(&scope, c).await.unwrap();
    }
    let scope = &scope;
    let list = |query: ChildQuery| async move { repo.list(scope, &query).await.unwrap() };

    let active = list(ChildQuery::default()).await;
    assert_eq!(given_names(&active), ["Ava", "Ben", "Cal"]);
    assert_eq!(active.total, 3);
    assert_eq!(given_names(&list(everything()).await).len(), 4);

    let in_koalas = list(ChildQuery {
        room: Some(koalas),
        ..everything()
    })
    .await;
    assert_eq!(given_names(&in_koalas), ["Ava", "Dot"]);

    let waitlisted = list(ChildQuery {
        status: Some(EnrolmentStatus::Waitlisted),
        ..ChildQuery::default()
    })
    .await;
    assert_eq!(given_names(&waitlisted), ["Cal"]);

    let linked = list(ChildQuery {
        linked_user: Some(parent),
        ..ChildQuery::default()
    })
    .await;
    assert_eq!(given_names(&linked), ["Ben"]);

    let by_name = list(ChildQuery {
        name_prefix: Some("smith b".to_owned()),
        ..ChildQuery::default()
    })
    .await;
    assert_eq!(given_names(&by_name), ["Ben"]);

    // A set of rooms and named children: Koalas' children, and Cal (in no room).
    let within = list(ChildQuery {
        within: Some(ChildSet {
            rooms: vec![koalas],
            children: vec![cal.id()],
        }),
        ..ChildQuery::default()
    })
    .await;
    assert_eq!(given_names(&within), ["Ava", "Cal"]);
    let nothing = list(ChildQuery {
        within: Some(ChildSet::default()),
        ..everything()
    })
    .await;
    assert_eq!((nothing.total, nothing.items.len()), (0, 0));
    let combined = list(ChildQuery {
        within: Some(ChildSet {
            rooms: vec![koalas, wombats],
            children: Vec::new(),
        }),
        room: Some(wombats),
        ..ChildQuery::default()
    })
    .await;
    assert_eq!(given_names(&combined), ["Ben"]);
}

/// Lists sort by name, creation or date of birth either way, then page and count.
pub async fn child_lists_sort_paginate_and_count(repo: &dyn ChildRepository) {
    let scope = fresh_scope();
    let births = [
        ("Noa", date!(2023 - 02 - 01)),
        ("eli", date!(2024 - 06 - 15)),
        ("Ada", date!(2022 - 09 - 30)),
        ("Max", date!(2023 - 12 - 24)),
    ];
    for (minute, (given, born)) in births.iter().enumerate() {
        repo.insert(&scope, &child(&scope, given, *born, None, minute as i64))
            .await
            .unwrap();
    }
    let scope = &scope;
    let list = |sort, direction, limit, offset| {
        let query = ChildQuery {
            sort,
            direction,
            page: PageRequest::new(limit, offset).unwrap(),
            ..ChildQuery::default()
        };
        async move { repo.list(scope, &query).await.unwrap() }
    };
    let asc = SortDirection::Ascending;
    let desc = SortDirection::Descending;
    assert_eq!(
        given_names(&list(ChildSortKey::Name, asc, 10, 0).await),
        ["Ada", "eli", "Max", "Noa"]
    );
    assert_eq!(
        given_names(&list(ChildSortKey::CreatedAt, desc, 10, 0).await),
        ["Max", "Ada", "eli", "Noa"]
    );
    assert_eq!(
        given_names(&list(ChildSortKey::DateOfBirth, asc, 10, 0).await),
        ["Ada", "Noa", "Max", "eli"]
    );
    let second = list(ChildSortKey::Name, desc, 2, 1).await;
    assert_eq!(given_names(&second), ["Max", "eli"]);
    assert_eq!(second.total, 4);
    let past_the_end = list(ChildSortKey::Name, asc, 2, 10).await;
    assert_eq!((past_the_end.items.len(), past_the_end.total), (0, 4));
}

fn staff_member(scope: &TenantScope, given: &str, user: UserId, rooms: &[RoomId]) -> StaffMember {
    StaffMember {
        id: StaffId::from_uuid(Uuid::now_v7()),
        user_id: user,
        name: PersonName::parse(given, "Teacher").unwrap(),
        qualifications: vec![Qualification::parse("First aid").unwrap()],
        room_ids: rooms.to_vec(),
        archived_at: None,
        audit: Audit::created(scope.actor().clone(), at(0)),
        version: Version::FIRST,
    }
}

fn archived(member: &StaffMember, scope: &TenantScope) -> StaffMember {
    member
        .changed(
            |m| m.archived_at = Some(at(9)),
            scope.actor().clone(),
            at(9),
        )
        .unwrap()
}

/// A staff member reads back exactly as stored, archived or not.
pub async fn a_stored_staff_member_reads_back_unchanged(repo: &dyn StaffRepository) {
    let scope = fresh_scope();
    let rooms = [
        RoomId::from_uuid(Uuid::now_v7()),
        RoomId::from_uuid(Uuid::now_v7()),
    ];
    let mut ana = staff_member(&scope, "Ana", UserId::from_uuid(Uuid::now_v7()), &rooms);
    ana.qualifications
        .push(Qualification::parse("ECE diploma").unwrap());
    repo.insert(&scope, &ana).await.unwrap();
    assert_eq!(repo.get(&scope, ana.id).await.unwrap(), ana);
    let gone = archived(&ana, &scope);
    repo.update(&scope, &gone, ana.version).await.unwrap();
    assert_eq!(repo.get(&scope, ana.id).await.unwrap(), gone);

    let other = fresh_scope();
    let read = repo.get(&other, ana.id).await;
    assert!(matches!(read, Err(RepoError::NotFound)), "{read:?}");
}

/// A user has at most one active staff record in a tenant; archiving frees the user, and
/// other tenants never conflict.
pub async fn one_active_staff_record_per_user_and_tenant(repo: &dyn StaffRepository) {
    let scope = fresh_scope();
    let user = UserId::from_uuid(Uuid::now_v7());
    let first = staff_member(&scope, "Ana", user, &[]);
    repo.insert(&scope, &first).await.unwrap();
    let twice = repo
        .insert(&scope, &staff_member(&scope, "Ana", user, &[]))
        .await;
    assert!(
        matches!(twice, Err(RepoError::Conflict("staff.user"))),
        "{twice:?}"
    );
    let elsewhere = fresh_scope();
    repo.insert(&elsewhere, &staff_member(&elsewhere, "Ana", user, &[]))
        .await
        .unwrap();

    repo.update(&scope, &archived(&first, &scope), first.version)
        .await
        .unwrap();
    repo.insert(&scope, &staff_member(&scope, "Ana", user, &[]))
        .await
        .unwrap();
}

/// `by_user` answers the active record of the scope's tenant only.
pub async fn by_user_finds_only_the_active_record_of_the_tenant(repo: &dyn StaffRepository) {
    let scope = fresh_scope();
    let user = UserId::from_uuid(Uuid::now_v7());
    assert_eq!(repo.by_user(&scope, user).await.unwrap(), None);
    let old = staff_member(&scope, "Ana", user, &[]);
    repo.insert(&scope, &old).await.unwrap();
    repo.update(&scope, &archived(&old, &scope), old.version)
        .await
        .unwrap();
    assert_eq!(repo.by_user(&scope, user).await.unwrap(), None);
    let current = staff_member(&scope, "Ana", user, &[]);
    repo.insert(&scope, &current).await.unwrap();
    assert_eq!(repo.by_user(&scope, user).await.unwrap(), Some(current));
    assert_eq!(repo.by_user(&fresh_scope(), user).await.unwrap(), None);
}

/// An update from an older version is refused and changes nothing.
pub async fn a_staff_update_with_a_stale_version_is_refused(repo: &dyn StaffRepository) {
    let scope = fresh_scope();
    let ana = staff_member(&scope, "Ana", UserId::from_uuid(Uuid::now_v7()), &[]);
    repo.insert(&scope, &ana).await.unwrap();
    let moved = ana
        .changed(
            |m| m.room_ids = vec![RoomId::from_uuid(Uuid::now_v7())],
            scope.actor().clone(),
            at(1),
        )
        .unwrap();
    repo.update(&scope, &moved, ana.version).await.unwrap();
    let late = repo
        .update(&scope, &archived(&ana, &scope), ana.version)
        .await;
    assert!(matches!(late, Err(RepoError::StaleVersion)), "{late:?}");
    assert_eq!(repo.get(&scope, ana.id).await.unwrap(), moved);
}

/// Lists are by name, filter by room and archive, page and count.
pub async fn staff_lists_filter_by_room_and_paginate(repo: &dyn StaffRepository) {
    let scope = fresh_scope();
    let koalas = RoomId::from_uuid(Uuid::now_v7());
    let wombats = RoomId::from_uuid(Uuid::now_v7());
    let user = || UserId::from_uuid(Uuid::now_v7());
    let cy = staff_member(&scope, "Cy", user(), &[koalas, wombats]);
    let al = staff_member(&scope, "Al", user(), &[wombats]);
    let bo = staff_member(&scope, "bo", user(), &[koalas]);
    let di = staff_member(&scope, "Di", user(), &[koalas]);
    for m in [&cy, &al, &bo, &di] {
        repo.insert(&scope, m).await.unwrap();
    }
    repo.update(&scope, &archived(&di, &scope), di.version)
        .await
        .unwrap();
    let names = |page: Page<StaffMember>| {
        (
            page.items
                .iter()
                .map(|m| m.name.given().to_owned())
                .collect::<Vec<_>>(),
            page.total,
        )
    };
    let all = repo.list(&scope, &StaffQuery::default()).await.unwrap();
    assert_eq!(names(all), (vec!["Al".into(), "bo".into(), "Cy".into()], 3));
    let in_koalas = StaffQuery {
        room: Some(koalas),
        include_archived: true,
        ..StaffQuery::default()
    };
    let found = repo.list(&scope, &in_koalas).await.unwrap();
    assert_eq!(
        names(found),
        (vec!["bo".into(), "Cy".into(), "Di".into()], 3)
    );
    let paged = StaffQuery {
        page: PageRequest::new(1, 1).unwrap(),
        ..StaffQuery::default()
    };
    let found = repo.list(&scope, &paged).await.unwrap();
    assert_eq!(names(found), (vec!["bo".into()], 3));
}

/// Staff sort by name key either way (regardless of case), and page in that order.
pub async fn staff_lists_sort_by_name_both_ways(repo: &dyn StaffRepository) {
    let scope = fresh_scope();
    let user = || UserId::from_uuid(Uuid::now_v7());
    for name in ["Cy", "al", "Bo"] {
        repo.insert(&scope, &staff_member(&scope, name, user(), &[]))
            .await
            .unwrap();
    }
    let names = |page: Page<StaffMember>| {
        page.items
            .iter()
            .map(|m| m.name.given().to_owned())
            .collect::<Vec<_>>()
    };
    let ascending = StaffQuery {
        direction: SortDirection::Ascending,
        ..StaffQuery::default()
    };
    assert_eq!(
        names(repo.list(&scope, &ascending).await.unwrap()),
        vec!["al", "Bo", "Cy"]
    );
    let descending = StaffQuery {
        direction: SortDirection::Descending,
        ..StaffQuery::default()
    };
    assert_eq!(
        names(repo.list(&scope, &descending).await.unwrap()),
        vec!["Cy", "Bo", "al"]
    );
    let second = StaffQuery {
        page: PageRequest::new(1, 1).unwrap(),
        ..descending
    };
    let page = repo.list(&scope, &second).await.unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(names(page), vec!["Bo"]);
}
