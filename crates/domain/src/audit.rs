//! Who created and last changed a record, and when.

use std::fmt;

use time::OffsetDateTime;

use crate::id::{IdError, UserId};

/// Whoever performs a change: a user acting through a session, or a background job.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A user, through a verified session.
    User(UserId),
    /// A background job or schedule, by its name (`system:attendance_rollup`).
    System(JobName),
}

impl Actor {
    /// Parses the stored form: a user id, or `system:` and a job name.
    ///
    /// # Errors
    ///
    /// [`IdError::Malformed`] for anything else.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        match input.strip_prefix("system:") {
            Some(name) => JobName::parse(name).map(Actor::System),
            None => UserId::parse(input).map(Actor::User),
        }
    }

    /// The user behind this actor, if it is one.
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::User(id) => Some(*id),
            Actor::System(_) => None,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User(id) => id.fmt(f),
            Actor::System(name) => write!(f, "system:{}", name.as_str()),
        }
    }
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The name of a background job: lowercase ASCII letters, digits and `_`, 1 to 64 of them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JobName(String);

impl JobName {
    /// Parses a job name.
    ///
    /// # Errors
    ///
    /// [`IdError::Malformed`] when the name is empty, too long or has other characters.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let valid = (1..=64).contains(&input.len())
            && input
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if valid {
            Ok(Self(input.to_owned()))
        } else {
            Err(IdError::Malformed)
        }
    }

    /// A name the code itself spells (`"worker"`, `"scheduler"`): it must be one
    /// [`JobName::parse`] accepts, which the tests of its callers hold.
    pub fn known(name: &'static str) -> Self {
        debug_assert!(Self::parse(name).is_ok(), "a malformed job name");
        Self(name.to_owned())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A platform operator, as the audit log knows them: the id of their operator key (the name it
/// was given, or the first characters of its digest), or `cli` at the command line; never the
/// key. Lowercase ASCII letters, digits and `_`, 1 to 32 of them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OperatorId(String);

impl OperatorId {
    /// Parses an operator id.
    ///
    /// # Errors
    ///
    /// [`IdError::Malformed`] when it is empty, longer than 32 or has other characters.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let valid = (1..=32).contains(&input.len())
            && input
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if valid {
            Ok(Self(input.to_owned()))
        } else {
            Err(IdError::Malformed)
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Who acts when this operator does: `system:operator_<id>` in every stamp and audit event.
    pub fn actor(&self) -> Actor {
        // At most 9 + 32 characters of the job name's alphabet: always a job name.
        Actor::System(JobName(format!("operator_{}", self.0)))
    }
}

impl fmt::Display for OperatorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Creation and last-change stamps, kept on every stored record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audit {
    created_by: Actor,
    created_at: OffsetDateTime,
    updated_by: Actor,
    updated_at: OffsetDateTime,
}

impl Audit {
    /// The stamps of a record created now by `by`.
    pub fn created(by: Actor, at: OffsetDateTime) -> Self {
        Self {
            created_by: by.clone(),
            created_at: at,
            updated_by: by,
            updated_at: at,
        }
    }

    /// Stamps read back from storage.
    pub fn restore(
        created_by: Actor,
        created_at: OffsetDateTime,
        updated_by: Actor,
        updated_at: OffsetDateTime,
    ) -> Self {
        Self {
            created_by,
            created_at,
            updated_by,
            updated_at,
        }
    }

    /// These stamps after a change by `by` at `at`.
    #[must_use]
    pub fn touched(&self, by: Actor, at: OffsetDateTime) -> Self {
        Self {
            created_by: self.created_by.clone(),
            created_at: self.created_at,
            updated_by: by,
            updated_at: at,
        }
    }

    /// Who created the record.
    pub fn created_by(&self) -> &Actor {
        &self.created_by
    }

    /// When the record was created.
    pub fn created_at(&self) -> OffsetDateTime {
        self.created_at
    }

    /// Who changed the record last.
    pub fn updated_by(&self) -> &Actor {
        &self.updated_by
    }

    /// When the record was changed last.
    pub fn updated_at(&self) -> OffsetDateTime {
        self.updated_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use uuid::Uuid;

    #[test]
    fn an_operator_acts_as_a_parseable_system_actor_and_ids_are_checked() {
        let longest = "a".repeat(32);
        for id in ["cli", "0a1b2c3d", "ops_alice", longest.as_str()] {
            let operator = OperatorId::parse(id).unwrap();
            let actor = operator.actor();
            assert_eq!(actor.to_string(), format!("system:operator_{id}"));
            assert_eq!(Actor::parse(&actor.to_string()).unwrap(), actor);
        }
        for bad in ["", "Ops", "ops-alice", "a b", &"a".repeat(33)] {
            assert!(OperatorId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn actors_round_trip_through_their_stored_form() {
        let user = Actor::User(UserId::from_uuid(Uuid::now_v7()));
        let job = Actor::System(JobName::parse("attendance_rollup").unwrap());
        for actor in [user, job] {
            assert_eq!(Actor::parse(&actor.to_string()).unwrap(), actor);
        }
    }

    #[test]
    fn a_job_name_with_other_characters_is_refused() {
        assert!(Actor::parse("system:Rollup!").is_err());
        assert!(Actor::parse("system:").is_err());
    }

    #[test]
    fn touching_keeps_the_creation_stamps() {
        let creator = Actor::User(UserId::from_uuid(Uuid::now_v7()));
        let editor = Actor::User(UserId::from_uuid(Uuid::now_v7()));
        let created = Audit::created(creator.clone(), datetime!(2026-01-01 8:00 UTC));
        let touched = created.touched(editor.clone(), datetime!(2026-01-02 9:00 UTC));
        assert_eq!(touched.created_by(), &creator);
        assert_eq!(touched.created_at(), datetime!(2026-01-01 8:00 UTC));
        assert_eq!(touched.updated_by(), &editor);
        assert_eq!(touched.updated_at(), datetime!(2026-01-02 9:00 UTC));
    }
}
