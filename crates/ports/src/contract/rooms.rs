//! The contract of [`RoomRepository`].

use cubby_domain::{
    Actor, AgeRange, Capacity, NewRoom, Room, RoomChanges, RoomId, RoomName, StaffChildRatio,
    Version,
};
use uuid::Uuid;

use super::{at, fresh_scope};
use crate::{
    PageRequest, RepoError, RoomQuery, RoomRepository, RoomSort, RoomSortKey, SortDirection,
    TenantScope,
};

/// Runs every room repository case against the repository `$make` resolves to.
#[macro_export]
macro_rules! room_repository_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!(
            $crate::contract::rooms,
            $($make)+,
            [
                a_stored_room_reads_back_unchanged,
                a_missing_room_is_not_found,
                another_tenant_can_neither_read_list_nor_update_a_room,
                an_active_name_is_unique_within_a_tenant_only,
                an_archived_room_frees_its_name,
                an_update_with_the_read_version_is_stored,
                an_update_with_a_stale_version_is_refused_and_changes_nothing,
                an_update_of_a_missing_room_is_not_found,
                a_rename_onto_a_taken_name_conflicts,
                concurrent_updates_of_one_version_let_exactly_one_win,
                lists_filter_sort_paginate_and_count,
            ]
        );
    };
}

fn new_room(scope: &TenantScope, name: &str, minute: i64) -> Room {
    Room::create(
        RoomId::from_uuid(Uuid::now_v7()),
        NewRoom {
            name: RoomName::parse(name).unwrap(),
            age_range: AgeRange::new(12, 36).unwrap(),
            capacity: Capacity::new(12).unwrap(),
            ratio: StaffChildRatio::new(1, 4).unwrap(),
        },
        scope.actor().clone(),
        at(minute),
    )
}

fn renamed(room: &Room, name: &str, by: &Actor) -> Room {
    room.change(
        RoomChanges {
            name: Some(RoomName::parse(name).unwrap()),
            ..RoomChanges::default()
        },
        by.clone(),
        at(60),
    )
    .unwrap()
}

/// A room reads back exactly as it was stored, stamps and version included.
pub async fn a_stored_room_reads_back_unchanged(repo: &dyn RoomRepository) {
    let scope = fresh_scope();
    let room = new_room(&scope, "Koalas", 0);
    repo.insert(&scope, &room).await.unwrap();
    assert_eq!(repo.get(&scope, room.id()).await.unwrap(), room);

    // With a ratio rule history of two rule sets, the second with three bands.
    let band = |from_months, staff, children| cubby_domain::AgeBand {
        from_months,
        ratio: StaffChildRatio::new(staff, children).unwrap(),
    };
    let first =
        cubby_domain::RatioRule::new(time::macros::date!(2026 - 09 - 01), vec![band(0, 1, 4)], 12)
            .unwrap();
    let second = cubby_domain::RatioRule::new(
        time::macros::date!(2027 - 01 - 01),
        vec![band(0, 1, 3), band(24, 1, 5), band(36, 2, 15)],
        16,
    )
    .unwrap();
    let today = time::macros::date!(2026 - 09 - 01);
    let ruled = room
        .with_ratio_rule(first, today, scope.actor().clone(), at(1))
        .unwrap()
        .with_ratio_rule(second, today, scope.actor().clone(), at(2))
        .unwrap();
    repo.update(&scope, &ruled, room.version()).await.unwrap();
    assert_eq!(repo.get(&scope, room.id()).await.unwrap(), ruled);

    let archived = ruled.archive(scope.actor().clone(), at(5)).unwrap();
    repo.update(&scope, &archived, ruled.version())
        .await
        .unwrap();
    assert_eq!(repo.get(&scope, room.id()).await.unwrap(), archived);
}

/// An id that was never stored is not found.
pub async fn a_missing_room_is_not_found(repo: &dyn RoomRepository) {
    let result = repo
        .get(&fresh_scope(), RoomId::from_uuid(Uuid::now_v7()))
        .await;
    assert!(matches!(result, Err(RepoError::NotFound)), "{result:?}");
}

