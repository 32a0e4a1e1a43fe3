//! Who may do what: the closed list of permissions, the plan features (entitlements) some of
//! them need, the built-in roles, and the custom roles a centre defines.
//!
//! What a member may do is [`effective_permissions`]: the union of their roles' permissions,
//! less those whose entitlement the member lacks. Roles are never compared by rank.

use std::fmt;

use crate::audit::Audit;
use crate::error_code::ErrorCode;
use crate::id::RoleId;
use crate::text::{TextError, single_line};
use crate::version::Version;

macro_rules! closed_list {
    ($(#[$doc:meta])* $name:ident, $set:ident, $bits:ty, [$($(#[$item_doc:meta])* $variant:ident = $text:literal),* $(,)?]) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$item_doc])* $variant,)*
        }

        impl $name {
            /// Every value, in a stable order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The wire form.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// Parses the wire form.
            pub fn parse(input: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == input)
            }

            fn bit(self) -> $bits {
                1 << (self as u32)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// A set of values.
        #[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub struct $set($bits);

        impl $set {
            /// The empty set.
            pub const EMPTY: $set = $set(0);

            /// Every value.
            pub fn all() -> Self {
                $name::ALL.iter().copied().collect()
            }

            /// Whether `value` is in the set.
            pub fn contains(self, value: $name) -> bool {
                self.0 & value.bit() != 0
            }

            /// The set with `value` added.
            #[must_use]
            pub fn with(self, value: $name) -> Self {
                Self(self.0 | value.bit())
            }

            /// Both sets together.
            #[must_use]
            pub fn union(self, other: Self) -> Self {
                Self(self.0 | other.0)
            }

            /// What both sets hold.
            #[must_use]
            pub fn intersection(self, other: Self) -> Self {
                Self(self.0 & other.0)
            }

            /// Whether every value of `self` is also in `other`.
            pub fn is_subset_of(self, other: Self) -> bool {
                self.0 & !other.0 == 0
            }

            /// Whether the set is empty.
            pub fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// The values in the set, in `ALL` order.
            pub fn iter(self) -> impl Iterator<Item = $name> {
                $name::ALL.iter().copied().filter(move |value| self.contains(*value))
            }

            /// Parses wire forms; `None` if any is unknown.
            pub fn parse<'a>(items: impl IntoIterator<Item = &'a str>) -> Option<Self> {
                items.into_iter().map($name::parse).collect::<Option<Vec<_>>>().map(|v| v.into_iter().collect())
            }
        }

        impl FromIterator<$name> for $set {
            fn from_iter<I: IntoIterator<Item = $name>>(iter: I) -> Self {
                iter.into_iter().fold(Self::EMPTY, Self::with)
            }
        }

        impl fmt::Debug for $set {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_set().entries(self.iter().map($name::as_str)).finish()
            }
        }
    };
}

closed_list!(
    /// One thing a member may do. Routes declare one of these.
    Permission, PermissionSet, u64, [
        /// See rooms.
        RoomsRead = "rooms:read",
        /// Create, change and archive rooms.
        RoomsWrite = "rooms:write",
        /// See the centre's members and roles.
        MembersRead = "members:read",
        /// Invite, change, suspend and remove members.
        MembersManage = "members:manage",
        /// Define the centre's own roles.
        RolesManage = "roles:manage",
        /// Read the audit log.
        AuditRead = "audit:read",
        /// Change the centre's own settings.
        TenantManage = "tenant:manage",
        /// See every room of the centre, not only the rooms one is assigned to.
        CentreAllRooms = "centre:all_rooms",
        /// See children (a guardian: their own; a teacher: those of their rooms).
        ChildrenRead = "children:read",
        /// See children's allergies, medical and custody notes (every read is audited).
        ChildrenReadSensitive = "children:read_sensitive",
        /// Enrol and change children and their contacts.
        ChildrenWrite = "children:write",
        /// See staff.
        StaffRead = "staff:read",
        /// Change staff and their room assignments.
        StaffManage = "staff:manage",
        /// See attendance.
        AttendanceRead = "attendance:read",
        /// Check children in and out, clock staff in and out.
        AttendanceCheckIn = "attendance:check_in",
        /// Correct attendance events.
        AttendanceCorrect = "attendance:correct",
        /// See live ratios and ratio breaches.
        RatiosRead = "ratios:read",
        /// Read messages (needs messaging).
        MessagesRead = "messages:read",
        /// Send messages (needs messaging).
        MessagesSend = "messages:send",
        /// Send announcements to the centre or a room (needs messaging).
        AnnouncementsSend = "announcements:send",
        /// Upload files.
        FilesUpload = "files:upload",
        /// Download files.
        FilesRead = "files:read",
        /// Run reports (needs reports).
        ReportsRun = "reports:run",
        /// Import rosters (needs imports).
        ImportsRun = "imports:run",
        /// See background jobs.
        JobsRead = "jobs:read",
        /// Manage billing (needs billing).
        BillingManage = "billing:manage",
    ]
);

