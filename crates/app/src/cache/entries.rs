//! How cached values are written and read back: JSON of their wire forms, every field checked
//! on the way back (an entry that does not read back is dropped and loaded again).

use cubby_domain::time_of_day::{clock_time, parse_clock_time};
use cubby_domain::{
    Actor, Audit, CentreSettings, EntitlementSet, Membership, MembershipId, MembershipStatus,
    PermissionSet, RatioEnforcement, RoleRef, Tenant, TenantCode, TenantId, TenantName,
    TenantStatus, TimeZone, UserId, UserStatus, Version,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Principal;
use super::read_through::Entry;

/// Milliseconds since the epoch, as cached.
fn millis(at: OffsetDateTime) -> i128 {
    at.unix_timestamp_nanos() / 1_000_000
}

fn from_millis(ms: i128) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(ms * 1_000_000).ok()
}

/// Stamps as cached.
#[derive(Serialize, Deserialize)]
struct AuditEntry {
    created_by: String,
    created_at_ms: i128,
    updated_by: String,
    updated_at_ms: i128,
}

impl AuditEntry {
    fn of(audit: &Audit) -> Self {
        Self {
            created_by: audit.created_by().to_string(),
            created_at_ms: millis(audit.created_at()),
            updated_by: audit.updated_by().to_string(),
            updated_at_ms: millis(audit.updated_at()),
        }
    }

    fn audit(&self) -> Option<Audit> {
        Some(Audit::restore(
            Actor::parse(&self.created_by).ok()?,
            from_millis(self.created_at_ms)?,
            Actor::parse(&self.updated_by).ok()?,
            from_millis(self.updated_at_ms)?,
        ))
    }
}

/// A tenant as cached.
#[derive(Serialize, Deserialize)]
struct TenantEntry {
    id: String,
    code: String,
    name: String,
    time_zone: String,
    status: String,
    ratio_enforcement: String,
    closing_time: Option<String>,
    audit: AuditEntry,
    version: u64,
}

impl Entry for Tenant {
    fn encode(&self) -> Vec<u8> {
        let entry = TenantEntry {
            id: self.id().to_string(),
            code: self.code().to_string(),
            name: self.name().as_str().to_owned(),
            time_zone: self.time_zone().name().to_owned(),
            status: self.status().as_str().to_owned(),
            ratio_enforcement: self.settings().ratio_enforcement.as_str().to_owned(),
            closing_time: self.settings().closing_time.map(clock_time),
            audit: AuditEntry::of(self.audit()),
            version: self.version().get(),
        };
        serde_json::to_vec(&entry).unwrap_or_default()
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let entry: TenantEntry = serde_json::from_slice(bytes).ok()?;
        Some(Tenant::restore(cubby_domain::TenantParts {
            id: TenantId::parse(&entry.id).ok()?,
            code: TenantCode::parse(&entry.code).ok()?,
            name: TenantName::parse(&entry.name).ok()?,
            time_zone: TimeZone::parse(&entry.time_zone).ok()?,
            status: TenantStatus::parse(&entry.status)?,
            settings: CentreSettings {
                ratio_enforcement: RatioEnforcement::parse(&entry.ratio_enforcement)?,
                closing_time: match entry.closing_time.as_deref() {
                    Some(text) => Some(parse_clock_time(text)?),
                    None => None,
                },
            },
            audit: entry.audit.audit()?,
            version: Version::new(entry.version)?,
        }))
    }
}

/// A principal as cached.
#[derive(Serialize, Deserialize)]
struct PrincipalEntry {
    id: String,
    user_id: String,
    roles: Vec<String>,
    entitlements: Vec<String>,
    status: String,
    entitlements_version: u64,
    audit: AuditEntry,
    version: u64,
    user_status: String,
}

impl Entry for Principal {
    fn encode(&self) -> Vec<u8> {
        let membership = &self.membership;
        let entry = PrincipalEntry {
            id: membership.id().to_string(),
            user_id: membership.user_id().to_string(),
            roles: membership.roles().iter().map(ToString::to_string).collect(),
            entitlements: membership
                .entitlements()
                .iter()
                .map(|e| e.as_str().to_owned())
                .collect(),
            status: membership.status().as_str().to_owned(),
            entitlements_version: membership.entitlements_version(),
            audit: AuditEntry::of(membership.audit()),
            version: membership.version().get(),
            user_status: self.user_status.as_str().to_owned(),
        };
        serde_json::to_vec(&entry).unwrap_or_default()
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let entry: PrincipalEntry = serde_json::from_slice(bytes).ok()?;
        let roles = entry
            .roles
            .iter()
            .map(|r| RoleRef::parse(r).ok())
            .collect::<Option<Vec<_>>>()?;
        Some(Principal {
            membership: Membership::restore(cubby_domain::MembershipParts {
                id: MembershipId::parse(&entry.id).ok()?,
                user_id: UserId::parse(&entry.user_id).ok()?,
                roles,
                entitlements: EntitlementSet::parse(entry.entitlements.iter().map(String::as_str))?,
                status: MembershipStatus::parse(&entry.status)?,
                entitlements_version: entry.entitlements_version,
                audit: entry.audit.audit()?,
                version: Version::new(entry.version)?,
            }),
            user_status: UserStatus::parse(&entry.user_status)?,
        })
    }
}

/// A permission set as cached: the wire forms.
impl Entry for PermissionSet {
    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(&self.iter().map(|p| p.as_str()).collect::<Vec<_>>()).unwrap_or_default()
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let names: Vec<String> = serde_json::from_slice(bytes).ok()?;
        PermissionSet::parse(names.iter().map(String::as_str))
    }
}
