//! Every error code the API answers with, as one closed list: the `code` of an error body
//! (`{code, message, details?, request_id}`) and the `code` of each refused field of a 422
//! (`details.fields[]`).
//!
//! The domain's error types name their code here ([`crate::RoomError::code`]), and so do the
//! use cases and the REST layer, so a code cannot be misspelt, and the OpenAPI document and
//! docs/API.md list exactly these (a test keeps the three equal). The wire form
//! ([`ErrorCode::as_str`]) never changes once published: clients match on it.

macro_rules! error_codes {
    ($($(#[doc = $doc:literal])+ $variant:ident = $code:literal => $answered:literal,)*) => {
        /// A stable, machine-readable error code. Each variant's documentation says when it is
        /// answered; [`ErrorCode::answered_as`] gives the status, or `field` for a code of a
        /// refused field (in a 422 `validation.failed`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $($(#[doc = $doc])+ $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order of docs/API.md's table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The wire form (`room.name_taken`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// How it is answered: an HTTP status (`409`), `field` for the code of a refused
            /// field in a 422's `details.fields`, both (`409, field`), or `none` for a domain
            /// refusal the API answers with another code.
            pub const fn answered_as(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $answered,)*
                }
            }

            /// When it is answered: the variant's documentation, on one line.
            pub fn description(self) -> &'static str {
                let text = match self {
                    $(ErrorCode::$variant => concat!($($doc),+),)*
                };
                text.trim()
            }
        }
    };
}

