//! The shapes of announcements, threads and messages, as their handlers build them.

#![expect(
    dead_code,
    reason = "these types only describe answers; they are never built"
)]

use utoipa::ToSchema;

use super::schemas::{self, with};

/// Who an announcement is for.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(crate) enum AudienceKind {
    /// The whole centre.
    Centre,
    /// One room.
    Room,
}

/// Who an announcement is for; `room_id` names the room of a room's announcement.
#[derive(ToSchema)]
pub(crate) struct Audience {
    kind: AudienceKind,
    #[schema(value_type = schemas::Room, required = false)]
    room_id: Option<String>,
}

/// A reader's (latest) read.
#[derive(ToSchema)]
pub(crate) struct Receipt {
    #[schema(value_type = schemas::User)]
    user_id: String,
    #[schema(value_type = String, format = DateTime)]
    read_at: String,
}

/// An announcement. `receipts` is sent to those who may send announcements.
#[derive(ToSchema)]
pub(crate) struct Announcement {
    #[schema(value_type = schemas::Announcement)]
    id: String,
    audience: Audience,
    #[schema(schema_with = with::title)]
    title: String,
    #[schema(schema_with = with::body)]
    body: String,
    /// A user id, or `system:<job>`.
    sent_by: String,
    #[schema(value_type = String, format = DateTime)]
    sent_at: String,
    /// When the caller first read it; absent while unread.
    #[schema(schema_with = with::time, required = false)]
    read_at: Option<String>,
    #[schema(nullable = false)]
    receipts: Option<Vec<Receipt>>,
}

/// A page of announcements, newest first.
#[derive(ToSchema)]
pub(crate) struct AnnouncementPage {
    items: Vec<Announcement>,
    total: u64,
    limit: u32,
    offset: u64,
}

/// A thread about a child.
#[derive(ToSchema)]
pub(crate) struct Thread {
    #[schema(value_type = schemas::Thread)]
    id: String,
    #[schema(value_type = schemas::Child)]
    child_id: String,
    #[schema(schema_with = with::title)]
    title: String,
    /// The users in the thread.
    #[schema(value_type = Vec<schemas::User>)]
    participants: Vec<String>,
    /// A user id, or `system:<job>`.
    started_by: String,
    #[schema(value_type = String, format = DateTime)]
    started_at: String,
    #[schema(value_type = String, format = DateTime)]
    last_message_at: String,
    /// How many messages it holds.
    messages: u32,
    /// Whether the caller has messages to read.
    unread: bool,
    /// Each reader's latest read.
    receipts: Vec<Receipt>,
}

/// A message of a thread.
#[derive(ToSchema)]
pub(crate) struct Message {
    #[schema(value_type = schemas::Message)]
    id: String,
    #[schema(value_type = schemas::Thread)]
    thread_id: String,
    /// A user id, or `system:<job>`.
    author: String,
    #[schema(schema_with = with::body)]
    body: String,
    #[schema(value_type = String, format = DateTime)]
    sent_at: String,
    /// The users who have read up to it.
    #[schema(value_type = Vec<schemas::User>)]
    read_by: Vec<String>,
}

/// A new thread and its first message.
#[derive(ToSchema)]
pub(crate) struct StartedThread {
    #[serde(flatten)]
    thread: Thread,
    first_message: Message,
}

/// A page of a thread's messages, oldest first.
#[derive(ToSchema)]
pub(crate) struct MessagePage {
    items: Vec<Message>,
    total: u64,
    limit: u32,
    offset: u64,
}

/// A thread and a page of its messages.
#[derive(ToSchema)]
pub(crate) struct ThreadDetail {
    #[serde(flatten)]
    thread: Thread,
    messages_page: MessagePage,
}

/// A page of threads, latest message first.
#[derive(ToSchema)]
pub(crate) struct ThreadPage {
    items: Vec<Thread>,
    total: u64,
    limit: u32,
    offset: u64,
}
