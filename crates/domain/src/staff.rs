//! Staff: the people who work in a centre's rooms, each linked to a user account, with their
//! qualifications and the rooms they are assigned to.

use time::OffsetDateTime;

use crate::audit::{Actor, Audit};
use crate::child::PersonName;
use crate::error_code::ErrorCode;
use crate::id::{RoomId, StaffId, UserId};
use crate::text::{TextError, single_line};
use crate::version::Version;

/// The most qualifications a staff member lists.
pub const MAX_QUALIFICATIONS: usize = 20;
/// The most rooms a staff member is assigned to.
pub const MAX_ROOMS: usize = 50;

/// Why a staff value or change was refused. Each variant has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaffError {
    /// A qualification is not acceptable text.
    #[error("qualification {0}")]
    InvalidQualification(TextError),
    /// More than [`MAX_QUALIFICATIONS`] qualifications.
    #[error("at most {MAX_QUALIFICATIONS} qualifications")]
    TooManyQualifications,
    /// More than [`MAX_ROOMS`] rooms.
    #[error("at most {MAX_ROOMS} rooms")]
    TooManyRooms,
    /// The staff member is archived and can no longer be changed.
    #[error("the staff member is archived")]
    Archived,
}

impl StaffError {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            StaffError::InvalidQualification(_) => ErrorCode::StaffInvalidQualification,
            StaffError::TooManyQualifications => ErrorCode::StaffTooManyQualifications,
            StaffError::TooManyRooms => ErrorCode::StaffTooManyRooms,
            StaffError::Archived => ErrorCode::StaffArchived,
        }
    }
}

/// A qualification such as "Early Childhood Education diploma" or "First aid": one line of 1
/// to 80 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qualification(String);

impl Qualification {
    /// Parses a qualification.
    ///
    /// # Errors
    ///
    /// [`StaffError::InvalidQualification`].
    pub fn parse(input: &str) -> Result<Self, StaffError> {
        single_line(input, 80)
            .map(Self)
            .map_err(StaffError::InvalidQualification)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks the size of a qualification list.
///
/// # Errors
///
/// [`StaffError::TooManyQualifications`].
pub fn check_qualifications(list: &[Qualification]) -> Result<(), StaffError> {
    if list.len() > MAX_QUALIFICATIONS {
        Err(StaffError::TooManyQualifications)
    } else {
        Ok(())
    }
}

/// Room assignments without repeats, in the order given.
///
/// # Errors
///
/// [`StaffError::TooManyRooms`].
pub fn room_assignments(rooms: Vec<RoomId>) -> Result<Vec<RoomId>, StaffError> {
    let mut unique: Vec<RoomId> = Vec::with_capacity(rooms.len());
    for room in rooms {
        if !unique.contains(&room) {
            unique.push(room);
        }
    }
    if unique.len() > MAX_ROOMS {
        Err(StaffError::TooManyRooms)
    } else {
        Ok(unique)
    }
}

/// A member of a centre's staff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffMember {
    /// The id.
    pub id: StaffId,
    /// The user account they sign in with (one staff record per user and centre).
    pub user_id: UserId,
    /// Their name.
    pub name: PersonName,
    /// Their qualifications.
    pub qualifications: Vec<Qualification>,
    /// The rooms they work in.
    pub room_ids: Vec<RoomId>,
    /// When archived (left the centre), if archived.
    pub archived_at: Option<OffsetDateTime>,
    /// Stamps.
    pub audit: Audit,
    /// Version.
    pub version: Version,
}

impl StaffMember {
    /// Whether they are archived.
    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }

    /// Whether they are assigned to `room`.
    pub fn works_in(&self, room: RoomId) -> bool {
        self.room_ids.contains(&room)
    }

    /// This staff member after a change by `by` at `at`, one version on.
    ///
    /// # Errors
    ///
    /// [`StaffError::Archived`].
    pub fn changed(
        &self,
        change: impl FnOnce(&mut StaffMember),
        by: Actor,
        at: OffsetDateTime,
    ) -> Result<Self, StaffError> {
        if self.is_archived() {
            return Err(StaffError::Archived);
        }
        let mut next = self.clone();
        change(&mut next);
        next.audit = self.audit.touched(by, at);
        next.version = self.version.next();
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn room() -> RoomId {
        RoomId::from_uuid(Uuid::now_v7())
    }

    #[test]
    fn assignments_drop_repeats_and_have_a_ceiling() {
        let (a, b) = (room(), room());
        assert_eq!(room_assignments(vec![a, b, a]).unwrap(), vec![a, b]);
        let many: Vec<RoomId> = (0..=MAX_ROOMS).map(|_| room()).collect();
        assert_eq!(room_assignments(many), Err(StaffError::TooManyRooms));
    }

    #[test]
    fn qualifications_are_single_lines() {
        assert!(Qualification::parse("First aid").is_ok());
        assert!(Qualification::parse("a\nb").is_err());
        assert!(Qualification::parse(" ").is_err());
        let many: Vec<Qualification> = (0..=MAX_QUALIFICATIONS)
            .map(|i| Qualification::parse(&format!("q{i}")).unwrap())
            .collect();
        assert_eq!(
            check_qualifications(&many),
            Err(StaffError::TooManyQualifications)
        );
    }
}
