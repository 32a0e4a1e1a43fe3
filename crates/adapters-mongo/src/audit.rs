//! The `audit` sub-document every stored record carries, and time conversions.

use bson::DateTime;
use cubby_domain::{Actor, Audit};
use cubby_ports::RepoError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Who created and last changed a record, and when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AuditDocument {
    created_by: String,
    created_at: DateTime,
    updated_by: String,
    updated_at: DateTime,
}

impl AuditDocument {
    pub(crate) fn from_domain(audit: &Audit) -> Self {
        Self {
            created_by: audit.created_by().to_string(),
            created_at: to_bson(audit.created_at()),
            updated_by: audit.updated_by().to_string(),
            updated_at: to_bson(audit.updated_at()),
        }
    }

    pub(crate) fn into_domain(self, what: &str) -> Result<Audit, RepoError> {
        let actor = |raw: &str| {
            Actor::parse(raw)
                .map_err(|_| RepoError::corrupt(format!("{what}: malformed audit actor")))
        };
        Ok(Audit::restore(
            actor(&self.created_by)?,
            self.created_at.to_time_0_3(),
            actor(&self.updated_by)?,
            self.updated_at.to_time_0_3(),
        ))
    }
}

/// A time as BSON (millisecond precision, as the clock port promises).
pub(crate) fn to_bson(at: OffsetDateTime) -> DateTime {
    DateTime::from_time_0_3(at)
}
