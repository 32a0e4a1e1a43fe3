//! `/local-objects/{key}`: the in-memory object store's presigned URLs, served as S3 would
//! serve them, on both hosts. The store checks each request against the grant its query
//! carries, so the routes are public; the answers are the store's own (S3-style error texts,
//! not the API's error shape). Registered only when the application has such a store (the
//! embedded in-memory default, dev only); with S3 configured there is no such route: 404.
//!
//! Not part of the REST contract: the OpenAPI document describes the URLs the API hands out,
//! not the store behind them, as it does not describe S3's.

use cubby_ports::LocalObjectRequest;
use http::{HeaderValue, Method, StatusCode, header};

use crate::router::Router;
use crate::{ApiError, Ctx, Reply};

/// The routes' path; the key is the rest of it.
pub(crate) const PATH: &str = "/local-objects/{*key}";

/// The largest object the endpoint takes (the largest purpose's limit), whatever the host-wide
/// body cap.
pub(crate) const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Adds `GET`, `PUT` and `POST` on [`PATH`].
pub(crate) fn register(router: &mut Router) {
    router.object_endpoint(Method::GET, PATH, BODY_LIMIT, |ctx| serve(Method::GET, ctx));
    router.object_endpoint(Method::PUT, PATH, BODY_LIMIT, |ctx| serve(Method::PUT, ctx));
    router.object_endpoint(Method::POST, PATH, BODY_LIMIT, |ctx| {
        serve(Method::POST, ctx)
    });
}

async fn serve(method: Method, ctx: Ctx) -> Result<Reply, ApiError> {
    let endpoint = ctx
        .app()
        .ports()
        .local_objects
        .clone()
        .ok_or_else(ApiError::not_found)?;
    let key: String = ctx.param("key")?;
    let answer = endpoint
        .serve(LocalObjectRequest {
            method: method.as_str().to_owned(),
            key,
            query: ctx.query.clone().unwrap_or_default(),
            content_type: ctx
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: ctx.body.clone(),
        })
        .await;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = answer
        .content_type
        .and_then(|value| HeaderValue::from_str(&value).ok());
    Ok(Reply::raw(status, content_type, answer.body).with_header(
        http::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("cross-origin"),
    ))
}