closed_list!(
    /// A plan feature a centre's member may be entitled to.
    Entitlement, EntitlementSet, u16, [
        /// Messages and announcements.
        Messaging = "messaging",
        /// Reports and exports.
        Reports = "reports",
        /// Billing.
        Billing = "billing",
        /// Roster imports.
        Imports = "imports",
    ]
);

impl Permission {
    /// The plan feature this permission needs, if any.
    pub fn entitlement(self) -> Option<Entitlement> {
        match self {
            Permission::MessagesRead | Permission::MessagesSend | Permission::AnnouncementsSend => {
                Some(Entitlement::Messaging)
            }
            Permission::ReportsRun => Some(Entitlement::Reports),
            Permission::BillingManage => Some(Entitlement::Billing),
            Permission::ImportsRun => Some(Entitlement::Imports),
            _ => None,
        }
    }
}

impl PermissionSet {
    /// The permissions of this set that `entitlements` allow.
    #[must_use]
    pub fn allowed_by(self, entitlements: EntitlementSet) -> Self {
        self.iter()
            .filter(|p| p.entitlement().is_none_or(|e| entitlements.contains(e)))
            .collect()
    }
}

/// The roles every centre has. Access is decided by [`Role::permissions`], never by comparing
/// roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Owns the centre's account: everything.
    Owner,
    /// Runs the centre day to day: everything but the centre's own settings.
    Director,
    /// Works in rooms with children.
    Teacher,
    /// A parent or other guardian of enrolled children.
    Guardian,
}

impl Role {
    /// Every built-in role.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Director, Role::Teacher, Role::Guardian];

    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Director => "director",
            Role::Teacher => "teacher",
            Role::Guardian => "guardian",
        }
    }

    /// Parses the wire form.
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == input)
    }

    /// What this role may do (before entitlements).
    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        match self {
            Role::Owner => PermissionSet::all(),
            Role::Director => PermissionSet::all()
                .iter()
                .filter(|p| *p != TenantManage)
                .collect(),
            Role::Teacher => [
                RoomsRead,
                ChildrenRead,
                ChildrenReadSensitive,
                StaffRead,
                AttendanceRead,
                AttendanceCheckIn,
                RatiosRead,
                MessagesRead,
                MessagesSend,
                FilesRead,
                FilesUpload,
            ]
            .into_iter()
            .collect(),
            Role::Guardian => [
                ChildrenRead,
                AttendanceRead,
                MessagesRead,
                MessagesSend,
                FilesRead,
            ]
            .into_iter()
            .collect(),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a role value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    /// The name is not acceptable text.
    #[error("role name {0}")]
    InvalidName(TextError),
    /// The name is the name of a built-in role.
    #[error("the name of a built-in role")]
    BuiltinName,
    /// A role reference is neither a built-in role nor a role id.
    #[error("not a role")]
    UnknownRole,
    /// A custom role needs at least one permission.
    #[error("a role needs at least one permission")]
    NoPermission,
}

impl RoleError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            RoleError::InvalidName(_) => ErrorCode::RoleInvalidName,
            RoleError::BuiltinName => ErrorCode::RoleBuiltinName,
            RoleError::UnknownRole => ErrorCode::RoleUnknown,
            RoleError::NoPermission => ErrorCode::RoleNoPermission,
        }
    }
}

/// A custom role's name: one line of 1 to 40 characters, not a built-in role's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    /// Parses a name.
    ///
    /// # Errors
    ///
    /// [`RoleError::InvalidName`] or [`RoleError::BuiltinName`].
    pub fn parse(input: &str) -> Result<Self, RoleError> {
        let name = single_line(input, 40).map_err(RoleError::InvalidName)?;
        if Role::ALL
            .iter()
            .any(|role| role.as_str().eq_ignore_ascii_case(&name))
        {
            return Err(RoleError::BuiltinName);
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is checked on.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A role a centre defined for itself: a name and a set of permissions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomRole {
    /// The id.
    pub id: RoleId,
    /// The name, unique in the centre.
    pub name: RoleName,
    /// What it allows (before entitlements).
    pub permissions: PermissionSet,
    /// Stamps.
    pub audit: Audit,
    /// Version.
    pub version: Version,
}

/// A role held by a member: built in, or one the centre defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoleRef {
    /// A built-in role.
    Builtin(Role),
    /// A custom role of the centre.
    Custom(RoleId),
}

impl RoleRef {
    /// Parses the wire form: a built-in role's name or a custom role's id.
    ///
    /// # Errors
    ///
    /// [`RoleError::UnknownRole`] otherwise.
    pub fn parse(input: &str) -> Result<Self, RoleError> {
        match Role::parse(input) {
            Some(role) => Ok(RoleRef::Builtin(role)),
            None => RoleId::parse(input)
                .map(RoleRef::Custom)
                .map_err(|_| RoleError::UnknownRole),
        }
    }
}

impl fmt::Display for RoleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoleRef::Builtin(role) => role.fmt(f),
            RoleRef::Custom(id) => id.fmt(f),
        }
    }
}

impl From<Role> for RoleRef {
    fn from(role: Role) -> Self {
        RoleRef::Builtin(role)
    }
}

