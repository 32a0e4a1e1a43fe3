//! The errors a store can answer with.

/// A boxed error from below a port, kept as the source of a port error for logs only.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong in a repository call.
///
/// Adapters map their driver's errors into these variants themselves; no driver type crosses
/// the port.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepoError {
    /// No such record in the caller's tenant (a record of another tenant is also "not found").
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the write; the string names the rule (such as `room.name`).
    #[error("conflict on {0}")]
    Conflict(&'static str),
    /// The record changed since the version the writer read.
    #[error("the record changed since it was read")]
    StaleVersion,
    /// The store did not answer in time or could not be reached.
    #[error("the store is unavailable")]
    Unavailable(#[source] BoxError),
    /// A stored record could not be read back into the domain (malformed field, unknown value).
    #[error("a stored record is corrupt")]
    Corrupt(#[source] BoxError),
    /// The store refused the operation for another reason (a bug, a misconfiguration).
    #[error("the store refused the operation")]
    Failed(#[source] BoxError),
}

impl RepoError {
    /// A [`RepoError::Corrupt`] with a message naming what was wrong (never a stored value).
    pub fn corrupt(what: impl Into<String>) -> Self {
        RepoError::Corrupt(what.into().into())
    }
}
