//! What the pipeline records about each request, through the `metrics` facade: nothing is
//! kept unless the host installed a recorder.

use std::time::Duration;

use http::Method;

/// Records one answered request in `http_request_duration_seconds{method, route, status}`;
/// `route` is the route's template (never a concrete path, to keep the label set small).
pub(crate) fn request(method: &Method, route: &'static str, status: u16, elapsed: Duration) {
    metrics::histogram!(
        "http_request_duration_seconds",
        "method" => method.as_str().to_owned(),
        "route" => route,
        "status" => status.to_string(),
    )
    .record(elapsed.as_secs_f64());
}
