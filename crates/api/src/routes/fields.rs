//! Turning request values into domain values, collecting every refused field into one 422.

use std::fmt::Display;

use cubby_domain::{
    Email, Entitlement, EntitlementSet, ErrorCode, Permission, PermissionSet, RoleError, RoleRef,
    RoomError, UserError,
};
use time::OffsetDateTime;

use crate::ApiError;
use crate::error::FieldError;

/// A refusal with a stable code.
pub(crate) trait Coded: Display {
    /// The stable code.
    fn code(&self) -> ErrorCode;
}

impl Coded for RoomError {
    fn code(&self) -> ErrorCode {
        RoomError::code(self)
    }
}

impl Coded for RoleError {
    fn code(&self) -> ErrorCode {
        RoleError::code(self)
    }
}

impl Coded for UserError {
    fn code(&self) -> ErrorCode {
        UserError::code(self)
    }
}

/// A value that is not one of a closed list.
#[derive(Debug)]
pub(crate) struct Unknown {
    pub(crate) code: ErrorCode,
    pub(crate) value: String,
}

impl Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not one of the allowed values", self.value)
    }
}

impl Coded for Unknown {
    fn code(&self) -> ErrorCode {
        self.code
    }
}

/// Collects field errors while parsing a body into domain values.
#[derive(Default)]
pub(crate) struct Fields(Vec<FieldError>);

impl Fields {
    /// The value, or `None` with the error recorded against `field`.
    pub(crate) fn check<T, E: Coded>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result
            .map_err(|error| {
                self.0.push(FieldError {
                    field: field.to_owned(),
                    code: error.code(),
                    message: error.to_string(),
                })
            })
            .ok()
    }

    /// `value` if no field was refused, else the 422 listing them all.
    pub(crate) fn finish<T>(self, value: Option<T>) -> Result<T, ApiError> {
        match value {
            Some(value) if self.0.is_empty() => Ok(value),
            _ => Err(ApiError::validation(self.0)),
        }
    }
}

/// Role references: built-in role names or custom role ids.
pub(crate) fn roles(names: &[String]) -> Result<Vec<RoleRef>, RoleError> {
    names.iter().map(|name| RoleRef::parse(name)).collect()
}

/// Permissions by their wire form.
pub(crate) fn permissions(names: &[String]) -> Result<PermissionSet, Unknown> {
    names
        .iter()
        .map(|name| {
            Permission::parse(name).ok_or_else(|| Unknown {
                code: ErrorCode::PermissionUnknown,
                value: name.clone(),
            })
        })
        .collect()
}

/// Entitlements by their wire form.
pub(crate) fn entitlements(names: &[String]) -> Result<EntitlementSet, Unknown> {
    names
        .iter()
        .map(|name| {
            Entitlement::parse(name).ok_or_else(|| Unknown {
                code: ErrorCode::EntitlementUnknown,
                value: name.clone(),
            })
        })
        .collect()
}

/// An e-mail address.
pub(crate) fn email(address: &str) -> Result<Email, UserError> {
    Email::parse(address)
}

/// `at` as RFC 3339, the form every time is written in on the wire.
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// An RFC 3339 time.
pub(crate) fn time(text: &str) -> Result<OffsetDateTime, Unknown> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|_| {
        Unknown {
            code: ErrorCode::RequestInvalidTime,
            value: text.to_owned(),
        }
    })
}

/// A calendar date, `YYYY-MM-DD`.
pub(crate) fn date(text: &str) -> Result<time::Date, Unknown> {
    cubby_domain::time_of_day::parse_iso_date(text).ok_or_else(|| Unknown {
        code: ErrorCode::RequestInvalidDate,
        value: text.to_owned(),
    })
}

pub(crate) use cubby_domain::time_of_day::iso_date as date_text;

/// For `Option<Option<T>>` fields of a PATCH body: absent is `None` (keep), `null` is
/// `Some(None)` (clear), a value is `Some(Some(value))`. Use with `#[serde(default)]`.
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

impl Coded for cubby_domain::ChildError {
    fn code(&self) -> ErrorCode {
        cubby_domain::ChildError::code(self)
    }
}

impl Coded for cubby_domain::StaffError {
    fn code(&self) -> ErrorCode {
        cubby_domain::StaffError::code(self)
    }
}

impl Coded for cubby_domain::RatioError {
    fn code(&self) -> ErrorCode {
        cubby_domain::RatioError::code(self)
    }
}

impl Coded for cubby_domain::MessageError {
    fn code(&self) -> ErrorCode {
        cubby_domain::MessageError::code(self)
    }
}

impl Coded for cubby_domain::FileError {
    fn code(&self) -> ErrorCode {
        cubby_domain::FileError::code(self)
    }
}
