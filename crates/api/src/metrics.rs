//! What the pipeline records about each request, through the `metrics` facade: nothing is
//! kept unless the host installed a recorder.

use std::time::Duration;

use http::Method;

/// Records one answered request in `http_request_duration_seconds{method, route, status}`;
/// `route` is the route's template, never a concrete path, and a method outside the standard
/// ones is `other`: a client cannot grow the label set.
pub(crate) fn request(method: &Method, route: &'static str, status: u16, elapsed: Duration) {
    metrics::histogram!(
        "http_request_duration_seconds",
        "method" => method_label(method),
        "route" => route,
        "status" => status.to_string(),
    )
    .record(elapsed.as_secs_f64());
}

/// The label of a method: its name when standard, else `other`.
fn method_label(method: &Method) -> &'static str {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    STANDARD
        .iter()
        .find(|standard| *standard == method)
        .map_or("other", |standard| standard.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_standard_methods_have_labels_of_their_own() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let made_up = Method::from_bytes(b"BREW").unwrap_or(Method::GET);
        assert_eq!(method_label(&made_up), "other");
    }
}
