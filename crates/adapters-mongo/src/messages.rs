//! Announcements in the `announcements` collection, message threads in the `threads` collection
//! and their messages in the `messages` collection.
//!
//! Every id here is minted by the server (unique across tenants), so `_id` is the id itself.
//! Read receipts live in their announcement or thread, as an array of `{ user, at }` kept to
//! one entry per user by conditional updates (never read-modify-write), so that concurrent
//! reads cannot leave two receipts. A thread carries its message count and latest message time,
//! moved on by one atomic update before each message is stored.

use async_trait::async_trait;
use bson::{DateTime, Document, doc};
use cubby_domain::{
    Actor, Announcement, AnnouncementId, Audience, Body, ChildId, Message, MessageId, Receipt,
    RoomId, Thread, ThreadId, Title, UserId,
};
use cubby_ports::{
    AnnouncementQuery, MessageRepository, Page, PageRequest, RepoError, SortDirection, TenantScope,
    ThreadQuery,
};
use mongodb::Collection;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::audit::to_bson;
use crate::timed;
use crate::{
    Filter, Mongo, decode, exists, id_conflict, one_of, page_of, scoped, sort_order, to_repo_error,
};

/// The announcements collection.
pub(crate) const ANNOUNCEMENTS: &str = "announcements";

/// The threads collection.
pub(crate) const THREADS: &str = "threads";

/// The messages collection.
pub(crate) const MESSAGES: &str = "messages";

/// A tenant's announcements, newest first.
pub(crate) const ANNOUNCEMENT_SENT_INDEX: &str = "announcements_tenant_sent";

/// A tenant's announcements to some audiences (the centre and some rooms), newest first.
pub(crate) const ANNOUNCEMENT_AUDIENCE_INDEX: &str = "announcements_tenant_audience_sent";

/// A tenant's threads, latest message first.
pub(crate) const THREAD_LAST_INDEX: &str = "threads_tenant_last_message";

/// A tenant's threads about some children, latest message first.
pub(crate) const THREAD_CHILD_INDEX: &str = "threads_tenant_child_last_message";

/// A tenant's threads a user takes part in, latest message first (multikey on
/// `participants`).
pub(crate) const THREAD_PARTICIPANT_INDEX: &str = "threads_tenant_participant_last_message";

/// A thread's messages, oldest first.
pub(crate) const MESSAGE_THREAD_INDEX: &str = "messages_tenant_thread_sent";

/// The stored `audience` of an announcement to the whole centre (a room's is its id,
/// `room_…`, which can never be this).
const CENTRE: &str = "centre";

/// The first 64 characters of a stored id, to name a malformed document by.
fn shown(id: &str) -> String {
    id.chars().take(64).collect()
}

/// A read receipt as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ReceiptDocument {
    /// The reader's [`UserId`].
    user: String,
    at: DateTime,
}

impl ReceiptDocument {
    fn new(user: UserId, at: OffsetDateTime) -> Self {
        Self {
            user: user.to_string(),
            at: to_bson(at),
        }
    }

    fn into_domain(self) -> Option<Receipt> {
        Some(Receipt {
            user: UserId::parse(&self.user).ok()?,
            at: self.at.to_time_0_3(),
        })
    }
}

/// Stored receipts parsed again; `None` if one is malformed.
fn receipts(stored: Vec<ReceiptDocument>) -> Option<Vec<Receipt>> {
    stored
        .into_iter()
        .map(ReceiptDocument::into_domain)
        .collect()
}

/// An announcement as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AnnouncementDocument {
    #[serde(rename = "_id")]
    id: String,
    tenant_id: String,
    /// `centre`, or the [`RoomId`] of the room it is for: a room filter is one `$in`.
    audience: String,
    title: String,
    body: String,
    /// [`Actor`]'s stored form.
    author: String,
    sent_at: DateTime,
    /// One per reader, with the time of their first read.
    receipts: Vec<ReceiptDocument>,
}

