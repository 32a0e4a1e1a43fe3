//! How [`crate::App::new`] puts each use case on the ports: one function per use case, and the
//! parts several of them share.

use std::sync::Arc;

use cubby_ports::{Ports, RequestGate, SeparateCalls};

use crate::{
    AppError, TokenKeys, TokenPolicy, attendance, audit, cache, centre, children, custom_roles,
    files, jobs, members, messages, passwords, platform, session, staff,
};

/// What several use cases share: the read-through caches, the request gate, the audit trail and
/// password hashing.
pub(crate) struct Shared {
    pub(crate) tenants: Arc<cache::CachedTenants>,
    pub(crate) principals: Arc<cache::Principals>,
    pub(crate) permissions: Arc<cache::Permissions>,
    pub(crate) gate: Arc<dyn RequestGate>,
    pub(crate) audit: Arc<audit::AuditTrail>,
    pub(crate) passwords: passwords::Passwords,
}

impl Shared {
    /// The shared parts on `ports`; the ports' own request gate when they have one, else one
    /// call per read.
    pub(crate) fn new(ports: &Ports, costs: passwords::PasswordParams) -> Result<Self, AppError> {
        let gate = ports.gate.clone().unwrap_or_else(|| {
            Arc::new(SeparateCalls {
                limits: ports.limits.clone(),
                tokens: ports.tokens.clone(),
                cache: ports.cache.clone(),
            })
        });
        Ok(Self {
            tenants: Arc::new(cache::CachedTenants::new(
                ports.tenants.clone(),
                ports.cache.clone(),
            )),
            principals: Arc::new(cache::Principals::new(
                ports.membership_directory.clone(),
                ports.users.clone(),
                ports.cache.clone(),
            )),
            permissions: Arc::new(cache::Permissions::new(
                ports.roles.clone(),
                ports.cache.clone(),
            )),
            gate,
            audit: Arc::new(audit::AuditTrail::new(
                ports.audit.clone(),
                ports.clock.clone(),
                ports.ids.clone(),
            )),
            passwords: passwords::Passwords::new(costs)?,
        })
    }
}

pub(crate) fn sessions(
    ports: &Ports,
    shared: &Shared,
    keys: TokenKeys,
    policy: TokenPolicy,
) -> Arc<session::Sessions> {
    Arc::new(session::Sessions::new(
        keys,
        policy,
        session::SessionStores {
            tenants: shared.tenants.clone(),
            principals: shared.principals.clone(),
            permissions: shared.permissions.clone(),
            gate: shared.gate.clone(),
            clock: ports.clock.clone(),
            ids: ports.ids.clone(),
        },
    ))
}

pub(crate) fn members(
    ports: &Ports,
    shared: &Shared,
    sessions: &Arc<session::Sessions>,
    mail: &crate::mail::Mail,
) -> members::Members {
    members::Members {
        users: ports.users.clone(),
        directory: ports.membership_directory.clone(),
        memberships: ports.memberships.clone(),
        roles: ports.roles.clone(),
        invitations: ports.invitations.clone(),
        tenants: shared.tenants.clone(),
        principals: shared.principals.clone(),
        audit: shared.audit.clone(),
        passwords: shared.passwords.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
        tokens: ports.tokens.clone(),
        sessions: sessions.clone(),
        mail: mail.clone(),
    }
}

pub(crate) fn platform(
    ports: &Ports,
    shared: &Shared,
    sessions: &Arc<session::Sessions>,
    mail: &crate::mail::Mail,
    keys: platform::OperatorKeys,
) -> platform::Platform {
    platform::Platform {
        // Through the cache, so that a suspension drops the entries every session check reads.
        tenants: shared.tenants.clone(),
        limits: ports.limits.clone(),
        members: members(ports, shared, sessions, mail),
        audit: shared.audit.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
        keys,
    }
}

pub(crate) fn children(ports: &Ports, shared: &Shared) -> children::Children {
    children::Children {
        children: ports.children.clone(),
        staff: ports.staff.clone(),
        rooms: ports.rooms.clone(),
        directory: ports.membership_directory.clone(),
        tenants: shared.tenants.clone(),
        audit: shared.audit.clone(),
        passwords: shared.passwords.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
    }
}

pub(crate) fn attendance(
    ports: &Ports,
    shared: &Shared,
    children: &Arc<children::Children>,
) -> attendance::Attendance {
    attendance::Attendance {
        children: children.clone(),
        log: ports.attendance.clone(),
        breaches: ports.breaches.clone(),
        rooms: ports.rooms.clone(),
        staff: ports.staff.clone(),
        tenants: shared.tenants.clone(),
        audit: shared.audit.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
    }
}

pub(crate) fn messages(ports: &Ports, children: &Arc<children::Children>) -> messages::Messages {
    messages::Messages {
        children: children.clone(),
        repo: ports.messages.clone(),
        rooms: ports.rooms.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
    }
}

pub(crate) fn files(ports: &Ports, children: &Arc<children::Children>) -> files::Files {
    files::Files {
        files: ports.files.clone(),
        objects: ports.objects.clone(),
        children: children.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
    }
}

pub(crate) fn jobs(
    ports: &Ports,
    shared: &Shared,
    children: &Arc<children::Children>,
    attendance: &Arc<attendance::Attendance>,
    retry: jobs::RetryPolicy,
    links: crate::mail::Links,
) -> jobs::Jobs {
    jobs::Jobs {
        records: ports.job_records.clone(),
        queue: ports.jobs.clone(),
        files: ports.files.clone(),
        objects: ports.objects.clone(),
        rooms: ports.rooms.clone(),
        children: children.clone(),
        attendance: attendance.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
        retry,
        tenants: shared.tenants.clone(),
        mailer: ports.mailer.clone(),
        links,
        users: ports.users.clone(),
        tokens: ports.tokens.clone(),
        memberships: ports.memberships.clone(),
    }
}

pub(crate) fn centre(ports: &Ports, shared: &Shared) -> centre::Centre {
    centre::Centre {
        tenants: shared.tenants.clone(),
        rooms: ports.rooms.clone(),
        audit: shared.audit.clone(),
        clock: ports.clock.clone(),
    }
}

pub(crate) fn staff(ports: &Ports, shared: &Shared) -> staff::Staff {
    staff::Staff {
        staff: ports.staff.clone(),
        rooms: ports.rooms.clone(),
        directory: ports.membership_directory.clone(),
        audit: shared.audit.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
    }
}

pub(crate) fn custom_roles(ports: &Ports, shared: &Shared) -> custom_roles::CustomRoles {
    custom_roles::CustomRoles {
        roles: ports.roles.clone(),
        memberships: ports.memberships.clone(),
        principals: shared.principals.clone(),
        audit: shared.audit.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
    }
}
