//! The contract of [`MessageRepository`].

use cubby_domain::{
    Announcement, AnnouncementId, Audience, Body, ChildId, Message, MessageId, Receipt, RoomId,
    Thread, ThreadId, Title, UserId,
};
use uuid::Uuid;

use super::{at, fresh_scope};
use crate::{
    AnnouncementQuery, MessageRepository, PageRequest, RepoError, SortDirection, TenantScope,
    ThreadQuery,
};

/// Runs every message repository case against the repository `$make` resolves to.
#[macro_export]
macro_rules! message_repository_contract {
    ($($make:tt)+) => {
        $crate::__contract_cases!(
            $crate::contract::messages,
            $($make)+,
            [
                announcements_read_back_newest_first_and_filter_by_room,
                announcements_and_threads_sort_by_time_both_ways,
                the_first_read_of_an_announcement_stands,
                a_thread_reads_back_with_its_messages_in_order,
                threads_filter_by_child_and_participant_latest_first,
                a_later_thread_read_replaces_an_earlier_one,
                another_tenant_sees_no_announcement_thread_or_message,
                concurrent_messages_are_all_kept_and_counted,
            ]
        );
    };
}

fn user() -> UserId {
    UserId::from_uuid(Uuid::now_v7())
}

fn announcement(scope: &TenantScope, audience: Audience, minute: i64) -> Announcement {
    Announcement {
        id: AnnouncementId::from_uuid(Uuid::now_v7()),
        audience,
        title: Title::parse(&format!("Notice {minute}")).unwrap(),
        body: Body::parse("Closed on Friday.\nSee you Monday.").unwrap(),
        author: scope.actor().clone(),
        sent_at: at(minute),
        receipts: Vec::new(),
    }
}

fn thread(
    scope: &TenantScope,
    child: ChildId,
    participants: Vec<UserId>,
    minute: i64,
) -> (Thread, Message) {
    let thread = Thread {
        id: ThreadId::from_uuid(Uuid::now_v7()),
        child_id: child,
        title: Title::parse("Nap times").unwrap(),
        participants,
        started_by: scope.actor().clone(),
        started_at: at(minute),
        last_message_at: at(minute),
        messages: 1,
        receipts: Vec::new(),
    };
    let first = message(scope, thread.id, minute, "Hello");
    (thread, first)
}

fn message(scope: &TenantScope, thread: ThreadId, minute: i64, text: &str) -> Message {
    Message {
        id: MessageId::from_uuid(Uuid::now_v7()),
        thread_id: thread,
        author: scope.actor().clone(),
        body: Body::parse(text).unwrap(),
        sent_at: at(minute),
    }
}

/// Announcements read back as stored, newest first; a room filter keeps the centre-wide ones.
pub async fn announcements_read_back_newest_first_and_filter_by_room(repo: &dyn MessageRepository) {
    let scope = fresh_scope();
    let (koalas, wombats) = (
        RoomId::from_uuid(Uuid::now_v7()),
        RoomId::from_uuid(Uuid::now_v7()),
    );
    let everyone = announcement(&scope, Audience::Centre, 0);
    let to_koalas = announcement(&scope, Audience::Room(koalas), 1);
    let to_wombats = announcement(&scope, Audience::Room(wombats), 2);
    for a in [&everyone, &to_koalas, &to_wombats] {
        repo.insert_announcement(&scope, a).await.unwrap();
    }
    assert_eq!(
        repo.get_announcement(&scope, to_koalas.id).await.unwrap(),
        to_koalas
    );
    let all = repo
        .announcements(&scope, &AnnouncementQuery::default())
        .await
        .unwrap();
    assert_eq!(
        all.items,
        vec![to_wombats.clone(), to_koalas.clone(), everyone.clone()]
    );
    assert_eq!(all.total, 3);
    let for_koalas = AnnouncementQuery {
        rooms: Some(vec![koalas]),
        ..AnnouncementQuery::default()
    };
    let found = repo.announcements(&scope, &for_koalas).await.unwrap();
    assert_eq!(found.items, vec![to_koalas, everyone.clone()]);
    let no_rooms = AnnouncementQuery {
        rooms: Some(Vec::new()),
        page: PageRequest::new(1, 0).unwrap(),
        ..AnnouncementQuery::default()
    };
    let found = repo.announcements(&scope, &no_rooms).await.unwrap();
    assert_eq!((found.items, found.total), (vec![everyone], 1));
    let missing = repo
        .get_announcement(&scope, AnnouncementId::from_uuid(Uuid::now_v7()))
        .await;
    assert!(matches!(missing, Err(RepoError::NotFound)), "{missing:?}");
}

