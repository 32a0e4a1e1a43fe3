//! What the route table and the pipeline decide for every operation, added to the operations
//! the handlers describe: the route's access (security, `x-permission`, a line of the
//! description), the request headers every request may carry, the errors the pipeline itself
//! answers, and the headers of every answer.

use http::Method;
use serde_json::json;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Ref, RefOr, Required};

use super::responses;
use crate::router::{Access, RouteSpec};

/// Paths that serve the same handler as another, documented path.
const ALIASES: [(&str, &str); 2] = [("/health/live", "/healthz"), ("/health/ready", "/readyz")];

/// Copies the documented path items to their aliases.
pub(super) fn aliases(paths: &mut utoipa::openapi::Paths) {
    for (alias, original) in ALIASES {
        if let Some(item) = paths.paths.get(original).cloned() {
            paths.paths.insert(alias.to_owned(), item);
        }
    }
}

/// The operation of `item` for `method`.
pub(super) fn operation_mut<'a>(
    item: &'a mut PathItem,
    method: &Method,
) -> Option<&'a mut Operation> {
    match *method {
        Method::GET => item.get.as_mut(),
        Method::POST => item.post.as_mut(),
        Method::PUT => item.put.as_mut(),
        Method::PATCH => item.patch.as_mut(),
        Method::DELETE => item.delete.as_mut(),
        _ => None,
    }
}

/// Whether a method may change something (and so may carry an `Idempotency-Key`).
fn is_unsafe(method: &Method) -> bool {
    [Method::POST, Method::PUT, Method::PATCH, Method::DELETE].contains(method)
}

/// Decorates the operation of `route`.
pub(super) fn operation(operation: &mut Operation, route: &RouteSpec) {
    let public = route.access == Access::Public;
    let unsafe_method = is_unsafe(&route.method);
    access(operation, route);
    name(operation, route.path);
    headers(operation, unsafe_method, public);
    absent_is_not_null(operation);
    for status in errors(operation, route) {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{status}"))));
    }
    for (status, response) in &mut operation.responses.responses {
        if let RefOr::T(response) = response {
            let replayable = unsafe_method && !public && crate::routes::keeps_answers(route.path);
            responses::complete(status, response, replayable);
        }
    }
}

/// States the route's access: in the description, as `x-permission`, and as security.
fn access(operation: &mut Operation, route: &RouteSpec) {
    let (line, permission) = match route.access {
        Access::Public => ("Public: no session needed.".to_owned(), "public"),
        Access::Session => ("Needs a session (any permissions).".to_owned(), "session"),
        Access::Permission(p) => (
            format!("Needs the `{}` permission.", p.as_str()),
            p.as_str(),
        ),
        Access::Operator => (
            "Platform operators only: needs an operator API key; a centre's session is refused."
                .to_owned(),
            "operator",
        ),
    };
    describe(operation, &line);
    operation
        .extensions
        .get_or_insert_with(Default::default)
        .insert("x-permission".to_owned(), json!(permission));
    if route.access == Access::Operator {
        operation.security = Some(vec![SecurityRequirement::new(
            "platformKey",
            Vec::<String>::new(),
        )]);
    } else if route.access != Access::Public {
        operation.security = Some(vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("cookie", Vec::<String>::new()),
        ]);
    }
}

/// The errors the pipeline may answer for `route`, by status: reading the request (body,
/// query, If-Match, Idempotency-Key), the session, the resource of the path, idempotency,
/// versions, limits and availability.
fn errors(operation: &Operation, route: &RouteSpec) -> Vec<&'static str> {
    let has = |place: ParameterIn, name: &str| {
        operation
            .parameters
            .iter()
            .flatten()
            .any(|p| p.parameter_in == place && (name.is_empty() || p.name == name))
    };
    let public = route.access == Access::Public;
    let unsafe_method = is_unsafe(&route.method);
    let body = operation.request_body.is_some();
    let if_match = has(ParameterIn::Header, "If-Match");
    let mut errors = Vec::new();
    if body || has(ParameterIn::Query, "") || if_match || unsafe_method {
        errors.push("400");
    }
    match route.access {
        Access::Public => {}
        // A key opens every platform route: nothing is forbidden to an operator.
        Access::Operator => errors.push("401"),
        Access::Session | Access::Permission(_) => errors.extend(["401", "403"]),
    }
    if has(ParameterIn::Path, "") {
        errors.push("404");
    }
    if unsafe_method && !public {
        errors.push("409");
        if route.access != Access::Operator || body {
            errors.push("422");
        }
    }
    if if_match {
        errors.extend(["412", "428"]);
    }
    if body {
        errors.extend(["413", "415"]);
    }
    if !crate::routes::is_health_check(route.path) {
        errors.push("429");
    }
    errors.push("503");
    errors
}

