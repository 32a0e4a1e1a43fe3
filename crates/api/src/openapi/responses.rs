//! The answers every operation shares: the pipeline's errors (as `components.responses`), and
//! the headers, body and description every answer of a status has.

use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Content, Header, Ref, RefOr, Response, ResponseBuilder};

/// A response header's declaration.
pub(super) fn response_header(description: &str) -> Header {
    let mut header = Header::new(ObjectBuilder::new().schema_type(Type::String));
    header.description = Some(description.to_owned());
    header
}

/// The headers, body and description every answer of its status has.
pub(super) fn complete(status: &str, response: &mut Response, replayable: bool) {
    response
        .headers
        .entry("X-Request-ID".to_owned())
        .or_insert_with(|| response_header("The request's id"));
    let failure = !status.starts_with('2');
    if failure && response.content.is_empty() {
        response.content.insert(
            "application/json".to_owned(),
            Content::new(Some(Ref::from_schema_name("Error"))),
        );
    }
    if replayable && !failure {
        response
            .headers
            .entry("Idempotent-Replayed".to_owned())
            .or_insert_with(|| {
                response_header(
                    "`true` on the kept answer to a retry with the same Idempotency-Key",
                )
            });
    }
    for (name, description) in [
        (
            "ETag",
            "The version, as `\"3\"`: send it in If-Match to change the resource",
        ),
        ("Location", "Where the new resource is"),
        ("Retry-After", "Seconds to wait before trying again"),
    ] {
        if let Some(header) = response.headers.get_mut(name) {
            header
                .description
                .get_or_insert_with(|| description.to_owned());
        }
    }
    if response.description.is_empty() {
        response.description = shared_description(status).to_owned();
    }
}

/// The description of the pipeline's answers of `status`.
fn shared_description(status: &str) -> &'static str {
    match status {
        "400" => {
            "The request cannot be read: a malformed or missing JSON body \
                  (`request.malformed_json`, `request.body_required`), a bad query parameter \
                  (`request.invalid_query`), If-Match (`request.invalid_if_match`) or \
                  Idempotency-Key (`idempotency.invalid_key`)"
        }
        "401" => {
            "No valid session: none sent (`auth.required`) or not valid \
                  (`auth.invalid_token`); with `WWW-Authenticate: Bearer`"
        }
        "403" => {
            "The session lacks the route's permission (`forbidden`, naming it in \
                  `details.permission`), or another refusal; in cookie mode, a missing or \
                  wrong CSRF token (`auth.csrf`) or a foreign origin (`auth.origin_not_allowed`)"
        }
        "404" => {
            "No such resource in the caller's centre, or one the caller may not know of \
                  (`not_found`)"
        }
        "409" => {
            "A conflict with the resource's state, or a request with the same \
                  Idempotency-Key still running (`idempotency.in_progress`, with Retry-After)"
        }
        "412" => "The resource changed since the version in If-Match (`precondition.failed`)",
        "413" => "The body is too large (`request.too_large`)",
        "415" => "The body is not JSON (`request.unsupported_media_type`)",
        "422" => {
            "Values break the rules (`validation.failed`, every refused field in \
                  `details.fields`), or an Idempotency-Key reused for another request \
                  (`idempotency.key_reused`)"
        }
        "428" => "If-Match is missing (`precondition.required`)",
        "429" => "Too many requests (`rate_limited`), with Retry-After",
        "503" => {
            "A store Cubby depends on does not answer (`unavailable`), or the request \
                  ran past its deadline (`request.timeout`)"
        }
        _ => "An answer",
    }
}

/// The shared error answers, for `components.responses`.
pub(super) fn shared_responses() -> Vec<(String, RefOr<Response>)> {
    [
        "400", "401", "403", "404", "409", "412", "413", "415", "422", "428", "429", "503",
    ]
    .into_iter()
    .map(|status| {
        let mut builder = ResponseBuilder::new().description(shared_description(status));
        if status == "401" {
            builder = builder.header("WWW-Authenticate", response_header("`Bearer`"));
        }
        if status == "429" || status == "409" {
            builder = builder.header("Retry-After", response_header("Seconds to wait"));
        }
        let mut response = builder.build();
        complete(status, &mut response, false);
        (status.to_owned(), RefOr::T(response))
    })
    .collect()
}
