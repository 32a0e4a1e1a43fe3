//! Tenants: the centres that use Cubby.

use std::fmt;

use crate::audit::Audit;
use crate::id::TenantId;
use crate::text::{TextError, single_line};
use crate::version::Version;

/// Why a tenant value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantError {
    /// The code is not a slug of 3 to 40 characters.
    #[error(
        "a tenant code is 3 to 40 lowercase letters, digits and single hyphens, starting with a letter"
    )]
    InvalidCode,
    /// The name is not acceptable text.
    #[error("tenant name {0}")]
    InvalidName(TextError),
    /// The time zone is not in the IANA time zone database.
    #[error("unknown time zone")]
    UnknownTimeZone,
}

/// A centre's short public code (`sunny-days`), used to pick the tenant at login.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TenantCode(String);

impl TenantCode {
    /// Parses a code: 3 to 40 of `a-z`, `0-9` and `-`, starting with a letter, with no leading,
    /// trailing or doubled hyphen.
    ///
    /// # Errors
    ///
    /// [`TenantError::InvalidCode`] otherwise.
    pub fn parse(input: &str) -> Result<Self, TenantError> {
        let bytes = input.as_bytes();
        let valid = (3..=40).contains(&bytes.len())
            && bytes[0].is_ascii_lowercase()
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
            && !input.ends_with('-')
            && !input.contains("--");
        if valid {
            Ok(Self(input.to_owned()))
        } else {
            Err(TenantError::InvalidCode)
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A centre's display name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantName(String);

impl TenantName {
    /// Parses a name: one line of 1 to 120 characters, trimmed.
    ///
    /// # Errors
    ///
    /// [`TenantError::InvalidName`] otherwise.
    pub fn parse(input: &str) -> Result<Self, TenantError> {
        single_line(input, 120)
            .map(Self)
            .map_err(TenantError::InvalidName)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone (`Europe/Helsinki`), from the time zone database built into Cubby.
#[derive(Clone)]
pub struct TimeZone {
    name: String,
    zone: jiff::tz::TimeZone,
}

impl TimeZone {
    /// Parses an IANA time zone name.
    ///
    /// # Errors
    ///
    /// [`TenantError::UnknownTimeZone`] when the database does not know it.
    pub fn parse(input: &str) -> Result<Self, TenantError> {
        let zone = jiff::tz::db()
            .get(input)
            .map_err(|_| TenantError::UnknownTimeZone)?;
        Ok(Self {
            name: input.to_owned(),
            zone,
        })
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The offset from UTC in force at `at`.
    pub fn offset_at(&self, at: time::OffsetDateTime) -> time::UtcOffset {
        let seconds = jiff::Timestamp::from_second(at.unix_timestamp())
            .map(|instant| self.zone.to_offset(instant).seconds())
            .unwrap_or(0);
        time::UtcOffset::from_whole_seconds(seconds).unwrap_or(time::UtcOffset::UTC)
    }
}

impl PartialEq for TimeZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for TimeZone {}

impl fmt::Debug for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Whether a centre may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TenantStatus {
    /// In use.
    Active,
    /// Locked by the platform: no session of this tenant is accepted.
    Suspended,
}

impl TenantStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
        }
    }

    /// Parses the stored form.
    pub fn parse(input: &str) -> Option<Self> {
        match input {
            "active" => Some(TenantStatus::Active),
            "suspended" => Some(TenantStatus::Suspended),
            _ => None,
        }
    }
}

/// What a centre does when a check-in would take a room out of ratio.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RatioEnforcement {
    /// Accept the check-in, record the breach and warn.
    #[default]
    Warn,
    /// Refuse the check-in (`ratio.would_breach`).
    Refuse,
}

impl RatioEnforcement {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            RatioEnforcement::Warn => "warn",
            RatioEnforcement::Refuse => "refuse",
        }
    }

    /// Parses the wire form.
    pub fn parse(input: &str) -> Option<Self> {
        match input {
            "warn" => Some(RatioEnforcement::Warn),
            "refuse" => Some(RatioEnforcement::Refuse),
            _ => None,
        }
    }
}

/// A centre's own settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CentreSettings {
    /// What a check-in that would breach a ratio does.
    pub ratio_enforcement: RatioEnforcement,
    /// When the centre closes, in its time zone (for reminders of children still checked in).
    pub closing_time: Option<time::Time>,
}

/// A centre.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// Its public code.
    pub code: TenantCode,
    /// Its display name.
    pub name: TenantName,
    /// The time zone its days are counted in.
    pub time_zone: TimeZone,
    /// Whether it may be used.
    pub status: TenantStatus,
    /// Its own settings.
    pub settings: CentreSettings,
    /// Creation and change stamps.
    pub audit: Audit,
    /// Its version.
    pub version: Version,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    #[test]
    fn codes_are_slugs() {
        for good in ["sunny-days", "maple-grove", "abc", "a1-b2"] {
            assert!(TenantCode::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            "Sunny",
            "1abc",
            "abc-",
            "a--b",
            "sunny days",
            "sunny_days",
            "",
        ] {
            assert_eq!(
                TenantCode::parse(bad),
                Err(TenantError::InvalidCode),
                "{bad}"
            );
        }
    }

    #[test]
    fn time_zones_come_from_the_database() {
        let helsinki = TimeZone::parse("Europe/Helsinki").unwrap();
        assert_eq!(helsinki.name(), "Europe/Helsinki");
        assert_eq!(
            helsinki.offset_at(datetime!(2026-01-15 12:00 UTC)),
            time::UtcOffset::from_hms(2, 0, 0).unwrap()
        );
        assert_eq!(
            helsinki.offset_at(datetime!(2026-07-15 12:00 UTC)),
            time::UtcOffset::from_hms(3, 0, 0).unwrap()
        );
        assert!(TimeZone::parse("Mars/Olympus_Mons").is_err());
        assert!(TimeZone::parse("../../etc/passwd").is_err());
    }

    proptest! {
        #[test]
        fn every_accepted_code_is_a_slug(input in "[a-z0-9-]{0,45}") {
            if let Ok(code) = TenantCode::parse(&input) {
                prop_assert!((3..=40).contains(&code.as_str().len()));
                prop_assert!(!code.as_str().starts_with('-') && !code.as_str().ends_with('-'));
                prop_assert!(!code.as_str().contains("--"));
            }
        }
    }
}
