//! The message use cases: an announcement on the in-memory adapters, and what a message or
//! room store that times out, conflicts or answers corrupt data makes of them (mockall mocks).

use std::sync::Arc;

use cubby_domain::{
    Actor, Announcement, Audience, Body, ErrorCode, RoomId, Thread, ThreadId, Title,
};
use cubby_ports::mocks::{MockMessageRepository, MockRoomRepository};
use cubby_ports::{PageRequest, RepoError, SortDirection};
use uuid::Uuid;

use super::NewAnnouncement;
use crate::AppError;
use crate::testing::{World, corrupt, some_child_id, timed_out};

fn to(audience: Audience) -> NewAnnouncement {
    NewAnnouncement {
        audience,
        title: Title::parse("Closed on Friday").unwrap(),
        body: Body::parse("The centre is closed on Friday for training.").unwrap(),
    }
}

async fn announced(world: &World) -> Vec<Announcement> {
    world
        .app
        .messages
        .announcements(
            &world.scope,
            SortDirection::Descending,
            PageRequest::default(),
        )
        .await
        .unwrap()
        .items
}

fn a_thread(world: &World) -> Thread {
    let now = time::OffsetDateTime::now_utc();
    Thread {
        id: ThreadId::from_uuid(Uuid::now_v7()),
        child_id: some_child_id(),
        title: Title::parse("Nap times").unwrap(),
        participants: world.scope.user_id().into_iter().collect(),
        started_by: Actor::User(world.scope.user_id().unwrap()),
        started_at: now,
        last_message_at: now,
        messages: 1,
        receipts: Vec::new(),
    }
}

#[tokio::test]
async fn an_announcement_to_the_centre_reads_back() {
    let world = World::new().await;
    let messages = &world.app.messages;
    let sent = messages
        .announce(&world.scope, to(Audience::Centre))
        .await
        .unwrap();
    assert_eq!(announced(&world).await, std::slice::from_ref(&sent));
    assert_eq!(
        messages.announcement(&world.scope, sent.id).await.unwrap(),
        sent
    );
}

#[tokio::test]
async fn a_corrupt_room_fails_a_room_announcement_as_internal_and_sends_nothing() {
    let world = World::new().await;
    let mut rooms = MockRoomRepository::new();
    rooms.expect_get().times(1).returning(|_, _| Err(corrupt()));
    let app = world.with(|ports| ports.rooms = Arc::new(rooms));
    let room = RoomId::from_uuid(Uuid::now_v7());
    let answer = app
        .messages
        .announce(&world.scope, to(Audience::Room(room)))
        .await;
    assert!(matches!(answer, Err(AppError::Internal(_))), "{answer:?}");
    assert!(announced(&world).await.is_empty());
}

#[tokio::test]
async fn an_announcement_id_the_store_says_is_taken_is_a_conflict() {
    let world = World::new().await;
    let mut repo = MockMessageRepository::new();
    repo.expect_insert_announcement()
        .times(1)
        .returning(|_, _| Err(RepoError::Conflict("announcement.id")));
    let app = world.with(|ports| ports.messages = Arc::new(repo));
    let answer = app
        .messages
        .announce(&world.scope, to(Audience::Centre))
        .await;
    assert!(
        matches!(
            answer,
            Err(AppError::Conflict {
                code: ErrorCode::Conflict,
                ..
            })
        ),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_store_timing_out_on_the_thread_read_posts_nothing() {
    let world = World::new().await;
    let mut repo = MockMessageRepository::new();
    repo.expect_get_thread()
        .times(1)
        .returning(|_, _| Err(timed_out()));
    repo.expect_add_message().never();
    repo.expect_mark_thread_read().never();
    let app = world.with(|ports| ports.messages = Arc::new(repo));
    let id = ThreadId::from_uuid(Uuid::now_v7());
    let answer = app
        .messages
        .post(&world.scope, id, Body::parse("Hello").unwrap())
        .await;
    assert!(
        matches!(answer, Err(AppError::Unavailable(_))),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_store_timing_out_after_the_message_is_added_fails_the_post() {
    let world = World::new().await;
    let thread = a_thread(&world);
    let id = thread.id;
    let mut repo = MockMessageRepository::new();
    repo.expect_get_thread()
        .times(1)
        .returning(move |_, _| Ok(thread.clone()));
    repo.expect_add_message().times(1).returning(|_, _| Ok(()));
    repo.expect_mark_thread_read()
        .times(1)
        .returning(|_, _, _, _| Err(timed_out()));
    let app = world.with(|ports| ports.messages = Arc::new(repo));
    let answer = app
        .messages
        .post(&world.scope, id, Body::parse("Hello").unwrap())
        .await;
    assert!(
        matches!(answer, Err(AppError::Unavailable(_))),
        "{answer:?}"
    );
}
