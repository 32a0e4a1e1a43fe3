//! `schema_with` functions for fields whose rules a plain type cannot carry: closed lists of values (from the domain where it has them) and lists of them.

use cubby_domain::{
    AuditAction, Capability, EnrolmentStatus, Entitlement, MembershipStatus, Permission, Role,
    RoleId,
};
use serde_json::Value;
use utoipa::PartialSchema;
use utoipa::openapi::schema::{Object, Schema, SchemaType, Type};

use super::schemas::{Contact, WS, array, id_pattern, one_of, string};
use crate::context::SortKeys;

/// Permissions by name.
pub(crate) fn permissions() -> Schema {
    array(one_of(Permission::ALL.iter().map(|p| p.as_str())), false)
}

/// The permissions of a custom role: at least one (`role.no_permission`).
pub(crate) fn role_permissions() -> Schema {
    at_least_one(array(
        one_of(Permission::ALL.iter().map(|p| p.as_str())),
        false,
    ))
}

/// As [`role_permissions`], or `null`.
pub(crate) fn role_permissions_or_null() -> Schema {
    at_least_one(array(
        one_of(Permission::ALL.iter().map(|p| p.as_str())),
        true,
    ))
}

/// The roles an invitation grants: at least one (`invitations.no_role`).
pub(crate) fn granted_roles() -> Schema {
    at_least_one(array(role(), false))
}

/// The contacts a thread is started with: 1 to 20 (`thread.invalid_participants`).
pub(crate) fn thread_contacts() -> Schema {
    let mut schema = at_least_one(array(<Contact as PartialSchema>::schema(), false));
    if let Schema::Array(array) = &mut schema {
        array.max_items = Some(20);
    }
    schema
}

fn at_least_one(mut schema: Schema) -> Schema {
    if let Schema::Array(array) = &mut schema {
        array.min_items = Some(1);
    }
    schema
}

/// Entitlements by name.
pub(crate) fn entitlements() -> Schema {
    array(one_of(Entitlement::ALL.iter().map(|e| e.as_str())), false)
}

/// Entitlements by name, or `null`.
pub(crate) fn entitlements_or_null() -> Schema {
    array(one_of(Entitlement::ALL.iter().map(|e| e.as_str())), true)
}

/// A role held by a member: a built-in role's name or a custom role's id.
fn role() -> Object {
    let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let custom = id_pattern(RoleId::PREFIX);
    string(false)
        .pattern(Some(format!(
            "^(?:{}|{})$",
            names.join("|"),
            &custom[1..custom.len() - 1]
        )))
        .build()
}

/// Roles held by a member.
pub(crate) fn roles() -> Schema {
    array(role(), false)
}

/// Roles held by a member, or `null`.
pub(crate) fn roles_or_null() -> Schema {
    array(role(), true)
}

/// A contact's capabilities.
pub(crate) fn capabilities() -> Schema {
    array(one_of(Capability::ALL.iter().map(|c| c.as_str())), false)
}

/// A contact's capabilities, or `null`.
pub(crate) fn capabilities_or_null() -> Schema {
    array(one_of(Capability::ALL.iter().map(|c| c.as_str())), true)
}

/// An enrolment status.
pub(crate) fn enrolment_status() -> Object {
    one_of(EnrolmentStatus::ALL.iter().map(|s| s.as_str()))
}

/// A member's status, as stored.
pub(crate) fn membership_status() -> Object {
    one_of(MembershipStatus::ALL.iter().map(|s| s.as_str()))
}

/// The statuses a member can be moved to, or `null`.
pub(crate) fn settable_membership_status_or_null() -> Object {
    let mut schema = one_of(["active", "suspended"]);
    schema.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    schema.enum_values = schema.enum_values.map(|mut values| {
        values.push(Value::Null);
        values
    });
    schema
}

/// The values of a `sort` query parameter: each of `keys`, ascending, and with a leading `-`
/// for descending.
pub(crate) fn sort<K: Copy>(keys: &SortKeys<K>) -> Object {
    one_of(
        keys.names()
            .flat_map(|key| [key.to_owned(), format!("-{key}")])
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    )
}

/// A comma-separated list of member statuses.
pub(crate) fn member_statuses() -> Object {
    let one = format!(
        "[{WS}]*(?:{})[{WS}]*",
        MembershipStatus::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("|")
    );
    string(false)
        .pattern(Some(format!("^{one}(?:,{one})*$")))
        .build()
}

/// A role held by a member, to filter by.
pub(crate) fn role_filter() -> Object {
    role()
}

/// An audit action.
pub(crate) fn audit_action() -> Object {
    one_of(AuditAction::ALL.iter().map(|a| a.as_str()))
}
