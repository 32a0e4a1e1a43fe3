//! The indexes Cubby's queries need, declared once and ensured at start-up and by
//! `cubby admin ensure-indexes`. docs/OPERATIONS.md lists each query with the index serving it.

use bson::doc;
use cubby_ports::RepoError;
use mongodb::options::IndexOptions;
use mongodb::{Database, IndexModel};

use crate::timed;
use crate::{
    attendance, audit_events, children, files, invitations, memberships, messages, roles, rooms,
    tenants, to_repo_error, users,
};

/// The indexes ensured, by collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexReport {
    /// `(collection, index name)` pairs, in the order they were ensured.
    pub ensured: Vec<(&'static str, String)>,
}

fn index(keys: bson::Document, name: &str, unique: bool) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(
            IndexOptions::builder()
                .name(name.to_owned())
                .unique(unique.then_some(true))
                .build(),
        )
        .build()
}

/// Every index, by collection.
fn declared() -> Vec<(&'static str, Vec<IndexModel>)> {
    vec![
        (
            tenants::COLLECTION,
            vec![index(doc! { "code": 1 }, tenants::CODE_INDEX, true)],
        ),
        (
            rooms::COLLECTION,
            vec![
                // Unique among a tenant's active rooms: archived rooms free their name.
                IndexModel::builder()
                    .keys(doc! { "tenant_id": 1, "name_key": 1 })
                    .options(
                        IndexOptions::builder()
                            .name(rooms::NAME_INDEX.to_owned())
                            .unique(true)
                            .partial_filter_expression(doc! { "archived": false })
                            .build(),
                    )
                    .build(),
                // Lists in creation order (the default, newest first), with or without archived rooms.
                index(
                    doc! { "tenant_id": 1, "archived": 1, "audit.created_at": -1, "_id": -1 },
                    "rooms_tenant_created",
                    false,
                ),
                // Lists in name order, and name prefix filters.
                index(
                    doc! { "tenant_id": 1, "archived": 1, "name_key": 1, "_id": 1 },
                    "rooms_tenant_name",
                    false,
                ),
            ],
        ),
        (
            children::CHILDREN,
            vec![
                // Lists in name order (the default), with or without archived children, and
                // name prefix filters.
                index(
                    doc! { "tenant_id": 1, "archived": 1, "name_key": 1, "_id": 1 },
                    children::CHILD_NAME_INDEX,
                    false,
                ),
                // Lists in creation order.
                index(
                    doc! { "tenant_id": 1, "archived": 1, "audit.created_at": 1, "_id": 1 },
                    children::CHILD_CREATED_INDEX,
                    false,
                ),
                // Lists by date of birth.
                index(
                    doc! { "tenant_id": 1, "archived": 1, "date_of_birth": 1, "_id": 1 },
                    children::CHILD_BIRTH_INDEX,
                    false,
                ),
                // A user's children: those with a contact linked to them (multikey).
                index(
                    doc! { "tenant_id": 1, "contacts.user_id": 1 },
                    children::CHILD_LINKED_USER_INDEX,
                    false,
                ),
                // A room's children by name, and the rooms branch of a visible set.
                index(
                    doc! { "tenant_id": 1, "room_id": 1, "archived": 1, "name_key": 1, "_id": 1 },
                    children::CHILD_ROOM_INDEX,
                    false,
                ),
            ],
        ),
        (
            children::STAFF,
            vec![
                // One active staff record per user and tenant (partial: archived records free
                // their user); also a user's active record.
                IndexModel::builder()
                    .keys(doc! { "tenant_id": 1, "user_id": 1 })
                    .options(
                        IndexOptions::builder()
                            .name(children::STAFF_USER_INDEX.to_owned())
                            .unique(true)
                            .partial_filter_expression(doc! { "archived": false })
                            .build(),
                    )
                    .build(),
                // Lists in name order, with or without archived staff.
                index(
                    doc! { "tenant_id": 1, "archived": 1, "name_key": 1, "_id": 1 },
                    children::STAFF_NAME_INDEX,
                    false,
                ),
                // The staff of a room, by name (multikey on the assigned rooms).
                index(
                    doc! { "tenant_id": 1, "room_ids": 1, "archived": 1, "name_key": 1, "_id": 1 },
                    children::STAFF_ROOM_INDEX,
                    false,
                ),
            ],
        ),
        (
            users::COLLECTION,
            vec![
                // Sign-in by address; one user per address.
                index(doc! { "email": 1 }, users::EMAIL_INDEX, true),
                // Exchange of a Supabase session; unique among the users that have a Supabase
                // id (the field is left out, never null, for the others).
                IndexModel::builder()
                    .keys(doc! { "supabase_id": 1 })
                    .options(
                        IndexOptions::builder()
                            .name(users::SUPABASE_ID_INDEX.to_owned())
                            .unique(true)
                            .partial_filter_expression(
                                doc! { "supabase_id": { "$type": "string" } },
                            )
                            .build(),
                    )
                    .build(),
            ],
        ),
        (
            memberships::COLLECTION,
            vec![
                // A user's membership of a tenant (sign-in, session checks); one per user and
                // tenant.
                index(
                    doc! { "tenant_id": 1, "user_id": 1 },
                    memberships::TENANT_USER_INDEX,
                    true,
                ),
                // Every centre of a user.
                index(doc! { "user_id": 1 }, memberships::USER_INDEX, false),
                // A tenant's members of some statuses, in creation order either way.
                index(
                    doc! { "tenant_id": 1, "status": 1, "audit.created_at": 1, "_id": 1 },
                    memberships::TENANT_CREATED_INDEX,
                    false,
                ),
                // A tenant's members holding a role: the role filter of lists, and every holder
                // of a custom role when it changes or goes.
                index(
                    doc! { "tenant_id": 1, "roles": 1 },
                    memberships::TENANT_ROLE_INDEX,
                    false,
                ),
            ],
        ),
        (
            roles::COLLECTION,
            vec![
                // One name per tenant, whatever its case.
                index(
                    doc! { "tenant_id": 1, "name_key": 1 },
                    roles::NAME_INDEX,
                    true,
                ),
                // A tenant's roles in creation order.
                index(
                    doc! { "tenant_id": 1, "audit.created_at": 1, "_id": 1 },
                    roles::TENANT_CREATED_INDEX,
                    false,
                ),
            ],
        ),
        (
            invitations::COLLECTION,
            vec![
                // A tenant's invitations, newest first.
                index(
                    doc! { "tenant_id": 1, "audit.created_at": -1, "_id": -1 },
                    invitations::TENANT_CREATED_INDEX,
                    false,
                ),
                // A tenant's invitations of one status, newest first.
                index(
                    doc! { "tenant_id": 1, "status": 1, "audit.created_at": -1, "_id": -1 },
                    invitations::TENANT_STATUS_CREATED_INDEX,
                    false,
                ),
            ],
        ),
        (
            audit_events::COLLECTION,
            vec![
                // A tenant's log, newest first, with or without filters.
                index(
                    doc! { "tenant_id": 1, "at": -1, "_id": -1 },
                    audit_events::TENANT_AT_INDEX,
                    false,
                ),
            ],
        ),
        (
            attendance::EVENTS,
            vec![
                // One event per place in a subject's day (a lost race for a `seq` is a
                // conflict); also a subject's events over a range of days, by day then `seq`.
                index(
                    doc! { "tenant_id": 1, "subject": 1, "day": 1, "seq": 1 },
                    attendance::EVENT_SEQ_INDEX,
                    true,
                ),
                // A day's events by subject then `seq`, of every room or (filtered on the
                // fetched events, a day being small) of one.
                index(
                    doc! { "tenant_id": 1, "day": 1, "subject": 1, "seq": 1 },
                    attendance::EVENT_DAY_INDEX,
                    false,
                ),
            ],
        ),
        (
            attendance::BREACHES,
            vec![
                // A tenant's breaches, newest first, with or without a range of days.
                index(
                    doc! { "tenant_id": 1, "at": -1, "_id": -1 },
                    attendance::BREACH_AT_INDEX,
                    false,
                ),
                // A room's breaches, newest first.
                index(
                    doc! { "tenant_id": 1, "room": 1, "at": -1, "_id": -1 },
                    attendance::BREACH_ROOM_AT_INDEX,
                    false,
                ),
            ],
        ),
        (
            messages::ANNOUNCEMENTS,
            vec![
                // A tenant's announcements, newest first.
                index(
                    doc! { "tenant_id": 1, "sent_at": -1, "_id": -1 },
                    messages::ANNOUNCEMENT_SENT_INDEX,
                    false,
                ),
                // A tenant's announcements to the centre and some rooms (`audience` `$in`),
                // newest first.
                index(
                    doc! { "tenant_id": 1, "audience": 1, "sent_at": -1, "_id": -1 },
                    messages::ANNOUNCEMENT_AUDIENCE_INDEX,
                    false,
                ),
            ],
        ),
        (
            messages::THREADS,
            vec![
                // A tenant's threads, latest message first.
                index(
                    doc! { "tenant_id": 1, "last_message_at": -1, "_id": -1 },
                    messages::THREAD_LAST_INDEX,
                    false,
                ),
                // The threads about some children (`child_id` `$in`), latest message first.
                index(
                    doc! { "tenant_id": 1, "child_id": 1, "last_message_at": -1, "_id": -1 },
                    messages::THREAD_CHILD_INDEX,
                    false,
                ),
                // A user's threads (multikey on the participants), latest message first.
                index(
                    doc! { "tenant_id": 1, "participants": 1, "last_message_at": -1, "_id": -1 },
                    messages::THREAD_PARTICIPANT_INDEX,
                    false,
                ),
            ],
        ),
        (
            messages::MESSAGES,
            vec![
                // A thread's messages, oldest first.
                index(
                    doc! { "tenant_id": 1, "thread_id": 1, "sent_at": 1, "_id": 1 },
                    messages::MESSAGE_THREAD_INDEX,
                    false,
                ),
            ],
        ),
        (
            files::COLLECTION,
            vec![
                // A tenant's pending files, oldest first (retention of stale uploads).
                index(
                    doc! { "tenant_id": 1, "status": 1, "created_at": 1, "_id": 1 },
                    files::PENDING_INDEX,
                    false,
                ),
            ],
        ),
        // `jobs` and `job_effects` (see `jobs.rs`) are read and written by `_id` only (an
        // effect mark's `_id` is its tenant, job and effect): they need no index beyond `_id`.
    ]
}

/// Creates the missing indexes; existing ones with the same definition are left as they are.
pub(crate) async fn ensure(db: &Database) -> Result<IndexReport, RepoError> {
    let mut ensured = Vec::new();
    for (collection, models) in declared() {
        let indexed = db.collection::<bson::Document>(collection);
        let result = timed(
            format!("{collection}.create_indexes"),
            indexed.create_indexes(models),
        )
        .await
        .map_err(to_repo_error)?;
        ensured.extend(
            result
                .index_names
                .into_iter()
                .map(|name| (collection, name)),
        );
    }
    Ok(IndexReport { ensured })
}
