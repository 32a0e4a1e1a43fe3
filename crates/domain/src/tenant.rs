//! Tenants: the centres that use Cubby.

use std::fmt;

use time::OffsetDateTime;

use crate::audit::{Actor, Audit};
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

/// Every part of a stored centre, already parsed; used to rebuild a [`Tenant`] read from
/// storage.
#[derive(Clone, Debug)]
pub struct TenantParts {
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

/// A centre.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    id: TenantId,
    code: TenantCode,
    name: TenantName,
    time_zone: TimeZone,
    status: TenantStatus,
    settings: CentreSettings,
    audit: Audit,
    version: Version,
}

impl Tenant {
    /// A new active centre with the default settings, created now by `by`.
    pub fn create(
        id: TenantId,
        code: TenantCode,
        name: TenantName,
        time_zone: TimeZone,
        by: Actor,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            code,
            name,
            time_zone,
            status: TenantStatus::Active,
            settings: CentreSettings::default(),
            audit: Audit::created(by, at),
            version: Version::FIRST,
        }
    }

    /// A centre read back from storage.
    pub fn restore(parts: TenantParts) -> Self {
        Self {
            id: parts.id,
            code: parts.code,
            name: parts.name,
            time_zone: parts.time_zone,
            status: parts.status,
            settings: parts.settings,
            audit: parts.audit,
            version: parts.version,
        }
    }

    /// Every part of a centre, for storage adapters writing it and fixtures rebuilding it with
    /// [`Tenant::restore`].
    pub fn into_parts(self) -> TenantParts {
        TenantParts {
            id: self.id,
            code: self.code,
            name: self.name,
            time_zone: self.time_zone,
            status: self.status,
            settings: self.settings,
            audit: self.audit,
            version: self.version,
        }
    }

    /// The centre, otherwise unchanged, stamped by `by` at `at` one version on: a write that
    /// serialises concurrent changes of something the centre guards (such as its owners)
    /// through its version.
    #[must_use]
    pub fn touched(&self, by: Actor, at: OffsetDateTime) -> Self {
        Self {
            audit: self.audit.touched(by, at),
            version: self.version.next(),
            ..self.clone()
        }
    }

    /// The centre with `settings`, changed by `by` at `at`, one version on.
    #[must_use]
    pub fn with_settings(&self, settings: CentreSettings, by: Actor, at: OffsetDateTime) -> Self {
        Self {
            settings,
            ..self.touched(by, at)
        }
    }

    /// The centre with `status`, set by `by` at `at`, one version on.
    #[must_use]
    pub fn with_status(&self, status: TenantStatus, by: Actor, at: OffsetDateTime) -> Self {
        Self {
            status,
            ..self.touched(by, at)
        }
    }

    /// Its id.
    pub fn id(&self) -> TenantId {
        self.id
    }

    /// Its public code.
    pub fn code(&self) -> &TenantCode {
        &self.code
    }

    /// Its display name.
    pub fn name(&self) -> &TenantName {
        &self.name
    }

    /// The time zone its days are counted in.
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// Whether it may be used.
    pub fn status(&self) -> TenantStatus {
        self.status
    }

    /// Its own settings.
    pub fn settings(&self) -> CentreSettings {
        self.settings
    }

    /// Creation and change stamps.
    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    /// Its version.
    pub fn version(&self) -> Version {
        self.version
    }
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

    fn sunny_days() -> Tenant {
        Tenant::create(
            TenantId::from_uuid(uuid::Uuid::now_v7()),
            TenantCode::parse("sunny-days").unwrap(),
            TenantName::parse("Sunny Days").unwrap(),
            TimeZone::parse("Europe/Helsinki").unwrap(),
            Actor::System(crate::audit::JobName::known("test")),
            datetime!(2026-09-01 7:00 UTC),
        )
    }

    #[test]
    fn a_new_centre_is_active_with_default_settings() {
        let tenant = sunny_days();
        assert_eq!(tenant.status(), TenantStatus::Active);
        assert_eq!(tenant.settings(), CentreSettings::default());
        assert_eq!(tenant.version(), Version::FIRST);
    }

    #[test]
    fn changes_are_stamped_one_version_on_and_keep_the_rest() {
        let tenant = sunny_days();
        let by = Actor::User(crate::id::UserId::from_uuid(uuid::Uuid::now_v7()));
        let at = datetime!(2026-09-02 7:00 UTC);
        let settings = CentreSettings {
            ratio_enforcement: RatioEnforcement::Refuse,
            closing_time: None,
        };
        let changed = tenant.with_settings(settings, by.clone(), at);
        assert_eq!(changed.settings(), settings);
        let suspended = changed.with_status(TenantStatus::Suspended, by.clone(), at);
        assert_eq!(suspended.status(), TenantStatus::Suspended);
        assert_eq!(suspended.version(), tenant.version().next().next());
        let touched = tenant.touched(by.clone(), at);
        for next in [&changed, &touched] {
            assert_eq!(next.version(), tenant.version().next());
            assert_eq!(next.audit().updated_by(), &by);
            assert_eq!(next.audit().created_at(), tenant.audit().created_at());
            assert_eq!(
                (next.id(), next.code(), next.name()),
                (tenant.id(), tenant.code(), tenant.name())
            );
            assert_eq!(next.time_zone(), tenant.time_zone());
        }
    }

    #[test]
    fn a_restored_centre_reads_its_parts_back() {
        let tenant = sunny_days();
        let parts = TenantParts {
            id: tenant.id(),
            code: tenant.code().clone(),
            name: tenant.name().clone(),
            time_zone: tenant.time_zone().clone(),
            status: TenantStatus::Suspended,
            settings: CentreSettings {
                ratio_enforcement: RatioEnforcement::Refuse,
                closing_time: Some(time::macros::time!(18:00)),
            },
            audit: tenant.audit().clone(),
            version: Version::new(5).unwrap(),
        };
        let restored = Tenant::restore(parts.clone());
        assert_eq!(
            (restored.id(), restored.code(), restored.name()),
            (parts.id, &parts.code, &parts.name)
        );
        assert_eq!(restored.time_zone(), &parts.time_zone);
        assert_eq!(restored.status(), parts.status);
        assert_eq!(restored.settings(), parts.settings);
        assert_eq!(restored.audit(), &parts.audit);
        assert_eq!(restored.version(), parts.version);
    }
}
