//! Children and staff in memory, partitioned by tenant.
//!
//! A tenant's children are kept with an ordered index per sort key, maintained on every write,
//! so a page of the list is a walk along one index rather than a sort of the whole centre.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use cubby_domain::{Child, ChildId, StaffId, StaffMember, UserId, Version};
use cubby_ports::{
    ChildQuery, ChildRepository, ChildSortKey, Page, RepoError, SortDirection, StaffQuery,
    StaffRepository, TenantScope,
};
use time::{Date, OffsetDateTime};

use crate::partitioned::Partitioned;
use crate::{MemoryStore, paginate, read, write};

/// Every tenant's children.
#[derive(Default)]
pub(crate) struct ChildTable {
    tenants: Partitioned<TenantChildren>,
}

/// One tenant's children by id, and ordered by each [`ChildSortKey`].
///
/// Each index entry is the sort value then the id, so ties go by id, and walking an index
/// backwards gives the descending order (the id tiebreak reversed too). A page walks the index
/// of its sort key from one end and stops after the page: it costs the children up to the end
/// of the page, never a sort (or a name key allocation) per child of the centre.
#[derive(Default)]
struct TenantChildren {
    by_id: HashMap<ChildId, Stored>,
    by_name: BTreeSet<(String, ChildId)>,
    by_created_at: BTreeSet<(OffsetDateTime, ChildId)>,
    by_date_of_birth: BTreeSet<(Date, ChildId)>,
    /// How many are archived: with `by_id.len()`, the total of an unfiltered list, so such a
    /// page never counts the centre.
    archived: usize,
}

/// A stored child and its name key ([`cubby_domain::PersonName::key`]), made once per write
/// so that the name prefix filter allocates nothing per child.
struct Stored {
    child: Child,
    name_key: String,
}

impl TenantChildren {
    /// Stores `child` (whose id the tenant does not have) and indexes it.
    fn add(&mut self, child: Child) {
        let (id, name_key) = (child.id(), child.name().key());
        self.by_name.insert((name_key.clone(), id));
        self.by_created_at.insert((child.audit().created_at(), id));
        self.by_date_of_birth.insert((child.date_of_birth(), id));
        self.archived += usize::from(child.is_archived());
        self.by_id.insert(id, Stored { child, name_key });
    }

    /// Removes the child with this id and its index entries, if stored.
    fn remove(&mut self, id: ChildId) {
        let Some(Stored { child, name_key }) = self.by_id.remove(&id) else {
            return;
        };
        self.by_name.remove(&(name_key, id));
        self.by_created_at.remove(&(child.audit().created_at(), id));
        self.by_date_of_birth.remove(&(child.date_of_birth(), id));
        self.archived -= usize::from(child.is_archived());
    }

    /// How many children there are, archived ones only if `include_archived`.
    fn count(&self, include_archived: bool) -> usize {
        if include_archived {
            self.by_id.len()
        } else {
            self.by_id.len() - self.archived
        }
    }

    /// Every child, in `sort` order, `direction` way.
    fn ordered(
        &self,
        sort: ChildSortKey,
        direction: SortDirection,
    ) -> impl Iterator<Item = &Stored> {
        let ids = match sort {
            ChildSortKey::Name => walk(&self.by_name, direction),
            ChildSortKey::CreatedAt => walk(&self.by_created_at, direction),
            ChildSortKey::DateOfBirth => walk(&self.by_date_of_birth, direction),
        };
        ids.filter_map(|id| self.by_id.get(&id))
    }
}

/// The ids of an index, from the smallest entry or (descending) from the largest.
fn walk<K: Ord>(
    index: &BTreeSet<(K, ChildId)>,
    direction: SortDirection,
) -> Box<dyn Iterator<Item = ChildId> + '_> {
    let ids = index.iter().map(|(_, id)| *id);
    match direction {
        SortDirection::Ascending => Box::new(ids),
        SortDirection::Descending => Box::new(ids.rev()),
    }
}

/// Every tenant's staff, by id.
#[derive(Default)]
pub(crate) struct StaffTable {
    tenants: Partitioned<BTreeMap<StaffId, StaffMember>>,
}