impl AnnouncementDocument {
    fn from_domain(scope: &TenantScope, announcement: &Announcement) -> Self {
        Self {
            id: announcement.id.to_string(),
            tenant_id: scope.tenant_id().to_string(),
            audience: match announcement.audience {
                Audience::Centre => CENTRE.to_owned(),
                Audience::Room(room) => room.to_string(),
            },
            title: announcement.title.as_str().to_owned(),
            body: announcement.body.as_str().to_owned(),
            author: announcement.author.to_string(),
            sent_at: to_bson(announcement.sent_at),
            receipts: announcement
                .receipts
                .iter()
                .map(|r| ReceiptDocument::new(r.user, r.at))
                .collect(),
        }
    }

    /// The domain announcement, every field parsed again; anything malformed is `Corrupt`,
    /// named by the document's `_id` and the field, never by the stored value.
    fn into_domain(self) -> Result<Announcement, RepoError> {
        let id = shown(&self.id);
        let bad = move |field: &str| {
            RepoError::corrupt(format!("{ANNOUNCEMENTS} document {id}: malformed {field}"))
        };
        Ok(Announcement {
            id: AnnouncementId::parse(&self.id).map_err(|_| bad("_id"))?,
            audience: match self.audience.as_str() {
                CENTRE => Audience::Centre,
                room => Audience::Room(RoomId::parse(room).map_err(|_| bad("audience"))?),
            },
            title: Title::parse(&self.title).map_err(|_| bad("title"))?,
            body: Body::parse(&self.body).map_err(|_| bad("body"))?,
            author: Actor::parse(&self.author).map_err(|_| bad("author"))?,
            sent_at: self.sent_at.to_time_0_3(),
            receipts: receipts(self.receipts).ok_or_else(|| bad("receipts"))?,
        })
    }
}

/// A thread as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ThreadDocument {
    #[serde(rename = "_id")]
    id: String,
    tenant_id: String,
    /// The [`ChildId`] it is about.
    child_id: String,
    title: String,
    /// The contacts' [`UserId`]s; the participant filter's index is multikey on it.
    participants: Vec<String>,
    /// [`Actor`]'s stored form.
    started_by: String,
    started_at: DateTime,
    /// Moved on by `$max` as messages are added.
    last_message_at: DateTime,
    /// Counted by `$inc` as messages are added.
    messages: i64,
    /// One per reader, with the time of their latest read.
    receipts: Vec<ReceiptDocument>,
}

impl ThreadDocument {
    fn from_domain(scope: &TenantScope, thread: &Thread) -> Self {
        Self {
            id: thread.id.to_string(),
            tenant_id: scope.tenant_id().to_string(),
            child_id: thread.child_id.to_string(),
            title: thread.title.as_str().to_owned(),
            participants: thread
                .participants
                .iter()
                .map(ToString::to_string)
                .collect(),
            started_by: thread.started_by.to_string(),
            started_at: to_bson(thread.started_at),
            last_message_at: to_bson(thread.last_message_at),
            messages: i64::from(thread.messages),
            receipts: thread
                .receipts
                .iter()
                .map(|r| ReceiptDocument::new(r.user, r.at))
                .collect(),
        }
    }

    /// The domain thread, every field parsed again; anything malformed is `Corrupt`, named by
    /// the document's `_id` and the field, never by the stored value.
    fn into_domain(self) -> Result<Thread, RepoError> {
        let id = shown(&self.id);
        let bad = move |field: &str| {
            RepoError::corrupt(format!("{THREADS} document {id}: malformed {field}"))
        };
        Ok(Thread {
            id: ThreadId::parse(&self.id).map_err(|_| bad("_id"))?,
            child_id: ChildId::parse(&self.child_id).map_err(|_| bad("child_id"))?,
            title: Title::parse(&self.title).map_err(|_| bad("title"))?,
            participants: self
                .participants
                .iter()
                .map(|p| UserId::parse(p).map_err(|_| bad("participants")))
                .collect::<Result<_, _>>()?,
            started_by: Actor::parse(&self.started_by).map_err(|_| bad("started_by"))?,
            started_at: self.started_at.to_time_0_3(),
            last_message_at: self.last_message_at.to_time_0_3(),
            messages: u32::try_from(self.messages).map_err(|_| bad("messages"))?,
            receipts: receipts(self.receipts).ok_or_else(|| bad("receipts"))?,
        })
    }
}

