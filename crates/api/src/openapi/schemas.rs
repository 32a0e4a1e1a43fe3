//! Schemas the operations share: the error body, typed ids, text with the domain's limits, and
//! the closed lists of values, taken from the domain where it has them.
//!
//! Text patterns follow the domain's checks exactly: text is trimmed (of Unicode white space)
//! before its length is counted, and single-line text refuses control characters.

use std::borrow::Cow;

use serde_json::Value;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    ArrayBuilder, ArrayItems, Object, ObjectBuilder, Schema, SchemaType, Type,
};
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// The uniform error body: `{code, message, details?, request_id}`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Error)]
#[expect(dead_code, reason = "a schema only; never built")]
pub(crate) struct ErrorBody {
    /// A stable, machine-readable code (`room.name_taken`).
    #[schema(schema_with = super::codes::code)]
    code: String,
    /// What went wrong, for people.
    message: String,
    /// More about it: `fields` for validation errors (each a `FieldError`), `permission` for
    /// 403 `forbidden`, `centres` for 400 `auth.tenant_required` (each a `CentreChoice`), the
    /// position of a JSON syntax error, the readiness report.
    #[schema(value_type = Object, required = false)]
    details: Option<Value>,
    /// The request's id, as in `X-Request-ID`.
    request_id: String,
}

/// `If-Match`, which changes and archives need.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(dead_code, reason = "a schema only; never built")]
pub(crate) struct IfMatch {
    /// The ETag of the version you read, such as `"3"` (a weak `W/"3"` is accepted too):
    /// 428 without it, 412 if the resource changed since.
    #[param(rename = "If-Match", pattern = r#"^(?:W/)?"0*[1-9][0-9]{0,18}"$"#)]
    if_match: String,
}

/// Unicode white space, which the domain trims (Rust's `char::is_whitespace`).
pub(super) const WS: &str = r"\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (`char::is_control`).
pub(super) const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";

/// A string schema, nullable or not.
pub(super) fn string(nullable: bool) -> ObjectBuilder {
    let kind = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    ObjectBuilder::new().schema_type(kind)
}

/// One line of 1 to `max` characters once trimmed, without control characters.
pub(super) fn single_line(max: usize, nullable: bool) -> Object {
    let edge = format!("[^{WS}{CONTROL}]");
    let pattern = format!(
        "^[{WS}]*{edge}(?:[^{CONTROL}]{{0,{}}}{edge})?[{WS}]*$",
        max - 2
    );
    string(nullable)
        .min_length(Some(1))
        .pattern(Some(pattern))
        .description(Some(format!(
            "One line of 1 to {max} characters (surrounding white space is trimmed)"
        )))
        .build()
}

/// Text of 1 to `max` characters once trimmed; line breaks allowed.
pub(super) fn text(max: usize, nullable: bool) -> Object {
    let edge = format!("[^{WS}]");
    let pattern = format!("^[{WS}]*{edge}(?:[\\s\\S]{{0,{}}}{edge})?[{WS}]*$", max - 2);
    string(nullable)
        .min_length(Some(1))
        .pattern(Some(pattern))
        .description(Some(format!(
            "1 to {max} characters (surrounding white space is trimmed)"
        )))
        .build()
}

/// A string that is one of `values`.
pub(super) fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Object {
    string(false)
        .enum_values(Some(values.into_iter().map(str::to_owned)))
        .build()
}

/// An array of `items`.
pub(super) fn array(items: impl Into<RefOr<Schema>>, nullable: bool) -> Schema {
    let kind = if nullable {
        SchemaType::from_iter([Type::Array, Type::Null])
    } else {
        SchemaType::new(Type::Array)
    };
    ArrayBuilder::new()
        .schema_type(kind)
        .items(ArrayItems::RefOrSchema(Box::new(items.into())))
        .into()
}

/// The pattern of a typed id with `prefix`: TypeID, a UUIDv7 in lowercase Crockford base32.
pub(crate) fn id_pattern(prefix: &str) -> String {
    format!("^{prefix}_[0-7][0-9abcdefghjkmnpqrstvwxyz]{{25}}$")
}

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident = $domain:ident;)*) => {
        $(
            $(#[$doc])*
            pub(crate) enum $name {}

            impl PartialSchema for $name {
                fn schema() -> RefOr<Schema> {
                    let prefix = cubby_domain::$domain::PREFIX;
                    string(false)
                        .pattern(Some(id_pattern(prefix)))
                        .description(Some(format!(
                            "A typed id: `{prefix}_` and 26 characters of lowercase base32"
                        )))
                        .examples([format!("{prefix}_01jd8x3k2m4n5p6q7r8s9t0v1w")])
                        .into()
                }
            }

            impl ToSchema for $name {
                fn name() -> Cow<'static, str> {
                    Cow::Borrowed(stringify!($domain))
                }
            }
        )*

        /// Every id schema, by component name.
        pub(crate) fn id_schemas() -> Vec<(String, RefOr<Schema>)> {
            vec![$((<$name as ToSchema>::name().into_owned(), <$name as PartialSchema>::schema()),)*]
        }
    };
}

ids! {
    /// A centre's id.
    Tenant = TenantId;
    /// A user's id.
    User = UserId;
    /// A membership's id.
    Membership = MembershipId;
    /// A room's id.
    Room = RoomId;
    /// A session's id.
    Session = SessionId;
    /// An audit event's id.
    AuditEvent = AuditEventId;
    /// A custom role's id.
    CustomRole = RoleId;
    /// An invitation's id.
    Invitation = InvitationId;
    /// A child's id.
    Child = ChildId;
    /// A contact's id.
    Contact = ContactId;
    /// A custody restriction's id.
    Restriction = RestrictionId;
    /// A staff record's id.
    Staff = StaffId;
    /// An attendance event's id.
    AttendanceEvent = AttendanceEventId;
    /// A ratio breach's id.
    Breach = BreachId;
    /// An announcement's id.
    Announcement = AnnouncementId;
    /// A thread's id.
    Thread = ThreadId;
    /// A message's id.
    Message = MessageId;
    /// A file's id.
    File = FileId;
    /// A job's id.
    Job = JobId;
}

/// `schema_with` functions for fields whose rules a plain type cannot carry.
pub(crate) mod with {
    pub(crate) use super::super::with_lists::*;
    pub(crate) use super::super::with_text::*;
}
