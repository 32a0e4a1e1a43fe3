//! Message use cases: announcements to the centre or a room, and threads about a child
//! between staff and the child's contacts who may message, with read receipts.
//!
//! Who sees what: `centre:all_rooms` every announcement and thread; staff the announcements to
//! the centre and their rooms, and the threads about the children of their rooms; a contact's
//! user the announcements to the centre and their children's rooms, and the threads they are in
//! about a child they still reach with the `messaging` capability. Anything else is
//! [`AppError::NotFound`].

use std::sync::Arc;

use cubby_domain::{
    Announcement, AnnouncementId, Audience, Body, Capability, Child, ChildId, ContactId, ErrorCode,
    Message, MessageError, MessageId, Permission, RoomId, Thread, ThreadId, Title, UserId,
};
use cubby_ports::{
    AnnouncementQuery, ChildQuery, ChildSet, Clock, IdGenerator, MAX_LIMIT, MessageRepository,
    Page, PageRequest, RepoError, RoomRepository, SortDirection, TenantScope, ThreadQuery,
};

use crate::AppError;
use crate::children::{Access, Children};
use crate::error::require;

/// An announcement to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAnnouncement {
    /// Who it is for.
    pub audience: Audience,
    /// Its title.
    pub title: Title,
    /// Its text.
    pub body: Body,
}

/// A thread to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewThread {
    /// The child it is about.
    pub child: ChildId,
    /// The contacts it is with, when staff start it (a contact's user starting one is in it
    /// alone, with the staff).
    pub contacts: Vec<ContactId>,
    /// Its subject.
    pub title: Title,
    /// The first message.
    pub body: Body,
}

/// The message use cases.
pub struct Messages {
    pub(crate) children: Arc<Children>,
    pub(crate) repo: Arc<dyn MessageRepository>,
    pub(crate) rooms: Arc<dyn RoomRepository>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messages").finish_non_exhaustive()
    }
}

fn page_of_all() -> Result<PageRequest, AppError> {
    PageRequest::new(MAX_LIMIT, 0).map_err(|e| AppError::Internal(e.into()))
}

fn invalid(field: &'static str, error: &MessageError) -> AppError {
    AppError::Invalid {
        field,
        code: error.code(),
        message: error.to_string(),
    }
}

/// Who takes part in a new thread about `seen.child`: for staff, the users of the contacts
/// named (each able to message, at least one and at most
/// [`cubby_domain::message::MAX_PARTICIPANTS`]); for a contact's user, themself, if their entry
/// allows messaging.
fn participants(
    scope: &TenantScope,
    seen: &crate::children::Seen,
    contacts: &[ContactId],
) -> Result<Vec<UserId>, AppError> {
    match seen.access {
        Access::Staff => {
            let mut users = Vec::new();
            for id in contacts {
                let user = seen
                    .child
                    .contact(*id)
                    .filter(|c| c.capabilities.has(Capability::Messaging))
                    .and_then(|c| c.user_id)
                    .ok_or_else(|| invalid("contact_ids", &MessageError::InvalidParticipants))?;
                if !users.contains(&user) {
                    users.push(user);
                }
            }
            if users.is_empty() || users.len() > cubby_domain::message::MAX_PARTICIPANTS {
                return Err(invalid("contact_ids", &MessageError::InvalidParticipants));
            }
            Ok(users)
        }
        Access::Guardian(view) => {
            if !view.may_message() {
                return Err(AppError::Denied {
                    code: ErrorCode::ThreadNotAllowed,
                    message: "your contact entry for this child does not include messaging"
                        .to_owned(),
                });
            }
            Ok(scope.user_id().into_iter().collect())
        }
    }
}

impl Messages {
    fn sees_everything(scope: &TenantScope) -> bool {
        scope.has(Permission::CentreAllRooms) || scope.user_id().is_none()
    }

    /// The rooms whose announcements the caller sees (`None`: every room).
    async fn announcement_rooms(
        &self,
        scope: &TenantScope,
    ) -> Result<Option<Vec<RoomId>>, AppError> {
        if Self::sees_everything(scope) {
            return Ok(None);
        }
        let mut rooms = self.children.staff_rooms(scope).await?;
        for child in self.linked_children(scope).await? {
            if let Some(room) = child.room_id()
                && !rooms.contains(&room)
            {
                rooms.push(room);
            }
        }
        Ok(Some(rooms))
    }

    /// The children the caller's user is linked to and not blocked from, today.
    async fn linked_children(&self, scope: &TenantScope) -> Result<Vec<Child>, AppError> {
        let Some(user) = scope.user_id() else {
            return Ok(Vec::new());
        };
        let day = self.children.today(scope).await?;
        let query = ChildQuery {
            linked_user: Some(user),
            page: page_of_all()?,
            ..ChildQuery::default()
        };
        Ok(self
            .children
            .children
            .list(scope, &query)
            .await?
            .items
            .into_iter()
            .filter(|child| child.guardian_view(user, day).is_some())
            .collect())
    }

