//! What the frontend draws for a member: the menu and the actions their permissions allow.
//!
//! The structure is versioned (`version`); entries are only ever added within a version, so a
//! client can ignore ids it does not know. Each entry is tied to one permission, never to a
//! role name, so custom roles get the right menu too.

use cubby_domain::{Permission, PermissionSet};
use serde::Serialize;
use utoipa::ToSchema;

/// The version of the navigation structure.
pub(crate) const VERSION: u32 = 1;

/// A menu entry: a section of the application.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MenuItem {
    /// The section (`rooms`); ignore ids you do not know.
    id: &'static str,
    label: &'static str,
    path: &'static str,
    /// The permission it follows.
    permission: &'static str,
}

/// The sections, in display order, with the permission each needs.
const MENU: &[(&str, &str, &str, Permission)] = &[
    ("rooms", "Rooms", "/rooms", Permission::RoomsRead),
    (
        "children",
        "Children",
        "/children",
        Permission::ChildrenRead,
    ),
    (
        "attendance",
        "Attendance",
        "/attendance",
        Permission::AttendanceRead,
    ),
    ("ratios", "Ratios", "/ratios", Permission::RatiosRead),
    (
        "messages",
        "Messages",
        "/messages",
        Permission::MessagesRead,
    ),
    ("staff", "Staff", "/staff", Permission::StaffRead),
    ("members", "Members", "/members", Permission::MembersRead),
    ("roles", "Roles", "/roles", Permission::MembersRead),
    (
        "invitations",
        "Invitations",
        "/invitations",
        Permission::MembersManage,
    ),
    ("audit", "Audit log", "/audit", Permission::AuditRead),
    (
        "centre",
        "Centre settings",
        "/centre",
        Permission::TenantManage,
    ),
];

/// The actions, with the permission each needs.
const ACTIONS: &[(&str, Permission)] = &[
    ("rooms.create", Permission::RoomsWrite),
    ("rooms.edit", Permission::RoomsWrite),
    ("rooms.archive", Permission::RoomsWrite),
    ("members.invite", Permission::MembersManage),
    ("members.edit", Permission::MembersManage),
    ("members.suspend", Permission::MembersManage),
    ("members.remove", Permission::MembersManage),
    ("roles.create", Permission::RolesManage),
    ("roles.edit", Permission::RolesManage),
    ("roles.delete", Permission::RolesManage),
    ("children.create", Permission::ChildrenWrite),
    ("children.edit", Permission::ChildrenWrite),
    ("children.archive", Permission::ChildrenWrite),
    ("children.read_sensitive", Permission::ChildrenReadSensitive),
    ("staff.manage", Permission::StaffManage),
    ("attendance.check_in", Permission::AttendanceCheckIn),
    ("attendance.correct", Permission::AttendanceCorrect),
    ("rooms.ratio_rules", Permission::RoomsWrite),
    ("messages.send", Permission::MessagesSend),
    ("announcements.send", Permission::AnnouncementsSend),
    ("centre.settings", Permission::TenantManage),
];

/// The navigation of a member with `permissions`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Navigation {
    /// The version of this structure; within one, entries are only added.
    version: u32,
    menu: Vec<MenuItem>,
    /// What the member may do (`rooms.create`); ignore actions you do not know.
    actions: Vec<&'static str>,
}

impl Navigation {
    /// What `permissions` allow.
    pub(crate) fn of(permissions: PermissionSet) -> Self {
        Self {
            version: VERSION,
            menu: MENU
                .iter()
                .filter(|(.., permission)| permissions.contains(*permission))
                .map(|(id, label, path, permission)| MenuItem {
                    id,
                    label,
                    path,
                    permission: permission.as_str(),
                })
                .collect(),
            actions: ACTIONS
                .iter()
                .filter(|(_, p)| permissions.contains(*p))
                .map(|(action, _)| *action)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cubby_domain::Role;

    #[test]
    fn the_menu_follows_permissions_not_roles() {
        let guardian = Navigation::of(Role::Guardian.permissions());
        let ids: Vec<&str> = guardian.menu.iter().map(|item| item.id).collect();
        assert_eq!(ids, ["children", "attendance", "messages"]);
        assert_eq!(guardian.actions, ["messages.send"]);
        let reader: PermissionSet = [Permission::MembersRead].into_iter().collect();
        let navigation = Navigation::of(reader);
        let ids: Vec<&str> = navigation.menu.iter().map(|item| item.id).collect();
        assert_eq!(ids, ["members", "roles"]);
        let director = Navigation::of(Role::Director.permissions());
        assert_eq!(
            director.menu.len(),
            MENU.len() - 1,
            "all but the centre's settings"
        );
        assert_eq!(director.actions.len(), ACTIONS.len() - 1);
        let owner = Navigation::of(Role::Owner.permissions());
        assert_eq!(owner.menu.len(), MENU.len());
    }
}