/// A message as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MessageDocument {
    #[serde(rename = "_id")]
    id: String,
    tenant_id: String,
    /// The [`ThreadId`].
    thread_id: String,
    /// [`Actor`]'s stored form.
    author: String,
    body: String,
    sent_at: DateTime,
}

impl MessageDocument {
    fn from_domain(scope: &TenantScope, message: &Message) -> Self {
        Self {
            id: message.id.to_string(),
            tenant_id: scope.tenant_id().to_string(),
            thread_id: message.thread_id.to_string(),
            author: message.author.to_string(),
            body: message.body.as_str().to_owned(),
            sent_at: to_bson(message.sent_at),
        }
    }

    /// The domain message, every field parsed again; anything malformed is `Corrupt`, named by
    /// the document's `_id` and the field, never by the stored value.
    fn into_domain(self) -> Result<Message, RepoError> {
        let id = shown(&self.id);
        let bad = move |field: &str| {
            RepoError::corrupt(format!("{MESSAGES} document {id}: malformed {field}"))
        };
        Ok(Message {
            id: MessageId::parse(&self.id).map_err(|_| bad("_id"))?,
            thread_id: ThreadId::parse(&self.thread_id).map_err(|_| bad("thread_id"))?,
            author: Actor::parse(&self.author).map_err(|_| bad("author"))?,
            body: Body::parse(&self.body).map_err(|_| bad("body"))?,
            sent_at: self.sent_at.to_time_0_3(),
        })
    }
}

fn announcement(document: Document) -> Result<Announcement, RepoError> {
    decode::<AnnouncementDocument>(ANNOUNCEMENTS, document)?.into_domain()
}

fn thread(document: Document) -> Result<Thread, RepoError> {
    decode::<ThreadDocument>(THREADS, document)?.into_domain()
}

fn message(document: Document) -> Result<Message, RepoError> {
    decode::<MessageDocument>(MESSAGES, document)?.into_domain()
}

/// The filter of an announcement list in the scope's tenant.
fn announcement_filter(scope: &TenantScope, query: &AnnouncementQuery) -> Filter {
    let mut filter = scoped(scope, Document::new());
    if let Some(rooms) = &query.rooms {
        // Those to the whole centre, and those to one of the rooms (none: only the centre's).
        let audiences: Vec<String> = std::iter::once(CENTRE.to_owned())
            .chain(rooms.iter().map(ToString::to_string))
            .collect();
        filter.insert("audience", doc! { "$in": audiences });
    }
    filter
}

/// The filter of a thread list in the scope's tenant, or `None` when it can match nothing (an
/// empty list of children).
fn thread_filter(scope: &TenantScope, query: &ThreadQuery) -> Option<Filter> {
    let mut filter = scoped(scope, Document::new());
    if let Some(children) = &query.children {
        if children.is_empty() {
            return None;
        }
        let children: Vec<String> = children.iter().map(ToString::to_string).collect();
        filter.insert("child_id", doc! { "$in": children });
    }
    if let Some(user) = query.participant {
        // `participants` is an array: equality matches any element.
        filter.insert("participants", user.to_string());
    }
    Some(filter)
}

impl Mongo {
    /// Announcements, for writes (typed, serialized by serde).
    fn announcements_collection(&self) -> Collection<AnnouncementDocument> {
        self.db.collection(ANNOUNCEMENTS)
    }

    /// Announcements, for reads and updates: documents are decoded one by one with [`decode`].
    fn announcement_documents(&self) -> Collection<Document> {
        self.db.collection(ANNOUNCEMENTS)
    }

    /// Threads, for writes (typed, serialized by serde).
    fn threads_collection(&self) -> Collection<ThreadDocument> {
        self.db.collection(THREADS)
    }