    /// Sends an announcement.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `announcements:send`; [`AppError::Invalid`]
    /// (`announcement.unknown_room`).
    pub async fn announce(
        &self,
        scope: &TenantScope,
        new: NewAnnouncement,
    ) -> Result<Announcement, AppError> {
        require(scope, Permission::AnnouncementsSend)?;
        if let Audience::Room(room) = new.audience {
            match self.rooms.get(scope, room).await {
                Ok(found) if !found.is_archived() => {}
                Ok(_) | Err(RepoError::NotFound) => {
                    return Err(AppError::Invalid {
                        field: "room_id",
                        code: ErrorCode::AnnouncementUnknownRoom,
                        message: "the centre has no active room with this id".to_owned(),
                    });
                }
                Err(other) => return Err(other.into()),
            }
        }
        let announcement = Announcement {
            id: AnnouncementId::from_uuid(self.ids.uuid()),
            audience: new.audience,
            title: new.title,
            body: new.body,
            author: scope.actor().clone(),
            sent_at: self.clock.now(),
            receipts: Vec::new(),
        };
        self.repo.insert_announcement(scope, &announcement).await?;
        Ok(announcement)
    }

    /// A page of the announcements the caller sees, by sending time in `direction`.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `messages:read`.
    pub async fn announcements(
        &self,
        scope: &TenantScope,
        direction: SortDirection,
        page: PageRequest,
    ) -> Result<Page<Announcement>, AppError> {
        require(scope, Permission::MessagesRead)?;
        let rooms = self.announcement_rooms(scope).await?;
        Ok(self
            .repo
            .announcements(
                scope,
                &AnnouncementQuery {
                    rooms,
                    direction,
                    page,
                },
            )
            .await?)
    }

    /// One announcement the caller sees.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `messages:read`; [`AppError::NotFound`].
    pub async fn announcement(
        &self,
        scope: &TenantScope,
        id: AnnouncementId,
    ) -> Result<Announcement, AppError> {
        require(scope, Permission::MessagesRead)?;
        let found = self.repo.get_announcement(scope, id).await?;
        if let (Audience::Room(room), Some(rooms)) =
            (found.audience, self.announcement_rooms(scope).await?)
            && !rooms.contains(&room)
        {
            return Err(AppError::NotFound);
        }
        Ok(found)
    }

    /// Records that the caller read an announcement (the first read stands).
    ///
    /// # Errors
    ///
    /// As [`Messages::announcement`].
    pub async fn read_announcement(
        &self,
        scope: &TenantScope,
        id: AnnouncementId,
    ) -> Result<Announcement, AppError> {
        self.announcement(scope, id).await?;
        if let Some(user) = scope.user_id() {
            self.repo
                .mark_announcement_read(scope, id, user, self.clock.now())
                .await?;
        }
        Ok(self.repo.get_announcement(scope, id).await?)
    }

    /// Starts a thread about a child. Staff name the child's contacts it is with (each with
    /// `messaging` and a user account); a contact's user with `messaging` starts one with the
    /// staff, alone.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `messages:send`; [`AppError::NotFound`] for a child
    /// the caller does not reach; [`AppError::Denied`] (`thread.not_allowed`) for a contact
    /// without `messaging`; [`AppError::Invalid`] (`thread.invalid_participants`).
    pub async fn start_thread(
        &self,
        scope: &TenantScope,
        new: NewThread,
    ) -> Result<(Thread, Message), AppError> {
        require(scope, Permission::MessagesSend)?;
        let day = self.children.today(scope).await?;
        let child = self.children.children.get(scope, new.child).await?;
        let access = self.children.reach(scope, &child, day).await?;
        let seen = crate::children::Seen { child, access };
        let participants = participants(scope, &seen, &new.contacts)?;
        let now = self.clock.now();
        let thread = Thread {
            id: ThreadId::from_uuid(self.ids.uuid()),
            child_id: seen.child.id(),
            title: new.title,
            participants,
            started_by: scope.actor().clone(),
            started_at: now,
            last_message_at: now,
            messages: 1,
            receipts: scope
                .user_id()
                .map(|user| cubby_domain::Receipt { user, at: now })
                .into_iter()
                .collect(),
        };
        let first = Message {
            id: MessageId::from_uuid(self.ids.uuid()),
            thread_id: thread.id,
            author: scope.actor().clone(),
            body: new.body,
            sent_at: now,
        };
        self.repo.insert_thread(scope, &thread, &first).await?;
        Ok((thread, first))
    }