/// Reading twice keeps the first time; concurrent reads leave one receipt per reader.
pub async fn the_first_read_of_an_announcement_stands(repo: &dyn MessageRepository) {
    let scope = fresh_scope();
    let notice = announcement(&scope, Audience::Centre, 0);
    repo.insert_announcement(&scope, &notice).await.unwrap();
    let (reader, other) = (user(), user());
    repo.mark_announcement_read(&scope, notice.id, reader, at(5))
        .await
        .unwrap();
    repo.mark_announcement_read(&scope, notice.id, reader, at(9))
        .await
        .unwrap();
    let reads = futures::future::join_all(
        (0..6).map(|m| repo.mark_announcement_read(&scope, notice.id, other, at(10 + m))),
    )
    .await;
    assert!(reads.iter().all(Result::is_ok), "{reads:?}");
    let stored = repo.get_announcement(&scope, notice.id).await.unwrap();
    assert_eq!(stored.receipts.len(), 2, "{:?}", stored.receipts);
    assert!(stored.receipts.contains(&Receipt {
        user: reader,
        at: at(5)
    }));
    assert!(stored.receipts.iter().any(|r| r.user == other));
    let missing = repo
        .mark_announcement_read(
            &scope,
            AnnouncementId::from_uuid(Uuid::now_v7()),
            reader,
            at(1),
        )
        .await;
    assert!(matches!(missing, Err(RepoError::NotFound)), "{missing:?}");
}

