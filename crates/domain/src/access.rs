//! Who may do what: the closed list of permissions, sets of them, and the built-in roles.

use std::fmt;

/// One thing a member may do. The list is closed: routes declare one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// See rooms.
    RoomsRead,
    /// Create, change and archive rooms.
    RoomsWrite,
}

impl Permission {
    /// Every permission, in a stable order.
    pub const ALL: [Permission; 2] = [Permission::RoomsRead, Permission::RoomsWrite];

    /// The wire form, `resource:action`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::RoomsRead => "rooms:read",
            Permission::RoomsWrite => "rooms:write",
        }
    }

    /// Parses the wire form.
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == input)
    }

    fn bit(self) -> u128 {
        1 << (self as u32)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of permissions.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PermissionSet(u128);

impl PermissionSet {
    /// No permission at all.
    pub const EMPTY: PermissionSet = PermissionSet(0);

    /// Whether `permission` is in the set.
    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// The set with `permission` added.
    #[must_use]
    pub fn with(self, permission: Permission) -> Self {
        Self(self.0 | permission.bit())
    }

    /// Both sets together.
    #[must_use]
    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether every permission of `self` is also in `other`.
    pub fn is_subset_of(self, other: Self) -> bool {
        self.0 & !other.0 == 0
    }

    /// The permissions in the set, in [`Permission::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        iter.into_iter().fold(Self::EMPTY, Self::with)
    }
}

impl fmt::Debug for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(Permission::as_str))
            .finish()
    }
}

/// The roles every centre has. Declared in decreasing order of privilege, but access is
/// decided by [`Role::permissions`], never by comparing roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Owns the centre's account.
    Owner,
    /// Runs the centre day to day.
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

    /// What this role may do.
    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        let list: &[Permission] = match self {
            Role::Owner | Role::Director => &[RoomsRead, RoomsWrite],
            Role::Teacher => &[RoomsRead],
            Role::Guardian => &[],
        };
        list.iter().copied().collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn permissions_and_roles_round_trip_through_their_wire_form() {
        for permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.as_str()), Some(permission));
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Permission::parse("rooms:*"), None);
        assert_eq!(Role::parse("Owner"), None);
    }

    #[test]
    fn guardians_cannot_manage_rooms_but_directors_can() {
        assert!(
            !Role::Guardian
                .permissions()
                .contains(Permission::RoomsWrite)
        );
        assert!(
            Role::Director
                .permissions()
                .contains(Permission::RoomsWrite)
        );
        assert!(
            Role::Teacher
                .permissions()
                .is_subset_of(Role::Director.permissions())
        );
    }

    fn any_set() -> impl Strategy<Value = PermissionSet> {
        proptest::sample::subsequence(Permission::ALL.to_vec(), 0..=Permission::ALL.len())
            .prop_map(|list| list.into_iter().collect())
    }

    proptest! {
        #[test]
        fn a_union_contains_both_sides(a in any_set(), b in any_set()) {
            let union = a.union(b);
            prop_assert!(a.is_subset_of(union) && b.is_subset_of(union));
            for permission in Permission::ALL {
                prop_assert_eq!(union.contains(permission), a.contains(permission) || b.contains(permission));
            }
        }

        #[test]
        fn a_set_is_what_it_iterates(a in any_set()) {
            prop_assert_eq!(a.iter().collect::<PermissionSet>(), a);
        }
    }
}