    /// A page of the threads the caller sees, by latest message time in `direction`; `child`
    /// narrows to one child.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `messages:read`.
    pub async fn threads(
        &self,
        scope: &TenantScope,
        child: Option<ChildId>,
        direction: SortDirection,
        page: PageRequest,
    ) -> Result<Page<Thread>, AppError> {
        require(scope, Permission::MessagesRead)?;
        let only = |ids: Vec<ChildId>| match child {
            Some(child) => ids.into_iter().filter(|id| *id == child).collect(),
            None => ids,
        };
        if Self::sees_everything(scope) {
            let query = ThreadQuery {
                children: child.map(|c| vec![c]),
                participant: None,
                direction,
                page,
            };
            return Ok(self.repo.threads(scope, &query).await?);
        }
        let rooms = self.children.staff_rooms(scope).await?;
        let query = if rooms.is_empty() {
            // A contact's user: their threads about children they may still message about.
            let (user, allowed) = self.messageable_children(scope).await?;
            ThreadQuery {
                children: Some(only(allowed)),
                participant: Some(user),
                direction,
                page,
            }
        } else {
            let ids = self.children_in_rooms(scope, &rooms).await?;
            ThreadQuery {
                children: Some(only(ids)),
                participant: None,
                direction,
                page,
            }
        };
        Ok(self.repo.threads(scope, &query).await?)
    }

    /// The caller (a contact's user) and the children they may message about today.
    async fn messageable_children(
        &self,
        scope: &TenantScope,
    ) -> Result<(UserId, Vec<ChildId>), AppError> {
        let day = self.children.today(scope).await?;
        let user = scope.user_id().ok_or(AppError::NotFound)?;
        let allowed: Vec<ChildId> = self
            .linked_children(scope)
            .await?
            .into_iter()
            .filter(|c| c.guardian_view(user, day).is_some_and(|v| v.may_message()))
            .map(|c| c.id())
            .collect();
        Ok((user, allowed))
    }

    /// Every child of `rooms`, archived ones included.
    async fn children_in_rooms(
        &self,
        scope: &TenantScope,
        rooms: &[RoomId],
    ) -> Result<Vec<ChildId>, AppError> {
        let mut ids = Vec::new();
        let mut offset = 0;
        loop {
            let query = ChildQuery {
                within: Some(ChildSet {
                    rooms: rooms.to_vec(),
                    children: Vec::new(),
                }),
                include_archived: true,
                page: PageRequest::new(MAX_LIMIT, offset)
                    .map_err(|e| AppError::Internal(e.into()))?,
                ..ChildQuery::default()
            };
            let found = self.children.children.list(scope, &query).await?;
            let count = found.items.len() as u64;
            ids.extend(found.items.into_iter().map(|c| c.id()));
            offset += count;
            if count < u64::from(MAX_LIMIT) || offset >= found.total {
                return Ok(ids);
            }
        }
    }

    /// One thread the caller sees and a page of its messages by sending time in `direction`.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `messages:read`; [`AppError::NotFound`].
    pub async fn thread(
        &self,
        scope: &TenantScope,
        id: ThreadId,
        direction: SortDirection,
        page: PageRequest,
    ) -> Result<(Thread, Page<Message>), AppError> {
        require(scope, Permission::MessagesRead)?;
        let thread = self.visible_thread(scope, id).await?;
        let messages = self.repo.messages(scope, id, direction, page).await?;
        Ok((thread, messages))
    }

    /// Adds a message to a thread the caller sees; it counts as read by its author.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `messages:send`; [`AppError::NotFound`].
    pub async fn post(
        &self,
        scope: &TenantScope,
        id: ThreadId,
        body: Body,
    ) -> Result<Message, AppError> {
        require(scope, Permission::MessagesSend)?;
        self.visible_thread(scope, id).await?;
        let message = Message {
            id: MessageId::from_uuid(self.ids.uuid()),
            thread_id: id,
            author: scope.actor().clone(),
            body,
            sent_at: self.clock.now(),
        };
        self.repo.add_message(scope, &message).await?;
        if let Some(user) = scope.user_id() {
            self.repo
                .mark_thread_read(scope, id, user, message.sent_at)
                .await?;
        }
        Ok(message)
    }

    /// Records that the caller read a thread up to now.
    ///
    /// # Errors
    ///
    /// [`AppError::Forbidden`] without `messages:read`; [`AppError::NotFound`].
    pub async fn read_thread(&self, scope: &TenantScope, id: ThreadId) -> Result<Thread, AppError> {
        require(scope, Permission::MessagesRead)?;
        self.visible_thread(scope, id).await?;
        if let Some(user) = scope.user_id() {
            self.repo
                .mark_thread_read(scope, id, user, self.clock.now())
                .await?;
        }
        Ok(self.repo.get_thread(scope, id).await?)
    }

    async fn visible_thread(&self, scope: &TenantScope, id: ThreadId) -> Result<Thread, AppError> {
        let thread = self.repo.get_thread(scope, id).await?;
        if Self::sees_everything(scope) {
            return Ok(thread);
        }
        let day = self.children.today(scope).await?;
        let child = self.children.children.get(scope, thread.child_id).await?;
        let allowed = match self.children.reach(scope, &child, day).await? {
            Access::Staff => true,
            Access::Guardian(view) => {
                view.may_message()
                    && scope
                        .user_id()
                        .is_some_and(|user| thread.participants.contains(&user))
            }
        };
        if allowed {
            Ok(thread)
        } else {
            Err(AppError::NotFound)
        }
    }
}

#[cfg(test)]
mod tests;