fn matches(query: &ChildQuery, stored: &Stored) -> bool {
    let child = &stored.child;
    let within = query.within.as_ref().is_none_or(|set| {
        set.children.contains(&child.id())
            || child.room_id().is_some_and(|r| set.rooms.contains(&r))
    });
    let linked = query
        .linked_user
        .is_none_or(|user| child.contacts().iter().any(|c| c.user_id == Some(user)));
    within
        && linked
        && (query.include_archived || !child.is_archived())
        && query.room.is_none_or(|room| child.room_id() == Some(room))
        && query
            .status
            .is_none_or(|status| child.enrolment().status() == status)
        && query
            .name_prefix
            .as_deref()
            .is_none_or(|prefix| stored.name_key.starts_with(prefix))
}

/// Whether `query` filters on more than the archive state. If not, its total is the tenant's
/// count; if so, the matches are counted by a walk. (Every field is named, so a new filter
/// cannot be forgotten here.)
fn narrowed(query: &ChildQuery) -> bool {
    let ChildQuery {
        within,
        linked_user,
        room,
        status,
        name_prefix,
        include_archived: _,
        sort: _,
        direction: _,
        page: _,
    } = query;
    within.is_some()
        || linked_user.is_some()
        || room.is_some()
        || status.is_some()
        || name_prefix.is_some()
}

#[async_trait]
impl ChildRepository for MemoryStore {
    async fn insert(&self, scope: &TenantScope, child: &Child) -> Result<(), RepoError> {
        let mut table = write(&self.children);
        let children = table.tenants.writing(scope);
        if children.by_id.contains_key(&child.id()) {
            return Err(RepoError::Conflict("child.id"));
        }
        children.add(child.clone());
        Ok(())
    }

    async fn get(&self, scope: &TenantScope, id: ChildId) -> Result<Child, RepoError> {
        read(&self.children)
            .tenants
            .of(scope)
            .and_then(|children| children.by_id.get(&id))
            .map(|stored| stored.child.clone())
            .ok_or(RepoError::NotFound)
    }

    async fn list(
        &self,
        scope: &TenantScope,
        query: &ChildQuery,
    ) -> Result<Page<Child>, RepoError> {
        let table = read(&self.children);
        let Some(children) = table.tenants.of(scope) else {
            return Ok(Page::empty());
        };
        let mut matching = children
            .ordered(query.sort, query.direction)
            .filter(|stored| matches(query, stored));
        let offset = usize::try_from(query.page.offset()).unwrap_or(usize::MAX);
        let skipped = matching.by_ref().take(offset).count();
        let items: Vec<Child> = matching
            .by_ref()
            .take(query.page.limit() as usize)
            .map(|stored| stored.child.clone())
            .collect();
        let total = if narrowed(query) {
            skipped + items.len() + matching.count()
        } else {
            children.count(query.include_archived)
        };
        Ok(Page {
            items,
            total: total as u64,
        })
    }

    async fn update(
        &self,
        scope: &TenantScope,
        child: &Child,
        expected: Version,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.children);
        let children = table.tenants.of_mut(scope).ok_or(RepoError::NotFound)?;
        let stored = children.by_id.get(&child.id()).ok_or(RepoError::NotFound)?;
        if stored.child.version() != expected {
            return Err(RepoError::StaleVersion);
        }
        // Any indexed field may have changed: the old entries go, the new ones come.
        children.remove(child.id());
        children.add(child.clone());
        Ok(())
    }
}

fn user_taken(
    staff: &BTreeMap<StaffId, StaffMember>,
    member: &StaffMember,
    except: Option<StaffId>,
) -> bool {
    !member.is_archived()
        && staff.values().any(|other| {
            other.user_id == member.user_id && !other.is_archived() && Some(other.id) != except
        })
}

#[async_trait]
impl StaffRepository for MemoryStore {
    async fn insert(&self, scope: &TenantScope, member: &StaffMember) -> Result<(), RepoError> {
        let mut table = write(&self.staff);
        let staff = table.tenants.writing(scope);
        if staff.contains_key(&member.id) {
            return Err(RepoError::Conflict("staff.id"));
        }
        if user_taken(staff, member, None) {
            return Err(RepoError::Conflict("staff.user"));
        }
        staff.insert(member.id, member.clone());
        Ok(())
    }

    async fn get(&self, scope: &TenantScope, id: StaffId) -> Result<StaffMember, RepoError> {
        read(&self.staff)
            .tenants
            .of(scope)
            .and_then(|staff| staff.get(&id))
            .cloned()
            .ok_or(RepoError::NotFound)
    }

