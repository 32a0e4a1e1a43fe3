//! `/v1/announcements` and `/v1/threads`: messages and read receipts.

use cubby_app::messages::{NewAnnouncement, NewThread};
use cubby_domain::{
    Announcement, AnnouncementId, Audience, Body, ChildId, ContactId, ErrorCode, Message,
    Permission, Receipt, RoomId, Thread, ThreadId, Title,
};
use cubby_ports::SortDirection;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::openapi::Object;
use utoipa::{IntoParams, ToSchema};

use super::fields::{Fields, Unknown, rfc3339};
use super::page::Page;
use crate::context::{SortKeys, page};
use crate::openapi::schemas::{self as doc, with};
use crate::{ApiError, Ctx, Reply};

/// Who an announcement is for.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum AudienceKind {
    /// The whole centre.
    Centre,
    /// One room.
    Room,
}

/// Who an announcement is for; `room_id` names the room of a room's announcement.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Audience)]
struct AudienceOut {
    kind: AudienceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = doc::Room, required = false)]
    room_id: Option<String>,
}

impl From<Audience> for AudienceOut {
    fn from(audience: Audience) -> Self {
        match audience {
            Audience::Centre => Self {
                kind: AudienceKind::Centre,
                room_id: None,
            },
            Audience::Room(room) => Self {
                kind: AudienceKind::Room,
                room_id: Some(room.to_string()),
            },
        }
    }
}

/// A reader's (latest) read.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Receipt)]
struct ReceiptOut {
    #[schema(value_type = doc::User)]
    user_id: String,
    #[schema(value_type = String, format = DateTime)]
    read_at: String,
}

fn receipts(receipts: &[Receipt]) -> Vec<ReceiptOut> {
    receipts
        .iter()
        .map(|r| ReceiptOut {
            user_id: r.user.to_string(),
            read_at: rfc3339(r.at),
        })
        .collect()
}

/// An announcement. `receipts` is sent to those who may send announcements.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Announcement)]
struct AnnouncementOut {
    #[schema(value_type = doc::Announcement)]
    id: String,
    audience: AudienceOut,
    #[schema(schema_with = with::title)]
    title: String,
    #[schema(schema_with = with::body)]
    body: String,
    /// A user id, or `system:<job>`.
    sent_by: String,
    #[schema(value_type = String, format = DateTime)]
    sent_at: String,
    /// When the caller first read it; absent while unread.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = with::time, required = false)]
    read_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    receipts: Option<Vec<ReceiptOut>>,
}

fn announcement(ctx: &Ctx, a: &Announcement) -> Result<AnnouncementOut, ApiError> {
    let scope = ctx.scope()?;
    let mine = scope
        .user_id()
        .and_then(|user| a.receipts.iter().find(|r| r.user == user));
    Ok(AnnouncementOut {
        id: a.id.to_string(),
        audience: a.audience.into(),
        title: a.title.as_str().to_owned(),
        body: a.body.as_str().to_owned(),
        sent_by: a.author.to_string(),
        sent_at: rfc3339(a.sent_at),
        read_at: mine.map(|r| rfc3339(r.at)),
        // Who read it is for those who send announcements.
        receipts: scope
            .has(Permission::AnnouncementsSend)
            .then(|| receipts(&a.receipts)),
    })
}

/// A thread about a child.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Thread)]
struct ThreadOut {
    #[schema(value_type = doc::Thread)]
    id: String,
    #[schema(value_type = doc::Child)]
    child_id: String,
    #[schema(schema_with = with::title)]
    title: String,
    /// The users in the thread.
    #[schema(value_type = Vec<doc::User>)]
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
    receipts: Vec<ReceiptOut>,
}

fn thread(ctx: &Ctx, t: &Thread) -> Result<ThreadOut, ApiError> {
    let scope = ctx.scope()?;
    let unread = scope
        .user_id()
        .is_some_and(|user| !t.read_by(user, t.last_message_at));
    Ok(ThreadOut {
        id: t.id.to_string(),
        child_id: t.child_id.to_string(),
        title: t.title.as_str().to_owned(),
        participants: t.participants.iter().map(ToString::to_string).collect(),
        started_by: t.started_by.to_string(),
        started_at: rfc3339(t.started_at),
        last_message_at: rfc3339(t.last_message_at),
        messages: t.messages,
        unread,
        receipts: receipts(&t.receipts),
    })
}

