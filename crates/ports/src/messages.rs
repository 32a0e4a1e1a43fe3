//! The message repository port: announcements, threads and their messages.

use async_trait::async_trait;
use cubby_domain::{
    Announcement, AnnouncementId, ChildId, Message, RoomId, Thread, ThreadId, UserId,
};
use time::OffsetDateTime;

use crate::{Page, PageRequest, RepoError, SortDirection, TenantScope};

/// Which announcements to list: by sending time, newest first unless `direction` says otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnouncementQuery {
    /// `None`: every announcement. `Some(rooms)`: those to the whole centre and those to one
    /// of `rooms`.
    pub rooms: Option<Vec<RoomId>>,
    /// The order by sending time, ties broken by id the same way.
    pub direction: SortDirection,
    /// The page.
    pub page: PageRequest,
}

impl Default for AnnouncementQuery {
    fn default() -> Self {
        Self {
            rooms: None,
            direction: SortDirection::Descending,
            page: PageRequest::default(),
        }
    }
}

/// Which threads to list: by their latest message's time, latest first unless `direction` says
/// otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadQuery {
    /// Only threads about one of these children (`None`: any child).
    pub children: Option<Vec<ChildId>>,
    /// Only threads this user is a participant of.
    pub participant: Option<UserId>,
    /// The order by latest message time, ties broken by id the same way.
    pub direction: SortDirection,
    /// The page.
    pub page: PageRequest,
}

impl Default for ThreadQuery {
    fn default() -> Self {
        Self {
            children: None,
            participant: None,
            direction: SortDirection::Descending,
            page: PageRequest::default(),
        }
    }
}

/// Where a tenant's announcements, threads and messages are kept.
#[cfg_attr(feature = "test-support", mockall::automock)]
#[async_trait]
pub trait MessageRepository: Send + Sync {
    /// Stores a new announcement.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn insert_announcement(
        &self,
        scope: &TenantScope,
        announcement: &Announcement,
    ) -> Result<(), RepoError>;

    /// The announcement with this id.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has none.
    async fn get_announcement(
        &self,
        scope: &TenantScope,
        id: AnnouncementId,
    ) -> Result<Announcement, RepoError>;

    /// A page of announcements matching `query`, in `query.direction` by sending time, and how
    /// many match.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn announcements(
        &self,
        scope: &TenantScope,
        query: &AnnouncementQuery,
    ) -> Result<Page<Announcement>, RepoError>;

    /// Records that `user` read the announcement at `at`, unless they had (the first read
    /// stands; concurrent reads record one receipt).
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has no such announcement.
    async fn mark_announcement_read(
        &self,
        scope: &TenantScope,
        id: AnnouncementId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<(), RepoError>;

    /// Stores a new thread with its first message.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn insert_thread(
        &self,
        scope: &TenantScope,
        thread: &Thread,
        first: &Message,
    ) -> Result<(), RepoError>;

    /// The thread with this id.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has none.
    async fn get_thread(&self, scope: &TenantScope, id: ThreadId) -> Result<Thread, RepoError>;

    /// A page of threads matching `query`, in `query.direction` by latest message time, and
    /// how many match.
    ///
    /// # Errors
    ///
    /// Only store failures.
    async fn threads(
        &self,
        scope: &TenantScope,
        query: &ThreadQuery,
    ) -> Result<Page<Thread>, RepoError>;

    /// Adds a message to its thread, moving the thread's latest message time and count on.
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has no such thread, storing
    ///   nothing.
    async fn add_message(&self, scope: &TenantScope, message: &Message) -> Result<(), RepoError>;

    /// A page of a thread's messages by sending time in `direction` (ties broken by id the same
    /// way): oldest first when ascending.
    ///
    /// # Errors
    ///
    /// Only store failures (an unknown thread has no messages).
    async fn messages(
        &self,
        scope: &TenantScope,
        thread: ThreadId,
        direction: SortDirection,
        page: PageRequest,
    ) -> Result<Page<Message>, RepoError>;

    /// Records that `user` read the thread up to `at` (a later read replaces an earlier one,
    /// an earlier one changes nothing).
    ///
    /// # Errors
    ///
    /// - MUST return [`RepoError::NotFound`] when the tenant has no such thread.
    async fn mark_thread_read(
        &self,
        scope: &TenantScope,
        id: ThreadId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<(), RepoError>;
}
