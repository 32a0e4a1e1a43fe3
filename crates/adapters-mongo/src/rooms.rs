//! Rooms in the `rooms` collection.

use async_trait::async_trait;
use bson::{DateTime, Document, doc};
use cubby_domain::room::RoomParts;
use cubby_domain::{
    AgeBand, AgeRange, Capacity, RatioRule, Room, RoomId, RoomName, StaffChildRatio, Version,
};
use cubby_ports::{Page, RepoError, RoomQuery, RoomRepository, RoomSortKey, TenantScope};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use crate::audit::{AuditDocument, to_bson};
use crate::timed;
use crate::{
    Mongo, decode, duplicate_key, one_of, page_of, replace_versioned, scoped, sort_order,
    to_repo_error, version_from_bson, version_to_bson,
};
use cubby_domain::time_of_day::{iso_date, parse_iso_date};

/// The collection.
pub(crate) const COLLECTION: &str = "rooms";

/// The unique index on a tenant's active room names (partial: archived rooms free their name).
pub(crate) const NAME_INDEX: &str = "rooms_tenant_active_name_unique";

/// A room as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RoomDocument {
    #[serde(rename = "_id")]
    id: String,
    tenant_id: String,
    name: String,
    /// The lowercase name, for uniqueness, prefix search and sorting.
    name_key: String,
    age_range: AgeRangeDocument,
    capacity: i32,
    ratio: RatioDocument,
    /// The ratio rule history (absent in documents written before rules: none).
    #[serde(default)]
    ratio_rules: Vec<RuleDocument>,
    archived: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    archived_at: Option<DateTime>,
    audit: AuditDocument,
    version: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AgeRangeDocument {
    min_months: i32,
    max_months: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RatioDocument {
    staff: i32,
    children: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RuleDocument {
    /// `YYYY-MM-DD`.
    effective_from: String,
    bands: Vec<BandDocument>,
    max_group_size: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct BandDocument {
    from_months: i32,
    ratio: RatioDocument,
}

impl RatioDocument {
    fn from_domain(ratio: StaffChildRatio) -> Self {
        Self {
            staff: ratio.staff().into(),
            children: ratio.children().into(),
        }
    }

    fn into_domain(self) -> Option<StaffChildRatio> {
        StaffChildRatio::new(
            u8::try_from(self.staff).ok()?,
            u8::try_from(self.children).ok()?,
        )
        .ok()
    }
}

impl RuleDocument {
    fn from_domain(rule: &RatioRule) -> Self {
        Self {
            effective_from: iso_date(rule.effective_from()),
            bands: rule
                .bands()
                .iter()
                .map(|band| BandDocument {
                    from_months: band.from_months.into(),
                    ratio: RatioDocument::from_domain(band.ratio),
                })
                .collect(),
            max_group_size: rule.max_group_size().into(),
        }
    }

    fn into_domain(self) -> Option<RatioRule> {
        let bands = self
            .bands
            .into_iter()
            .map(|band| {
                Some(AgeBand {
                    from_months: u16::try_from(band.from_months).ok()?,
                    ratio: band.ratio.into_domain()?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        RatioRule::new(
            parse_iso_date(&self.effective_from)?,
            bands,
            u16::try_from(self.max_group_size).ok()?,
        )
        .ok()
    }
}

impl RoomDocument {
    fn from_domain(scope: &TenantScope, room: &Room) -> Self {
        Self {
            id: room.id().to_string(),
            tenant_id: scope.tenant_id().to_string(),
            name: room.name().as_str().to_owned(),
            name_key: room.name().key(),
            age_range: AgeRangeDocument {
                min_months: room.age_range().min_months().into(),
                max_months: room.age_range().max_months().into(),
            },
            capacity: room.capacity().get().into(),
            ratio: RatioDocument::from_domain(room.ratio()),
            ratio_rules: room
                .ratio_rules()
                .iter()
                .map(RuleDocument::from_domain)
                .collect(),
            archived: room.is_archived(),
            archived_at: room.archived_at().map(to_bson),
            audit: AuditDocument::from_domain(room.audit()),
            version: version_to_bson(room.version()),
        }
    }

    /// The domain room, every field parsed again; anything malformed is `Corrupt`.
    fn into_domain(self) -> Result<Room, RepoError> {
        let bad = |field: &str| RepoError::corrupt(format!("room document: malformed {field}"));
        let small = |value: i32, field: &str| u16::try_from(value).map_err(|_| bad(field));
        Ok(Room::restore(RoomParts {
            id: RoomId::parse(&self.id).map_err(|_| bad("_id"))?,
            name: RoomName::parse(&self.name).map_err(|_| bad("name"))?,
            age_range: AgeRange::new(
                small(self.age_range.min_months, "age_range")?,
                small(self.age_range.max_months, "age_range")?,
            )
            .map_err(|_| bad("age_range"))?,
            capacity: Capacity::new(small(self.capacity, "capacity")?)
                .map_err(|_| bad("capacity"))?,
            ratio: self.ratio.into_domain().ok_or_else(|| bad("ratio"))?,
            ratio_rules: self
                .ratio_rules
                .into_iter()
                .map(RuleDocument::into_domain)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("ratio_rules"))?,
            archived_at: self.archived_at.map(DateTime::to_time_0_3),
            audit: self.audit.into_domain("room document")?,
            version: version_from_bson(self.version).ok_or_else(|| bad("version"))?,
        }))
    }
}

impl Mongo {
    /// Rooms, for writes (typed, serialized by serde).
    fn rooms(&self) -> Collection<RoomDocument> {
        self.db.collection(COLLECTION)
    }

    /// Rooms, for reads: documents are decoded one by one with [`decode`].
    fn room_documents(&self) -> Collection<Document> {
        self.db.collection(COLLECTION)
    }
}

fn room(document: Document) -> Result<Room, RepoError> {
    decode::<RoomDocument>(COLLECTION, document)?.into_domain()
}

/// A duplicate key on rooms means the active name is taken (ids are minted unique).
fn write_error(error: mongodb::error::Error) -> RepoError {
    match duplicate_key(&error) {
        Some(message) if message.contains(NAME_INDEX) || message.contains("name_key") => {
            RepoError::Conflict("room.name")
        }
        Some(_) => RepoError::Conflict("room.id"),
        None => to_repo_error(error),
    }
}

/// Escapes a literal for a regular expression.
pub(crate) fn regex_literal(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\^$.|?*+()[]{}/-".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[async_trait]
impl RoomRepository for Mongo {
    async fn insert(&self, scope: &TenantScope, room: &Room) -> Result<(), RepoError> {
        timed(
            "rooms.insert",
            self.rooms()
                .insert_one(RoomDocument::from_domain(scope, room)),
        )
        .await
        .map(|_| ())
        .map_err(write_error)
    }

    async fn get(&self, scope: &TenantScope, id: RoomId) -> Result<Room, RepoError> {
        one_of(
            &self.room_documents(),
            scoped(scope, doc! { "_id": id.to_string() }),
            room,
        )
        .await?
        .ok_or(RepoError::NotFound)
    }

    async fn list(&self, scope: &TenantScope, query: &RoomQuery) -> Result<Page<Room>, RepoError> {
        let mut filter = scoped(scope, Document::new());
        if !query.include_archived {
            filter.insert("archived", false);
        }
        if let Some(prefix) = &query.name_prefix {
            filter.insert(
                "name_key",
                doc! { "$regex": format!("^{}", regex_literal(&prefix.to_lowercase())) },
            );
        }
        let order = sort_order(query.sort.direction);
        let sort = match query.sort.key {
            RoomSortKey::CreatedAt => doc! { "audit.created_at": order, "_id": order },
            RoomSortKey::Name => doc! { "name_key": order, "_id": order },
        };
        page_of(&self.room_documents(), filter, sort, query.page, room).await
    }

    async fn update(
        &self,
        scope: &TenantScope,
        room: &Room,
        expected: Version,
    ) -> Result<(), RepoError> {
        replace_versioned(
            &self.rooms(),
            scoped(scope, doc! { "_id": room.id().to_string() }),
            expected,
            RoomDocument::from_domain(scope, room),
            write_error,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::regex_literal;

    #[test]
    fn pattern_characters_are_escaped() {
        assert_eq!(regex_literal("a.b*(c)"), "a\\.b\\*\\(c\\)");
        assert_eq!(regex_literal("koalas"), "koalas");
    }
}
