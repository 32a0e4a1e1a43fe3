//! Optimistic-concurrency versions.

use std::fmt;

/// The version of a stored aggregate: 1 when created, one more on every change.
///
/// Writers name the version they read; a store refuses a write whose version is stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(u64);

impl Version {
    /// The version of a newly created aggregate.
    pub const FIRST: Version = Version(1);

    /// Parses a stored or client-supplied version; zero is not a version.
    pub fn new(value: u64) -> Option<Self> {
        (value > 0).then_some(Self(value))
    }

    /// The version after this one.
    #[must_use]
    pub fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
