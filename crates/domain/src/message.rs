//! Messages: announcements to the whole centre or to a room, and threads about a child between
//! the centre's staff and the child's contacts who may message, with read receipts.

use std::fmt;

use time::OffsetDateTime;

use crate::audit::Actor;
use crate::error_code::ErrorCode;
use crate::id::{AnnouncementId, ChildId, MessageId, RoomId, ThreadId, UserId};
use crate::text::{TextError, single_line};

/// The longest message body, in characters.
pub const MAX_BODY: usize = 5000;
/// The most contacts a thread is with.
pub const MAX_PARTICIPANTS: usize = 20;

/// Why a message value was refused. Each variant has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// A title is not acceptable text.
    #[error("title {0}")]
    InvalidTitle(TextError),
    /// A body is empty or longer than [`MAX_BODY`] characters.
    #[error("a message is 1 to 5000 characters")]
    InvalidBody,
    /// A thread with no contact, or with more than [`MAX_PARTICIPANTS`].
    #[error("a thread is with 1 to 20 of the child's contacts who may message")]
    InvalidParticipants,
}

impl MessageError {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            MessageError::InvalidTitle(_) => ErrorCode::MessageInvalidTitle,
            MessageError::InvalidBody => ErrorCode::MessageInvalidBody,
            MessageError::InvalidParticipants => ErrorCode::ThreadInvalidParticipants,
        }
    }
}

/// A title: one line of 1 to 120 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    /// Parses a title.
    ///
    /// # Errors
    ///
    /// [`MessageError::InvalidTitle`].
    pub fn parse(input: &str) -> Result<Self, MessageError> {
        single_line(input, 120)
            .map(Self)
            .map_err(MessageError::InvalidTitle)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Title {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Title(***)")
    }
}

/// A message body: 1 to [`MAX_BODY`] characters, trimmed; line breaks allowed.
#[derive(Clone, PartialEq, Eq)]
pub struct Body(String);

impl Body {
    /// Parses a body.
    ///
    /// # Errors
    ///
    /// [`MessageError::InvalidBody`].
    pub fn parse(input: &str) -> Result<Self, MessageError> {
        let body = input.trim();
        if body.is_empty() || body.chars().count() > MAX_BODY {
            return Err(MessageError::InvalidBody);
        }
        Ok(Self(body.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Body {
    /// Messages are personal: `Debug` never prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Body(***)")
    }
}

/// Who an announcement is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Everyone at the centre.
    Centre,
    /// The families and staff of one room.
    Room(RoomId),
}

/// When a user read something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// Who.
    pub user: UserId,
    /// When they first read it (for a thread: when they last read it).
    pub at: OffsetDateTime,
}

/// An announcement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    /// The id.
    pub id: AnnouncementId,
    /// Who it is for.
    pub audience: Audience,
    /// Its title.
    pub title: Title,
    /// Its text.
    pub body: Body,
    /// Who sent it.
    pub author: Actor,
    /// When.
    pub sent_at: OffsetDateTime,
    /// Who read it, when first.
    pub receipts: Vec<Receipt>,
}

/// A thread about a child between staff and some of the child's contacts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thread {
    /// The id.
    pub id: ThreadId,
    /// The child it is about.
    pub child_id: ChildId,
    /// Its subject.
    pub title: Title,
    /// The contacts' users in it (the staff side is whoever reaches the child as staff).
    pub participants: Vec<UserId>,
    /// Who started it.
    pub started_by: Actor,
    /// When.
    pub started_at: OffsetDateTime,
    /// When its latest message was sent.
    pub last_message_at: OffsetDateTime,
    /// How many messages it has.
    pub messages: u32,
    /// Each reader's latest read.
    pub receipts: Vec<Receipt>,
}

impl Thread {
    /// Whether `user` has read up to `at`.
    pub fn read_by(&self, user: UserId, at: OffsetDateTime) -> bool {
        self.receipts.iter().any(|r| r.user == user && r.at >= at)
    }
}

/// A message of a thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The id.
    pub id: MessageId,
    /// The thread.
    pub thread_id: ThreadId,
    /// Who wrote it.
    pub author: Actor,
    /// Its text.
    pub body: Body,
    /// When.
    pub sent_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use uuid::Uuid;

    #[test]
    fn bodies_keep_line_breaks_and_refuse_blank_or_huge_text() {
        assert_eq!(
            Body::parse(" Hello\nSee you ").unwrap().as_str(),
            "Hello\nSee you"
        );
        assert_eq!(Body::parse("  "), Err(MessageError::InvalidBody));
        assert_eq!(
            Body::parse(&"x".repeat(MAX_BODY + 1)),
            Err(MessageError::InvalidBody)
        );
        assert_eq!(format!("{:?}", Body::parse("secret").unwrap()), "Body(***)");
    }

    #[test]
    fn a_receipt_covers_messages_up_to_its_time() {
        let user = UserId::from_uuid(Uuid::now_v7());
        let at = datetime!(2026-09-01 10:00 UTC);
        let thread = Thread {
            id: ThreadId::from_uuid(Uuid::now_v7()),
            child_id: ChildId::from_uuid(Uuid::now_v7()),
            title: Title::parse("Nap times").unwrap(),
            participants: vec![user],
            started_by: Actor::User(user),
            started_at: at,
            last_message_at: at,
            messages: 1,
            receipts: vec![Receipt { user, at }],
        };
        assert!(thread.read_by(user, at));
        assert!(!thread.read_by(user, at + time::Duration::seconds(1)));
        assert!(!thread.read_by(UserId::from_uuid(Uuid::now_v7()), at));
    }
}