/// A thread reads back as stored; its messages come oldest first, paged; adding one moves the
/// thread on.
pub async fn a_thread_reads_back_with_its_messages_in_order(repo: &dyn MessageRepository) {
    let scope = fresh_scope();
    let (stored_thread, first) = thread(
        &scope,
        ChildId::from_uuid(Uuid::now_v7()),
        vec![user(), user()],
        0,
    );
    repo.insert_thread(&scope, &stored_thread, &first)
        .await
        .unwrap();
    assert_eq!(
        repo.get_thread(&scope, stored_thread.id).await.unwrap(),
        stored_thread
    );
    let second = message(&scope, stored_thread.id, 5, "Second");
    let third = message(&scope, stored_thread.id, 9, "Third");
    repo.add_message(&scope, &second).await.unwrap();
    repo.add_message(&scope, &third).await.unwrap();
    let all = repo
        .messages(
            &scope,
            stored_thread.id,
            SortDirection::Ascending,
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(all.items, vec![first, second.clone(), third.clone()]);
    assert_eq!(all.total, 3);
    let page = repo
        .messages(
            &scope,
            stored_thread.id,
            SortDirection::Ascending,
            PageRequest::new(1, 1).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!((page.items, page.total), (vec![second], 3));
    let moved = repo.get_thread(&scope, stored_thread.id).await.unwrap();
    assert_eq!(moved.last_message_at, at(9));
    assert_eq!(moved.messages, 3);

    let stray = message(&scope, ThreadId::from_uuid(Uuid::now_v7()), 10, "Lost");
    let refused = repo.add_message(&scope, &stray).await;
    assert!(matches!(refused, Err(RepoError::NotFound)), "{refused:?}");
    assert_eq!(
        repo.messages(
            &scope,
            stray.thread_id,
            SortDirection::Ascending,
            PageRequest::default()
        )
        .await
        .unwrap()
        .total,
        0
    );
}

/// Threads list by latest message, filtered by children and by participant.
pub async fn threads_filter_by_child_and_participant_latest_first(repo: &dyn MessageRepository) {
    let scope = fresh_scope();
    let (aino, eero) = (
        ChildId::from_uuid(Uuid::now_v7()),
        ChildId::from_uuid(Uuid::now_v7()),
    );
    let (maria, pekka) = (user(), user());
    let (about_aino, first_a) = thread(&scope, aino, vec![maria], 0);
    let (about_eero, first_e) = thread(&scope, eero, vec![pekka], 1);
    let (aino_again, first_b) = thread(&scope, aino, vec![maria, pekka], 2);
    repo.insert_thread(&scope, &about_aino, &first_a)
        .await
        .unwrap();
    repo.insert_thread(&scope, &about_eero, &first_e)
        .await
        .unwrap();
    repo.insert_thread(&scope, &aino_again, &first_b)
        .await
        .unwrap();
    repo.add_message(&scope, &message(&scope, about_aino.id, 30, "Later"))
        .await
        .unwrap();

    let ids = |page: crate::Page<Thread>| page.items.iter().map(|t| t.id).collect::<Vec<_>>();
    let all = repo.threads(&scope, &ThreadQuery::default()).await.unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(ids(all), vec![about_aino.id, aino_again.id, about_eero.id]);
    let of_aino = ThreadQuery {
        children: Some(vec![aino]),
        ..ThreadQuery::default()
    };
    assert_eq!(
        ids(repo.threads(&scope, &of_aino).await.unwrap()),
        vec![about_aino.id, aino_again.id]
    );
    let of_pekka = ThreadQuery {
        participant: Some(pekka),
        ..ThreadQuery::default()
    };
    assert_eq!(
        ids(repo.threads(&scope, &of_pekka).await.unwrap()),
        vec![aino_again.id, about_eero.id]
    );
    let none = ThreadQuery {
        children: Some(Vec::new()),
        ..ThreadQuery::default()
    };
    assert_eq!(repo.threads(&scope, &none).await.unwrap().total, 0);
}

/// A reader's latest read stands; an earlier one changes nothing.
pub async fn a_later_thread_read_replaces_an_earlier_one(repo: &dyn MessageRepository) {
    let scope = fresh_scope();
    let reader = user();
    let (stored_thread, first) =
        thread(&scope, ChildId::from_uuid(Uuid::now_v7()), vec![reader], 0);
    repo.insert_thread(&scope, &stored_thread, &first)
        .await
        .unwrap();
    repo.mark_thread_read(&scope, stored_thread.id, reader, at(5))
        .await
        .unwrap();
    repo.mark_thread_read(&scope, stored_thread.id, reader, at(3))
        .await
        .unwrap();
    let other = user();
    repo.mark_thread_read(&scope, stored_thread.id, other, at(1))
        .await
        .unwrap();
    let read = repo.get_thread(&scope, stored_thread.id).await.unwrap();
    assert_eq!(read.receipts.len(), 2);
    assert!(read.receipts.contains(&Receipt {
        user: reader,
        at: at(5)
    }));
    assert!(read.receipts.contains(&Receipt {
        user: other,
        at: at(1)
    }));
    let missing = repo
        .mark_thread_read(&scope, ThreadId::from_uuid(Uuid::now_v7()), reader, at(1))
        .await;
    assert!(matches!(missing, Err(RepoError::NotFound)), "{missing:?}");
}

/// Another tenant reads none of it and changes none of it.
pub async fn another_tenant_sees_no_announcement_thread_or_message(repo: &dyn MessageRepository) {
    let owner = fresh_scope();
    let other = fresh_scope();
    let notice = announcement(&owner, Audience::Centre, 0);
    repo.insert_announcement(&owner, &notice).await.unwrap();
    let (stored_thread, first) =
        thread(&owner, ChildId::from_uuid(Uuid::now_v7()), vec![user()], 0);
    repo.insert_thread(&owner, &stored_thread, &first)
        .await
        .unwrap();

    assert!(matches!(
        repo.get_announcement(&other, notice.id).await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        repo.get_thread(&other, stored_thread.id).await,
        Err(RepoError::NotFound)
    ));
    assert_eq!(
        repo.announcements(&other, &AnnouncementQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        repo.threads(&other, &ThreadQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        repo.messages(
            &other,
            stored_thread.id,
            SortDirection::Ascending,
            PageRequest::default()
        )
        .await
        .unwrap()
        .total,
        0
    );
    let intruder = user();
    assert!(matches!(
        repo.mark_announcement_read(&other, notice.id, intruder, at(1))
            .await,
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        repo.add_message(&other, &message(&other, stored_thread.id, 1, "Hi"))
            .await,
        Err(RepoError::NotFound)
    ));
    assert_eq!(
        repo.get_thread(&owner, stored_thread.id).await.unwrap(),
        stored_thread
    );
    assert_eq!(
        repo.get_announcement(&owner, notice.id).await.unwrap(),
        notice
    );
}

/// Messages sent at once are all kept, and the thread counts them all.
pub async fn concurrent_messages_are_all_kept_and_counted(repo: &dyn MessageRepository) {
    let scope = fresh_scope();
    let (stored_thread, first) =
        thread(&scope, ChildId::from_uuid(Uuid::now_v7()), vec![user()], 0);
    repo.insert_thread(&scope, &stored_thread, &first)
        .await
        .unwrap();
    let sent: Vec<Message> = (1..=8)
        .map(|m| message(&scope, stored_thread.id, m, "Hi"))
        .collect();
    let results = futures::future::join_all(sent.iter().map(|m| repo.add_message(&scope, m))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let read = repo.get_thread(&scope, stored_thread.id).await.unwrap();
    assert_eq!(read.messages, 9);
    assert_eq!(read.last_message_at, at(8));
    assert_eq!(
        repo.messages(
            &scope,
            stored_thread.id,
            SortDirection::Ascending,
            PageRequest::default()
        )
        .await
        .unwrap()
        .total,
        9
    );
}

/// Announcements and a thread's messages sort by sending time and threads by latest message
/// time, either way, and page in that order.
pub async fn announcements_and_threads_sort_by_time_both_ways(repo: &dyn MessageRepository) {
    let scope = fresh_scope();
    let notices: Vec<Announcement> = (0..3)
        .map(|minute| announcement(&scope, Audience::Centre, minute))
        .collect();
    for a in [&notices[1], &notices[2], &notices[0]] {
        repo.insert_announcement(&scope, a).await.unwrap();
    }
    let in_scope = &scope;
    let list = |direction, page| {
        let query = AnnouncementQuery {
            direction,
            page,
            ..AnnouncementQuery::default()
        };
        async move { repo.announcements(in_scope, &query).await }
    };
    let oldest_first = [notices[0].id, notices[1].id, notices[2].id];
    super::assert_sorts_both_ways(list, |a: &Announcement| a.id, &oldest_first).await;

    let child = ChildId::from_uuid(Uuid::now_v7());
    let (early, first_e) = thread(&scope, child, vec![user()], 0);
    let (late, first_l) = thread(&scope, child, vec![user()], 5);
    repo.insert_thread(&scope, &late, &first_l).await.unwrap();
    repo.insert_thread(&scope, &early, &first_e).await.unwrap();
    // A later message moves the earlier thread last in time.
    repo.add_message(&scope, &message(&scope, early.id, 9, "Later"))
        .await
        .unwrap();
    let in_scope = &scope;
    let list = |direction, page| {
        let query = ThreadQuery {
            direction,
            page,
            ..ThreadQuery::default()
        };
        async move { repo.threads(in_scope, &query).await }
    };
    super::assert_sorts_both_ways(list, |t: &Thread| t.id, &[late.id, early.id]).await;

    // A thread's messages sort by sending time either way, and page in that order.
    let message_ids =
        |page: crate::Page<Message>| page.items.iter().map(|m| m.id).collect::<Vec<_>>();
    let oldest = repo
        .messages(
            &scope,
            early.id,
            SortDirection::Ascending,
            PageRequest::default(),
        )
        .await
        .unwrap();
    let mut newest = repo
        .messages(
            &scope,
            early.id,
            SortDirection::Descending,
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(oldest.items.len(), 2);
    assert_eq!(oldest.items[0].id, first_e.id);
    newest.items.reverse();
    assert_eq!(message_ids(oldest), message_ids(newest));
    let second_newest = repo
        .messages(
            &scope,
            early.id,
            SortDirection::Descending,
            PageRequest::new(1, 1).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        (message_ids(second_newest.clone()), second_newest.total),
        (vec![first_e.id], 2)
    );
}