    /// Threads, for reads and updates: documents are decoded one by one with [`decode`].
    fn thread_documents(&self) -> Collection<Document> {
        self.db.collection(THREADS)
    }

    /// Messages, for writes (typed, serialized by serde).
    fn messages_collection(&self) -> Collection<MessageDocument> {
        self.db.collection(MESSAGES)
    }

    /// Messages, for reads: documents are decoded one by one with [`decode`].
    fn message_documents(&self) -> Collection<Document> {
        self.db.collection(MESSAGES)
    }
}

#[async_trait]
impl MessageRepository for Mongo {
    async fn insert_announcement(
        &self,
        scope: &TenantScope,
        announcement: &Announcement,
    ) -> Result<(), RepoError> {
        timed(
            "announcements.insert",
            self.announcements_collection()
                .insert_one(AnnouncementDocument::from_domain(scope, announcement)),
        )
        .await
        .map(|_| ())
        .map_err(id_conflict("announcement.id"))
    }

    async fn get_announcement(
        &self,
        scope: &TenantScope,
        id: AnnouncementId,
    ) -> Result<Announcement, RepoError> {
        one_of(
            &self.announcement_documents(),
            scoped(scope, doc! { "_id": id.to_string() }),
            announcement,
        )
        .await?
        .ok_or(RepoError::NotFound)
    }

    async fn announcements(
        &self,
        scope: &TenantScope,
        query: &AnnouncementQuery,
    ) -> Result<Page<Announcement>, RepoError> {
        let order = sort_order(query.direction);
        page_of(
            &self.announcement_documents(),
            announcement_filter(scope, query),
            doc! { "sent_at": order, "_id": order },
            query.page,
            announcement,
        )
        .await
    }

    async fn mark_announcement_read(
        &self,
        scope: &TenantScope,
        id: AnnouncementId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let id = id.to_string();
        let receipt = bson::to_bson(&ReceiptDocument::new(user, at))
            .map_err(|_| RepoError::Failed("a receipt could not be encoded".into()))?;
        // One atomic update: it pushes only while the user has no receipt, so the first read
        // stands and concurrent reads leave one.
        let result = timed(
            "announcements.update",
            self.announcement_documents().update_one(
                scoped(
                    scope,
                    doc! { "_id": &id, "receipts.user": { "$ne": user.to_string() } },
                )
                .into(),
                doc! { "$push": { "receipts": receipt } },
            ),
        )
        .await
        .map_err(to_repo_error)?;
        if result.matched_count == 1
            || exists(
                &self.announcement_documents(),
                scoped(scope, doc! { "_id": &id }),
            )
            .await?
        {
            // Recorded now, or read before.
            return Ok(());
        }
        Err(RepoError::NotFound)
    }

    async fn insert_thread(
        &self,
        scope: &TenantScope,
        thread: &Thread,
        first: &Message,
    ) -> Result<(), RepoError> {
        // The message first: should the thread then fail to be stored, the message is
        // unreachable (messages are read by their thread, whose id was never handed out, and
        // `add_message` checks the thread), whereas a thread stored without its first message
        // would be listed with a message that does not exist.
        timed(
            "messages.insert",
            self.messages_collection()
                .insert_one(MessageDocument::from_domain(scope, first)),
        )
        .await
        .map_err(id_conflict("message.id"))?;
        timed(
            "threads.insert",
            self.threads_collection()
                .insert_one(ThreadDocument::from_domain(scope, thread)),
        )
        .await
        .map(|_| ())
        .map_err(id_conflict("thread.id"))
    }

    async fn get_thread(&self, scope: &TenantScope, id: ThreadId) -> Result<Thread, RepoError> {
        one_of(
            &self.thread_documents(),
            scoped(scope, doc! { "_id": id.to_string() }),
            thread,
        )
        .await?
        .ok_or(RepoError::NotFound)
    }

    async fn threads(
        &self,
        scope: &TenantScope,
        query: &ThreadQuery,
    ) -> Result<Page<Thread>, RepoError> {
        let Some(filter) = thread_filter(scope, query) else {
            return Ok(Page::empty());
        };
        let order = sort_order(query.direction);
        page_of(
            &self.thread_documents(),
            filter,
            doc! { "last_message_at": order, "_id": order },
            query.page,
            thread,
        )
        .await
    }

