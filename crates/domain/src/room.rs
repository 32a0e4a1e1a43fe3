//! Rooms: where children spend the day, each with an age range, a capacity and a staff:child
//! ratio.

use std::fmt;

use time::{Date, OffsetDateTime};

use crate::audit::{Actor, Audit};
use crate::error_code::ErrorCode;
use crate::id::RoomId;
use crate::ratio::{RatioError, RatioRule, add_rule, rule_in_force};
use crate::text::{TextError, single_line};
use crate::version::Version;

/// The oldest age a room can be for, in months (school-age care ends at 18).
pub const MAX_AGE_MONTHS: u16 = 216;
/// The largest capacity a room can have.
pub const MAX_CAPACITY: u16 = 500;

/// Why a room value or change was refused. Each variant has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoomError {
    /// The name is not acceptable text.
    #[error("room name {0}")]
    InvalidName(TextError),
    /// The age range is reversed or beyond 216 months.
    #[error("an age range is from 0 to 216 months, and its minimum is not above its maximum")]
    InvalidAgeRange,
    /// The capacity is zero or above 500.
    #[error("a capacity is from 1 to 500 children")]
    InvalidCapacity,
    /// The ratio is not `staff:children` with 1 to 10 staff and 1 to 40 children.
    #[error("a ratio is written staff:children, with 1 to 10 staff and 1 to 40 children")]
    InvalidRatio,
    /// The room is archived and can no longer be changed.
    #[error("the room is archived")]
    Archived,
}

impl RoomError {
    /// The stable machine-readable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            RoomError::InvalidName(_) => ErrorCode::RoomInvalidName,
            RoomError::InvalidAgeRange => ErrorCode::RoomInvalidAgeRange,
            RoomError::InvalidCapacity => ErrorCode::RoomInvalidCapacity,
            RoomError::InvalidRatio => ErrorCode::RoomInvalidRatio,
            RoomError::Archived => ErrorCode::RoomArchived,
        }
    }
}

/// A room's display name, unique among a centre's active rooms regardless of case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomName(String);

impl RoomName {
    /// Parses a name: one line of 1 to 80 characters, trimmed.
    ///
    /// # Errors
    ///
    /// [`RoomError::InvalidName`] otherwise.
    pub fn parse(input: &str) -> Result<Self, RoomError> {
        single_line(input, 80)
            .map(Self)
            .map_err(RoomError::InvalidName)
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is checked on: lowercase, so `Koalas` and `koalas` collide.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// The ages a room is for, in whole months, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgeRange {
    min_months: u16,
    max_months: u16,
}

impl AgeRange {
    /// Builds a range of `min_months..=max_months`.
    ///
    /// # Errors
    ///
    /// [`RoomError::InvalidAgeRange`] when reversed or above [`MAX_AGE_MONTHS`].
    pub fn new(min_months: u16, max_months: u16) -> Result<Self, RoomError> {
        if min_months <= max_months && max_months <= MAX_AGE_MONTHS {
            Ok(Self {
                min_months,
                max_months,
            })
        } else {
            Err(RoomError::InvalidAgeRange)
        }
    }

    /// The youngest age, in months.
    pub fn min_months(self) -> u16 {
        self.min_months
    }

    /// The oldest age, in months.
    pub fn max_months(self) -> u16 {
        self.max_months
    }

    /// Whether a child of `months` is within the range.
    pub fn contains(self, months: u16) -> bool {
        (self.min_months..=self.max_months).contains(&months)
    }
}

/// How many children a room may hold at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Capacity(u16);

impl Capacity {
    /// Builds a capacity of 1 to [`MAX_CAPACITY`] children.
    ///
    /// # Errors
    ///
    /// [`RoomError::InvalidCapacity`] otherwise.
    pub fn new(children: u16) -> Result<Self, RoomError> {
        if (1..=MAX_CAPACITY).contains(&children) {
            Ok(Self(children))
        } else {
            Err(RoomError::InvalidCapacity)
        }
    }

    /// The number of children.
    pub fn get(self) -> u16 {
        self.0
    }
}

/// A staff:child ratio such as `1:4`: at least `staff` adults for every `children` children.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaffChildRatio {
    staff: u8,
    children: u8,
}

