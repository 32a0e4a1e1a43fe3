//! Cubby's domain: the model of a daycare centre and its rules, as plain values and functions.
//!
//! **Architecture Invariant:** this crate has no I/O, no async and no serialization dependency.
//! Every value is built by a constructor that checks its invariants (parse, don't validate), so
//! a value of a domain type is valid by construction, and stored data is re-parsed through the
//! same constructors when it is read back.

pub mod access;
pub mod attendance;
pub mod audit;
pub mod audit_event;
pub mod child;
pub mod error_code;
pub mod file;
pub mod id;
pub mod invitation;
pub mod job;
pub mod message;
pub mod ratio;
pub mod room;
pub mod session;
pub mod staff;
pub mod tenant;
pub mod text;
pub mod time_of_day;
pub mod user;
pub mod version;

pub use access::{
    CustomRole, Entitlement, EntitlementSet, Permission, PermissionSet, Role, RoleError, RoleName,
    RoleRef, effective_permissions,
};
pub use attendance::{
    Amendment, AttendanceError, AttendanceEvent, Movement, Presence, Subject, Timeline,
};
pub use audit::{Actor, Audit, OperatorId};
pub use audit_event::{AuditAction, AuditEvent};
pub use child::{
    Capabilities, Capability, Child, ChildEdit, ChildError, ChildParts, Contact,
    CustodyRestriction, Enrolment, EnrolmentStatus, GuardianView, NewChild, Note, PersonName,
    Phone, PickupError, Pin, Relationship, SensitiveInfo,
};
pub use error_code::ErrorCode;
pub use file::{FileError, FilePurpose, FileStatus, ObjectKey, StoredFile, StoredFileParts};
pub use id::{
    AnnouncementId, AttendanceEventId, AuditEventId, BreachId, ChildId, ContactId, FileId, IdError,
    InvitationId, JobId, MembershipId, MessageId, RestrictionId, RoleId, RoomId, SessionId,
    StaffId, TenantId, ThreadId, UserId,
};
pub use invitation::{
    Invitation, InvitationError, InvitationParts, InvitationStatus, NewInvitation,
};
pub use job::{JobRecord, JobRecordParts, JobStatus, JobTransitionError, Queue};
pub use message::{Announcement, Audience, Body, Message, MessageError, Receipt, Thread, Title};
pub use ratio::{AgeBand, Breach, RatioError, RatioReport, RatioRule};
pub use room::{
    AgeRange, Capacity, NewRoom, Room, RoomChanges, RoomError, RoomName, StaffChildRatio,
};
pub use session::{Presented, RefreshFamily, TokenDigest};
pub use staff::{Qualification, StaffError, StaffMember};
pub use tenant::{
    CentreSettings, RatioEnforcement, Tenant, TenantCode, TenantError, TenantName, TenantParts,
    TenantStatus, TimeZone,
};
pub use user::{
    Email, ExternalId, Membership, MembershipChanges, MembershipParts, MembershipStatus,
    PasswordHash, User, UserError, UserParts, UserStatus,
};
pub use version::Version;