/// Tenant isolation: another tenant's scope sees nothing of the room and cannot change it.
pub async fn another_tenant_can_neither_read_list_nor_update_a_room(repo: &dyn RoomRepository) {
    let owner = fresh_scope();
    let intruder = fresh_scope();
    let room = new_room(&owner, "Koalas", 0);
    repo.insert(&owner, &room).await.unwrap();

    let read = repo.get(&intruder, room.id()).await;
    assert!(matches!(read, Err(RepoError::NotFound)), "{read:?}");

    let listed = repo
        .list(
            &intruder,
            &RoomQuery {
                include_archived: true,
                ..RoomQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 0);
    assert!(listed.items.is_empty());

    let hijack = renamed(&room, "Hijacked", intruder.actor());
    let update = repo.update(&intruder, &hijack, room.version()).await;
    assert!(matches!(update, Err(RepoError::NotFound)), "{update:?}");
    assert_eq!(repo.get(&owner, room.id()).await.unwrap(), room);

    // The intruder storing a room with the same id creates nothing in the owner's tenant.
    let _ = repo.insert(&intruder, &hijack).await;
    assert_eq!(repo.get(&owner, room.id()).await.unwrap(), room);
}

/// Two active rooms of a tenant cannot share a name (case-insensitively); other tenants can.
pub async fn an_active_name_is_unique_within_a_tenant_only(repo: &dyn RoomRepository) {
    let scope = fresh_scope();
    repo.insert(&scope, &new_room(&scope, "Koalas", 0))
        .await
        .unwrap();

    let duplicate = repo.insert(&scope, &new_room(&scope, "KOALAS", 1)).await;
    assert!(
        matches!(duplicate, Err(RepoError::Conflict("room.name"))),
        "{duplicate:?}"
    );

    let elsewhere = fresh_scope();
    repo.insert(&elsewhere, &new_room(&elsewhere, "Koalas", 2))
        .await
        .unwrap();

    let listed = repo.list(&scope, &RoomQuery::default()).await.unwrap();
    assert_eq!(listed.total, 1);
}

/// Archiving a room lets a new room take its name.
pub async fn an_archived_room_frees_its_name(repo: &dyn RoomRepository) {
    let scope = fresh_scope();
    let room = new_room(&scope, "Koalas", 0);
    repo.insert(&scope, &room).await.unwrap();
    let archived = room.archive(scope.actor().clone(), at(1)).unwrap();
    repo.update(&scope, &archived, room.version())
        .await
        .unwrap();

    repo.insert(&scope, &new_room(&scope, "Koalas", 2))
        .await
        .unwrap();
}

/// An update naming the version that was read is stored, one version on.
pub async fn an_update_with_the_read_version_is_stored(repo: &dyn RoomRepository) {
    let scope = fresh_scope();
    let room = new_room(&scope, "Koalas", 0);
    repo.insert(&scope, &room).await.unwrap();

    let changed = renamed(&room, "Wombats", scope.actor());
    repo.update(&scope, &changed, room.version()).await.unwrap();

    let stored = repo.get(&scope, room.id()).await.unwrap();
    assert_eq!(stored, changed);
    assert_eq!(stored.version(), Version::FIRST.next());
}

/// An update naming an older version is refused and the stored room stays as it was.
pub async fn an_update_with_a_stale_version_is_refused_and_changes_nothing(
    repo: &dyn RoomRepository,
) {
    let scope = fresh_scope();
    let room = new_room(&scope, "Koalas", 0);
    repo.insert(&scope, &room).await.unwrap();
    let first = renamed(&room, "Wombats", scope.actor());
    repo.update(&scope, &first, room.version()).await.unwrap();

    // A second writer that also read version 1.
    let late = renamed(&room, "Possums", scope.actor());
    let result = repo.update(&scope, &late, room.version()).await;
    assert!(matches!(result, Err(RepoError::StaleVersion)), "{result:?}");
    assert_eq!(repo.get(&scope, room.id()).await.unwrap(), first);
}

/// Updating a room that was never stored is not found.
pub async fn an_update_of_a_missing_room_is_not_found(repo: &dyn RoomRepository) {
    let scope = fresh_scope();
    let room = new_room(&scope, "Koalas", 0);
    let changed = renamed(&room, "Wombats", scope.actor());
    let result = repo.update(&scope, &changed, room.version()).await;
    assert!(matches!(result, Err(RepoError::NotFound)), "{result:?}");
}

/// Renaming a room onto another active room's name conflicts and changes nothing.
pub async fn a_rename_onto_a_taken_name_conflicts(repo: &dyn RoomRepository) {
    let scope = fresh_scope();
    let koalas = new_room(&scope, "Koalas", 0);
    let wombats = new_room(&scope, "Wombats", 1);
    repo.insert(&scope, &koalas).await.unwrap();
    repo.insert(&scope, &wombats).await.unwrap();

    let clash = renamed(&wombats, "koalas", scope.actor());
    let result = repo.update(&scope, &clash, wombats.version()).await;
    assert!(
        matches!(result, Err(RepoError::Conflict("room.name"))),
        "{result:?}"
    );
    assert_eq!(repo.get(&scope, wombats.id()).await.unwrap(), wombats);
}

/// Of several writers racing from the same version, exactly one wins.
pub async fn concurrent_updates_of_one_version_let_exactly_one_win(repo: &dyn RoomRepository) {
    let scope = fresh_scope();
    let room = new_room(&scope, "Koalas", 0);
    repo.insert(&scope, &room).await.unwrap();

    let read_version = room.version();
    let writers = (0..8).map(|n| {
        let changed = renamed(&room, &format!("Room {n}"), scope.actor());
        let scope = &scope;
        async move { repo.update(scope, &changed, read_version).await }
    });
    let results = futures::future::join_all(writers).await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || matches!(r, Err(RepoError::StaleVersion)))
    );
    assert_eq!(
        repo.get(&scope, room.id()).await.unwrap().version(),
        room.version().next()
    );
}

