//! The errors a use case answers with.

use cubby_domain::{ErrorCode, Permission};
use cubby_ports::{BoxError, RepoError};

/// Why a use case did not complete. The api maps each variant to one status and code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Nothing with this id in the caller's tenant (or the caller may not know it exists).
    #[error("not found")]
    NotFound,
    /// The caller lacks a permission.
    #[error("missing permission {0}")]
    Forbidden(Permission),
    /// A uniqueness rule refused the change; `code` is stable (such as `room.name_taken`).
    #[error("{message}")]
    Conflict {
        /// The stable code.
        code: ErrorCode,
        /// What to tell the caller.
        message: String,
    },
    /// The caller may not do this to this record (beyond a missing permission: acting on
    /// someone with more rights, granting more than they hold).
    #[error("{message}")]
    Denied {
        /// The stable code.
        code: ErrorCode,
        /// What to tell the caller.
        message: String,
    },
    /// A value of the request breaks a rule; `field` names it.
    #[error("{message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// The stable code.
        code: ErrorCode,
        /// What to tell the caller.
        message: String,
    },
    /// A domain rule refused the change; `code` is the rule's stable code.
    #[error("{message}")]
    Rule {
        /// The stable code.
        code: ErrorCode,
        /// What to tell the caller.
        message: String,
    },
    /// The record changed since the version the caller named.
    #[error("the record changed since it was read")]
    StaleVersion,
    /// A store did not answer.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else; details go to the log, never to the caller.
    #[error("internal error")]
    Internal(#[source] BoxError),
}

impl From<RepoError> for AppError {
    /// The mapping for errors no use case handles itself.
    fn from(error: RepoError) -> Self {
        match error {
            RepoError::NotFound => AppError::NotFound,
            RepoError::StaleVersion => AppError::StaleVersion,
            RepoError::Conflict(rule) => AppError::Conflict {
                code: ErrorCode::Conflict,
                message: format!("conflicts with an existing record ({rule})"),
            },
            // The whole port error is kept as the source, so the logged chain says what failed.
            unavailable @ RepoError::Unavailable(_) => AppError::Unavailable(Box::new(unavailable)),
            other => AppError::Internal(Box::new(other)),
        }
    }
}

impl From<cubby_domain::JobTransitionError> for AppError {
    /// A job record asked to move where its state machine does not go: a bug, not the
    /// caller's doing.
    fn from(error: cubby_domain::JobTransitionError) -> Self {
        AppError::Internal(Box::new(error))
    }
}

/// Whether the scope may do `permission`: [`AppError::Forbidden`] if not.
pub(crate) fn require(
    scope: &cubby_ports::TenantScope,
    permission: Permission,
) -> Result<(), AppError> {
    if scope.has(permission) {
        Ok(())
    } else {
        Err(AppError::Forbidden(permission))
    }
}
