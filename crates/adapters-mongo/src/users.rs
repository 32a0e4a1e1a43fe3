//! The user directory in the `users` collection (platform-level: users exist across centres and
//! before any session, so this collection is not partitioned by tenant).

use async_trait::async_trait;
use bson::{Document, doc};
use cubby_domain::{Email, ExternalId, PasswordHash, User, UserId, UserStatus, Version};
use cubby_ports::{RepoError, UserDirectory};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use crate::audit::AuditDocument;
use crate::timed;
use crate::{
    Mongo, decode, duplicate_key, one_of, platform, replace_versioned, to_repo_error,
    version_from_bson, version_to_bson,
};

/// The collection.
pub(crate) const COLLECTION: &str = "users";

/// The unique index on e-mail addresses (stored trimmed and lowercased by the domain).
pub(crate) const EMAIL_INDEX: &str = "users_email_unique";

/// The unique index on Supabase ids (partial: users without one never conflict).
pub(crate) const SUPABASE_ID_INDEX: &str = "users_supabase_id_unique";

/// A user as stored. Optional fields are left out when empty, never stored as `null`, so that
/// the partial index on `supabase_id` only holds users that have one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UserDocument {
    #[serde(rename = "_id")]
    id: String,
    email: String,
    email_verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    supabase_id: Option<String>,
    status: String,
    audit: AuditDocument,
    version: i64,
}

impl UserDocument {
    fn from_domain(user: &User) -> Self {
        Self {
            id: user.id().to_string(),
            email: user.email().as_str().to_owned(),
            email_verified: user.email_verified(),
            password_hash: user.password_hash().map(|h| h.as_str().to_owned()),
            supabase_id: user.supabase_id().map(|id| id.as_str().to_owned()),
            status: user.status().as_str().to_owned(),
            audit: AuditDocument::from_domain(user.audit()),
            version: version_to_bson(user.version()),
        }
    }

    /// The domain user, every field parsed again; anything malformed is `Corrupt`.
    fn into_domain(self) -> Result<User, RepoError> {
        let bad = |field: &str| RepoError::corrupt(format!("user document: malformed {field}"));
        Ok(User::restore(cubby_domain::UserParts {
            id: UserId::parse(&self.id).map_err(|_| bad("_id"))?,
            email: Email::parse(&self.email).map_err(|_| bad("email"))?,
            email_verified: self.email_verified,
            password_hash: self
                .password_hash
                .as_deref()
                .map(PasswordHash::parse)
                .transpose()
                .map_err(|_| bad("password_hash"))?,
            supabase_id: self
                .supabase_id
                .as_deref()
                .map(ExternalId::parse)
                .transpose()
                .map_err(|_| bad("supabase_id"))?,
            status: UserStatus::parse(&self.status).ok_or_else(|| bad("status"))?,
            audit: self.audit.into_domain("user document")?,
            version: version_from_bson(self.version).ok_or_else(|| bad("version"))?,
        }))
    }
}

impl Mongo {
    /// Users, for writes (typed, serialized by serde).
    fn users(&self) -> Collection<UserDocument> {
        self.db.collection(COLLECTION)
    }

    /// The one user matching `filter`; reads are decoded with [`decode`].
    async fn user_where(&self, filter: Document) -> Result<User, RepoError> {
        one_of(
            &self.db.collection(COLLECTION),
            platform(filter),
            |document| decode::<UserDocument>(COLLECTION, document)?.into_domain(),
        )
        .await?
        .ok_or(RepoError::NotFound)
    }
}

/// A duplicate key on users names the index it hit: the address, the Supabase id, or else the
/// id itself.
fn write_error(error: mongodb::error::Error) -> RepoError {
    match duplicate_key(&error) {
        Some(message) if message.contains(EMAIL_INDEX) => RepoError::Conflict("user.email"),
        Some(message) if message.contains(SUPABASE_ID_INDEX) => {
            RepoError::Conflict("user.supabase_id")
        }
        Some(message) if message.contains("dup key: { email") => RepoError::Conflict("user.email"),
        Some(message) if message.contains("dup key: { supabase_id") => {
            RepoError::Conflict("user.supabase_id")
        }
        Some(_) => RepoError::Conflict("user.id"),
        None => to_repo_error(error),
    }
}

#[async_trait]
impl UserDirectory for Mongo {
    async fn user_by_id(&self, id: UserId) -> Result<User, RepoError> {
        self.user_where(doc! { "_id": id.to_string() }).await
    }

    async fn user_by_email(&self, email: &Email) -> Result<User, RepoError> {
        self.user_where(doc! { "email": email.as_str() }).await
    }

    async fn user_by_supabase_id(&self, id: &ExternalId) -> Result<User, RepoError> {
        self.user_where(doc! { "supabase_id": id.as_str() }).await
    }

    async fn insert_user(&self, user: &User) -> Result<(), RepoError> {
        timed(
            "users.insert",
            self.users().insert_one(UserDocument::from_domain(user)),
        )
        .await
        .map(|_| ())
        .map_err(write_error)
    }

    async fn update_user(&self, user: &User, expected: Version) -> Result<(), RepoError> {
        replace_versioned(
            &self.users(),
            platform(doc! { "_id": user.id().to_string() }),
            expected,
            UserDocument::from_domain(user),
            write_error,
        )
        .await
    }
}
