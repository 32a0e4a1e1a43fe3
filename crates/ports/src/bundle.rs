//! The set of adapters an application runs on.

use std::sync::Arc;

use crate::{
    AttendanceLog, AuditLog, BreachLog, Cache, ChildRepository, Clock, FileRepository, HealthProbe,
    IdGenerator, IdempotencyStore, InvitationDirectory, InvitationRepository, MembershipDirectory,
    MembershipRepository, MessageRepository, ObjectStore, RateLimiter, RoleRepository,
    RoomRepository, StaffRepository, TenantDirectory, TokenStore, UserDirectory,
};

/// The adapters a host picked, one per port: what the application is built on.
#[derive(Clone)]
pub struct Ports {
    /// Rooms.
    pub rooms: Arc<dyn RoomRepository>,
    /// Children, their contacts and custody restrictions.
    pub children: Arc<dyn ChildRepository>,
    /// Staff.
    pub staff: Arc<dyn StaffRepository>,
    /// Attendance events.
    pub attendance: Arc<dyn AttendanceLog>,
    /// Ratio breaches.
    pub breaches: Arc<dyn BreachLog>,
    /// Announcements, threads and messages.
    pub messages: Arc<dyn MessageRepository>,
    /// File records.
    pub files: Arc<dyn FileRepository>,
    /// Background job queues.
    pub jobs: Arc<dyn crate::JobQueue>,
    /// Job records and effect marks.
    pub job_records: Arc<dyn crate::JobRecords>,
    /// Object storage.
    pub objects: Arc<dyn ObjectStore>,
    /// The object store's own endpoint for its presigned URLs, when it has one (the in-memory
    /// store; S3 serves its URLs itself).
    pub local_objects: Option<Arc<dyn crate::LocalObjects>>,
    /// The tenant directory.
    pub tenants: Arc<dyn TenantDirectory>,
    /// Users.
    pub users: Arc<dyn UserDirectory>,
    /// Membership lookups before a session exists.
    pub membership_directory: Arc<dyn MembershipDirectory>,
    /// Memberships.
    pub memberships: Arc<dyn MembershipRepository>,
    /// Custom roles.
    pub roles: Arc<dyn RoleRepository>,
    /// Invitations.
    pub invitations: Arc<dyn InvitationRepository>,
    /// Invitation lookups by token.
    pub invitation_directory: Arc<dyn InvitationDirectory>,
    /// Session state: the access token blocklist and refresh families.
    pub tokens: Arc<dyn TokenStore>,
    /// Throttling counters.
    pub limits: Arc<dyn RateLimiter>,
    /// The audit log.
    pub audit: Arc<dyn AuditLog>,
    /// The shared cache.
    pub cache: Arc<dyn Cache>,
    /// The reads before a request reaches the data, in one call, when one store holds the
    /// `limits`, `tokens` and `cache` above and can answer them together (Redis, in one round
    /// trip). `None`: one call per read to those three ports ([`crate::SeparateCalls`]).
    pub gate: Option<Arc<dyn crate::RequestGate>>,
    /// Idempotency records.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// Where e-mail is sent.
    pub mailer: Arc<dyn crate::Mailer>,
    /// What an in-memory outbox holds, when `mailer` is one (dev and tests): `GET /dev/outbox`.
    pub outbox: Option<Arc<dyn crate::MailOutbox>>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The id source.
    pub ids: Arc<dyn IdGenerator>,
    /// Readiness probes of the dependencies behind the adapters (none for the in-memory ones).
    pub probes: Vec<Arc<dyn HealthProbe>>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}
