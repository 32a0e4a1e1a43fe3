//! The child use cases: the happy path on the in-memory adapters, and what a child store that
//! times out, loses a race or answers corrupt data makes of them (mockall mocks).

use std::sync::Arc;

use cubby_domain::PersonName;
use cubby_ports::RepoError;
use cubby_ports::mocks::MockChildRepository;

use super::{Access, ChildChanges};
use crate::AppError;
use crate::testing::{World, corrupt, new_child, some_child_id, timed_out};

fn renamed() -> ChildChanges {
    ChildChanges {
        name: Some(PersonName::parse("Ada", "Byron").unwrap()),
        ..ChildChanges::default()
    }
}

#[tokio::test]
async fn a_child_added_reads_back_and_changes_at_its_version() {
    let world = World::new().await;
    let children = &world.app.children;
    let child = world.child().await;
    let seen = children.get(&world.scope, child.id()).await.unwrap();
    assert_eq!((seen.child, seen.access), (child.clone(), Access::Staff));
    let changed = children
        .update(&world.scope, child.id(), child.version(), renamed())
        .await
        .unwrap();
    assert_eq!(changed.version(), child.version().next());
    assert_eq!(changed.name(), &PersonName::parse("Ada", "Byron").unwrap());
    assert_eq!(
        children.get(&world.scope, child.id()).await.unwrap().child,
        changed
    );
    assert_eq!(world.audited().await, 2);
}

#[tokio::test]
async fn a_store_timing_out_on_the_read_fails_the_change_and_writes_nothing() {
    let world = World::new().await;
    let child = world.child().await;
    let mut repo = MockChildRepository::new();
    repo.expect_get()
        .times(1)
        .returning(|_, _| Err(timed_out()));
    repo.expect_update().never();
    repo.expect_insert().never();
    let app = world.with(|ports| ports.children = Arc::new(repo));
    let answer = app
        .children
        .update(&world.scope, child.id(), child.version(), renamed())
        .await;
    assert!(
        matches!(answer, Err(AppError::Unavailable(_))),
        "{answer:?}"
    );
    assert_eq!(world.audited().await, 1, "only the creation is audited");
}

#[tokio::test]
async fn a_write_that_lost_the_race_is_a_stale_version_and_is_not_audited() {
    let world = World::new().await;
    let child = world.child().await;
    let stored = child.clone();
    let mut repo = MockChildRepository::new();
    repo.expect_get()
        .times(1)
        .returning(move |_, _| Ok(stored.clone()));
    repo.expect_update()
        .times(1)
        .returning(|_, _, _| Err(RepoError::StaleVersion));
    let app = world.with(|ports| ports.children = Arc::new(repo));
    let answer = app
        .children
        .update(&world.scope, child.id(), child.version(), renamed())
        .await;
    assert!(matches!(answer, Err(AppError::StaleVersion)), "{answer:?}");
    assert_eq!(world.audited().await, 1);
}

#[tokio::test]
async fn a_corrupt_stored_child_is_an_internal_error() {
    let world = World::new().await;
    let mut repo = MockChildRepository::new();
    repo.expect_get().times(1).returning(|_, _| Err(corrupt()));
    let app = world.with(|ports| ports.children = Arc::new(repo));
    let answer = app.children.get(&world.scope, some_child_id()).await;
    assert!(matches!(answer, Err(AppError::Internal(_))), "{answer:?}");
}

#[tokio::test]
async fn a_fresh_id_the_store_says_is_taken_is_an_internal_error_and_not_audited() {
    let world = World::new().await;
    let mut repo = MockChildRepository::new();
    repo.expect_insert()
        .times(1)
        .returning(|_, _| Err(RepoError::Conflict("child.id")));
    let app = world.with(|ports| ports.children = Arc::new(repo));
    let answer = app.children.create(&world.scope, new_child()).await;
    assert!(matches!(answer, Err(AppError::Internal(_))), "{answer:?}");
    assert_eq!(world.audited().await, 0);
}
