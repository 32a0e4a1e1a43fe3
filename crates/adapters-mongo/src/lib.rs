//! MongoDB adapters on the official `mongodb` driver: the repository of every tenant-owned
//! aggregate (rooms, children, staff, memberships, custom roles, invitations), the tenant and
//! user directories, the membership and invitation lookups that run before a session exists, the audit log, the
//! attendance and ratio breach logs, announcements and message threads, job records and their
//! effect marks, the indexes they need, and a readiness probe.
//!
//! One [`Mongo`] (one driver client, pooled) serves a whole process. Each aggregate has a
//! document type owned here, never the domain type, carrying `tenant_id` (and, for records
//! changed in place, `audit` and `version`; logs and messages are written once and carry their
//! actor and time instead); documents read back are re-parsed through the domain constructors, so a malformed
//! stored field is a [`RepoError::Corrupt`], never a panic. Every filter on a tenant-owned
//! collection starts from [`scoped`], or from [`in_tenant`] for the platform-level lookups that
//! name their tenant explicitly. Driver errors are mapped here by [`to_repo_error`] and never
//! cross the port.

mod attendance;
mod audit;
mod audit_events;
mod children;
mod files;
mod filter;
mod indexes;
mod invitations;
mod jobs;
mod memberships;
mod messages;
mod roles;
mod rooms;
mod tenants;
mod users;

use std::borrow::Cow;
use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bson::{Document, doc};
use cubby_domain::Version;
use cubby_ports::{HealthProbe, Page, PageRequest, Ports, ProbeError, RepoError, SortDirection};
pub(crate) use filter::{Filter, in_tenant, platform, scoped};
use futures::TryStreamExt;
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection, Database};
use serde::Serialize;

pub use indexes::IndexReport;

/// How long the driver looks for a usable server before a call fails, unless the connection
/// string says otherwise. Short, so that an outage answers 503 quickly.
const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(3);
/// How long opening one connection may take, unless the connection string says otherwise.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The database used when the connection string names none.
const DEFAULT_DATABASE: &str = "cubby";

/// The connection pool of a client; `None` keeps the driver's default (100 connections, kept
/// however long they idle).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pool {
    /// The most connections to each server.
    pub max_size: Option<u32>,
    /// How long a connection may sit unused before it is closed rather than used.
    pub max_idle: Option<Duration>,
}

/// A MongoDB database holding Cubby's collections.
#[derive(Clone, Debug)]
pub struct Mongo {
    db: Database,
}

impl Mongo {
    /// Opens a client for `uri` (the database is the one the URI names, else `cubby`). No
    /// connection is made until the first call.
    ///
    /// # Errors
    ///
    /// [`RepoError::Failed`] when the connection string is not valid (the message never
    /// repeats it, since it may hold a password).
    pub async fn connect(uri: &str) -> Result<Self, RepoError> {
        Self::connect_to(uri, None).await
    }

    /// Opens a client for `uri` on the database `name`, whatever the URI says.
    ///
    /// # Errors
    ///
    /// As [`Mongo::connect`].
    pub async fn connect_to(uri: &str, name: Option<&str>) -> Result<Self, RepoError> {
        Self::open(uri, name, Pool::default()).await
    }

    /// Opens a client for `uri` whose connection pool is `pool`, unless the connection string
    /// says otherwise (`maxPoolSize`, `maxIdleTimeMS`).
    ///
    /// # Errors
    ///
    /// As [`Mongo::connect`].
    pub async fn connect_pooled(uri: &str, pool: Pool) -> Result<Self, RepoError> {
        Self::open(uri, None, pool).await
    }