/// What a member with `roles` and `entitlements` may do, given the centre's custom roles (a
/// custom role that no longer exists grants nothing).
pub fn effective_permissions(
    roles: &[RoleRef],
    custom: &[CustomRole],
    entitlements: EntitlementSet,
) -> PermissionSet {
    roles
        .iter()
        .map(|role| match role {
            RoleRef::Builtin(role) => role.permissions(),
            RoleRef::Custom(id) => custom
                .iter()
                .find(|c| c.id == *id)
                .map_or(PermissionSet::EMPTY, |c| c.permissions),
        })
        .fold(PermissionSet::EMPTY, PermissionSet::union)
        .allowed_by(entitlements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_wire_form_round_trips_and_is_resource_colon_action() {
        for permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.as_str()), Some(*permission));
            let (resource, action) = permission.as_str().split_once(':').unwrap();
            assert!(!resource.is_empty() && !action.is_empty());
        }
        for entitlement in Entitlement::ALL {
            assert_eq!(Entitlement::parse(entitlement.as_str()), Some(*entitlement));
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(RoleRef::parse(role.as_str()), Ok(RoleRef::Builtin(role)));
        }
        assert_eq!(Permission::parse("rooms:*"), None);
        assert_eq!(RoleRef::parse("Owner"), Err(RoleError::UnknownRole));
    }

    #[test]
    fn the_built_in_roles_nest() {
        let owner = Role::Owner.permissions();
        let director = Role::Director.permissions();
        assert!(director.is_subset_of(owner) && director != owner);
        assert!(Role::Teacher.permissions().is_subset_of(director));
        assert!(
            Role::Guardian
                .permissions()
                .is_subset_of(Role::Teacher.permissions())
        );
        assert!(!Role::Guardian.permissions().contains(Permission::RoomsRead));
        assert!(!director.contains(Permission::TenantManage));
    }

    #[test]
    fn messaging_permissions_need_the_messaging_entitlement() {
        let teacher = effective_permissions(&[Role::Teacher.into()], &[], EntitlementSet::EMPTY);
        assert!(!teacher.contains(Permission::MessagesSend));
        assert!(teacher.contains(Permission::AttendanceCheckIn));
        let entitled = effective_permissions(
            &[Role::Teacher.into()],
            &[],
            EntitlementSet::EMPTY.with(Entitlement::Messaging),
        );
        assert!(entitled.contains(Permission::MessagesSend));
    }

    #[test]
    fn custom_roles_grant_their_permissions_and_nothing_once_gone() {
        let id = RoleId::from_uuid(uuid::Uuid::now_v7());
        let role = CustomRole {
            id,
            name: RoleName::parse("Cook").unwrap(),
            permissions: [Permission::ChildrenRead, Permission::ChildrenReadSensitive]
                .into_iter()
                .collect(),
            audit: Audit::created(
                crate::Actor::User(crate::UserId::from_uuid(uuid::Uuid::now_v7())),
                time::OffsetDateTime::UNIX_EPOCH,
            ),
            version: Version::FIRST,
        };
        let held = [RoleRef::Custom(id)];
        assert!(
            effective_permissions(&held, &[role], EntitlementSet::EMPTY)
                .contains(Permission::ChildrenReadSensitive)
        );
        assert!(effective_permissions(&held, &[], EntitlementSet::EMPTY).is_empty());
    }

    #[test]
    fn built_in_names_are_not_custom_names() {
        assert_eq!(RoleName::parse("Director"), Err(RoleError::BuiltinName));
        assert!(RoleName::parse("Assistant director").is_ok());
    }

    fn any_set() -> impl Strategy<Value = PermissionSet> {
        proptest::sample::subsequence(Permission::ALL.to_vec(), 0..=Permission::ALL.len())
            .prop_map(|list| list.into_iter().collect())
    }

    fn any_entitlements() -> impl Strategy<Value = EntitlementSet> {
        proptest::sample::subsequence(Entitlement::ALL.to_vec(), 0..=Entitlement::ALL.len())
            .prop_map(|list| list.into_iter().collect())
    }

    proptest! {
        #[test]
        fn a_union_contains_both_sides(a in any_set(), b in any_set()) {
            let union = a.union(b);
            prop_assert!(a.is_subset_of(union) && b.is_subset_of(union));
            for permission in Permission::ALL {
                prop_assert_eq!(union.contains(*permission), a.contains(*permission) || b.contains(*permission));
            }
        }

        #[test]
        fn entitlements_only_ever_take_permissions_away(set in any_set(), entitlements in any_entitlements()) {
            let allowed = set.allowed_by(entitlements);
            prop_assert!(allowed.is_subset_of(set));
            for permission in allowed.iter() {
                prop_assert!(permission.entitlement().is_none_or(|e| entitlements.contains(e)));
            }
            prop_assert_eq!(set.allowed_by(EntitlementSet::all()), set);
        }

        #[test]
        fn a_set_is_what_it_iterates(a in any_set()) {
            prop_assert_eq!(a.iter().collect::<PermissionSet>(), a);
            prop_assert_eq!(PermissionSet::parse(a.iter().map(Permission::as_str)), Some(a));
        }
    }
}
