//! Cubby's driven ports: the traits the application calls and the adapters implement, the
//! [`TenantScope`] every tenant-owned call takes first, the port errors, and (behind the
//! `contract-tests` feature) the contract suites every adapter of a port must pass.
//!
//! **Architecture Invariant:** no driver type (mongodb, redis, AWS SDK) appears here; adapters
//! map their errors into [`RepoError`] themselves.
//!
//! **Architecture Invariant:** every method of a tenant-owned port takes `&TenantScope` as its
//! first argument. The few platform-level lookups that cannot (a tenant by its code at login)
//! live on separate, narrowly named traits such as [`TenantDirectory`].

mod attendance;
mod audit_log;
mod bundle;
mod cache;
mod children;
mod error;
mod files;
mod gate;
mod health;
mod idempotency;
mod identity;
mod invitations;
mod jobs;
mod limits;
mod mail;
mod messages;
pub mod observe;
mod page;
mod roles;
mod rooms;
mod scope;
mod system;
mod tenants;
mod tokens;
pub mod trace;
mod users;

#[cfg(feature = "contract-tests")]
pub mod contract;

/// mockall's mocks of the port traits, for tests that make one port time out, conflict or answer
/// corrupt data at a given call (the in-memory adapters cover the happy paths).
#[cfg(feature = "test-support")]
pub mod mocks {
    pub use crate::attendance::{MockAttendanceLog, MockBreachLog};
    pub use crate::audit_log::MockAuditLog;
    pub use crate::cache::MockCache;
    pub use crate::children::{MockChildRepository, MockStaffRepository};
    pub use crate::files::{MockFileRepository, MockObjectStore};
    pub use crate::invitations::{MockInvitationDirectory, MockInvitationRepository};
    pub use crate::jobs::{MockJobQueue, MockJobRecords};
    pub use crate::mail::MockMailer;
    pub use crate::messages::MockMessageRepository;
    pub use crate::roles::MockRoleRepository;
    pub use crate::rooms::MockRoomRepository;
    pub use crate::system::{MockClock, MockIdGenerator};
    pub use crate::tenants::MockTenantDirectory;
    pub use crate::tokens::MockTokenStore;
    pub use crate::users::{MockMembershipDirectory, MockMembershipRepository, MockUserDirectory};
}

pub use attendance::{Appended, AttendanceLog, BreachLog, BreachQuery};
pub use audit_log::{AuditLog, AuditQuery};
pub use bundle::Ports;
pub use cache::{Cache, CacheKey, Ttl};
pub use children::{
    ChildQuery, ChildRepository, ChildSet, ChildSortKey, StaffQuery, StaffRepository,
};
pub use error::{BoxError, RepoError};
pub use files::{
    FileRepository, LocalObjectRequest, LocalObjectResponse, LocalObjects, ObjectInfo, ObjectStore,
    PresignedPost, PresignedRequest, UploadPolicy,
};
pub use gate::{GateAnswer, GateReads, RequestGate, SeparateCalls};
pub use health::{HealthProbe, ProbeError};
pub use idempotency::{Claim, Fingerprint, IdempotencyKey, IdempotencyStore, StoredResponse};
pub use identity::{ExternalIdentity, IdentityError, IdentityVerifier};
pub use invitations::{InvitationDirectory, InvitationQuery, InvitationRepository};
pub use jobs::{DeadLetter, Delivery, JobEnvelope, JobQueue, JobRecords, QueueDepth};
pub use limits::{LimitKey, RateLimiter, Window};
pub use mail::{MailError, MailOutbox, Mailer, OutgoingMail, SentMail};
pub use messages::{AnnouncementQuery, MessageRepository, ThreadQuery};
pub use page::{DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Page, PageError, PageRequest, SortDirection};
pub use roles::RoleRepository;
pub use rooms::{RoomQuery, RoomRepository, RoomSort, RoomSortKey};
pub use scope::{TenantScope, VerifiedSession};
pub use system::{Clock, IdGenerator};
pub use tenants::{TenantDirectory, TenantQuery};
pub use tokens::{ResetGrant, TokenStore};
pub use users::{MembershipDirectory, MembershipQuery, MembershipRepository, UserDirectory};