    async fn open(uri: &str, name: Option<&str>, pool: Pool) -> Result<Self, RepoError> {
        let mut options = ClientOptions::parse(uri)
            .await
            .map_err(|_| RepoError::Failed("the MongoDB connection string is not valid".into()))?;
        options.app_name.get_or_insert_with(|| "cubby".to_owned());
        if let Some(size) = pool.max_size {
            options.max_pool_size.get_or_insert(size);
        }
        if let Some(idle) = pool.max_idle {
            options.max_idle_time.get_or_insert(idle);
        }
        options
            .server_selection_timeout
            .get_or_insert(SERVER_SELECTION_TIMEOUT);
        options.connect_timeout.get_or_insert(CONNECT_TIMEOUT);
        let database = name
            .map(str::to_owned)
            .or_else(|| options.default_database.clone())
            .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
        let client = Client::with_options(options).map_err(to_repo_error)?;
        Ok(Self {
            db: client.database(&database),
        })
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Creates every index Cubby's queries need, if missing; safe to run again and concurrently.
    ///
    /// # Errors
    ///
    /// [`RepoError::Unavailable`] when MongoDB does not answer; [`RepoError::Failed`] when an
    /// index of the same name exists with another definition.
    pub async fn ensure_indexes(&self) -> Result<IndexReport, RepoError> {
        indexes::ensure(&self.db).await
    }

    /// Points the repositories, the tenant and user directories, the membership and invitation
    /// lookups, the audit log, the attendance and breach logs, the messages and the job records
    /// of `ports` at this database, and adds its readiness probe.
    pub fn install(&self, ports: &mut Ports) {
        ports.rooms = Arc::new(self.clone());
        ports.children = Arc::new(self.clone());
        ports.staff = Arc::new(self.clone());
        ports.tenants = Arc::new(self.clone());
        ports.users = Arc::new(self.clone());
        ports.membership_directory = Arc::new(self.clone());
        ports.memberships = Arc::new(self.clone());
        ports.roles = Arc::new(self.clone());
        ports.invitations = Arc::new(self.clone());
        ports.invitation_directory = Arc::new(self.clone());
        ports.audit = Arc::new(self.clone());
        ports.files = Arc::new(self.clone());
        ports.attendance = Arc::new(self.clone());
        ports.breaches = Arc::new(self.clone());
        ports.messages = Arc::new(self.clone());
        ports.job_records = Arc::new(self.clone());
        ports.probes.push(Arc::new(self.clone()));
    }
}

#[async_trait]
impl HealthProbe for Mongo {
    fn name(&self) -> &'static str {
        "mongodb"
    }

    async fn check(&self) -> Result<(), ProbeError> {
        self.db
            .run_command(doc! { "ping": 1 })
            .await
            .map(|_| ())
            .map_err(|error| ProbeError(probe_message(&error)))
    }
}

/// What an operator is told about a failed probe: the kind of failure, not the driver's text
/// (which may name hosts and topology).
fn probe_message(error: &mongodb::error::Error) -> String {
    match to_repo_error(error.clone()) {
        RepoError::Unavailable(_) => "unreachable".to_owned(),
        _ => "answered with an error".to_owned(),
    }
}

/// Runs `call`, one driver call named `operation` (`children.insert`), in a `store` span, timed
/// (see [`cubby_ports::observe`]). Every call to the database goes through here.
pub(crate) async fn timed<C, T>(
    operation: impl Into<Cow<'static, str>>,
    call: C,
) -> Result<T, mongodb::error::Error>
where
    C: IntoFuture<Output = Result<T, mongodb::error::Error>>,
{
    cubby_ports::observe::timed("mongodb", operation, call).await
}

/// The name of operation `what` on `collection`, for [`timed`]: `children.find`.
fn operation<T: Send + Sync>(collection: &Collection<T>, what: &str) -> String {
    format!("{}.{what}", collection.name())
}

/// A sort direction as a MongoDB sort key value.
pub(crate) fn sort_order(direction: SortDirection) -> i32 {
    match direction {
        SortDirection::Ascending => 1,
        SortDirection::Descending => -1,
    }
}

/// A stored version as BSON (`i64`; versions never get near its limit).
pub(crate) fn version_to_bson(version: Version) -> i64 {
    i64::try_from(version.get()).unwrap_or(i64::MAX)
}

/// A stored version parsed again; `None` when it is not a version (zero or negative).
pub(crate) fn version_from_bson(stored: i64) -> Option<Version> {
    u64::try_from(stored).ok().and_then(Version::new)
}

/// Server error codes that mean "try again later" rather than "this cannot work".
const TRANSIENT_CODES: &[i32] = &[
    6,     // HostUnreachable
    7,     // HostNotFound
    50,    // MaxTimeMSExpired
    89,    // NetworkTimeout
    91,    // ShutdownInProgress
    189,   // PrimarySteppedDown
    262,   // ExceededTimeLimit
    9001,  // SocketException
    10107, // NotWritablePrimary
    11600, // InterruptedAtShutdown
    11602, // InterruptedDueToReplStateChange
    13435, // NotPrimaryNoSecondaryOk
    13436, // NotPrimaryOrSecondary
];

/// Maps a driver error to the port's: unreachable or transient → `Unavailable`, unreadable
/// stored data → `Corrupt`, anything else → `Failed`. Duplicate keys are recognised by
/// [`duplicate_key`] before this is called.
pub(crate) fn to_repo_error(error: mongodb::error::Error) -> RepoError {
    let transient = error.contains_label("RetryableWriteError")
        || error.contains_label("TransientTransactionError")
        || match error.kind.as_ref() {
            ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::DnsResolve { .. } => true,
            ErrorKind::Command(command) => TRANSIENT_CODES.contains(&command.code),
            ErrorKind::Write(WriteFailure::WriteError(write)) => {
                TRANSIENT_CODES.contains(&write.code)
            }
            _ => false,
        };
    if transient {
        return RepoError::Unavailable(Box::new(error));
    }
    match error.kind.as_ref() {
        // The driver's text quotes the stored value, which may be personal data: not kept.
        ErrorKind::BsonDeserialization(_) => {
            RepoError::corrupt("a stored document could not be read")
        }
        _ => RepoError::Failed(Box::new(error)),
    }
}