/// A message of a thread.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Message)]
struct MessageOut {
    #[schema(value_type = doc::Message)]
    id: String,
    #[schema(value_type = doc::Thread)]
    thread_id: String,
    /// A user id, or `system:<job>`.
    author: String,
    #[schema(schema_with = with::body)]
    body: String,
    #[schema(value_type = String, format = DateTime)]
    sent_at: String,
    /// The users who have read up to it.
    #[schema(value_type = Vec<doc::User>)]
    read_by: Vec<String>,
}

fn message(t: &Thread, m: &Message) -> MessageOut {
    MessageOut {
        id: m.id.to_string(),
        thread_id: m.thread_id.to_string(),
        author: m.author.to_string(),
        body: m.body.as_str().to_owned(),
        sent_at: rfc3339(m.sent_at),
        read_by: t
            .receipts
            .iter()
            .filter(|r| r.at >= m.sent_at)
            .map(|r| r.user.to_string())
            .collect(),
    }
}

/// A new thread and its first message.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = StartedThread)]
struct StartedThreadOut {
    #[serde(flatten)]
    thread: ThreadOut,
    first_message: MessageOut,
}

/// A thread and a page of its messages.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ThreadDetail)]
struct ThreadDetailOut {
    #[serde(flatten)]
    thread: ThreadOut,
    messages_page: Page<MessageOut>,
}

fn parse_id<T: std::str::FromStr>(
    fields: &mut Fields,
    field: &str,
    code: ErrorCode,
    text: &str,
) -> Option<T> {
    fields.check(
        field,
        text.parse::<T>().map_err(|_| Unknown {
            code,
            value: text.to_owned(),
        }),
    )
}

/// The body of `POST /v1/announcements`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AnnouncementIn {
    /// One room's announcement (absent or `null`: the whole centre).
    #[schema(value_type = Option<doc::Room>)]
    room_id: Option<String>,
    #[schema(schema_with = with::title)]
    title: String,
    #[schema(schema_with = with::body)]
    body: String,
}

/// `POST /v1/announcements`: to the whole centre, or to one room with `room_id`; 201.
#[utoipa::path(
    post,
    path = "/v1/announcements",
    tag = "messages",
    request_body = AnnouncementIn,
    responses(
        (status = 201, description = "The announcement", body = AnnouncementOut, headers(("Location" = String))),
        (status = 404, description = "No such room the caller may announce to"),
    )
)]
pub(crate) async fn announce(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: AnnouncementIn = ctx.json()?;
    let mut fields = Fields::default();
    let audience = match &body.room_id {
        Some(text) => parse_id::<RoomId>(
            &mut fields,
            "room_id",
            ErrorCode::AnnouncementUnknownRoom,
            text,
        )
        .map(Audience::Room),
        None => Some(Audience::Centre),
    };
    let title = fields.check("title", Title::parse(&body.title));
    let text = fields.check("body", Body::parse(&body.body));
    let new = match (audience, title, text) {
        (Some(audience), Some(title), Some(body)) => Some(NewAnnouncement {
            audience,
            title,
            body,
        }),
        _ => None,
    };
    let new = fields.finish(new)?;
    let sent = ctx.app().messages.announce(ctx.scope()?, new).await?;
    Ok(
        Reply::json(StatusCode::CREATED, &announcement(&ctx, &sent)?)?
            .with_location(&format!("/v1/announcements/{}", sent.id)),
    )
}

/// How announcements sort.
const ANNOUNCEMENT_SORT: SortKeys<()> = SortKeys(&[("sent_at", ())]);

fn announcement_sort() -> Object {
    with::sort(&ANNOUNCEMENT_SORT)
}

/// How threads sort.
const THREAD_SORT: SortKeys<()> = SortKeys(&[("last_message_at", ())]);

fn thread_sort() -> Object {
    with::sort(&THREAD_SORT)
}

/// How the messages of a thread sort.
const MESSAGE_SORT: SortKeys<()> = SortKeys(&[("sent_at", ())]);

fn message_sort() -> Object {
    with::sort(&MESSAGE_SORT)
}

/// The query of `GET /v1/threads/{id}`: the page of its messages.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct MessagePageQuery {
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
    /// The order of the messages (default `sent_at`, oldest first).
    #[param(schema_with = message_sort)]
    sort: Option<String>,
}

/// The query of `GET /v1/announcements`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AnnouncementListQuery {
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
    /// The order (default `-sent_at`).
    #[param(schema_with = announcement_sort)]
    sort: Option<String>,
}

