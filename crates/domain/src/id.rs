//! Typed entity ids in the TypeID form: a type prefix, `_`, and a UUIDv7 in 26 characters of
//! lowercase Crockford base32 (`room_01jd8x3k2m4n5p6q7r8s9t0v1w`).
//!
//! Each entity has its own id type, so an id of one kind cannot be passed where another is
//! expected; the prefix makes ids readable in logs; UUIDv7 makes them unguessable and sortable
//! by creation time; the text form is stored unchanged on every MongoDB-compatible server.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const SUFFIX_LEN: usize = 26;

/// Why a string is not an id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The prefix is not the one of this id type.
    #[error("expected an id starting with `{expected}_`")]
    WrongPrefix {
        /// The prefix this id type requires.
        expected: &'static str,
    },
    /// The part after the prefix is not 26 characters of lowercase Crockford base32.
    #[error("the id is malformed")]
    Malformed,
}

/// Encodes a UUID as the 26-character TypeID suffix.
fn encode_suffix(uuid: Uuid) -> [u8; SUFFIX_LEN] {
    let value = uuid.as_u128();
    let mut out = [0u8; SUFFIX_LEN];
    for (index, slot) in out.iter_mut().enumerate() {
        let shift = 5 * (SUFFIX_LEN - 1 - index);
        *slot = ALPHABET[((value >> shift) & 0x1f) as usize];
    }
    out
}

/// Decodes a 26-character TypeID suffix; the first character may only carry three bits.
fn decode_suffix(suffix: &str) -> Result<Uuid, IdError> {
    let bytes = suffix.as_bytes();
    if bytes.len() != SUFFIX_LEN || bytes[0] > b'7' {
        return Err(IdError::Malformed);
    }
    let mut value: u128 = 0;
    for &byte in bytes {
        let digit = ALPHABET
            .iter()
            .position(|&c| c == byte)
            .ok_or(IdError::Malformed)?;
        value = (value << 5) | digit as u128;
    }
    Ok(Uuid::from_u128(value))
}

/// Parses `prefix_suffix` into the UUID, checking the prefix.
fn parse_typed(input: &str, prefix: &'static str) -> Result<Uuid, IdError> {
    let suffix = input
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .ok_or(IdError::WrongPrefix { expected: prefix })?;
    decode_suffix(suffix)
}

/// Writes `prefix_suffix` in one piece, so that `to_string` allocates once (ids are written
/// many times per response).
fn fmt_typed(uuid: Uuid, prefix: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    const ROOM: usize = 48;
    let suffix = encode_suffix(uuid);
    let length = prefix.len() + 1 + SUFFIX_LEN;
    let mut text = [0u8; ROOM];
    let Some(out) = text.get_mut(..length) else {
        f.write_str(prefix)?;
        f.write_str("_")?;
        return f.write_str(std::str::from_utf8(&suffix).map_err(|_| fmt::Error)?);
    };
    let (head, tail) = out.split_at_mut(prefix.len());
    head.copy_from_slice(prefix.as_bytes());
    tail[0] = b'_';
    tail[1..].copy_from_slice(&suffix);
    // The prefix is a str and the alphabet ASCII: always UTF-8.
    f.write_str(std::str::from_utf8(out).map_err(|_| fmt::Error)?)
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// The type prefix of this id in its text form.
            pub const PREFIX: &'static str = $prefix;

            /// Wraps a UUID (ids are minted from the ids port, which hands out UUIDv7s).
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// Parses the text form, `
            #[doc = $prefix]
            /// _` followed by 26 base32 characters.
            ///
            /// # Errors
            ///
            /// [`IdError`] when the prefix differs or the suffix is malformed.
            pub fn parse(input: &str) -> Result<Self, IdError> {
                parse_typed(input, $prefix).map(Self)
            }

            /// The UUID inside.
            pub fn uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt_typed(self.0, $prefix, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(input: &str) -> Result<Self, IdError> {
                Self::parse(input)
            }
        }
    };
}

typed_id!(
    /// A centre: the unit of tenancy.
    TenantId,
    "tenant"
);

