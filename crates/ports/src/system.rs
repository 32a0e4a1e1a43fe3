//! Time and identity sources, as ports so that tests can fix them.

use time::OffsetDateTime;
use uuid::Uuid;

/// The current time.
#[cfg_attr(feature = "test-support", mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC, truncated to whole milliseconds (the precision every store keeps).
    fn now(&self) -> OffsetDateTime;
}

/// Fresh, unique ids.
#[cfg_attr(feature = "test-support", mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A new UUIDv7: time-ordered and unguessable.
    fn uuid(&self) -> Uuid;
}