/// Decodes a stored document, reporting a malformed one by collection, id and the kind of
/// problem, never by the stored values (which may be personal data).
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    collection: &str,
    document: Document,
) -> Result<T, RepoError> {
    let id: String = document
        .get_str("_id")
        .unwrap_or("(no string _id)")
        .chars()
        .take(64)
        .collect();
    bson::from_document(document).map_err(|error| {
        let text = error.to_string();
        let reason = match text.strip_prefix("missing field ") {
            Some(field) => format!("missing field {field}"),
            None => "a field has the wrong type or value".to_owned(),
        };
        RepoError::corrupt(format!("{collection} document {id}: {reason}"))
    })
}

/// The one document of `collection` matching `filter`, read by `read` (which decodes it with
/// [`decode`]), or `None` when nothing matches. `filter` is used as given: on a tenant-owned
/// collection it starts from [`scoped`] or [`in_tenant`], or is a platform-level lookup.
pub(crate) async fn one_of<T>(
    collection: &Collection<Document>,
    filter: Filter,
    read: impl FnOnce(Document) -> Result<T, RepoError>,
) -> Result<Option<T>, RepoError> {
    timed(
        operation(collection, "find_one"),
        collection.find_one(filter.into_document()),
    )
    .await
    .map_err(to_repo_error)?
    .map(read)
    .transpose()
}

/// Every document of `collection` matching `filter` (used as given, as by [`one_of`]) in `sort`
/// order, each read by `read`.
pub(crate) async fn all_of<T>(
    collection: &Collection<Document>,
    filter: Filter,
    sort: Document,
    read: impl Fn(Document) -> Result<T, RepoError>,
) -> Result<Vec<T>, RepoError> {
    let find = async {
        collection
            .find(filter.into_document())
            .sort(sort)
            .await?
            .try_collect()
            .await
    };
    let documents: Vec<Document> = timed(operation(collection, "find"), find)
        .await
        .map_err(to_repo_error)?;
    documents.into_iter().map(read).collect()
}

/// A page of the documents of `collection` matching `filter` (already scoped) in `sort` order,
/// each read by `read`, and how many match.
pub(crate) async fn page_of<T>(
    collection: &Collection<Document>,
    filter: Filter,
    sort: Document,
    page: PageRequest,
    read: impl Fn(Document) -> Result<T, RepoError>,
) -> Result<Page<T>, RepoError> {
    let total = timed(
        operation(collection, "count"),
        collection.count_documents(filter.clone().into_document()),
    )
    .await
    .map_err(to_repo_error)?;
    let find = async {
        collection
            .find(filter.into_document())
            .sort(sort)
            .skip(page.offset())
            .limit(i64::from(page.limit()))
            .await?
            .try_collect()
            .await
    };
    let documents: Vec<Document> = timed(operation(collection, "find"), find)
        .await
        .map_err(to_repo_error)?;
    let items = documents.into_iter().map(read).collect::<Result<_, _>>()?;
    Ok(Page { items, total })
}

/// Whether `collection` holds a document matching `filter` (on a tenant-owned collection,
/// starting from [`scoped`]).
pub(crate) async fn exists<T: Send + Sync>(
    collection: &Collection<T>,
    filter: Filter,
) -> Result<bool, RepoError> {
    let found = timed(
        operation(collection, "count"),
        collection.count_documents(filter.into_document()),
    )
    .await
    .map_err(to_repo_error)?;
    Ok(found > 0)
}

/// Why a write conditioned on a stored version matched nothing, `filter` naming the document
/// without its version: `NotFound` when there is no such document (on a tenant-owned
/// collection: none in the tenant), else `StaleVersion`.
pub(crate) async fn missed<T: Send + Sync>(
    collection: &Collection<T>,
    filter: Filter,
) -> RepoError {
    match exists(collection, filter).await {
        Ok(false) => RepoError::NotFound,
        Ok(true) => RepoError::StaleVersion,
        Err(error) => error,
    }
}