/// `GET /v1/announcements`: those the caller sees, newest first, with their own `read_at`;
/// `sort` is `sent_at` or `-sent_at` (the default).
#[utoipa::path(
    get,
    path = "/v1/announcements",
    tag = "messages",
    params(AnnouncementListQuery),
    responses(
        (status = 200, description = "A page of announcements", body = Page<AnnouncementOut>),
    )
)]
pub(crate) async fn announcements(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: AnnouncementListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let direction =
        ANNOUNCEMENT_SORT.direction(query.sort.as_deref(), SortDirection::Descending)?;
    let found = ctx
        .app()
        .messages
        .announcements(ctx.scope()?, direction, page)
        .await?;
    let items = found
        .items
        .iter()
        .map(|a| announcement(&ctx, a))
        .collect::<Result<Vec<_>, _>>()?;
    Reply::ok(&Page::new(items, found.total, page))
}

/// `GET /v1/announcements/{id}`: one announcement the caller sees.
#[utoipa::path(
    get,
    path = "/v1/announcements/{id}",
    tag = "messages",
    params(("id" = doc::Announcement, Path, description = "The announcement")),
    responses(
        (status = 200, description = "The announcement", body = AnnouncementOut),
    )
)]
pub(crate) async fn get_announcement(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: AnnouncementId = ctx.param("id")?;
    let found = ctx.app().messages.announcement(ctx.scope()?, id).await?;
    Reply::ok(&announcement(&ctx, &found)?)
}

/// `POST /v1/announcements/{id}/read`: records the caller's read (the first one stands).
#[utoipa::path(
    post,
    path = "/v1/announcements/{id}/read",
    tag = "messages",
    params(("id" = doc::Announcement, Path, description = "The announcement")),
    responses(
        (status = 200, description = "The announcement, with the caller's `read_at`", body = AnnouncementOut),
    )
)]
pub(crate) async fn read_announcement(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: AnnouncementId = ctx.param("id")?;
    let found = ctx
        .app()
        .messages
        .read_announcement(ctx.scope()?, id)
        .await?;
    Reply::ok(&announcement(&ctx, &found)?)
}

/// The body of `POST /v1/threads`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ThreadIn {
    /// The child the thread is about.
    #[schema(value_type = doc::Child)]
    child_id: String,
    /// The child's contacts staff start it with (1 to 20, each with the `messaging`
    /// capability and a user account); ignored when a contact's user starts it.
    #[serde(default)]
    #[schema(schema_with = with::thread_contacts, required = true)]
    contact_ids: Vec<String>,
    #[schema(schema_with = with::title)]
    title: String,
    /// The first message.
    #[schema(schema_with = with::body)]
    body: String,
}

