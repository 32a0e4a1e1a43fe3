//! Attendance events in the `attendance_events` collection (append-only, never changed in
//! place) and ratio breaches in the `ratio_breaches` collection.
//!
//! Event ids are made by clients, so two tenants may hold the same one: an event's `_id` is
//! `{tenant_id}:{event_id}`, never the bare id. An insert that collides on it is a replay and
//! answers the stored event; one that collides on the unique `(tenant_id, subject, day, seq)`
//! index lost a race for its place in the subject's day.

use async_trait::async_trait;
use bson::{DateTime, Document, doc};
use cubby_domain::{
    Actor, Amendment, AttendanceEvent, AttendanceEventId, Breach, BreachId, ChildId, ContactId,
    Movement, Note, RoomId, StaffId, Subject,
};
use cubby_ports::{Appended, AttendanceLog, BreachLog, BreachQuery, Page, RepoError, TenantScope};
use mongodb::Collection;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::audit::to_bson;
use crate::timed;
use crate::{
    Filter, Mongo, all_of, decode, duplicate_key, id_conflict, one_of, page_of, scoped, sort_order,
    to_repo_error,
};
use cubby_domain::time_of_day::{iso_date, parse_iso_date};

/// The attendance events collection.
pub(crate) const EVENTS: &str = "attendance_events";

/// The ratio breaches collection.
pub(crate) const BREACHES: &str = "ratio_breaches";

/// The unique index on a subject's day and `seq`; also a subject's events over days, in order.
pub(crate) const EVENT_SEQ_INDEX: &str = "attendance_tenant_subject_day_seq_unique";

/// A tenant's events of a day (of every room, or of one), by subject then `seq`.
pub(crate) const EVENT_DAY_INDEX: &str = "attendance_tenant_day_subject_seq";

/// A tenant's breaches, newest first.
pub(crate) const BREACH_AT_INDEX: &str = "breaches_tenant_at";

/// A room's breaches, newest first.
pub(crate) const BREACH_ROOM_AT_INDEX: &str = "breaches_tenant_room_at";

/// The stored `subject_kind` of a child.
const CHILD: &str = "child";
/// The stored `subject_kind` of a staff member.
const STAFF: &str = "staff";

/// The `_id` of a tenant's event: the tenant's id and the client's event id.
fn event_key(scope: &TenantScope, id: AttendanceEventId) -> String {
    format!("{}:{id}", scope.tenant_id())
}

/// An attendance event as stored. Optional fields are left out when empty, never `null`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AttendanceEventDocument {
    /// `{tenant_id}:{event_id}`: the client's id is unique only within its tenant.
    #[serde(rename = "_id")]
    key: String,
    tenant_id: String,
    /// The client's id ([`AttendanceEventId`]).
    event_id: String,
    /// The subject's id (`child_…` or `stf_…`): sorts children before staff, then by id, as
    /// [`Subject`] does.
    subject: String,
    /// `child` or `staff`.
    subject_kind: String,
    /// `YYYY-MM-DD`, which sorts as the days do.
    day: String,
    seq: i64,
    movement: MovementDocument,
    at: DateTime,
    room: String,
    /// [`Actor`]'s stored form.
    actor: String,
    recorded_at: DateTime,
}

/// A movement as stored: its `kind`, and the fields of that kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct MovementDocument {
    /// [`Movement::kind`].
    kind: String,
    /// The room of a check-in or a clock-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    room: Option<String>,
    /// Who dropped off (a check-in, if recorded) or collected (a check-out) the child.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contact: Option<String>,
    /// Whether the pickup PIN was checked (a check-out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pin_verified: Option<bool>,
    /// The event a correction amends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amends: Option<String>,
    /// What a correction changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amendment: Option<AmendmentDocument>,
    /// Why a correction was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// A correction's amendment as stored: `void`, or `retime` with the new time.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AmendmentDocument {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<DateTime>,
}

