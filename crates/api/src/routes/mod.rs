//! Every route of the API, in one table.

pub(crate) mod attendance;
pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod centre;
pub(crate) mod centres;
pub(crate) mod children;
pub(crate) mod dev;
mod fields;
pub(crate) mod files;
pub(crate) mod health;
pub(crate) mod invitations;
pub(crate) mod jobs;
pub(crate) mod local_objects;
pub(crate) mod members;
pub(crate) mod messages;
pub(crate) mod metrics;
pub(crate) mod navigation;
pub(crate) mod page;
pub(crate) mod password;
pub(crate) mod platform;
pub(crate) mod roles;
pub(crate) mod rooms;
pub(crate) mod staff;

use cubby_domain::Permission;
use http::Method;

use crate::router::Router;

/// The liveness checks' paths.
const LIVENESS: [&str; 2] = ["/healthz", "/health/live"];
/// The readiness checks' paths.
const READINESS: [&str; 2] = ["/readyz", "/health/ready"];

/// Whether `path` (a route's template) is a health check or the metrics scrape, which load
/// balancers and monitoring call often from few addresses.
pub(crate) fn is_health_check(path: &str) -> bool {
    LIVENESS.contains(&path) || READINESS.contains(&path) || path == metrics::PATH
}

/// The routes whose answers are never kept for an `Idempotency-Key`: a switch answers a new
/// session's tokens, which must not wait in the idempotency store to be replayed to another of
/// the caller's sessions; and the session that asked has ended, so no retry of it is served.
const NEVER_KEPT: [&str; 1] = ["/v1/auth/switch"];

/// Whether the answer of the route `path` (a route's template) is kept for a retry with the
/// same `Idempotency-Key`.
pub(crate) fn keeps_answers(path: &str) -> bool {
    !NEVER_KEPT.contains(&path)
}