error_codes! {
    // Answered by the request pipeline and the REST layer, for any route.
    /// No such resource in the caller's centre, or one the caller may not know of; also an
    /// unknown path.
    NotFound = "not_found" => "404",
    /// A known path with another method (the answer has `Allow`).
    MethodNotAllowed = "method_not_allowed" => "405",
    /// The session's roles lack the route's permission (named in `details.permission`).
    Forbidden = "forbidden" => "403",
    /// A uniqueness rule of the store refused the change, with no more specific code.
    Conflict = "conflict" => "409",
    /// Too many requests from this address or centre (the answer has `Retry-After`).
    RateLimited = "rate_limited" => "429",
    /// Something failed on the server's side; the cause is logged, never sent.
    Internal = "internal" => "500",
    /// A store Cubby depends on does not answer; retry later.
    Unavailable = "unavailable" => "503",
    /// `GET /readyz`: a dependency is not ready (the report is in `details.checks`).
    NotReady = "not_ready" => "503",
    /// Values of the request break the rules: every refused field is in `details.fields`.
    ValidationFailed = "validation.failed" => "422",
    /// The resource changed since the version in `If-Match`.
    PreconditionFailed = "precondition.failed" => "412",
    /// A change or archive was sent without `If-Match`.
    PreconditionRequired = "precondition.required" => "428",
    /// The body is larger than the route's cap or the host's (the message says which).
    RequestTooLarge = "request.too_large" => "413",
    /// The body is not JSON (`application/json` or `application/*+json`).
    RequestUnsupportedMediaType = "request.unsupported_media_type" => "415",
    /// The body is not the expected JSON: a syntax error, a field of the wrong type or an
    /// unknown field (`details.line`, `details.column`, `details.reason`).
    RequestMalformedJson = "request.malformed_json" => "400",
    /// The route needs a body and none was sent.
    RequestBodyRequired = "request.body_required" => "400",
    /// An unknown query parameter, or a query value that is not valid.
    RequestInvalidQuery = "request.invalid_query" => "400",
    /// `If-Match` is not one ETag (such as `"3"`).
    RequestInvalidIfMatch = "request.invalid_if_match" => "400",
    /// The request ran past its deadline.
    RequestTimeout = "request.timeout" => "503",
    /// A field the request needs is missing.
    RequestFieldRequired = "request.field_required" => "field",
    /// An id of the wrong type or shape.
    RequestInvalidId = "request.invalid_id" => "field",
    /// A time that is not RFC 3339.
    RequestInvalidTime = "request.invalid_time" => "field",
    /// A date that is not `YYYY-MM-DD`.
    RequestInvalidDate = "request.invalid_date" => "field",
    /// `Idempotency-Key` is not 1 to 255 visible ASCII characters.
    IdempotencyInvalidKey = "idempotency.invalid_key" => "400",
    /// A request with the same `Idempotency-Key` is still running (with `Retry-After`).
    IdempotencyInProgress = "idempotency.in_progress" => "409",
    /// An `Idempotency-Key` already used for another request.
    IdempotencyKeyReused = "idempotency.key_reused" => "422",
    /// A cross-origin request from an origin not in the allowed list.
    CorsOriginNotAllowed = "cors.origin_not_allowed" => "403",

    // Signing in and sessions.
    /// The route needs a session and none was sent (or no refresh token).
    AuthRequired = "auth.required" => "401",
    /// The access, refresh or Supabase token is not valid.
    AuthInvalidToken = "auth.invalid_token" => "401",
    /// A sign-in whose centre, e-mail address or password is not right.
    AuthInvalidCredentials = "auth.invalid_credentials" => "401",
    /// Cookie mode: the CSRF token is missing or not the session's.
    AuthCsrf = "auth.csrf" => "403",
    /// Cookie mode: the request's origin is not an allowed one.
    AuthOriginNotAllowed = "auth.origin_not_allowed" => "403",
    /// Too many failed sign-ins for this address or account (with `Retry-After`).
    AuthThrottled = "auth.throttled" => "429",
    /// The account belongs to several centres and no `tenant_code` was sent: its centres are in
    /// `details.centres`, each `{code, name}`.
    AuthTenantRequired = "auth.tenant_required" => "400",
    /// Signing in with Supabase is not configured on this server.
    AuthExchangeDisabled = "auth.exchange_disabled" => "501",
    /// A password-reset token that is unknown, used, expired, or whose account cannot sign in.
    AuthResetTokenInvalid = "auth.reset_token_invalid" => "404",
    /// A new password shorter than 10 characters or longer than 256.
    AuthPasswordUnacceptable = "auth.password_unacceptable" => "field",
    /// Changing a password: the current password presented is not the account's.
    AuthWrongPassword = "auth.wrong_password" => "403",

    // The platform API (`/platform/v1`), for the people who run the service.
    /// A platform route was called without an operator key (`Authorization: Bearer <key>`).
    PlatformKeyRequired = "platform.key_required" => "401",
    /// The operator key is not one of the configured keys (a centre's access token never is).
    PlatformInvalidKey = "platform.invalid_key" => "401",
    /// Too many wrong operator keys from this address (with `Retry-After`).
    PlatformThrottled = "platform.throttled" => "429",

    // Members, roles and invitations.
    /// A role name that is not a built-in role or a custom role id.
    RoleUnknown = "role.unknown" => "field",
    /// A custom role name that is empty, too long or not one line.
    RoleInvalidName = "role.invalid_name" => "field",
    /// A custom role named like a built-in role.
    RoleBuiltinName = "role.builtin_name" => "field",
    /// A custom role with no permission.
    RoleNoPermission = "role.no_permission" => "field",
    /// Another custom role of the centre has this name.
    RoleNameTaken = "role.name_taken" => "409",
    /// A custom role still held by members cannot be deleted.
    RoleInUse = "role.in_use" => "409",
    /// A custom role would grant permissions the caller does not hold.
    RolesBeyondYourPermissions = "roles.beyond_your_permissions" => "403",
    /// A permission name that is not one of the list.
    PermissionUnknown = "permission.unknown" => "field",
    /// An entitlement name that is not one of the list.
    EntitlementUnknown = "entitlement.unknown" => "field",
    /// An e-mail address that is not valid.
    UserInvalidEmail = "user.invalid_email" => "field",
    /// A password hash that is not an argon2 hash.
    UserInvalidPassword = "user.invalid_password" => "field",
    /// An external identity id that is not valid.
    UserInvalidExternalId = "user.invalid_external_id" => "field",
    /// The caller would act on a member with more rights, or grant more than they hold.
    MembersBeyondYourPermissions = "members.beyond_your_permissions" => "403",
    /// A member status that is not one of the list, or not one a change may set.
    MembersInvalidStatus = "members.invalid_status" => "field",
    /// The member has not joined yet (an invitation is pending).
    MembersNotJoined = "members.not_joined" => "409",
    /// The change would leave the centre without an active owner.
    MembersLastOwner = "members.last_owner" => "409",
    /// Another change to the centre's owners ran at the same time; try again.
    MembersConcurrentChange = "members.concurrent_change" => "409",
    /// An invitation without a role.
    InvitationsNoRole = "invitations.no_role" => "field",
    /// An invitation lifetime that is not from 1 hour to 30 days.
    InvitationsInvalidLifetime = "invitations.invalid_lifetime" => "field",
    /// The invited address is already a member of the centre.
    InvitationsAlreadyMember = "invitations.already_member" => "409",
    /// The invitation is no longer pending (accepted, revoked or expired).
    InvitationsNotPending = "invitations.not_pending" => "409",
    /// Accepting: no such invitation for this centre.
    InvitationNotFound = "invitation.not_found" => "404",
    /// Accepting: the invitation was already used.
    InvitationUsed = "invitation.used" => "410",
    /// Accepting: the invitation was revoked.
    InvitationRevoked = "invitation.revoked" => "410",
    /// Accepting: the invitation expired, or its token is not right.
    InvitationExpired = "invitation.expired" => "410",
    /// Accepting: the account's password, or a new one, must be sent.
    InvitationPasswordRequired = "invitation.password_required" => "field",
    /// Accepting: the password is not the existing account's.
    InvitationWrongPassword = "invitation.wrong_password" => "401",

    // The centre, rooms and ratios.
    /// A ratio enforcement that is not one of the list.
    CentreInvalidRatioEnforcement = "centre.invalid_ratio_enforcement" => "field",
    /// A closing time that is not `HH:MM`.
    CentreInvalidClosingTime = "centre.invalid_closing_time" => "field",
    /// A centre code that is not 3 to 40 lowercase letters, digits and single hyphens,
    /// starting with a letter.
    CentreInvalidCode = "centre.invalid_code" => "field",
    /// A centre name that is empty, too long or not one line.
    CentreInvalidName = "centre.invalid_name" => "field",
    /// A time zone that is not in the IANA time zone database (`Australia/Sydney`).
    CentreUnknownTimeZone = "centre.unknown_time_zone" => "field",
    /// Creating a centre: another centre has this code.
    CentreCodeTaken = "centre.code_taken" => "409",
    /// A room name that is empty, too long or not one line.
    RoomInvalidName = "room.invalid_name" => "field",
    /// A room age range that is reversed or beyond 0 to 216 months.
    RoomInvalidAgeRange = "room.invalid_age_range" => "field",
    /// A room capacity that is not from 1 to 500 children.
    RoomInvalidCapacity = "room.invalid_capacity" => "field",
    /// A ratio that is not `staff:children` with 1 to 10 staff and 1 to 40 children.
    RoomInvalidRatio = "room.invalid_ratio" => "field",
    /// The room is archived and cannot change.
    RoomArchived = "room.archived" => "409",
    /// An active room of the centre already has this name.
    RoomNameTaken = "room.name_taken" => "409",
    /// A ratio rule's age bands do not start at 0 months, increase strictly, stay within 216
    /// months and number 1 to 12.
    RatioInvalidBands = "ratio.invalid_bands" => "field",
    /// A ratio rule's maximum group size is not from 1 to 500.
    RatioInvalidGroupSize = "ratio.invalid_group_size" => "field",
    /// A ratio rule that would take effect before today.
    RatioEffectiveInThePast = "ratio.effective_in_the_past" => "field",
    /// The room already has a ratio rule taking effect that day.
    RatioRuleExists = "ratio.rule_exists" => "field",
    /// A ratio report needs a room.
    RatioRoomRequired = "ratio.room_required" => "field",
    /// The movement would put the room out of ratio, and the centre blocks breaches.
    RatioWouldBreach = "ratio.would_breach" => "409",

    // Children and their contacts.
    /// A child's name part that is empty, too long or not one line.
    ChildInvalidName = "child.invalid_name" => "field",
    /// A date of birth in the future or more than 18 years ago.
    ChildInvalidDateOfBirth = "child.invalid_date_of_birth" => "field",
    /// An enrolment whose dates are reversed or do not fit its status.
    ChildInvalidEnrolment = "child.invalid_enrolment" => "field",
    /// An enrolment status that is not one of the list.
    ChildInvalidEnrolmentStatus = "child.invalid_enrolment_status" => "field",
    /// A note that is too long.
    ChildInvalidNote = "child.invalid_note" => "field",
    /// A room id that names no active room of the centre.
    ChildUnknownRoom = "child.unknown_room" => "field",
    /// The child is archived and cannot change or be checked in.
    ChildArchived = "child.archived" => "409",
    /// A contact's relationship that is empty or too long.
    ContactInvalidRelationship = "contact.invalid_relationship" => "field",
    /// A phone number that is not valid.
    ContactInvalidPhone = "contact.invalid_phone" => "field",
    /// A pickup PIN that is not 4 to 8 digits.
    ContactInvalidPin = "contact.invalid_pin" => "field",
    /// A contact id that is not one of the child's contacts.
    ContactUnknown = "contact.unknown" => "field",
    /// A user id that names no member of the centre.
    ContactUnknownUser = "contact.unknown_user" => "field",
    /// A contact capability that is not one of the list.
    ContactUnknownCapability = "contact.unknown_capability" => "field",
    /// A custody restriction whose dates are reversed or that blocks nothing.
    RestrictionInvalid = "restriction.invalid" => "field",
    /// A custody restriction id that is not one of the child's: the domain's refusal, which the
    /// API answers as `not_found`.
    RestrictionUnknown = "restriction.unknown" => "none",
    /// Check-out: the contact is not one of the child's contacts.
    PickupUnknownContact = "pickup.unknown_contact" => "403",
    /// Check-out: the contact may not collect the child.
    PickupNotAuthorized = "pickup.not_authorized" => "403",
    /// Check-out: a custody restriction forbids this contact to collect the child.
    PickupRestricted = "pickup.restricted" => "403",
    /// Check-out: the contact has a pickup PIN and none was sent.
    PickupPinRequired = "pickup.pin_required" => "403",
    /// Check-out: the pickup PIN is not right.
    PickupWrongPin = "pickup.wrong_pin" => "403",

    // Attendance.
    /// The child is already checked in.
    AttendanceAlreadyCheckedIn = "attendance.already_checked_in" => "409",
    /// The child is not checked in.
    AttendanceNotCheckedIn = "attendance.not_checked_in" => "409",
    /// The staff member is already clocked in.
    AttendanceAlreadyClockedIn = "attendance.already_clocked_in" => "409",
    /// The staff member is not clocked in.
    AttendanceNotClockedIn = "attendance.not_clocked_in" => "409",
    /// The event's kind does not fit its subject (a child clocking in, staff checking out).
    AttendanceWrongSubject = "attendance.wrong_subject" => "409",
    /// The event is not in order with the subject's other events of the day.
    AttendanceOutOfOrder = "attendance.out_of_order" => "409",
    /// The event's time is not on the day it belongs to.
    AttendanceWrongDay = "attendance.wrong_day" => "409, field",
    /// A correction that does not amend an earlier movement of the same day.
    AttendanceInvalidCorrection = "attendance.invalid_correction" => "409, field",
    /// Another movement of the same subject was recorded at the same time; try again.
    AttendanceBusy = "attendance.busy" => "409",
    /// An event time in the future.
    AttendanceInTheFuture = "attendance.in_the_future" => "field",
    /// An event older than 7 days (a director records it as a correction).
    AttendanceTooOld = "attendance.too_old" => "field",
    /// The child is not enrolled on that day.
    AttendanceNotEnrolled = "attendance.not_enrolled" => "409",
    /// The movement needs a room and none was sent.
    AttendanceRoomRequired = "attendance.room_required" => "field",
    /// A room id that names no active room of the centre.
    AttendanceUnknownRoom = "attendance.unknown_room" => "field",
    /// The caller or staff id has no staff record.
    AttendanceNotStaff = "attendance.not_staff" => "field",
    /// A span of days that is reversed or too long.
    AttendanceInvalidSpan = "attendance.invalid_span" => "field",
    /// An event kind that is not one of the list.
    AttendanceUnknownKind = "attendance.unknown_kind" => "field",
    /// An attendance event id of the wrong shape.
    AttendanceInvalidId = "attendance.invalid_id" => "field",

    // Staff.
    /// A qualification that is empty, too long or not one line.
    StaffInvalidQualification = "staff.invalid_qualification" => "field",
    /// More qualifications than a staff record may hold.
    StaffTooManyQualifications = "staff.too_many_qualifications" => "field",
    /// More room assignments than a staff record may hold.
    StaffTooManyRooms = "staff.too_many_rooms" => "field",
    /// The staff record is archived and cannot change.
    StaffArchived = "staff.archived" => "409",
    /// A room id that names no active room of the centre.
    StaffUnknownRoom = "staff.unknown_room" => "field",
    /// A user id that names no member of the centre.
    StaffUnknownUser = "staff.unknown_user" => "field",
    /// The member already has a staff record.
    StaffUserTaken = "staff.user_taken" => "409",

    // Messages.
    /// An announcement title that is empty, too long or not one line.
    MessageInvalidTitle = "message.invalid_title" => "field",
    /// A message body that is not 1 to 5000 characters.
    MessageInvalidBody = "message.invalid_body" => "field",
    /// A thread's participants that are not 1 to 20 of the child's contacts who may message.
    ThreadInvalidParticipants = "thread.invalid_participants" => "field",
    /// The caller may not message about this child.
    ThreadNotAllowed = "thread.not_allowed" => "403",
    /// An announcement's room id that names no active room of the centre.
    AnnouncementUnknownRoom = "announcement.unknown_room" => "field",

    // Files and jobs.
    /// A content type the file's purpose does not take.
    FileContentTypeNotAllowed = "file.content_type_not_allowed" => "field",
    /// A file that is empty or larger than its purpose takes.
    FileTooLarge = "file.too_large" => "field",
    /// A child id where the purpose takes none, none where it needs one (a child's photo), or
    /// one of the wrong shape.
    FileInvalidChild = "file.invalid_child" => "field",
    /// Files of this purpose are written by the server, not uploaded.
    FileNotUploadable = "file.not_uploadable" => "field",
    /// The file has not been uploaded, or not as presigned.
    FileNotUploaded = "file.not_uploaded" => "409",
    /// A child photo of a child without photo consent.
    FileNoPhotoConsent = "file.no_photo_consent" => "409",
    /// A file purpose that is not one of the list.
    FileUnknownPurpose = "file.unknown_purpose" => "field",
    /// An upload method that is not one of the list.
    FileUnknownMethod = "file.unknown_method" => "field",
    /// A file operation that is not one of the list.
    FileUnknownOperation = "file.unknown_operation" => "field",
    /// A file id of the wrong shape.
    FileInvalidId = "file.invalid_id" => "field",
    /// A roster import of a file that is not a roster upload.
    ImportNotARoster = "import.not_a_roster" => "field",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<ErrorCode> for &str {
    fn eq(&self, other: &ErrorCode) -> bool {
        *self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// A lower-case slug: words of `a-z` and `_`, joined by dots.
    fn is_dotted_slug(code: &str) -> bool {
        code.split('.').all(|word| {
            word.starts_with(|c: char| c.is_ascii_lowercase())
                && !word.ends_with('_')
                && !word.contains("__")
                && word.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        })
    }

    #[test]
    fn every_code_is_a_unique_dotted_lower_case_slug() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(
                is_dotted_slug(text),
                "{text} is not a dotted lower-case slug"
            );
            assert!(seen.insert(text), "{text} is the code of two variants");
        }
        for bad in [
            "", "Room.x", "room..x", ".room", "room.", "room-x", "room._x", "a1",
        ] {
            assert!(!is_dotted_slug(bad), "{bad}");
        }
    }

    #[test]
    fn every_code_says_how_and_when_it_is_answered() {
        for code in ErrorCode::ALL {
            let answered = code.answered_as();
            assert!(
                answered == "none"
                    || answered.split(", ").all(|part| part == "field"
                        || (part.len() == 3 && part.chars().all(|c| c.is_ascii_digit()))),
                "{code}: {answered}"
            );
            assert!(code.description().ends_with('.'), "{code}");
            assert!(!code.description().contains('|'), "{code}: a table cell");
        }
    }

    #[test]
    fn codes_compare_with_their_wire_form() {
        assert_eq!(ErrorCode::RoomNameTaken, "room.name_taken");
        assert!("not_found" == ErrorCode::NotFound);
        assert_eq!(ErrorCode::ValidationFailed.to_string(), "validation.failed");
    }
}