impl MovementDocument {
    fn new(kind: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            room: None,
            contact: None,
            pin_verified: None,
            amends: None,
            amendment: None,
            reason: None,
        }
    }

    fn from_domain(movement: &Movement) -> Self {
        let blank = Self::new(movement.kind());
        match movement {
            Movement::CheckIn { room, contact } => Self {
                room: Some(room.to_string()),
                contact: contact.map(|c| c.to_string()),
                ..blank
            },
            Movement::CheckOut {
                contact,
                pin_verified,
            } => Self {
                contact: Some(contact.to_string()),
                pin_verified: Some(*pin_verified),
                ..blank
            },
            Movement::ClockIn { room } => Self {
                room: Some(room.to_string()),
                ..blank
            },
            Movement::ClockOut => blank,
            Movement::Correction {
                amends,
                amendment,
                reason,
            } => Self {
                amends: Some(amends.to_string()),
                amendment: Some(match amendment {
                    Amendment::Void => AmendmentDocument {
                        kind: "void".to_owned(),
                        at: None,
                    },
                    Amendment::Retime(at) => AmendmentDocument {
                        kind: "retime".to_owned(),
                        at: Some(to_bson(*at)),
                    },
                }),
                reason: Some(reason.as_str().to_owned()),
                ..blank
            },
        }
    }

    /// The domain movement; `bad` names a malformed or missing field.
    fn into_domain(self, bad: &dyn Fn(&str) -> RepoError) -> Result<Movement, RepoError> {
        let room = |stored: Option<String>| {
            stored
                .as_deref()
                .map(RoomId::parse)
                .ok_or_else(|| bad("movement.room"))?
                .map_err(|_| bad("movement.room"))
        };
        let contact = |stored: Option<&str>| {
            stored
                .map(ContactId::parse)
                .transpose()
                .map_err(|_| bad("movement.contact"))
        };
        Ok(match self.kind.as_str() {
            "check_in" => Movement::CheckIn {
                room: room(self.room)?,
                contact: contact(self.contact.as_deref())?,
            },
            "check_out" => Movement::CheckOut {
                contact: contact(self.contact.as_deref())?
                    .ok_or_else(|| bad("movement.contact"))?,
                pin_verified: self
                    .pin_verified
                    .ok_or_else(|| bad("movement.pin_verified"))?,
            },
            "clock_in" => Movement::ClockIn {
                room: room(self.room)?,
            },
            "clock_out" => Movement::ClockOut,
            "correction" => {
                let amendment = self.amendment.ok_or_else(|| bad("movement.amendment"))?;
                Movement::Correction {
                    amends: self
                        .amends
                        .as_deref()
                        .map(AttendanceEventId::parse)
                        .ok_or_else(|| bad("movement.amends"))?
                        .map_err(|_| bad("movement.amends"))?,
                    amendment: match (amendment.kind.as_str(), amendment.at) {
                        ("void", None) => Amendment::Void,
                        ("retime", Some(at)) => Amendment::Retime(at.to_time_0_3()),
                        _ => return Err(bad("movement.amendment")),
                    },
                    reason: self
                        .reason
                        .as_deref()
                        .map(Note::parse)
                        .ok_or_else(|| bad("movement.reason"))?
                        .map_err(|_| bad("movement.reason"))?,
                }
            }
            _ => return Err(bad("movement.kind")),
        })
    }
}

impl AttendanceEventDocument {
    fn from_domain(scope: &TenantScope, event: &AttendanceEvent) -> Self {
        Self {
            key: event_key(scope, event.id),
            tenant_id: scope.tenant_id().to_string(),
            event_id: event.id.to_string(),
            subject: event.subject.to_string(),
            subject_kind: match event.subject {
                Subject::Child(_) => CHILD,
                Subject::Staff(_) => STAFF,
            }
            .to_owned(),
            day: iso_date(event.day),
            seq: i64::from(event.seq),
            movement: MovementDocument::from_domain(&event.movement),
            at: to_bson(event.at),
            room: event.room.to_string(),
            actor: event.actor.to_string(),
            recorded_at: to_bson(event.recorded_at),
        }
    }