    async fn by_user(
        &self,
        scope: &TenantScope,
        user: UserId,
    ) -> Result<Option<StaffMember>, RepoError> {
        Ok(read(&self.staff)
            .tenants
            .of(scope)
            .and_then(|staff| {
                staff
                    .values()
                    .find(|m| m.user_id == user && !m.is_archived())
            })
            .cloned())
    }

    async fn list(
        &self,
        scope: &TenantScope,
        query: &StaffQuery,
    ) -> Result<Page<StaffMember>, RepoError> {
        let table = read(&self.staff);
        let Some(staff) = table.tenants.of(scope) else {
            return Ok(Page::empty());
        };
        let mut matching: Vec<&StaffMember> = staff
            .values()
            .filter(|m| query.include_archived || !m.is_archived())
            .filter(|m| query.room.is_none_or(|room| m.works_in(room)))
            .collect();
        // One name key per staff member, not two per comparison.
        matching.sort_by_cached_key(|m| (m.name.key(), m.id));
        if query.direction == SortDirection::Descending {
            matching.reverse();
        }
        Ok(paginate(matching, query.page))
    }

    async fn update(
        &self,
        scope: &TenantScope,
        member: &StaffMember,
        expected: Version,
    ) -> Result<(), RepoError> {
        let mut table = write(&self.staff);
        let staff = table.tenants.of_mut(scope).ok_or(RepoError::NotFound)?;
        let stored = staff.get(&member.id).ok_or(RepoError::NotFound)?;
        if stored.version != expected {
            return Err(RepoError::StaleVersion);
        }
        if user_taken(staff, member, Some(member.id)) {
            return Err(RepoError::Conflict("staff.user"));
        }
        staff.insert(member.id, member.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use cubby_domain::{Audit, Enrolment, EnrolmentStatus, PersonName, RoomId, SensitiveInfo};
    use cubby_ports::PageRequest;
    use cubby_ports::contract::{at, fresh_scope};
    use proptest::prelude::*;
    use time::macros::date;
    use time::{Duration, UtcOffset};
    use uuid::Uuid;

    use super::*;

    cubby_ports::child_repository_contract!(async { MemoryStore::default() });
    cubby_ports::staff_repository_contract!(async { MemoryStore::default() });

    /// The fields a write sets. Few values each, so that sort values tie often.
    #[derive(Clone, Debug)]
    struct Spec {
        given: &'static str,
        family: &'static str,
        born: i64,
        created: i64,
        east: bool,
        room: Option<u128>,
        status: EnrolmentStatus,
        archived: bool,
    }

    #[derive(Clone, Debug)]
    enum Op {
        /// A new child; `salt` puts its id anywhere in id order, not in insertion order.
        Insert(Spec, u16),
        /// A new state of the `n`th child inserted (modulo their number).
        Update(usize, Spec),
        List(ChildQuery),
    }

    fn room(n: u128) -> RoomId {
        RoomId::from_uuid(Uuid::from_u128(n))
    }

    fn spec() -> impl Strategy<Value = Spec> {
        (
            prop::sample::select(vec!["ava", "Ava", "AVA", "Ben", "Émile", "Zoe"]),
            prop::sample::select(vec!["Smith", "smith", "Jones", "Öberg"]),
            0i64..4,
            0i64..4,
            any::<bool>(),
            prop::option::of(1u128..=2),
            prop::sample::select(EnrolmentStatus::ALL.to_vec()),
            any::<bool>(),
        )
            .prop_map(
                |(given, family, born, created, east, room, status, archived)| Spec {
                    given,
                    family,
                    born,
                    created,
                    east,
                    room,
                    status,
                    archived,
                },
            )
    }

    fn query() -> impl Strategy<Value = ChildQuery> {
        let sort = prop::sample::select(vec![
            ChildSortKey::Name,
            ChildSortKey::CreatedAt,
            ChildSortKey::DateOfBirth,
        ]);
        let direction =
            prop::sample::select(vec![SortDirection::Ascending, SortDirection::Descending]);
        let prefix = prop::sample::select(vec!["", "s", "smith a", "smith av", "jones", "ö", "x"]);
        (
            (sort, direction, any::<bool>()),
            prop::option::of(1u128..=3),
            prop::option::of(prop::sample::select(EnrolmentStatus::ALL.to_vec())),
            prop::option::of(prefix),
            (1u32..8, 0u64..12),
        )
            .prop_map(
                |((sort, direction, include_archived), room_n, status, prefix, (limit, offset))| {
                    ChildQuery {
                        room: room_n.map(room),
                        status,
                        name_prefix: prefix.map(str::to_owned),
                        include_archived,
                        sort,
                        direction,
                        page: PageRequest::new(limit, offset).unwrap(),
                        ..ChildQuery::default()
                    }
                },
            )
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec(
            prop_oneof![
                3 => (spec(), any::<u16>()).prop_map(|(spec, salt)| Op::Insert(spec, salt)),
                2 => (any::<usize>(), spec()).prop_map(|(n, spec)| Op::Update(n, spec)),
                2 => query().prop_map(Op::List),
            ],
            0..40,
        )
    }

    fn child(scope: &TenantScope, id: ChildId, spec: &Spec, version: Version) -> Child {
        let created = at(spec.created);
        let offset = UtcOffset::from_hms(if spec.east { 2 } else { 0 }, 0, 0).unwrap();
        Child::restore(cubby_domain::ChildParts {
            id,
            name: PersonName::parse(spec.given, spec.family).unwrap(),
            date_of_birth: date!(2023 - 01 - 01) + Duration::days(spec.born),
            room_id: spec.room.map(room),
            enrolment: Enrolment::new(spec.status, date!(2026 - 01 - 05), None).unwrap(),
            photo_consent: false,
            sensitive: SensitiveInfo::default(),
            contacts: Vec::new(),
            restrictions: Vec::new(),
            archived_at: spec.archived.then(|| at(10)),
            // The same instant in another offset: equal as a sort value, tie broken by id.
            audit: Audit::created(scope.actor().clone(), created.to_offset(offset)),
            version,
        })
    }

    /// The list as it was before the indexes: filter every child, sort them all, page.
    fn naive(children: &[Child], query: &ChildQuery) -> Page<Child> {
        let keeps = |child: &&Child| {
            (query.include_archived || !child.is_archived())
                && query.room.is_none_or(|room| child.room_id() == Some(room))
                && query
                    .status
                    .is_none_or(|status| child.enrolment().status() == status)
                && query
                    .name_prefix
                    .as_deref()
                    .is_none_or(|prefix| child.name().key().starts_with(prefix))
        };
        let compare = |a: &&Child, b: &&Child| {
            let primary = match query.sort {
                ChildSortKey::Name => a.name().key().cmp(&b.name().key()),
                ChildSortKey::CreatedAt => a.audit().created_at().cmp(&b.audit().created_at()),
                ChildSortKey::DateOfBirth => a.date_of_birth().cmp(&b.date_of_birth()),
            };
            let order: Ordering = primary.then_with(|| a.id().cmp(&b.id()));
            match query.direction {
                SortDirection::Ascending => order,
                SortDirection::Descending => order.reverse(),
            }
        };
        let mut matching: Vec<&Child> = children.iter().filter(keeps).collect();
        matching.sort_by(compare);
        paginate(matching, query.page)
    }

    proptest! {
        /// Through any inserts and updates, every page read from the indexes, and its total,
        /// is the one filtering and sorting every child gives.
        #[test]
        fn an_indexed_page_is_the_fully_sorted_page(ops in ops()) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime.block_on(async {
                let store = MemoryStore::default();
                let scope = fresh_scope();
                // Every child as stored, in insertion order.
                let mut model: Vec<Child> = Vec::new();
                for (n, op) in ops.into_iter().enumerate() {
                    match op {
                        Op::Insert(spec, salt) => {
                            let id = ChildId::from_uuid(Uuid::from_u128(
                                (u128::from(salt) << 64) | n as u128,
                            ));
                            let new = child(&scope, id, &spec, Version::FIRST);
                            ChildRepository::insert(&store, &scope, &new).await.unwrap();
                            model.push(new);
                        }
                        Op::Update(n, spec) => {
                            let Some(n) = n.checked_rem(model.len()) else {
                                continue;
                            };
                            let old = &model[n];
                            let new = child(&scope, old.id(), &spec, old.version().next());
                            ChildRepository::update(&store, &scope, &new, old.version())
                                .await
                                .unwrap();
                            model[n] = new;
                        }
                        Op::List(query) => {
                            let page = ChildRepository::list(&store, &scope, &query).await.unwrap();
                            prop_assert_eq!(page, naive(&model, &query), "{:?}", query);
                        }
                    }
                }
                Ok(())
            })?;
        }
    }
}