impl StaffChildRatio {
    /// Builds a ratio of 1 to 10 staff for 1 to 40 children.
    ///
    /// # Errors
    ///
    /// [`RoomError::InvalidRatio`] otherwise.
    pub fn new(staff: u8, children: u8) -> Result<Self, RoomError> {
        if (1..=10).contains(&staff) && (1..=40).contains(&children) {
            Ok(Self { staff, children })
        } else {
            Err(RoomError::InvalidRatio)
        }
    }

    /// Parses the written form `staff:children`, such as `1:4`.
    ///
    /// # Errors
    ///
    /// [`RoomError::InvalidRatio`] when the text is not two small numbers around a colon.
    pub fn parse(input: &str) -> Result<Self, RoomError> {
        let (staff, children) = input.split_once(':').ok_or(RoomError::InvalidRatio)?;
        let number = |part: &str| {
            if part.is_empty() || part.len() > 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(RoomError::InvalidRatio);
            }
            part.parse::<u8>().map_err(|_| RoomError::InvalidRatio)
        };
        Self::new(number(staff)?, number(children)?)
    }

    /// The staff side.
    pub fn staff(self) -> u8 {
        self.staff
    }

    /// The children side.
    pub fn children(self) -> u8 {
        self.children
    }

    /// The fewest staff needed for `present` children (rounding up).
    pub fn staff_needed(self, present: u32) -> u32 {
        present
            .div_ceil(u32::from(self.children))
            .saturating_mul(u32::from(self.staff))
    }
}

impl fmt::Display for StaffChildRatio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.staff, self.children)
    }
}

/// What a director gives to create a room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRoom {
    /// The name.
    pub name: RoomName,
    /// The ages it is for.
    pub age_range: AgeRange,
    /// How many children it may hold.
    pub capacity: Capacity,
    /// The staff:child ratio it must keep.
    pub ratio: StaffChildRatio,
}

/// A change to a room: each field that is `Some` replaces the current value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomChanges {
    /// A new name.
    pub name: Option<RoomName>,
    /// A new age range.
    pub age_range: Option<AgeRange>,
    /// A new capacity.
    pub capacity: Option<Capacity>,
    /// A new ratio.
    pub ratio: Option<StaffChildRatio>,
}

/// Every part of a stored room, already parsed; used to rebuild a [`Room`] read from storage.
#[derive(Clone, Debug)]
pub struct RoomParts {
    /// Its id.
    pub id: RoomId,
    /// Its name.
    pub name: RoomName,
    /// The ages it is for.
    pub age_range: AgeRange,
    /// Its capacity.
    pub capacity: Capacity,
    /// Its ratio.
    pub ratio: StaffChildRatio,
    /// Its ratio rule history.
    pub ratio_rules: Vec<RatioRule>,
    /// When it was archived, if it was.
    pub archived_at: Option<OffsetDateTime>,
    /// Its stamps.
    pub audit: Audit,
    /// Its version.
    pub version: Version,
}

/// A room of a centre.
///
/// Rooms are never deleted: archiving keeps the room readable (history refers to it) but takes
/// it out of default lists and refuses further changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Room {
    id: RoomId,
    name: RoomName,
    age_range: AgeRange,
    capacity: Capacity,
    ratio: StaffChildRatio,
    ratio_rules: Vec<RatioRule>,
    archived_at: Option<OffsetDateTime>,
    audit: Audit,
    version: Version,
}

impl Room {
    /// A room created now by `by`.
    pub fn create(id: RoomId, new: NewRoom, by: Actor, at: OffsetDateTime) -> Self {
        Self {
            id,
            name: new.name,
            age_range: new.age_range,
            capacity: new.capacity,
            ratio: new.ratio,
            ratio_rules: Vec::new(),
            archived_at: None,
            audit: Audit::created(by, at),
            version: Version::FIRST,
        }
    }

    /// A room read back from storage.
    pub fn restore(parts: RoomParts) -> Self {
        Self {
            id: parts.id,
            name: parts.name,
            age_range: parts.age_range,
            capacity: parts.capacity,
            ratio: parts.ratio,
            ratio_rules: parts.ratio_rules,
            archived_at: parts.archived_at,
            audit: parts.audit,
            version: parts.version,
        }
    }

    /// Every part of a room, for storage adapters writing it and fixtures rebuilding it with
    /// [`Room::restore`].
    pub fn into_parts(self) -> RoomParts {
        RoomParts {
            id: self.id,
            name: self.name,
            age_range: self.age_range,
            capacity: self.capacity,
            ratio: self.ratio,
            ratio_rules: self.ratio_rules,
            archived_at: self.archived_at,
            audit: self.audit,
            version: self.version,
        }
    }