    /// The domain event, every field parsed again; anything malformed is `Corrupt`, named by
    /// the document's `_id` and the field, never by the stored value.
    fn into_domain(self) -> Result<AttendanceEvent, RepoError> {
        let key: String = self.key.chars().take(64).collect();
        let bad = move |field: &str| {
            RepoError::corrupt(format!("{EVENTS} document {key}: malformed {field}"))
        };
        let id = AttendanceEventId::parse(&self.event_id).map_err(|_| bad("event_id"))?;
        if self.key != format!("{}:{id}", self.tenant_id) {
            return Err(bad("_id"));
        }
        let subject = match self.subject_kind.as_str() {
            CHILD => ChildId::parse(&self.subject).map(Subject::Child),
            STAFF => StaffId::parse(&self.subject).map(Subject::Staff),
            _ => return Err(bad("subject_kind")),
        }
        .map_err(|_| bad("subject"))?;
        Ok(AttendanceEvent {
            id,
            subject,
            day: parse_iso_date(&self.day).ok_or_else(|| bad("day"))?,
            seq: u32::try_from(self.seq).map_err(|_| bad("seq"))?,
            movement: self.movement.into_domain(&bad)?,
            at: self.at.to_time_0_3(),
            room: RoomId::parse(&self.room).map_err(|_| bad("room"))?,
            actor: Actor::parse(&self.actor).map_err(|_| bad("actor"))?,
            recorded_at: self.recorded_at.to_time_0_3(),
        })
    }
}

/// A ratio breach as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BreachDocument {
    /// The breach id (minted by the server, unique across tenants).
    #[serde(rename = "_id")]
    id: String,
    tenant_id: String,
    room: String,
    /// `YYYY-MM-DD`.
    day: String,
    at: DateTime,
    /// The attendance event that caused it.
    event: String,
    refused: bool,
    children: i64,
    staff: i64,
    staff_needed: i64,
    over_group_size: i64,
    /// [`Actor`]'s stored form.
    actor: String,
}

impl BreachDocument {
    fn from_domain(scope: &TenantScope, breach: &Breach) -> Self {
        Self {
            id: breach.id.to_string(),
            tenant_id: scope.tenant_id().to_string(),
            room: breach.room.to_string(),
            day: iso_date(breach.day),
            at: to_bson(breach.at),
            event: breach.event.to_string(),
            refused: breach.refused,
            children: i64::from(breach.children),
            staff: i64::from(breach.staff),
            staff_needed: i64::from(breach.staff_needed),
            over_group_size: i64::from(breach.over_group_size),
            actor: breach.actor.to_string(),
        }
    }

    /// The domain breach, every field parsed again; anything malformed is `Corrupt`.
    fn into_domain(self) -> Result<Breach, RepoError> {
        let id: String = self.id.chars().take(64).collect();
        let bad = move |field: &str| {
            RepoError::corrupt(format!("{BREACHES} document {id}: malformed {field}"))
        };
        let count = |stored: i64, field: &str| u32::try_from(stored).map_err(|_| bad(field));
        Ok(Breach {
            id: BreachId::parse(&self.id).map_err(|_| bad("_id"))?,
            room: RoomId::parse(&self.room).map_err(|_| bad("room"))?,
            day: parse_iso_date(&self.day).ok_or_else(|| bad("day"))?,
            at: self.at.to_time_0_3(),
            event: AttendanceEventId::parse(&self.event).map_err(|_| bad("event"))?,
            refused: self.refused,
            children: count(self.children, "children")?,
            staff: count(self.staff, "staff")?,
            staff_needed: count(self.staff_needed, "staff_needed")?,
            over_group_size: count(self.over_group_size, "over_group_size")?,
            actor: Actor::parse(&self.actor).map_err(|_| bad("actor"))?,
        })
    }
}

impl Mongo {
    /// Attendance events, for appends (typed, serialized by serde).
    fn attendance_events(&self) -> Collection<AttendanceEventDocument> {
        self.db.collection(EVENTS)
    }

    /// Attendance events, for reads: documents are decoded one by one with [`decode`].
    fn attendance_event_documents(&self) -> Collection<Document> {
        self.db.collection(EVENTS)
    }

    /// Breaches, for writes (typed, serialized by serde).
    fn breaches(&self) -> Collection<BreachDocument> {
        self.db.collection(BREACHES)
    }

    /// Breaches, for reads: documents are decoded one by one with [`decode`].
    fn breach_documents(&self) -> Collection<Document> {
        self.db.collection(BREACHES)
    }

    /// The tenant's event with this id, if it has one.
    async fn attendance_event(
        &self,
        scope: &TenantScope,
        id: AttendanceEventId,
    ) -> Result<Option<AttendanceEvent>, RepoError> {
        one_of(
            &self.attendance_event_documents(),
            scoped(scope, doc! { "_id": event_key(scope, id) }),
            attendance_event,
        )
        .await
    }