/// Replaces the document `filter` names (by `_id`; on a tenant-owned collection, starting from
/// [`scoped`]) with `replacement`, provided its stored version is still `expected`; otherwise
/// [`missed`] says why. The replace's errors are mapped by `write_error`, which tells the
/// collection's duplicate keys apart; the rest by [`to_repo_error`].
pub(crate) async fn replace_versioned<T: Serialize + Send + Sync>(
    collection: &Collection<T>,
    filter: Filter,
    expected: Version,
    replacement: T,
    write_error: impl FnOnce(mongodb::error::Error) -> RepoError,
) -> Result<(), RepoError> {
    let mut current = filter.clone();
    current.insert("version", version_to_bson(expected));
    let result = timed(
        operation(collection, "replace"),
        collection.replace_one(current.into_document(), replacement),
    )
    .await
    .map_err(write_error)?;
    if result.matched_count == 1 {
        return Ok(());
    }
    Err(missed(collection, filter).await)
}

/// The write error mapping of a collection whose only unique index is `_id` (ids are minted
/// unique): a duplicate key is a conflict on `what`, anything else goes to [`to_repo_error`].
pub(crate) fn id_conflict(what: &'static str) -> impl Fn(mongodb::error::Error) -> RepoError {
    move |error| match duplicate_key(&error) {
        Some(_) => RepoError::Conflict(what),
        None => to_repo_error(error),
    }
}