    async fn add_message(&self, scope: &TenantScope, message: &Message) -> Result<(), RepoError> {
        // The thread first, in one atomic update that only matches the tenant's thread: a
        // message is stored only once its thread is known to be the tenant's, and concurrent
        // messages are all counted. Should the insert then fail, the count is one ahead of the
        // stored messages; the error is the caller's to retry.
        let result = timed(
            "threads.update",
            self.thread_documents().update_one(
                scoped(scope, doc! { "_id": message.thread_id.to_string() }).into(),
                doc! {
                    "$inc": { "messages": 1_i64 },
                    "$max": { "last_message_at": to_bson(message.sent_at) },
                },
            ),
        )
        .await
        .map_err(to_repo_error)?;
        if result.matched_count == 0 {
            return Err(RepoError::NotFound);
        }
        timed(
            "messages.insert",
            self.messages_collection()
                .insert_one(MessageDocument::from_domain(scope, message)),
        )
        .await
        .map(|_| ())
        .map_err(id_conflict("message.id"))
    }

    async fn messages(
        &self,
        scope: &TenantScope,
        thread: ThreadId,
        direction: SortDirection,
        page: PageRequest,
    ) -> Result<Page<Message>, RepoError> {
        let order = sort_order(direction);
        page_of(
            &self.message_documents(),
            scoped(scope, doc! { "thread_id": thread.to_string() }),
            doc! { "sent_at": order, "_id": order },
            page,
            message,
        )
        .await
    }