/// Names the operation `{tag}_{handler}` (`rooms_get`), `_alias` added on an alias path.
fn name(operation: &mut Operation, path: &str) {
    let tag = operation
        .tags
        .iter()
        .flatten()
        .next()
        .cloned()
        .unwrap_or_default();
    let handler = operation.operation_id.take().unwrap_or_default();
    let alias = if ALIASES.iter().any(|(alias, _)| *alias == path) {
        "_alias"
    } else {
        ""
    };
    operation.operation_id = Some(format!("{tag}_{handler}{alias}"));
}

/// Adds the route's access to the description. A summary the handler's doc comment gave with
/// its route (`` `GET /v1/rooms`: a page of rooms; ... ``) loses the route and keeps its first
/// clause ("A page of rooms"), the whole text going to the description; a summary given in the
/// attribute stays.
fn describe(operation: &mut Operation, access: &str) {
    let summary = operation.summary.take().unwrap_or_default();
    let mut text = operation.description.take().unwrap_or_default();
    match summary.split_once("`: ") {
        Some((_, rest)) if summary.starts_with('`') => {
            text = [capitalized(rest), text]
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join("\n\n")
                .replace('\n', " ");
            let clause = first_clause(&text);
            operation.summary = (!clause.is_empty()).then(|| clause.to_owned());
        }
        _ => operation.summary = (!summary.is_empty()).then_some(summary),
    }
    operation.description = Some(if text.is_empty() {
        access.to_owned()
    } else {
        format!("{access}\n\n{text}")
    });
}

/// `text` up to its first `; ` or `. ` outside parentheses and code.
fn first_clause(text: &str) -> &str {
    let (mut depth, mut code) = (0_i32, false);
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        match c {
            '`' => code = !code,
            '(' if !code => depth += 1,
            ')' if !code => depth -= 1,
            ';' | '.' if !code && depth == 0 && chars.peek().is_some_and(|(_, n)| *n == ' ') => {
                return &text[..index];
            }
            _ => {}
        }
    }
    text.trim_end_matches('.')
}

/// `text` with its first letter in upper case.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// An optional body or header is absent, never JSON `null`: drops the `null` that `Option`
/// adds to their schemas.
fn absent_is_not_null(operation: &mut Operation) {
    for parameter in operation.parameters.iter_mut().flatten() {
        if parameter.parameter_in == ParameterIn::Header
            && let Some(RefOr::T(Schema::Object(object))) = &mut parameter.schema
        {
            object.schema_type = SchemaType::new(Type::String);
        }
    }
    let Some(body) = &mut operation.request_body else {
        return;
    };
    if matches!(body.required, Some(Required::True)) {
        return;
    }
    for content in body.content.values_mut() {
        if let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema
            && let [RefOr::T(Schema::Object(null)), other] = one_of.items.as_slice()
            && null.schema_type == SchemaType::new(Type::Null)
        {
            content.schema = Some(other.clone());
        }
    }
}

/// A header parameter.
fn header(name: &str, required: bool, schema: ObjectBuilder, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .schema(Some(schema.schema_type(Type::String)))
        .description(Some(description))
        .build()
}

/// The request headers every request may carry.
fn headers(operation: &mut Operation, unsafe_method: bool, public: bool) {
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    let mut add = |parameter: Parameter| {
        if !parameters
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(&parameter.name))
        {
            parameters.push(parameter);
        }
    };
    add(header(
        "X-Request-ID",
        false,
        ObjectBuilder::new(),
        "Your id for the request (1 to 128 of `A-Z a-z 0-9 - _ . :`), echoed in the answer; \
         another is generated when absent or malformed",
    ));
    if unsafe_method {
        add(header(
            "Idempotency-Key",
            false,
            ObjectBuilder::new().pattern(Some("^[!-~]{1,255}$")),
            "Makes a retry safe: the first answer to a key is kept for 24 hours and replayed \
             to a retry of the same request",
        ));
    }
    if unsafe_method && !public {
        add(header(
            "X-CSRF-Token",
            false,
            ObjectBuilder::new(),
            "In cookie mode, the CSRF token the session was given (the `__Host-cubby_csrf` \
             cookie); not needed with `Authorization: Bearer`",
        ));
    }
}