/// `POST /v1/threads`: starts a thread about a child with its first message; 201.
#[utoipa::path(
    post,
    path = "/v1/threads",
    tag = "messages",
    request_body = ThreadIn,
    responses(
        (status = 201, description = "The thread and its first message", body = StartedThreadOut, headers(("Location" = String))),
        (status = 403, description = "A contact's user without the `messaging` capability (`thread.not_allowed`), or the session lacks the permission"),
        (status = 404, description = "No such child the caller reaches"),
    )
)]
pub(crate) async fn start(ctx: Ctx) -> Result<Reply, ApiError> {
    let body: ThreadIn = ctx.json()?;
    let mut fields = Fields::default();
    let child = parse_id::<ChildId>(
        &mut fields,
        "child_id",
        ErrorCode::RequestInvalidId,
        &body.child_id,
    );
    let contacts: Option<Vec<ContactId>> = body
        .contact_ids
        .iter()
        .map(|text| {
            parse_id::<ContactId>(
                &mut fields,
                "contact_ids",
                ErrorCode::ThreadInvalidParticipants,
                text,
            )
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    let title = fields.check("title", Title::parse(&body.title));
    let text = fields.check("body", Body::parse(&body.body));
    let new = match (child, contacts, title, text) {
        (Some(child), Some(contacts), Some(title), Some(body)) => Some(NewThread {
            child,
            contacts,
            title,
            body,
        }),
        _ => None,
    };
    let new = fields.finish(new)?;
    let (started, first) = ctx.app().messages.start_thread(ctx.scope()?, new).await?;
    let out = StartedThreadOut {
        thread: thread(&ctx, &started)?,
        first_message: message(&started, &first),
    };
    Ok(Reply::json(StatusCode::CREATED, &out)?
        .with_location(&format!("/v1/threads/{}", started.id)))
}

/// The query of `GET /v1/threads`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ThreadListQuery {
    /// Threads about this child.
    #[param(value_type = Option<doc::Child>)]
    child: Option<String>,
    /// The page size.
    #[param(minimum = 1, maximum = 100, default = 25)]
    limit: Option<u32>,
    /// How many to skip.
    #[param(minimum = 0, maximum = 100000, default = 0)]
    offset: Option<u64>,
    /// The order (default `-last_message_at`).
    #[param(schema_with = thread_sort)]
    sort: Option<String>,
}

/// `GET /v1/threads`: those the caller sees, latest message first; `child` narrows; `sort` is
/// `last_message_at` or `-last_message_at` (the default).
#[utoipa::path(
    get,
    path = "/v1/threads",
    tag = "messages",
    params(ThreadListQuery),
    responses(
        (status = 200, description = "A page of threads", body = Page<ThreadOut>),
    )
)]
pub(crate) async fn threads(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: ThreadListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let direction = THREAD_SORT.direction(query.sort.as_deref(), SortDirection::Descending)?;
    let child = match &query.child {
        Some(text) => Some(text.parse::<ChildId>().map_err(|_| {
            ApiError::bad_request(ErrorCode::RequestInvalidQuery, "child is not valid")
        })?),
        None => None,
    };
    let found = ctx
        .app()
        .messages
        .threads(ctx.scope()?, child, direction, page)
        .await?;
    let items = found
        .items
        .iter()
        .map(|t| thread(&ctx, t))
        .collect::<Result<Vec<_>, _>>()?;
    Reply::ok(&Page::new(items, found.total, page))
}

/// `GET /v1/threads/{id}`: the thread and a page of its messages, oldest first, each with who
/// has read it; `sort` is `sent_at` (the default) or `-sent_at`.
#[utoipa::path(
    get,
    path = "/v1/threads/{id}",
    tag = "messages",
    params(("id" = doc::Thread, Path, description = "The thread"), MessagePageQuery),
    responses(
        (status = 200, description = "The thread and a page of its messages", body = ThreadDetailOut),
    )
)]
pub(crate) async fn get_thread(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ThreadId = ctx.param("id")?;
    let query: MessagePageQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let direction = MESSAGE_SORT.direction(query.sort.as_deref(), SortDirection::Ascending)?;
    let (found, messages) = ctx
        .app()
        .messages
        .thread(ctx.scope()?, id, direction, page)
        .await?;
    Reply::ok(&ThreadDetailOut {
        thread: thread(&ctx, &found)?,
        messages_page: Page::of(&messages, page, |m| message(&found, m)),
    })
}

/// The body of `POST /v1/threads/{id}/messages`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MessageIn {
    #[schema(schema_with = with::body)]
    body: String,
}

/// `POST /v1/threads/{id}/messages`: adds a message; 201.
#[utoipa::path(
    post,
    path = "/v1/threads/{id}/messages",
    tag = "messages",
    params(("id" = doc::Thread, Path, description = "The thread")),
    request_body = MessageIn,
    responses(
        (status = 201, description = "The message", body = MessageOut),
    )
)]
pub(crate) async fn post(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ThreadId = ctx.param("id")?;
    let body: MessageIn = ctx.json()?;
    let mut fields = Fields::default();
    let text = fields.check("body", Body::parse(&body.body));
    let text = fields.finish(text)?;
    let sent = ctx.app().messages.post(ctx.scope()?, id, text).await?;
    let (found, _) = ctx
        .app()
        .messages
        .thread(
            ctx.scope()?,
            id,
            SortDirection::Ascending,
            cubby_ports::PageRequest::default(),
        )
        .await?;
    Reply::json(StatusCode::CREATED, &message(&found, &sent))
}

/// `POST /v1/threads/{id}/read`: records that the caller read the thread up to now.
#[utoipa::path(
    post,
    path = "/v1/threads/{id}/read",
    tag = "messages",
    params(("id" = doc::Thread, Path, description = "The thread")),
    responses(
        (status = 200, description = "The thread", body = ThreadOut),
    )
)]
pub(crate) async fn read_thread(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ThreadId = ctx.param("id")?;
    let found = ctx.app().messages.read_thread(ctx.scope()?, id).await?;
    Reply::ok(&thread(&ctx, &found)?)
}