    async fn mark_thread_read(
        &self,
        scope: &TenantScope,
        id: ThreadId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<(), RepoError> {
        let id = id.to_string();
        let reader = user.to_string();
        let when = to_bson(at);
        let threads = self.thread_documents();
        // Moves the user's receipt on, if they have one earlier than `at`.
        let move_on = || {
            threads.update_one(
                scoped(
                    scope,
                    doc! {
                        "_id": &id,
                        "receipts": { "$elemMatch": { "user": &reader, "at": { "$lt": when } } },
                    },
                )
                .into(),
                doc! { "$set": { "receipts.$.at": when } },
            )
        };
        if timed("threads.update", move_on())
            .await
            .map_err(to_repo_error)?
            .matched_count
            == 1
        {
            return Ok(());
        }
        // No earlier receipt: add one, only while the user has none, so that concurrent reads
        // leave one receipt per user.
        let receipt = bson::to_bson(&ReceiptDocument::new(user, at))
            .map_err(|_| RepoError::Failed("a receipt could not be encoded".into()))?;
        let pushed = timed(
            "threads.update",
            threads.update_one(
                scoped(
                    scope,
                    doc! { "_id": &id, "receipts.user": { "$ne": &reader } },
                )
                .into(),
                doc! { "$push": { "receipts": receipt } },
            ),
        )
        .await
        .map_err(to_repo_error)?;
        if pushed.matched_count == 1 {
            return Ok(());
        }
        if !exists(&threads, scoped(scope, doc! { "_id": &id })).await? {
            return Err(RepoError::NotFound);
        }
        // The user has a receipt: either already at or after `at`, or added by a concurrent
        // read since the first attempt, which may be earlier than `at`. Receipts only ever
        // move on, so one more attempt settles it: it moves an earlier receipt on, or finds
        // nothing to change.
        move_on().await.map_err(to_repo_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use bson::doc;
    use cubby_domain::{
        Announcement, AnnouncementId, Audience, Body, ChildId, Message, MessageId, Receipt, RoomId,
        Thread, ThreadId, Title, UserId,
    };
    use cubby_ports::contract::{at, fresh_scope};
    use cubby_ports::{MessageRepository, PageRequest, RepoError, SortDirection};
    use uuid::Uuid;

    use super::{AnnouncementDocument, MessageDocument, ThreadDocument};
    use crate::tests::fresh;

    fn user() -> UserId {
        UserId::from_uuid(Uuid::now_v7())
    }

    fn notice(audience: Audience) -> Announcement {
        Announcement {
            id: AnnouncementId::from_uuid(Uuid::now_v7()),
            audience,
            title: Title::parse("Closed on Friday").unwrap(),
            body: Body::parse("See you\nMonday").unwrap(),
            author: fresh_scope().actor().clone(),
            sent_at: at(1),
            receipts: vec![Receipt {
                user: user(),
                at: at(2),
            }],
        }
    }

    fn thread_and_first() -> (Thread, Message) {
        let author = fresh_scope().actor().clone();
        let thread = Thread {
            id: ThreadId::from_uuid(Uuid::now_v7()),
            child_id: ChildId::from_uuid(Uuid::now_v7()),
            title: Title::parse("Nap times").unwrap(),
            participants: vec![user(), user()],
            started_by: author.clone(),
            started_at: at(0),
            last_message_at: at(0),
            messages: 1,
            receipts: Vec::new(),
        };
        let first = Message {
            id: MessageId::from_uuid(Uuid::now_v7()),
            thread_id: thread.id,
            author,
            body: Body::parse("Hello").unwrap(),
            sent_at: at(0),
        };
        (thread, first)
    }

    #[test]
    fn documents_round_trip_and_store_the_audience_as_centre_or_the_room() {
        let scope = fresh_scope();
        let room = RoomId::from_uuid(Uuid::now_v7());
        for (audience, stored) in [
            (Audience::Centre, "centre".to_owned()),
            (Audience::Room(room), room.to_string()),
        ] {
            let announcement = notice(audience);
            let document =
                bson::to_document(&AnnouncementDocument::from_domain(&scope, &announcement))
                    .unwrap();
            assert_eq!(document.get_str("audience"), Ok(stored.as_str()));
            assert_eq!(
                document.get_str("tenant_id"),
                Ok(scope.tenant_id().to_string().as_str())
            );
            let back: AnnouncementDocument = bson::from_document(document).unwrap();
            assert_eq!(back.into_domain().unwrap(), announcement);
        }
        let (thread, first) = thread_and_first();
        let document = bson::to_document(&ThreadDocument::from_domain(&scope, &thread)).unwrap();
        assert_eq!(document.get_i64("messages"), Ok(1));
        let back: ThreadDocument = bson::from_document(document).unwrap();
        assert_eq!(back.into_domain().unwrap(), thread);
        let document = bson::to_document(&MessageDocument::from_domain(&scope, &first)).unwrap();
        let back: MessageDocument = bson::from_document(document).unwrap();
        assert_eq!(back.into_domain().unwrap(), first);
    }

    #[tokio::test]
    async fn malformed_messages_are_corrupt_never_by_value() {
        let Some(mongo) = fresh().await else { return };
        let scope = fresh_scope();
        let db = mongo.database();
        let reported = |error: &RepoError| format!("{error} {error:?}");

        let announcement = notice(Audience::Centre);
        mongo
            .insert_announcement(&scope, &announcement)
            .await
            .unwrap();
        let (thread, first) = thread_and_first();
        mongo.insert_thread(&scope, &thread, &first).await.unwrap();

        for (collection, id, set, leaked) in [
            (
                "announcements",
                announcement.id.to_string(),
                doc! { "audience": "the-attic" },
                "the-attic",
            ),
            (
                "announcements",
                announcement.id.to_string(),
                doc! { "receipts": [{ "user": "leaked@example.com", "at": bson::DateTime::now() }] },
                "leaked@example.com",
            ),
            (
                "threads",
                thread.id.to_string(),
                doc! { "participants": ["leaked@example.com"] },
                "leaked@example.com",
            ),
            (
                "threads",
                thread.id.to_string(),
                doc! { "messages": -7_i64 },
                "-7",
            ),
            (
                "messages",
                first.id.to_string(),
                doc! { "body": "leaked-secret ".repeat(500) },
                "leaked-secret",
            ),
            (
                "messages",
                first.id.to_string(),
                doc! { "author": "someone@example.com" },
                "someone@example.com",
            ),
        ] {
            let documents = db.collection::<bson::Document>(collection);
            let original = documents
                .find_one(doc! { "_id": &id })
                .await
                .unwrap()
                .unwrap();
            documents
                .update_one(doc! { "_id": &id }, doc! { "$set": set.clone() })
                .await
                .unwrap();
            let error = match collection {
                "announcements" => mongo
                    .get_announcement(&scope, announcement.id)
                    .await
                    .unwrap_err(),
                "threads" => mongo.get_thread(&scope, thread.id).await.unwrap_err(),
                _ => mongo
                    .messages(
                        &scope,
                        thread.id,
                        SortDirection::Ascending,
                        PageRequest::default(),
                    )
                    .await
                    .unwrap_err(),
            };
            let text = reported(&error);
            assert!(matches!(error, RepoError::Corrupt(_)), "{set:?}: {text}");
            assert!(
                text.contains(&format!("{collection} document")) && text.contains(&id),
                "{set:?}: {text}"
            );
            assert!(!text.contains(leaked), "{set:?}: {text}");
            documents
                .replace_one(doc! { "_id": &id }, original)
                .await
                .unwrap();
        }
        assert_eq!(mongo.get_thread(&scope, thread.id).await.unwrap(), thread);
    }

    #[tokio::test]
    async fn a_later_read_moves_the_readers_own_receipt_on_even_when_reads_race() {
        let Some(mongo) = fresh().await else { return };
        let scope = fresh_scope();
        let (thread, first) = thread_and_first();
        mongo.insert_thread(&scope, &thread, &first).await.unwrap();
        let (early, reader) = (user(), user());
        mongo
            .mark_thread_read(&scope, thread.id, early, at(1))
            .await
            .unwrap();
        mongo
            .mark_thread_read(&scope, thread.id, reader, at(2))
            .await
            .unwrap();
        // The positional update moves the reader's receipt, not the first one in the array.
        mongo
            .mark_thread_read(&scope, thread.id, reader, at(7))
            .await
            .unwrap();
        let read = mongo.get_thread(&scope, thread.id).await.unwrap();
        assert_eq!(
            read.receipts,
            vec![
                Receipt {
                    user: early,
                    at: at(1)
                },
                Receipt {
                    user: reader,
                    at: at(7)
                },
            ]
        );

        // Racing first reads of one user, at different times: one receipt, the latest time.
        let racer = user();
        let reads = futures::future::join_all(
            [12, 10, 15, 11, 14, 13]
                .map(|m| mongo.mark_thread_read(&scope, thread.id, racer, at(m))),
        )
        .await;
        assert!(reads.iter().all(Result::is_ok), "{reads:?}");
        let read = mongo.get_thread(&scope, thread.id).await.unwrap();
        let mine: Vec<&Receipt> = read.receipts.iter().filter(|r| r.user == racer).collect();
        assert_eq!(
            mine,
            vec![&Receipt {
                user: racer,
                at: at(15)
            }]
        );
        assert_eq!(read.receipts.len(), 3);
    }

    #[tokio::test]
    async fn a_message_to_another_tenants_thread_stores_nothing_and_counts_nothing() {
        let Some(mongo) = fresh().await else { return };
        let (owner, other) = (fresh_scope(), fresh_scope());
        let (thread, first) = thread_and_first();
        mongo.insert_thread(&owner, &thread, &first).await.unwrap();
        let stray = Message {
            id: MessageId::from_uuid(Uuid::now_v7()),
            sent_at: at(30),
            ..first.clone()
        };
        assert!(matches!(
            mongo.add_message(&other, &stray).await,
            Err(RepoError::NotFound)
        ));
        let stored = mongo
            .database()
            .collection::<bson::Document>("messages")
            .count_documents(doc! { "_id": stray.id.to_string() })
            .await
            .unwrap();
        assert_eq!(stored, 0);
        assert_eq!(mongo.get_thread(&owner, thread.id).await.unwrap(), thread);
    }
}
