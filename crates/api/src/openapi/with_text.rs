//! `schema_with` functions for fields whose rules a plain type cannot carry: text with the domain's limits, and formats.

use utoipa::openapi::schema::{
    KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};

use super::schemas::{CONTROL, WS, array, single_line, string, text};

/// A room's or a qualification's name: one line of 1 to 80 characters.
pub(crate) fn line80() -> Object {
    single_line(80, false)
}

/// As [`line80`], or `null`.
pub(crate) fn line80_or_null() -> Object {
    single_line(80, true)
}

/// A given or family name: one line of 1 to 60 characters.
pub(crate) fn line60() -> Object {
    single_line(60, false)
}

/// A relationship or a role's name: one line of 1 to 40 characters.
pub(crate) fn line40() -> Object {
    single_line(40, false)
}

/// As [`line40`], or `null`.
pub(crate) fn line40_or_null() -> Object {
    single_line(40, true)
}

/// A title: one line of 1 to 120 characters.
pub(crate) fn title() -> Object {
    single_line(120, false)
}

/// A message body: 1 to 5000 characters.
pub(crate) fn body() -> Object {
    text(cubby_domain::message::MAX_BODY, false)
}

/// A note (allergies, a reason): 1 to 2000 characters.
pub(crate) fn note() -> Object {
    text(2000, false)
}

/// As [`note`], or `null`.
pub(crate) fn note_or_null() -> Object {
    text(2000, true)
}

/// A list of qualifications, or `null`.
pub(crate) fn qualifications_or_null() -> Schema {
    array(line80(), true)
}

/// A list of qualifications.
pub(crate) fn qualifications() -> Schema {
    array(line80(), false)
}

fn email(nullable: bool) -> Object {
    let not = format!("@{WS}{CONTROL}");
    let pattern =
        format!("^[{WS}]*[^{not}]{{1,64}}@[^{not}.][^{not}]*\\.[^{not}]*[^{not}.][{WS}]*$");
    string(nullable)
        .pattern(Some(pattern))
        .description(Some(
            "An e-mail address: one `@`, a local part of 1 to 64 characters, a domain with \
             a dot, no white space (the server's check, looser than RFC 5322)",
        ))
        .max_length(Some(254))
        .build()
}

/// An e-mail address.
pub(crate) fn email_address() -> Object {
    email(false)
}

/// An e-mail address, or `null`.
pub(crate) fn email_or_null() -> Object {
    email(true)
}

fn phone(nullable: bool) -> Object {
    string(nullable)
        .pattern(Some(r"^[ +()-]*(?:[0-9][ +()-]*){5}[0-9 +()-]*$"))
        .min_length(Some(5))
        .max_length(Some(20))
        .description(Some(
            "5 to 20 of digits, spaces, `+`, `-`, `(`, `)`, with at least 5 digits",
        ))
        .build()
}

/// A phone number, or `null`.
pub(crate) fn phone_or_null() -> Object {
    phone(true)
}

fn pin(nullable: bool) -> Object {
    string(nullable)
        .pattern(Some("^[0-9]{4,8}$"))
        .description(Some("4 to 8 digits"))
        .build()
}

/// A pickup PIN, or `null`.
pub(crate) fn pin_or_null() -> Object {
    pin(true)
}

/// A staff:children ratio such as `1:4` (1 to 10 staff, 1 to 40 children).
pub(crate) fn ratio() -> Object {
    string(false)
        .pattern(Some("^(?:0?[1-9]|10):(?:0?[1-9]|[1-3][0-9]|40)$"))
        .examples(["1:4"])
        .build()
}

/// A ratio, or `null`.
pub(crate) fn ratio_or_null() -> Object {
    let mut schema = ratio();
    schema.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    schema
}

/// A time of day, `HH:MM`.
pub(crate) fn clock_time() -> Object {
    string(false)
        .pattern(Some("^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"))
        .examples(["18:30"])
        .build()
}

/// A time of day, `HH:MM`, or `null`.
pub(crate) fn clock_time_or_null() -> Object {
    string(true)
        .pattern(Some("^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"))
        .examples(["18:30"])
        .build()
}

/// `true`, always.
pub(crate) fn always_true() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .enum_values(Some([true]))
        .build()
}

/// A date, `YYYY-MM-DD`.
pub(crate) fn date() -> Object {
    string(false)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .build()
}

/// A date, or `null`.
pub(crate) fn date_or_null() -> Object {
    string(true)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .build()
}

/// An RFC 3339 time.
pub(crate) fn time() -> Object {
    string(false)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .build()
}

/// An RFC 3339 time, or `null`.
pub(crate) fn time_or_null() -> Object {
    string(true)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .build()
}