/// The route table; with `serve_docs`, also the OpenAPI document and Swagger UI.
pub(crate) fn all(serve_docs: bool) -> Router {
    let mut router = Router::default();
    if serve_docs {
        crate::openapi::register(&mut router);
    }
    for path in LIVENESS {
        router.public(Method::GET, path, health::live);
    }
    for path in READINESS {
        router.public(Method::GET, path, health::ready);
    }
    router.public(Method::GET, "/.well-known/jwks.json", auth::jwks);
    router.public(Method::POST, "/v1/auth/login", auth::login);
    router.public(Method::POST, "/v1/auth/exchange", auth::exchange);
    router.public(Method::POST, "/v1/auth/refresh", auth::refresh);
    router.public(Method::GET, "/v1/auth/csrf", auth::csrf);
    router.session(Method::POST, "/v1/auth/logout", auth::logout);
    router.public(Method::POST, "/v1/auth/password/forgot", password::forgot);
    router.public(Method::POST, "/v1/auth/password/reset", password::reset);
    router.session(Method::POST, "/v1/auth/password/change", password::change);
    router.session(Method::GET, "/v1/me/context", auth::context);
    router.session(Method::GET, "/v1/me/centres", centres::list);
    router.session(Method::POST, "/v1/auth/switch", centres::switch);
    router.permitted(
        Method::POST,
        "/v1/rooms",
        Permission::RoomsWrite,
        rooms::create,
    );
    router.permitted(Method::GET, "/v1/rooms", Permission::RoomsRead, rooms::list);
    router.permitted(
        Method::GET,
        "/v1/rooms/{id}",
        Permission::RoomsRead,
        rooms::get,
    );
    router.permitted(
        Method::PATCH,
        "/v1/rooms/{id}",
        Permission::RoomsWrite,
        rooms::update,
    );
    router.permitted(
        Method::DELETE,
        "/v1/rooms/{id}",
        Permission::RoomsWrite,
        rooms::archive,
    );
    router.permitted(
        Method::GET,
        "/v1/members",
        Permission::MembersRead,
        members::list,
    );
    router.permitted(
        Method::GET,
        "/v1/members/{id}",
        Permission::MembersRead,
        members::get,
    );
    router.permitted(
        Method::PATCH,
        "/v1/members/{id}",
        Permission::MembersManage,
        members::update,
    );
    router.permitted(
        Method::DELETE,
        "/v1/members/{id}",
        Permission::MembersManage,
        members::remove,
    );
    router.permitted(
        Method::GET,
        "/v1/roles",
        Permission::MembersRead,
        roles::list,
    );
    router.permitted(
        Method::POST,
        "/v1/roles",
        Permission::RolesManage,
        roles::create,
    );
    router.permitted(
        Method::GET,
        "/v1/roles/{id}",
        Permission::MembersRead,
        roles::get,
    );
    router.permitted(
        Method::PATCH,
        "/v1/roles/{id}",
        Permission::RolesManage,
        roles::update,
    );
    router.permitted(
        Method::DELETE,
        "/v1/roles/{id}",
        Permission::RolesManage,
        roles::delete,
    );
    router.permitted(
        Method::POST,
        "/v1/invitations",
        Permission::MembersManage,
        invitations::create,
    );
    router.permitted(
        Method::GET,
        "/v1/invitations",
        Permission::MembersManage,
        invitations::list,
    );
    router.public(Method::POST, "/v1/invitations/accept", invitations::accept);
    router.permitted(
        Method::GET,
        "/v1/invitations/{id}",
        Permission::MembersManage,
        invitations::get,
    );
    router.permitted(
        Method::POST,
        "/v1/invitations/{id}/resend",
        Permission::MembersManage,
        invitations::resend,
    );
    router.permitted(
        Method::DELETE,
        "/v1/invitations/{id}",
        Permission::MembersManage,
        invitations::revoke,
    );
    router.permitted(Method::GET, "/v1/audit", Permission::AuditRead, audit::list);
    use Permission::{ChildrenRead, ChildrenReadSensitive, ChildrenWrite, StaffManage, StaffRead};
    router.permitted(
        Method::POST,
        "/v1/children",
        ChildrenWrite,
        children::create,
    );
    router.permitted(Method::GET, "/v1/children", ChildrenRead, children::list);
    router.permitted(
        Method::GET,
        "/v1/children/{id}",
        ChildrenRead,
        children::get,
    );
    router.permitted(
        Method::PATCH,
        "/v1/children/{id}",
        ChildrenWrite,
        children::update,
    );
    router.permitted(
        Method::DELETE,
        "/v1/children/{id}",
        ChildrenWrite,
        children::archive,
    );
    router.permitted(
        Method::GET,
        "/v1/children/{id}/sensitive",
        ChildrenReadSensitive,
        children::sensitive,
    );
    router.permitted(
        Method::PUT,
        "/v1/children/{id}/sensitive",
        ChildrenWrite,
        children::replace_sensitive,
    );
    router.permitted(
        Method::POST,
        "/v1/children/{id}/contacts",
        ChildrenWrite,
        children::add_contact,
    );
    router.permitted(
        Method::PATCH,
        "/v1/children/{id}/contacts/{contact_id}",
        ChildrenWrite,
        children::update_contact,
    );
    router.permitted(
        Method::DELETE,
        "/v1/children/{id}/contacts/{contact_id}",
        ChildrenWrite,
        children::remove_contact,
    );
    router.permitted(
        Method::POST,
        "/v1/children/{id}/restrictions",
        ChildrenWrite,
        children::add_restriction,
    );
    router.permitted(
        Method::DELETE,
        "/v1/children/{id}/restrictions/{restriction_id}",
        ChildrenWrite,
        children::remove_restriction,
    );
    use Permission::{
        AttendanceCheckIn, AttendanceCorrect, AttendanceRead, RatiosRead, RoomsWrite, TenantManage,
    };
    router.session(Method::GET, "/v1/centre", centre::get);
    router.permitted(Method::PATCH, "/v1/centre", TenantManage, centre::update);
    router.permitted(
        Method::POST,
        "/v1/rooms/{id}/ratio-rules",
        RoomsWrite,
        rooms::add_rule,
    );
    router.permitted(
        Method::GET,
        "/v1/rooms/{id}/ratio",
        RatiosRead,
        attendance::ratio,
    );
    router.permitted(
        Method::GET,
        "/v1/ratio-breaches",
        RatiosRead,
        attendance::breaches,
    );
    router.permitted(
        Method::POST,
        "/v1/attendance",
        AttendanceCheckIn,
        attendance::record,
    );
    router.permitted(
        Method::POST,
        "/v1/attendance/corrections",
        AttendanceCorrect,
        attendance::correct,
    );
    router.permitted(
        Method::GET,
        "/v1/attendance",
        AttendanceRead,
        attendance::day,
    );
    router.permitted(
        Method::GET,
        "/v1/children/{id}/attendance",
        AttendanceRead,
        attendance::child_days,
    );
    use Permission::{AnnouncementsSend, MessagesRead, MessagesSend};
    router.permitted(
        Method::POST,
        "/v1/announcements",
        AnnouncementsSend,
        messages::announce,
    );
    router.permitted(
        Method::GET,
        "/v1/announcements",
        MessagesRead,
        messages::announcements,
    );
    router.permitted(
        Method::GET,
        "/v1/announcements/{id}",
        MessagesRead,
        messages::get_announcement,
    );
    router.permitted(
        Method::POST,
        "/v1/announcements/{id}/read",
        MessagesRead,
        messages::read_announcement,
    );
    router.permitted(Method::POST, "/v1/threads", MessagesSend, messages::start);
    router.permitted(Method::GET, "/v1/threads", MessagesRead, messages::threads);
    router.permitted(
        Method::GET,
        "/v1/threads/{id}",
        MessagesRead,
        messages::get_thread,
    );
    router.permitted(
        Method::POST,
        "/v1/threads/{id}/messages",
        MessagesSend,
        messages::post,
    );
    router.permitted(
        Method::POST,
        "/v1/threads/{id}/read",
        MessagesRead,
        messages::read_thread,
    );
    use Permission::{FilesRead, FilesUpload};
    router.permitted(Method::POST, "/v1/files/presign", FilesRead, files::presign);
    router.permitted(
        Method::POST,
        "/v1/files/{id}/confirm",
        FilesUpload,
        files::confirm,
    );
    router.permitted(Method::GET, "/v1/files/{id}", FilesRead, files::get);
    use Permission::{ImportsRun, JobsRead, ReportsRun};
    router.permitted(
        Method::POST,
        "/v1/reports/attendance",
        ReportsRun,
        jobs::attendance_report,
    );
    router.permitted(
        Method::POST,
        "/v1/imports/roster",
        ImportsRun,
        jobs::roster_import,
    );
    router.permitted(Method::GET, "/v1/jobs/{id}", JobsRead, jobs::get);
    router.permitted(Method::POST, "/v1/staff", StaffManage, staff::create);
    router.permitted(Method::GET, "/v1/staff", StaffRead, staff::list);
    router.permitted(Method::GET, "/v1/staff/{id}", StaffRead, staff::get);
    router.permitted(Method::PATCH, "/v1/staff/{id}", StaffManage, staff::update);
    router.permitted(
        Method::DELETE,
        "/v1/staff/{id}",
        StaffManage,
        staff::archive,
    );
    router
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_registers_without_conflict() {
        let router = all(false);
        assert!(router.conflicts.is_empty(), "{:?}", router.conflicts);
        assert_eq!(router.specs().count(), 78);
    }
}