    /// The tenant's events matching `filter` (already scoped), in `sort` order.
    async fn attendance_events_where(
        &self,
        filter: Filter,
        sort: Document,
    ) -> Result<Vec<AttendanceEvent>, RepoError> {
        all_of(
            &self.attendance_event_documents(),
            filter,
            sort,
            attendance_event,
        )
        .await
    }
}

fn attendance_event(document: Document) -> Result<AttendanceEvent, RepoError> {
    decode::<AttendanceEventDocument>(EVENTS, document)?.into_domain()
}

fn breach(document: Document) -> Result<Breach, RepoError> {
    decode::<BreachDocument>(BREACHES, document)?.into_domain()
}

/// Whether a duplicate-key message names the `_id` index (and so, here, the event id).
fn names_id_index(message: &str) -> bool {
    message.contains("index: _id_ ") || message.contains("_id_ dup key")
}

#[async_trait]
impl AttendanceLog for Mongo {
    async fn append(
        &self,
        scope: &TenantScope,
        event: &AttendanceEvent,
    ) -> Result<Appended, RepoError> {
        let error = match timed(
            "attendance_events.insert",
            self.attendance_events()
                .insert_one(AttendanceEventDocument::from_domain(scope, event)),
        )
        .await
        {
            Ok(_) => return Ok(Appended::Stored),
            Err(error) => error,
        };
        let Some(message) = duplicate_key(&error) else {
            return Err(to_repo_error(error));
        };
        // Either unique index may have fired, and an insert colliding on both may be told of
        // either: the id wins, so whichever it was, a stored event with this id is a replay.
        if let Some(stored) = self.attendance_event(scope, event.id).await? {
            return Ok(Appended::Replayed(stored));
        }
        if names_id_index(message) {
            // The id is taken, yet the tenant's event cannot be read back: a stored document
            // whose `tenant_id` disagrees with its `_id`.
            return Err(RepoError::corrupt(format!(
                "{EVENTS} document {}: the id is taken but not readable in its tenant",
                event_key(scope, event.id)
            )));
        }
        // The only other unique index is the subject's day and seq.
        Err(RepoError::Conflict("attendance.seq"))
    }

    async fn get(
        &self,
        scope: &TenantScope,
        id: AttendanceEventId,
    ) -> Result<AttendanceEvent, RepoError> {
        self.attendance_event(scope, id)
            .await?
            .ok_or(RepoError::NotFound)
    }

    async fn of_subject(
        &self,
        scope: &TenantScope,
        subject: Subject,
        from: Date,
        to: Date,
    ) -> Result<Vec<AttendanceEvent>, RepoError> {
        if from > to {
            return Ok(Vec::new());
        }
        self.attendance_events_where(
            scoped(
                scope,
                doc! {
                    "subject": subject.to_string(),
                    "day": { "$gte": iso_date(from), "$lte": iso_date(to) },
                },
            ),
            doc! { "day": 1, "seq": 1 },
        )
        .await
    }

    async fn day(
        &self,
        scope: &TenantScope,
        day: Date,
        room: Option<RoomId>,
    ) -> Result<Vec<AttendanceEvent>, RepoError> {
        let mut filter = scoped(scope, doc! { "day": iso_date(day) });
        if let Some(room) = room {
            filter.insert("room", room.to_string());
        }
        // Subject ids sort children (`child_…`) before staff (`stf_…`), then as their UUIDs:
        // the order of `Subject`.
        self.attendance_events_where(filter, doc! { "subject": 1, "seq": 1 })
            .await
    }
}

/// The filter of `query` in the scope's tenant.
fn breach_filter(scope: &TenantScope, query: &BreachQuery) -> Filter {
    let mut filter = scoped(scope, Document::new());
    if let Some(room) = query.room {
        filter.insert("room", room.to_string());
    }
    let mut day = Document::new();
    if let Some(from) = query.from {
        day.insert("$gte", iso_date(from));
    }
    if let Some(to) = query.to {
        day.insert("$lte", iso_date(to));
    }
    if !day.is_empty() {
        filter.insert("day", day);
    }
    filter
}