    /// This room with `changes` applied by `by` at `at`, one version on.
    ///
    /// # Errors
    ///
    /// [`RoomError::Archived`] when the room is archived.
    pub fn change(
        &self,
        changes: RoomChanges,
        by: Actor,
        at: OffsetDateTime,
    ) -> Result<Self, RoomError> {
        if self.is_archived() {
            return Err(RoomError::Archived);
        }
        Ok(Self {
            id: self.id,
            name: changes.name.unwrap_or_else(|| self.name.clone()),
            age_range: changes.age_range.unwrap_or(self.age_range),
            capacity: changes.capacity.unwrap_or(self.capacity),
            ratio: changes.ratio.unwrap_or(self.ratio),
            ratio_rules: self.ratio_rules.clone(),
            archived_at: None,
            audit: self.audit.touched(by, at),
            version: self.version.next(),
        })
    }

    /// This room archived by `by` at `at`, one version on; `None` if it already is archived
    /// (archiving is idempotent, and the stored room stays as it is).
    pub fn archive(&self, by: Actor, at: OffsetDateTime) -> Option<Self> {
        if self.is_archived() {
            return None;
        }
        Some(Self {
            archived_at: Some(at),
            audit: self.audit.touched(by, at),
            version: self.version.next(),
            ..self.clone()
        })
    }

    /// Its id.
    pub fn id(&self) -> RoomId {
        self.id
    }

    /// Its name.
    pub fn name(&self) -> &RoomName {
        &self.name
    }

    /// The ages it is for.
    pub fn age_range(&self) -> AgeRange {
        self.age_range
    }

    /// How many children it may hold.
    pub fn capacity(&self) -> Capacity {
        self.capacity
    }

    /// The staff:child ratio it must keep.
    pub fn ratio(&self) -> StaffChildRatio {
        self.ratio
    }

    /// Its ratio rule history, oldest first.
    pub fn ratio_rules(&self) -> &[RatioRule] {
        &self.ratio_rules
    }

    /// The rule in force on `day`: the latest rule set that has taken effect, else one band for
    /// every age on the room's own ratio and its capacity as the group size.
    pub fn rule_on(&self, day: Date) -> RatioRule {
        rule_in_force(&self.ratio_rules, day)
            .cloned()
            .unwrap_or_else(|| self.default_rule(day))
    }

    fn default_rule(&self, day: Date) -> RatioRule {
        RatioRule::single(day, self.ratio, self.capacity.get())
    }

    /// This room with `rule` added to its history, as decided on `today` by `by` at `at`.
    ///
    /// # Errors
    ///
    /// [`RatioError::EffectiveInThePast`], [`RatioError::SameDay`]; an archived room refuses
    /// with [`RoomError::Archived`] (as `Err(None)`).
    pub fn with_ratio_rule(
        &self,
        rule: RatioRule,
        today: Date,
        by: Actor,
        at: OffsetDateTime,
    ) -> Result<Self, Option<RatioError>> {
        if self.is_archived() {
            return Err(None);
        }
        let rules = add_rule(&self.ratio_rules, rule, today).map_err(Some)?;
        Ok(Self {
            ratio_rules: rules,
            audit: self.audit.touched(by, at),
            version: self.version.next(),
            ..self.clone()
        })
    }

    /// When it was archived, if it was.
    pub fn archived_at(&self) -> Option<OffsetDateTime> {
        self.archived_at
    }