impl TenantId {
    /// The platform's own partition, which no centre has (centres get UUIDv7s; this is the nil
    /// UUID): work that belongs to a person rather than to one of their centres, such as the
    /// mail that resets a password, is recorded under it.
    pub const PLATFORM: TenantId = TenantId(Uuid::nil());
}
typed_id!(
    /// A person who can log in, across centres.
    UserId,
    "user"
);
typed_id!(
    /// A user's membership of one centre.
    MembershipId,
    "mbr"
);
typed_id!(
    /// A room of a centre.
    RoomId,
    "room"
);
typed_id!(
    /// A login session: the family of refresh tokens one sign-in rotates through.
    SessionId,
    "ses"
);
typed_id!(
    /// An entry of the audit log.
    AuditEventId,
    "evt"
);
typed_id!(
    /// A role a centre defined for itself.
    RoleId,
    "role"
);
typed_id!(
    /// An invitation to join a centre.
    InvitationId,
    "inv"
);
typed_id!(
    /// A child enrolled (or waitlisted) at a centre.
    ChildId,
    "child"
);
typed_id!(
    /// One of a child's contacts: a guardian, a pickup person, an emergency contact.
    ContactId,
    "ctc"
);
typed_id!(
    /// A custody restriction on a child.
    RestrictionId,
    "rst"
);
typed_id!(
    /// A member of a centre's staff.
    StaffId,
    "stf"
);
typed_id!(
    /// An attendance event (child check-in or check-out, staff clock-in or clock-out, correction).
    AttendanceEventId,
    "att"
);
typed_id!(
    /// A recorded breach of a room's staff:child ratio.
    BreachId,
    "brc"
);
typed_id!(
    /// An announcement to a centre or a room.
    AnnouncementId,
    "ann"
);
typed_id!(
    /// A message thread about a child.
    ThreadId,
    "thr"
);
typed_id!(
    /// A message in a thread.
    MessageId,
    "msg"
);
typed_id!(
    /// A file kept for a centre (a child's photo, a document, an import, a report).
    FileId,
    "file"
);
typed_id!(
    /// A background job (a report, an import, a scheduled run).
    JobId,
    "job"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_typeid_spec_example_round_trips() {
        // From the TypeID specification's valid test cases.
        let uuid = Uuid::parse_str("01890a5d-ac96-774b-bcce-b302099a8057").unwrap();
        let id = RoomId::from_uuid(uuid);
        assert_eq!(id.to_string(), "room_01h455vb4pex5vsknk084sn02q");
        assert_eq!(
            RoomId::parse("room_01h455vb4pex5vsknk084sn02q").unwrap(),
            id
        );
    }

    #[test]
    fn an_id_of_another_kind_is_refused() {
        let room = RoomId::from_uuid(Uuid::now_v7()).to_string();
        assert_eq!(
            TenantId::parse(&room),
            Err(IdError::WrongPrefix { expected: "tenant" })
        );
    }

    #[test]
    fn malformed_suffixes_are_refused() {
        for bad in [
            "room_",
            "room_01h455vb4pex5vsknk084sn02",
            "room_01h455vb4pex5vsknk084sn02qq",
            "room_81h455vb4pex5vsknk084sn02q",
            "room_01H455VB4PEX5VSKNK084SN02Q",
            "room_01h455vb4pex5vsknk084sn0iu",
            "room01h455vb4pex5vsknk084sn02q",
        ] {
            assert!(RoomId::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    proptest! {
        #[test]
        fn every_uuid_round_trips_through_text(raw in any::<u128>()) {
            let id = UserId::from_uuid(Uuid::from_u128(raw));
            prop_assert_eq!(UserId::parse(&id.to_string()), Ok(id));
        }

        #[test]
        fn text_order_is_uuid_order(a in any::<u128>(), b in any::<u128>()) {
            let (ia, ib) = (RoomId::from_uuid(Uuid::from_u128(a)), RoomId::from_uuid(Uuid::from_u128(b)));
            prop_assert_eq!(ia.to_string().cmp(&ib.to_string()), a.cmp(&b));
        }

        #[test]
        fn arbitrary_text_never_panics(input in ".{0,40}") {
            let _ = RoomId::parse(&input);
        }
    }
}
