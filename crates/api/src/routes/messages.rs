//! `/v1/announcements` and `/v1/threads`: messages and read receipts.

use cubby_app::messages::{NewAnnouncement, NewThread};
use cubby_domain::{
    Announcement, AnnouncementId, Audience, Body, ChildId, ContactId, ErrorCode, Message,
    Permission, Receipt, RoomId, Thread, ThreadId, Title,
};
use cubby_ports::SortDirection;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::fields::{Fields, Unknown, omit_nulls, rfc3339};
use crate::context::{direction, page};
use crate::openapi::schemas::{self as doc, with};
use crate::openapi::shapes_messages::{
    Announcement as AnnouncementOut, AnnouncementPage, Message as MessageOut, StartedThread,
    Thread as ThreadOut, ThreadDetail, ThreadPage,
};
use crate::{ApiError, Ctx, Reply};

fn receipts(receipts: &[Receipt]) -> Vec<Value> {
    receipts
        .iter()
        .map(|r| json!({ "user_id": r.user.to_string(), "read_at": rfc3339(r.at) }))
        .collect()
}

fn announcement(ctx: &Ctx, a: &Announcement) -> Result<Value, ApiError> {
    let scope = ctx.scope()?;
    let mine = scope
        .user_id()
        .and_then(|user| a.receipts.iter().find(|r| r.user == user));
    let out = json!({
        "id": a.id.to_string(),
        "audience": match a.audience {
            Audience::Centre => json!({ "kind": "centre" }),
            Audience::Room(room) => json!({ "kind": "room", "room_id": room.to_string() }),
        },
        "title": a.title.as_str(),
        "body": a.body.as_str(),
        "sent_by": a.author.to_string(),
        "sent_at": rfc3339(a.sent_at),
        "read_at": mine.map(|r| rfc3339(r.at)),
    });
    let mut out = omit_nulls(out);
    // Who read it is for those who send announcements.
    if scope.has(Permission::AnnouncementsSend)
        && let Some(out) = out.as_object_mut()
    {
        out.insert("receipts".into(), json!(receipts(&a.receipts)));
    }
    Ok(out)
}

fn thread(ctx: &Ctx, t: &Thread) -> Result<Value, ApiError> {
    let scope = ctx.scope()?;
    let unread = scope
        .user_id()
        .is_some_and(|user| !t.read_by(user, t.last_message_at));
    Ok(json!({
        "id": t.id.to_string(),
        "child_id": t.child_id.to_string(),
        "title": t.title.as_str(),
        "participants": t.participants.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "started_by": t.started_by.to_string(),
        "started_at": rfc3339(t.started_at),
        "last_message_at": rfc3339(t.last_message_at),
        "messages": t.messages,
        "unread": unread,
        "receipts": receipts(&t.receipts),
    }))
}

fn message(t: &Thread, m: &Message) -> Value {
    json!({
        "id": m.id.to_string(),
        "thread_id": m.thread_id.to_string(),
        "author": m.author.to_string(),
        "body": m.body.as_str(),
        "sent_at": rfc3339(m.sent_at),
        "read_by": t.receipts.iter().filter(|r| r.at >= m.sent_at).map(|r| r.user.to_string()).collect::<Vec<_>>(),
    })
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
    #[param(schema_with = with::message_sort)]
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
    #[param(schema_with = with::announcement_sort)]
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
        (status = 200, description = "A page of announcements", body = AnnouncementPage),
    )
)]
pub(crate) async fn announcements(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: AnnouncementListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let direction = direction(query.sort.as_deref(), "sent_at", SortDirection::Descending)?;
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
    Reply::ok(
        &json!({ "items": items, "total": found.total, "limit": page.limit(), "offset": page.offset() }),
    )
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
        (status = 201, description = "The thread and its first message", body = StartedThread, headers(("Location" = String))),
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
    let mut out = thread(&ctx, &started)?;
    if let Some(out) = out.as_object_mut() {
        out.insert("first_message".into(), message(&started, &first));
    }
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
    #[param(schema_with = with::thread_sort)]
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
        (status = 200, description = "A page of threads", body = ThreadPage),
    )
)]
pub(crate) async fn threads(ctx: Ctx) -> Result<Reply, ApiError> {
    let query: ThreadListQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let direction = direction(
        query.sort.as_deref(),
        "last_message_at",
        SortDirection::Descending,
    )?;
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
    Reply::ok(
        &json!({ "items": items, "total": found.total, "limit": page.limit(), "offset": page.offset() }),
    )
}

/// `GET /v1/threads/{id}`: the thread and a page of its messages, oldest first, each with who
/// has read it; `sort` is `sent_at` (the default) or `-sent_at`.
#[utoipa::path(
    get,
    path = "/v1/threads/{id}",
    tag = "messages",
    params(("id" = doc::Thread, Path, description = "The thread"), MessagePageQuery),
    responses(
        (status = 200, description = "The thread and a page of its messages", body = ThreadDetail),
    )
)]
pub(crate) async fn get_thread(ctx: Ctx) -> Result<Reply, ApiError> {
    let id: ThreadId = ctx.param("id")?;
    let query: MessagePageQuery = ctx.query()?;
    let page = page(query.limit, query.offset)?;
    let direction = direction(query.sort.as_deref(), "sent_at", SortDirection::Ascending)?;
    let (found, messages) = ctx
        .app()
        .messages
        .thread(ctx.scope()?, id, direction, page)
        .await?;
    let mut out = thread(&ctx, &found)?;
    if let Some(out) = out.as_object_mut() {
        out.insert(
            "messages_page".into(),
            json!({
                "items": messages.items.iter().map(|m| message(&found, m)).collect::<Vec<_>>(),
                "total": messages.total,
                "limit": page.limit(),
                "offset": page.offset(),
            }),
        );
    }
    Reply::ok(&out)
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