    /// Whether it is archived.
    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }

    /// Its stamps.
    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    /// Its version.
    pub fn version(&self) -> Version {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::UserId;
    use proptest::prelude::*;
    use time::macros::datetime;
    use uuid::Uuid;

    fn actor() -> Actor {
        Actor::User(UserId::from_uuid(Uuid::now_v7()))
    }

    fn koalas() -> Room {
        Room::create(
            RoomId::from_uuid(Uuid::now_v7()),
            NewRoom {
                name: RoomName::parse("Koalas").unwrap(),
                age_range: AgeRange::new(12, 24).unwrap(),
                capacity: Capacity::new(12).unwrap(),
                ratio: StaffChildRatio::parse("1:4").unwrap(),
            },
            actor(),
            datetime!(2026-09-01 7:00 UTC),
        )
    }

    #[test]
    fn a_new_room_is_active_at_the_first_version() {
        let room = koalas();
        assert!(!room.is_archived());
        assert_eq!(room.version(), Version::FIRST);
    }

    #[test]
    fn names_differing_only_in_case_share_a_key() {
        let a = RoomName::parse("Koalas").unwrap();
        let b = RoomName::parse(" koalas ").unwrap();
        assert_eq!(a.key(), b.key());
    }

    #[test]
    fn a_reversed_age_range_is_refused() {
        assert_eq!(AgeRange::new(24, 12), Err(RoomError::InvalidAgeRange));
        assert_eq!(
            AgeRange::new(0, MAX_AGE_MONTHS + 1),
            Err(RoomError::InvalidAgeRange)
        );
    }

    #[test]
    fn capacity_is_bounded() {
        assert_eq!(Capacity::new(0), Err(RoomError::InvalidCapacity));
        assert_eq!(
            Capacity::new(MAX_CAPACITY + 1),
            Err(RoomError::InvalidCapacity)
        );
    }

    #[test]
    fn ratios_are_written_staff_colon_children() {
        let ratio = StaffChildRatio::parse("1:4").unwrap();
        assert_eq!((ratio.staff(), ratio.children()), (1, 4));
        assert_eq!(ratio.to_string(), "1:4");
        for bad in [
            "", "1", "1:", ":4", "0:4", "1:0", "1:41", "11:4", "+1:4", "1:4:5", " 1:4", "1:004",
        ] {
            assert_eq!(
                StaffChildRatio::parse(bad),
                Err(RoomError::InvalidRatio),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_change_bumps_the_version_and_stamps_the_editor() {
        let room = koalas();
        let editor = actor();
        let changed = room
            .change(
                RoomChanges {
                    capacity: Some(Capacity::new(14).unwrap()),
                    ..RoomChanges::default()
                },
                editor.clone(),
                datetime!(2026-09-02 7:00 UTC),
            )
            .unwrap();
        assert_eq!(changed.capacity().get(), 14);
        assert_eq!(changed.name(), room.name());
        assert_eq!(changed.version(), room.version().next());
        assert_eq!(changed.audit().updated_by(), &editor);
        assert_eq!(changed.audit().created_at(), room.audit().created_at());
    }

    #[test]
    fn an_archived_room_refuses_changes_and_archiving_again_changes_nothing() {
        let archived = koalas()
            .archive(actor(), datetime!(2026-09-03 7:00 UTC))
            .unwrap();
        assert!(archived.is_archived());
        assert_eq!(
            archived.change(
                RoomChanges::default(),
                actor(),
                datetime!(2026-09-04 7:00 UTC)
            ),
            Err(RoomError::Archived)
        );
        assert_eq!(
            archived.archive(actor(), datetime!(2026-09-04 7:00 UTC)),
            None
        );
    }

    proptest! {
        #[test]
        fn staff_needed_always_covers_the_children(staff in 1u8..=10, children in 1u8..=40, present in 0u32..10_000) {
            let ratio = StaffChildRatio::new(staff, children).unwrap();
            let needed = ratio.staff_needed(present);
            // `needed` staff may look after needed / staff * children children, which covers everyone present...
            prop_assert!(u64::from(needed) * u64::from(children) >= u64::from(present) * u64::from(staff));
            // ...and one group fewer would not.
            if present > 0 {
                let fewer = needed - u32::from(staff);
                prop_assert!(u64::from(fewer) / u64::from(staff) * u64::from(children) < u64::from(present));
            }
        }

        #[test]
        fn accepted_ratios_print_as_they_parse(staff in 0u8..=12, children in 0u8..=45) {
            let text = format!("{staff}:{children}");
            match StaffChildRatio::parse(&text) {
                Ok(ratio) => prop_assert_eq!(ratio.to_string(), text),
                Err(_) => prop_assert!(!(1..=10).contains(&staff) || !(1..=40).contains(&children)),
            }
        }

        #[test]
        fn age_ranges_accept_exactly_the_ordered_bounded_pairs(min in 0u16..300, max in 0u16..300) {
            prop_assert_eq!(AgeRange::new(min, max).is_ok(), min <= max && max <= MAX_AGE_MONTHS);
        }
    }
}