/// Lists leave archived rooms out unless asked, filter by name prefix, sort, page and count.
pub async fn lists_filter_sort_paginate_and_count(repo: &dyn RoomRepository) {
    let scope = fresh_scope();
    // Created in this order, one minute apart.
    let names = ["Koalas", "wombats", "Possums", "Kangaroos", "Emus"];
    let mut rooms = Vec::new();
    for (minute, name) in names.iter().enumerate() {
        let room = new_room(&scope, name, minute as i64);
        repo.insert(&scope, &room).await.unwrap();
        rooms.push(room);
    }
    let emus = rooms.pop().unwrap();
    repo.update(
        &scope,
        &emus.archive(scope.actor().clone(), at(30)).unwrap(),
        emus.version(),
    )
    .await
    .unwrap();
    let names_of = |page: &crate::Page<Room>| {
        page.items
            .iter()
            .map(|r| r.name().as_str().to_owned())
            .collect::<Vec<_>>()
    };

    let newest_first = repo.list(&scope, &RoomQuery::default()).await.unwrap();
    assert_eq!(newest_first.total, 4);
    assert_eq!(
        names_of(&newest_first),
        ["Kangaroos", "Possums", "wombats", "Koalas"]
    );

    let by_name = RoomQuery {
        sort: RoomSort {
            key: RoomSortKey::Name,
            direction: SortDirection::Ascending,
        },
        page: PageRequest::new(2, 1).unwrap(),
        ..RoomQuery::default()
    };
    let page = repo.list(&scope, &by_name).await.unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(names_of(&page), ["Koalas", "Possums"]);

    let with_archived = RoomQuery {
        include_archived: true,
        sort: RoomSort {
            key: RoomSortKey::Name,
            direction: SortDirection::Descending,
        },
        ..RoomQuery::default()
    };
    let all = repo.list(&scope, &with_archived).await.unwrap();
    assert_eq!(
        names_of(&all),
        ["wombats", "Possums", "Koalas", "Kangaroos", "Emus"]
    );

    let prefixed = RoomQuery {
        name_prefix: Some("k".to_owned()),
        sort: RoomSort {
            key: RoomSortKey::CreatedAt,
            direction: SortDirection::Ascending,
        },
        ..RoomQuery::default()
    };
    let page = repo.list(&scope, &prefixed).await.unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(names_of(&page), ["Koalas", "Kangaroos"]);

    let past_the_end = RoomQuery {
        page: PageRequest::new(10, 50).unwrap(),
        ..RoomQuery::default()
    };
    let empty = repo.list(&scope, &past_the_end).await.unwrap();
    assert_eq!(empty.total, 4);
    assert!(empty.items.is_empty());

    // A prefix with pattern characters matches them literally.
    let literal = RoomQuery {
        name_prefix: Some(".*".to_owned()),
        ..RoomQuery::default()
    };
    assert_eq!(repo.list(&scope, &literal).await.unwrap().total, 0);
}