#[async_trait]
impl BreachLog for Mongo {
    async fn record(&self, scope: &TenantScope, breach: &Breach) -> Result<(), RepoError> {
        timed(
            "ratio_breaches.insert",
            self.breaches()
                .insert_one(BreachDocument::from_domain(scope, breach)),
        )
        .await
        .map(|_| ())
        .map_err(id_conflict("breach.id"))
    }

    async fn breaches(
        &self,
        scope: &TenantScope,
        query: &BreachQuery,
    ) -> Result<Page<Breach>, RepoError> {
        let order = sort_order(query.direction);
        page_of(
            &self.breach_documents(),
            breach_filter(scope, query),
            doc! { "at": order, "_id": order },
            query.page,
            breach,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use cubby_domain::{
        Amendment, AttendanceEvent, AttendanceEventId, ChildId, ContactId, Movement, Note, RoomId,
        StaffId, Subject,
    };
    use cubby_ports::contract::{at, fresh_scope};
    use time::macros::date;
    use uuid::Uuid;

    use super::{AttendanceEventDocument, names_id_index};

    fn event(subject: Subject, movement: Movement) -> AttendanceEvent {
        let scope = fresh_scope();
        AttendanceEvent {
            id: AttendanceEventId::from_uuid(Uuid::now_v7()),
            subject,
            day: date!(2026 - 09 - 01),
            seq: 7,
            movement,
            at: at(5),
            room: RoomId::from_uuid(Uuid::now_v7()),
            actor: scope.actor().clone(),
            recorded_at: at(6),
        }
    }

    #[test]
    fn every_movement_round_trips_through_its_document() {
        let child = Subject::Child(ChildId::from_uuid(Uuid::now_v7()));
        let staff = Subject::Staff(StaffId::from_uuid(Uuid::now_v7()));
        let room = RoomId::from_uuid(Uuid::now_v7());
        let contact = ContactId::from_uuid(Uuid::now_v7());
        let amends = AttendanceEventId::from_uuid(Uuid::now_v7());
        let reason = Note::parse("tapped twice").unwrap();
        for event in [
            event(
                child,
                Movement::CheckIn {
                    room,
                    contact: None,
                },
            ),
            event(
                child,
                Movement::CheckIn {
                    room,
                    contact: Some(contact),
                },
            ),
            event(
                child,
                Movement::CheckOut {
                    contact,
                    pin_verified: true,
                },
            ),
            event(staff, Movement::ClockIn { room }),
            event(staff, Movement::ClockOut),
            event(
                child,
                Movement::Correction {
                    amends,
                    amendment: Amendment::Void,
                    reason: reason.clone(),
                },
            ),
            event(
                staff,
                Movement::Correction {
                    amends,
                    amendment: Amendment::Retime(at(3)),
                    reason: reason.clone(),
                },
            ),
        ] {
            let scope = fresh_scope();
            let document =
                bson::to_document(&AttendanceEventDocument::from_domain(&scope, &event)).unwrap();
            assert_eq!(
                document.get_str("_id").unwrap(),
                format!("{}:{}", scope.tenant_id(), event.id)
            );
            assert_eq!(document.get_str("day"), Ok("2026-09-01"));
            assert_eq!(
                document.get_document("movement").unwrap().get_str("kind"),
                Ok(event.movement.kind())
            );
            let back: AttendanceEventDocument = bson::from_document(document).unwrap();
            assert_eq!(back.into_domain().unwrap(), event);
        }
    }

    #[test]
    fn absent_movement_fields_are_left_out() {
        let event = event(
            Subject::Staff(StaffId::from_uuid(Uuid::now_v7())),
            Movement::ClockOut,
        );
        let document = bson::to_document(&AttendanceEventDocument::from_domain(
            &fresh_scope(),
            &event,
        ))
        .unwrap();
        let movement = document.get_document("movement").unwrap();
        assert_eq!(movement.keys().collect::<Vec<_>>(), ["kind"]);
        assert_eq!(document.get_str("subject_kind"), Ok("staff"));
    }

    #[test]
    fn only_the_id_index_is_taken_for_a_replay() {
        assert!(names_id_index(
            "E11000 duplicate key error collection: db.attendance_events index: _id_ dup key: { _id: \"x\" }"
        ));
        assert!(!names_id_index(
            "E11000 duplicate key error collection: db.attendance_events index: attendance_tenant_subject_day_seq_unique dup key: { tenant_id: \"t\" }"
        ));
    }
}
