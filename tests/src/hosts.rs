//! The hosts a [`World`](crate::World) can be served by, behind one [`Host`] trait so that a
//! table of cases runs against each.

use std::convert::Infallible;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use cubby_api::Api;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use lambda_http::request::LambdaRequest;
use lambda_http::{Context, LambdaEvent, Service, service_fn};
use serde_json::{Map, Value, json};

use crate::{Call, Reply, World};

/// Something that answers HTTP requests with the world's api.
pub trait Host {
    /// Sends one request and reads the whole answer.
    fn send(&self, call: Call) -> impl std::future::Future<Output = Reply>;
}

/// The container host on a real socket, bound to port 0.
pub struct ActixHost {
    base: String,
    client: reqwest::Client,
}

impl ActixHost {
    /// Starts the actix server for `world` in the background.
    pub async fn start(world: &World) -> Self {
        let server =
            cubby_host_actix::Server::bind(world.api.clone(), ([127, 0, 0, 1], 0).into()).unwrap();
        let base = format!("http://{}", server.address());
        tokio::spawn(server.run_until_stopped());
        cubby_compose::install_default_tls_provider();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        Self { base, client }
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }
}

impl Host for ActixHost {
    async fn send(&self, call: Call) -> Reply {
        let request = call.into_request();
        let (parts, body) = request.into_parts();
        let response = self
            .client
            .request(parts.method, format!("{}{}", self.base, parts.uri))
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        Reply {
            status,
            headers,
            bytes,
        }
    }
}

/// The Lambda host, driven the way the Lambda runtime drives it: an API Gateway HTTP API
/// (payload v2) event as JSON in, the response event as JSON out.
pub struct LambdaHost {
    api: Arc<Api>,
}

impl LambdaHost {
    /// The Lambda handler for `world`.
    pub fn start(world: &World) -> Self {
        Self {
            api: world.api.clone(),
        }
    }

    /// Sends a raw API Gateway event and returns the response event.
    pub async fn invoke(&self, event: Value) -> Value {
        let request: LambdaRequest = serde_json::from_value(event).unwrap();
        let api = self.api.clone();
        let handler = service_fn(move |request| {
            let api = api.clone();
            async move { Ok::<_, Infallible>(cubby_host_lambda::handle(&api, request).await) }
        });
        let mut adapter = lambda_http::Adapter::from(handler);
        let response = adapter
            .call(LambdaEvent::new(request, Context::default()))
            .await
            .unwrap();
        serde_json::to_value(&response).unwrap()
    }
}

impl Host for LambdaHost {
    async fn send(&self, call: Call) -> Reply {
        from_event(&self.invoke(to_event(call)).await)
    }
}

/// The API Gateway HTTP API (payload v2) event for a request. Bodies that are not UTF-8 text
/// travel base64-encoded, and `Cookie` headers as the `cookies` list, as API Gateway does.
pub fn to_event(call: Call) -> Value {
    let (parts, body) = call.into_request().into_parts();
    let mut headers = Map::new();
    let mut cookies = Vec::new();
    for name in parts.headers.keys() {
        let values: Vec<&str> = parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if name == http::header::COOKIE {
            cookies.extend(values.iter().flat_map(|v| v.split("; ")).map(str::to_owned));
        } else {
            headers.insert(name.as_str().to_owned(), Value::String(values.join(",")));
        }
    }
    let query = parts.uri.query().unwrap_or("");
    let parameters: Map<String, Value> =
        url_pairs(query)
            .into_iter()
            .fold(Map::new(), |mut map, (key, value)| {
                let joined = match map.get(&key).and_then(Value::as_str) {
                    Some(previous) => format!("{previous},{value}"),
                    None => value,
                };
                map.insert(key, Value::String(joined));
                map
            });
    let (body, encoded) = match std::str::from_utf8(&body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (STANDARD.encode(&body), true),
    };
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.uri.path(),
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "cubbytest",
            "domainName": "cubbytest.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "cubbytest",
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.10",
                "userAgent": "cubby-tests"
            },
            "requestId": "test-request",
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1_795_341_600_000_i64
        },
        "isBase64Encoded": encoded
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !parameters.is_empty() {
        event["queryStringParameters"] = Value::Object(parameters);
    }
    if !body.is_empty() {
        event["body"] = Value::String(body);
    }
    event
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default()
}

/// The reply an API Gateway response event stands for.
pub fn from_event(event: &Value) -> Reply {
    let status = StatusCode::from_u16(event["statusCode"].as_u64().unwrap() as u16).unwrap();
    let mut headers = HeaderMap::new();
    if let Some(map) = event["headers"].as_object() {
        for (name, value) in map {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value.as_str().unwrap()).unwrap(),
            );
        }
    }
    if let Some(map) = event["multiValueHeaders"].as_object() {
        for (name, values) in map {
            let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
            if headers.contains_key(&name) {
                continue;
            }
            for value in values.as_array().unwrap() {
                headers.append(
                    name.clone(),
                    HeaderValue::from_str(value.as_str().unwrap()).unwrap(),
                );
            }
        }
    }
    for cookie in event["cookies"].as_array().into_iter().flatten() {
        headers.append(
            http::header::SET_COOKIE,
            HeaderValue::from_str(cookie.as_str().unwrap()).unwrap(),
        );
    }
    let body = event["body"].as_str().unwrap_or("");
    let bytes = if event["isBase64Encoded"].as_bool().unwrap_or(false) {
        Bytes::from(STANDARD.decode(body).unwrap())
    } else {
        Bytes::from(body.to_owned())
    };
    Reply {
        status,
        headers,
        bytes,
    }
}
