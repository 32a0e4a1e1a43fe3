//! Turns actix requests into `http::Request<Bytes>` for the api, and its responses back.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use bytes::{Bytes, BytesMut};
use cubby_api::Api;
use futures::StreamExt;

/// The one actix handler: every request goes to the api.
pub(crate) async fn forward(
    request: HttpRequest,
    mut payload: web::Payload,
    api: web::Data<Arc<Api>>,
) -> HttpResponse {
    let Ok(headers) = headers(&request) else {
        return respond(api.payload_too_large(request.path(), &http::HeaderMap::new()));
    };
    let limit = api.body_limit_for(request.path());
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return respond(api.payload_too_large(request.path(), &headers));
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return respond(api.payload_too_large(request.path(), &headers));
        };
        if body.len() + chunk.len() > limit {
            return respond(api.payload_too_large(request.path(), &headers));
        }
        body.extend_from_slice(&chunk);
    }
    let mut builder = http::Request::builder()
        .method(request.method().as_str())
        .uri(request.uri().to_string());
    if let Some(map) = builder.headers_mut() {
        *map = headers;
    }
    if let Some(peer) = request.peer_addr() {
        builder = builder.extension(cubby_api::ClientAddr(peer.ip()));
    }
    match builder.body(body.freeze()) {
        Ok(converted) => respond(api.handle(converted).await),
        Err(_) => HttpResponse::BadRequest().finish(),
    }
}

fn headers(request: &HttpRequest) -> Result<http::HeaderMap, ()> {
    let mut map = http::HeaderMap::with_capacity(request.headers().len());
    for (name, value) in request.headers() {
        let name = http::HeaderName::from_bytes(name.as_str().as_bytes()).map_err(|_| ())?;
        let value = http::HeaderValue::from_bytes(value.as_bytes()).map_err(|_| ())?;
        map.append(name, value);
    }
    Ok(map)
}

/// The actix response of the api's `response`.
pub(crate) fn respond(response: http::Response<Bytes>) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let status = actix_web::http::StatusCode::from_u16(parts.status.as_u16())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    for (name, value) in &parts.headers {
        builder.append_header((name.as_str(), value.as_bytes()));
    }
    builder.body(body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::headers;

    #[test]
    fn repeated_headers_reach_the_api_as_they_came() {
        let request = actix_web::test::TestRequest::default()
            .append_header(("authorization", "Bearer first"))
            .append_header(("authorization", "Bearer second"))
            .append_header(("cookie", "a=1"))
            .to_http_request();
        let map = headers(&request).unwrap();
        let values: Vec<&str> = map
            .get_all(http::header::AUTHORIZATION)
            .iter()
            .map(|value| value.to_str().unwrap())
            .collect();
        // Both copies, in order: the api refuses a request that sends two credentials, which
        // it could not do if one were dropped here.
        assert_eq!(values, ["Bearer first", "Bearer second"]);
        assert_eq!(map.get_all(http::header::COOKIE).iter().count(), 1);
    }
}