/// The server's message when `error` is a duplicate key (code 11000), which names the index.
pub(crate) fn duplicate_key(error: &mongodb::error::Error) -> Option<&str> {
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(write)) if write.code == 11000 => {
            Some(&write.message)
        }
        ErrorKind::Command(command) if command.code == 11000 => Some(&command.message),
        ErrorKind::InsertMany(many) => many
            .write_errors
            .as_ref()
            .and_then(|errors| errors.iter().find(|e| e.code == 11000))
            .map(|e| e.message.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Mongo;
    use cubby_ports::contract::services::mongodb_uri;

    /// A fresh database with every index, or `None` when no server is configured.
    pub(crate) async fn fresh() -> Option<Mongo> {
        let uri = mongodb_uri()?;
        let name = format!("cubby_test_{}", uuid::Uuid::now_v7().simple());
        let mongo = Mongo::connect_to(&uri, Some(&name)).await.unwrap();
        mongo.ensure_indexes().await.unwrap();
        Some(mongo)
    }

    mod rooms {
        cubby_ports::room_repository_contract!(optional super::fresh());
    }

    mod children {
        cubby_ports::child_repository_contract!(optional super::fresh());
    }

    mod staff {
        cubby_ports::staff_repository_contract!(optional super::fresh());
    }

    mod tenants {
        cubby_ports::tenant_directory_contract!(optional super::fresh());
    }

    mod users {
        cubby_ports::user_directory_contract!(optional super::fresh());
    }

    mod audit_events {
        cubby_ports::audit_log_contract!(optional super::fresh());
    }

    mod roles {
        cubby_ports::role_repository_contract!(optional super::fresh());
    }

    mod invitations {
        cubby_ports::invitation_repository_contract!(optional super::fresh());
    }

    mod attendance {
        cubby_ports::attendance_log_contract!(optional super::fresh());
    }

    mod breaches {
        cubby_ports::breach_log_contract!(optional super::fresh());
    }

    mod messages {
        cubby_ports::message_repository_contract!(optional super::fresh());
    }

    mod files {
        cubby_ports::file_repository_contract!(optional super::fresh());
    }

    mod jobs {
        cubby_ports::job_records_contract!(optional super::fresh());
    }

    mod stored {
        use bson::{Document, doc};
        use cubby_domain::{ExternalId, Permission, Role, RoleId, RoleRef, User};
        use cubby_ports::contract::fresh_scope;
        use cubby_ports::contract::invitations::new_invitation;
        use cubby_ports::contract::roles::new_role;
        use cubby_ports::contract::users::{new_membership, new_user};
        use cubby_ports::{
            InvitationDirectory, InvitationRepository, MembershipDirectory, MembershipQuery,
            MembershipRepository, RepoError, RoleRepository, UserDirectory,
        };

        use super::fresh;

        fn collection(mongo: &super::Mongo, name: &str) -> mongodb::Collection<Document> {
            mongo.database().collection(name)
        }

        #[tokio::test]
        async fn every_declared_index_is_ensured_and_ensuring_again_changes_nothing() {
            let Some(mongo) = fresh().await else { return };
            let names: Vec<String> = mongo
                .ensure_indexes()
                .await
                .unwrap()
                .ensured
                .into_iter()
                .map(|(_, name)| name)
                .collect();
            for expected in [
                "users_email_unique",
                "users_supabase_id_unique",
                "memberships_tenant_user_unique",
                "memberships_user",
                "memberships_tenant_created",
                "memberships_tenant_role",
                "roles_tenant_name_unique",
                "roles_tenant_created",
                "invitations_tenant_created",
                "invitations_tenant_status_created",
                "audit_tenant_at",
                "children_tenant_name",
                "children_tenant_created",
                "children_tenant_date_of_birth",
                "children_tenant_contact_user",
                "children_tenant_room_name",
                "staff_tenant_active_user_unique",
                "staff_tenant_name",
                "staff_tenant_room_name",
                "attendance_tenant_subject_day_seq_unique",
                "attendance_tenant_day_subject_seq",
                "breaches_tenant_at",
                "breaches_tenant_room_at",
                "announcements_tenant_sent",
                "announcements_tenant_audience_sent",
                "threads_tenant_last_message",
                "threads_tenant_child_last_message",
                "threads_tenant_participant_last_message",
                "messages_tenant_thread_sent",
                "files_tenant_status_created",
            ] {
                assert!(names.iter().any(|n| n == expected), "{expected}: {names:?}");
            }
        }

        #[tokio::test]
        async fn a_missing_supabase_id_is_left_out_not_stored_as_null() {
            let Some(mongo) = fresh().await else { return };
            let user = User::restore(cubby_domain::UserParts {
                supabase_id: None,
                password_hash: None,
                ..new_user().into_parts()
            });
            mongo.insert_user(&user).await.unwrap();
            let stored = collection(&mongo, "users")
                .find_one(doc! { "_id": user.id().to_string() })
                .await
                .unwrap()
                .unwrap();
            assert!(!stored.contains_key("supabase_id"), "{stored:?}");
            assert!(!stored.contains_key("password_hash"));
        }

        #[tokio::test]
        async fn a_supabase_id_given_up_by_an_update_is_free_again() {
            let Some(mongo) = fresh().await else { return };
            let user = new_user();
            mongo.insert_user(&user).await.unwrap();
            let unlinked = User::restore(cubby_domain::UserParts {
                supabase_id: None,
                version: user.version().next(),
                ..user.clone().into_parts()
            });
            mongo.update_user(&unlinked, user.version()).await.unwrap();
            let other = User::restore(cubby_domain::UserParts {
                supabase_id: user.supabase_id().cloned(),
                ..new_user().into_parts()
            });
            mongo.insert_user(&other).await.unwrap();
            let taken = User::restore(cubby_domain::UserParts {
                supabase_id: Some(ExternalId::parse("taken-elsewhere").unwrap()),
                ..new_user().into_parts()
            });
            mongo.insert_user(&taken).await.unwrap();
            let relinked = User::restore(cubby_domain::UserParts {
                supabase_id: taken.supabase_id().cloned(),
                version: unlinked.version().next(),
                ..unlinked.clone().into_parts()
            });
            let conflict = mongo.update_user(&relinked, unlinked.version()).await;
            assert!(
                matches!(conflict, Err(RepoError::Conflict("user.supabase_id"))),
                "{conflict:?}"
            );
            assert_eq!(mongo.user_by_id(user.id()).await.unwrap(), unlinked);
        }

        #[tokio::test]
        async fn a_malformed_document_is_corrupt_by_collection_and_id_never_by_value() {
            let Some(mongo) = fresh().await else { return };
            let user = new_user();
            mongo.insert_user(&user).await.unwrap();
            collection(&mongo, "users")
                .update_one(
                    doc! { "_id": user.id().to_string() },
                    doc! { "$set": { "status": "banished", "email_verified": "yes" } },
                )
                .await
                .unwrap();
            let error = mongo.user_by_id(user.id()).await.unwrap_err();
            let text = format!("{error:?} {}", std::error::Error::source(&error).unwrap());
            assert!(matches!(error, RepoError::Corrupt(_)), "{text}");
            assert!(text.contains("users document") && text.contains(&user.id().to_string()));
            assert!(
                !text.contains(user.email().as_str()) && !text.contains("yes"),
                "{text}"
            );

            let scope = fresh_scope();
            let membership = new_membership(user.id(), &[Role::Teacher]);
            mongo.insert_membership(&scope, &membership).await.unwrap();
            collection(&mongo, "memberships")
                .update_one(
                    doc! { "_id": membership.id().to_string() },
                    doc! { "$set": { "roles": ["overlord"] } },
                )
                .await
                .unwrap();
            let error = mongo
                .membership_by_id(scope.tenant_id(), membership.id())
                .await
                .unwrap_err();
            let text = format!("{error:?} {}", std::error::Error::source(&error).unwrap());
            assert!(matches!(error, RepoError::Corrupt(_)), "{text}");
            assert!(!text.contains("overlord"), "{text}");
        }

        /// The error's debug form and its cause, as an operator would see them.
        fn reported(error: &RepoError) -> String {
            let cause = std::error::Error::source(error)
                .map(ToString::to_string)
                .unwrap_or_default();
            format!("{error:?} {cause}")
        }

        #[tokio::test]
        async fn a_malformed_role_is_corrupt_by_collection_and_id_never_by_value() {
            let Some(mongo) = fresh().await else { return };
            let scope = fresh_scope();
            let role = new_role("Cook", &[Permission::ChildrenRead], 0);
            mongo.insert_role(&scope, &role).await.unwrap();
            let id = role.id.to_string();

            collection(&mongo, "roles")
                .update_one(
                    doc! { "_id": &id },
                    doc! { "$set": { "permissions": "rooms:everything" } },
                )
                .await
                .unwrap();
            let error = mongo.list_roles(&scope).await.unwrap_err();
            let text = reported(&error);
            assert!(matches!(error, RepoError::Corrupt(_)), "{text}");
            assert!(
                text.contains("roles document") && text.contains(&id),
                "{text}"
            );
            assert!(!text.contains("rooms:everything"), "{text}");

            collection(&mongo, "roles")
                .update_one(
                    doc! { "_id": &id },
                    doc! { "$set": { "permissions": ["rooms:levitate"] } },
                )
                .await
                .unwrap();
            let error = mongo.list_roles(&scope).await.unwrap_err();
            let text = reported(&error);
            assert!(matches!(error, RepoError::Corrupt(_)), "{text}");
            assert!(!text.contains("rooms:levitate"), "{text}");
        }

        #[tokio::test]
        async fn a_malformed_invitation_is_corrupt_by_collection_and_id_never_by_value() {
            let Some(mongo) = fresh().await else { return };
            let scope = fresh_scope();
            let invitation = new_invitation(0);
            mongo.insert_invitation(&scope, &invitation).await.unwrap();
            let id = invitation.id().to_string();

            collection(&mongo, "invitations")
                .update_one(
                    doc! { "_id": &id },
                    doc! { "$set": { "expires_at": "next-tuesday", "email": { "was": "leaked@example.com" } } },
                )
                .await
                .unwrap();
            for error in [
                mongo
                    .get_invitation(&scope, invitation.id())
                    .await
                    .unwrap_err(),
                mongo.invitation_by_id(invitation.id()).await.unwrap_err(),
            ] {
                let text = reported(&error);
                assert!(matches!(error, RepoError::Corrupt(_)), "{text}");
                assert!(
                    text.contains("invitations document") && text.contains(&id),
                    "{text}"
                );
                assert!(
                    !text.contains("next-tuesday") && !text.contains("leaked@example.com"),
                    "{text}"
                );
            }

            collection(&mongo, "invitations")
                .update_one(
                    doc! { "_id": &id },
                    doc! { "$set": {
                        "expires_at": bson::DateTime::now(),
                        "email": invitation.email().as_str(),
                        "token": "not-a-digest",
                    } },
                )
                .await
                .unwrap();
            let error = mongo
                .list_invitations(&scope, &Default::default())
                .await
                .unwrap_err();
            let text = reported(&error);
            assert!(matches!(error, RepoError::Corrupt(_)), "{text}");
            assert!(!text.contains("not-a-digest"), "{text}");
        }

        #[tokio::test]
        async fn a_malformed_child_or_staff_record_is_corrupt_never_by_value() {
            use cubby_domain::{
                Audit, Capability, Child, ChildId, Enrolment, EnrolmentStatus, PersonName,
                SensitiveInfo, StaffId, StaffMember, UserId, Version,
            };
            use cubby_ports::{ChildQuery, ChildRepository, StaffQuery, StaffRepository};
            use time::macros::date;

            let Some(mongo) = fresh().await else { return };
            let scope = fresh_scope();
            let child = Child::restore(cubby_domain::ChildParts {
                id: ChildId::from_uuid(uuid::Uuid::now_v7()),
                name: PersonName::parse("Mia", "Smith").unwrap(),
                date_of_birth: date!(2024 - 03 - 31),
                room_id: None,
                enrolment: Enrolment::new(EnrolmentStatus::Enrolled, date!(2026 - 01 - 05), None)
                    .unwrap(),
                photo_consent: false,
                sensitive: SensitiveInfo::default(),
                contacts: Vec::new(),
                restrictions: Vec::new(),
                archived_at: None,
                audit: Audit::created(scope.actor().clone(), cubby_ports::contract::at(0)),
                version: Version::FIRST,
            });
            ChildRepository::insert(&mongo, &scope, &child)
                .await
                .unwrap();
            let id = child.id().to_string();
            let stored = collection(&mongo, "children")
                .find_one(doc! { "_id": &id })
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.get_str("date_of_birth"), Ok("2024-03-31"));
            assert_eq!(stored.get_str("name_key"), Ok("smith mia"));
            assert!(!stored.contains_key("room_id"), "{stored:?}");

            collection(&mongo, "children")
                .update_one(
                    doc! { "_id": &id },
                    doc! { "$set": { "contacts": "leaked@example.com" } },
                )
                .await
                .unwrap();
            let error = ChildRepository::get(&mongo, &scope, child.id())
                .await
                .unwrap_err();
            let text = reported(&error);
            assert!(matches!(error, RepoError::Corrupt(_)), "{text}");
            assert!(
                text.contains("children document") && text.contains(&id),
                "{text}"
            );
            assert!(!text.contains("leaked@example.com"), "{text}");

            collection(&mongo, "children")
                .update_one(
                    doc! { "_id": &id },
                    doc! { "$set": {
                        "contacts": [{
                            "id": "ctc_nonsense",
                            "name": { "given": "Alex", "family": "Smith" },
                            "relationship": "parent",
                            "capabilities": [Capability::Guardian.as_str(), "levitate"],
                        }],
                        "date_of_birth": "next-tuesday",
                    } },
                )
                .await
                .unwrap();
            let error = ChildRepository::list(&mongo, &scope, &ChildQuery::default())
                .await
                .unwrap_err();
            let text = reported(&error);
            assert!(matches!(error, RepoError::Corrupt(_)), "{text}");
            assert!(
                !text.contains("next-tuesday") && !text.contains("levitate"),
                "{text}"
            );

            let member = StaffMember {
                id: StaffId::from_uuid(uuid::Uuid::now_v7()),
                user_id: UserId::from_uuid(uuid::Uuid::now_v7()),
                name: PersonName::parse("Ana", "Teacher").unwrap(),
                qualifications: Vec::new(),
                room_ids: Vec::new(),
                archived_at: None,
                audit: Audit::created(scope.actor().clone(), cubby_ports::contract::at(0)),
                version: Version::FIRST,
            };
            StaffRepository::insert(&mongo, &scope, &member)
                .await
                .unwrap();
            collection(&mongo, "staff")
                .update_one(
                    doc! { "_id": member.id.to_string() },
                    doc! { "$set": { "room_ids": ["the-broom-cupboard"] } },
                )
                .await
                .unwrap();
            let error = StaffRepository::list(&mongo, &scope, &StaffQuery::default())
                .await
                .unwrap_err();
            let text = reported(&error);
            assert!(matches!(error, RepoError::Corrupt(_)), "{text}");
            assert!(!text.contains("the-broom-cupboard"), "{text}");
        }

        /// A check-in of a new child on 2026-09-01 in a new room, recorded by the scope's actor.
        fn check_in(scope: &cubby_ports::TenantScope, seq: u32) -> cubby_domain::AttendanceEvent {
            use cubby_domain::{AttendanceEvent, AttendanceEventId, ChildId, Movement, RoomId};
            let room = RoomId::from_uuid(uuid::Uuid::now_v7());
            AttendanceEvent {
                id: AttendanceEventId::from_uuid(uuid::Uuid::now_v7()),
                subject: cubby_domain::Subject::Child(ChildId::from_uuid(uuid::Uuid::now_v7())),
                day: time::macros::date!(2026 - 09 - 01),
                seq,
                movement: Movement::CheckIn {
                    room,
                    contact: None,
                },
                at: cubby_ports::contract::at(i64::from(seq)),
                room,
                actor: scope.actor().clone(),
                recorded_at: cubby_ports::contract::at(i64::from(seq)),
            }
        }

        #[tokio::test]
        async fn an_event_is_stored_under_its_tenant_and_a_replay_taking_a_seq_is_still_a_replay() {
            use cubby_domain::AttendanceEvent;
            use cubby_ports::{Appended, AttendanceLog};

            let Some(mongo) = fresh().await else { return };
            let scope = fresh_scope();
            let first = check_in(&scope, 1);
            let second = AttendanceEvent {
                id: cubby_domain::AttendanceEventId::from_uuid(uuid::Uuid::now_v7()),
                seq: 2,
                ..first.clone()
            };
            for event in [&first, &second] {
                assert_eq!(mongo.append(&scope, event).await.unwrap(), Appended::Stored);
            }
            let stored = collection(&mongo, "attendance_events")
                .find_one(doc! { "event_id": first.id.to_string() })
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                stored.get_str("_id").unwrap(),
                format!("{}:{}", scope.tenant_id(), first.id)
            );
            assert_eq!(
                stored.get_str("subject").unwrap(),
                first.subject.to_string()
            );
            assert_eq!(stored.get_str("day"), Ok("2026-09-01"));

            // The replay collides with its own id and with the second event's seq: the id wins.
            let replay = AttendanceEvent {
                seq: 2,
                ..first.clone()
            };
            assert_eq!(
                mongo.append(&scope, &replay).await.unwrap(),
                Appended::Replayed(first.clone())
            );
        }

        #[tokio::test]
        async fn a_malformed_attendance_event_or_breach_is_corrupt_never_by_value() {
            use cubby_domain::{AttendanceEventId, Breach, BreachId};
            use cubby_ports::{AttendanceLog, BreachLog, BreachQuery};

            let Some(mongo) = fresh().await else { return };
            let scope = fresh_scope();
            let event = check_in(&scope, 1);
            mongo.append(&scope, &event).await.unwrap();
            let key = format!("{}:{}", scope.tenant_id(), event.id);

            // Each change, and whether the event still matches the subject's and day's filters.
            for (set, leaked, listed) in [
                (doc! { "movement.kind": "teleport" }, "teleport", true),
                (
                    doc! { "subject": "child_the-cupboard" },
                    "the-cupboard",
                    false,
                ),
                (doc! { "subject_kind": "goldfish" }, "goldfish", true),
                (doc! { "day": "next-tuesday" }, "next-tuesday", false),
                (doc! { "seq": -3_i64 }, "-3", true),
                (
                    doc! { "actor": "someone@example.com" },
                    "someone@example.com",
                    true,
                ),
                (
                    doc! { "movement": { "kind": "correction", "amends": event.id.to_string(), "amendment": { "kind": "void" }, "reason": "" } },
                    "correction\"",
                    true,
                ),
                (
                    doc! { "movement.room": { "leaked": "x@example.com" } },
                    "x@example.com",
                    true,
                ),
            ] {
                let original = collection(&mongo, "attendance_events")
                    .find_one(doc! { "_id": &key })
                    .await
                    .unwrap()
                    .unwrap();
                collection(&mongo, "attendance_events")
                    .update_one(doc! { "_id": &key }, doc! { "$set": set.clone() })
                    .await
                    .unwrap();
                let mut errors = vec![mongo.get(&scope, event.id).await.unwrap_err()];
                if listed {
                    errors.push(
                        mongo
                            .of_subject(&scope, event.subject, event.day, event.day)
                            .await
                            .unwrap_err(),
                    );
                    errors.push(mongo.day(&scope, event.day, None).await.unwrap_err());
                }
                for error in errors {
                    let text = reported(&error);
                    assert!(matches!(error, RepoError::Corrupt(_)), "{set:?}: {text}");
                    assert!(
                        text.contains("attendance_events document") && text.contains(&key),
                        "{set:?}: {text}"
                    );
                    assert!(!text.contains(leaked), "{set:?}: {text}");
                }
                collection(&mongo, "attendance_events")
                    .replace_one(doc! { "_id": &key }, original)
                    .await
                    .unwrap();
                assert_eq!(mongo.get(&scope, event.id).await.unwrap(), event);
            }

            let breach = Breach {
                id: BreachId::from_uuid(uuid::Uuid::now_v7()),
                room: event.room,
                day: event.day,
                at: event.at,
                event: AttendanceEventId::from_uuid(uuid::Uuid::now_v7()),
                refused: true,
                children: 9,
                staff: 2,
                staff_needed: 3,
                over_group_size: 0,
                actor: scope.actor().clone(),
            };
            mongo.record(&scope, &breach).await.unwrap();
            let id = breach.id.to_string();
            collection(&mongo, "ratio_breaches")
                .update_one(
                    doc! { "_id": &id },
                    doc! { "$set": { "staff_needed": -7_i64, "room": "room_the-attic" } },
                )
                .await
                .unwrap();
            let error = mongo
                .breaches(&scope, &BreachQuery::default())
                .await
                .unwrap_err();
            let text = reported(&error);
            assert!(matches!(error, RepoError::Corrupt(_)), "{text}");
            assert!(
                text.contains("ratio_breaches document") && text.contains(&id),
                "{text}"
            );
            assert!(
                !text.contains("the-attic") && !text.contains("-7"),
                "{text}"
            );
        }

        #[tokio::test]
        async fn the_holders_of_a_custom_role_are_listed_by_its_id() {
            let Some(mongo) = fresh().await else { return };
            let scope = fresh_scope();
            let custom = RoleRef::Custom(RoleId::from_uuid(uuid::Uuid::now_v7()));
            let holder = cubby_domain::Membership::restore(cubby_domain::MembershipParts {
                roles: vec![Role::Teacher.into(), custom],
                ..new_membership(new_user().id(), &[]).into_parts()
            });
            mongo.insert_membership(&scope, &holder).await.unwrap();
            mongo
                .insert_membership(&scope, &new_membership(new_user().id(), &[Role::Teacher]))
                .await
                .unwrap();
            let stored = collection(&mongo, "memberships")
                .find_one(doc! { "_id": holder.id().to_string() })
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                stored.get_array("roles").unwrap()[1].as_str(),
                Some(custom.to_string().as_str())
            );
            let page = mongo
                .list_memberships(
                    &scope,
                    &MembershipQuery {
                        role: Some(custom),
                        ..MembershipQuery::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!((page.total, page.items), (1, vec![holder]));
        }
    }
}
