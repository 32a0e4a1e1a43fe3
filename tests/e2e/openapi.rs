//! The OpenAPI document on both hosts: served (outside production) at `GET /openapi.json`,
//! describing every route of the table, and describing real answers: a few bodies are checked
//! against the schemas the document gives them.

use cubby_api::ApiConfig;
use cubby_tests::world::{test_api_config, test_config};
use cubby_tests::{Call, Host, World};
use serde_json::{Value, json};

crate::on_both_hosts_of!(docs_world; the_document_describes_every_route_and_real_answers);

async fn docs_world() -> World {
    let api = ApiConfig {
        serve_docs: true,
        ..test_api_config()
    };
    World::on(cubby_adapters_memory::embedded_ports(), test_config(), api).await
}

async fn the_document_describes_every_route_and_real_answers(host: &impl Host, world: &World) {
    let reply = host.send(Call::get("/openapi.json")).await;
    reply.expect(200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let doc = reply.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
    for route in world.api.routes() {
        let method = route.method.as_str().to_lowercase();
        assert!(
            doc["paths"][route.path][&method].is_object(),
            "{} {} is not in the document",
            route.method,
            route.path
        );
    }

    let director = &world.a.director;
    let room = json!({ "name": "Koalas", "age_range": { "min_months": 12, "max_months": 24 },
                       "capacity": 12, "ratio": "1:4" });
    let created = host
        .send(Call::post("/v1/rooms").bearer(director).json(&room))
        .await;
    created.expect(201);
    fits(&doc, "/v1/rooms", "post", "201", &created.json());
    for (path, token) in [
        ("/healthz", None),
        ("/readyz", None),
        ("/.well-known/jwks.json", None),
        ("/v1/me/context", Some(director)),
        ("/v1/me/centres", Some(director)),
        ("/v1/centre", Some(director)),
        ("/v1/rooms", Some(director)),
        ("/v1/roles", Some(director)),
        ("/v1/members", Some(director)),
        ("/v1/attendance", Some(director)),
        ("/v1/announcements", Some(director)),
        ("/v1/audit", Some(director)),
    ] {
        let call = Call::get(path);
        let call = match token {
            Some(token) => call.bearer(token),
            None => call,
        };
        let reply = host.send(call).await;
        reply.expect(200);
        fits(&doc, path, "get", "200", &reply.json());
    }
    let missing = host
        .send(Call::get("/v1/rooms/room_01h455vb4pex5vsknk084sn02q").bearer(director))
        .await;
    missing.expect(404);
    fits(&doc, "/v1/rooms/{id}", "get", "404", &missing.json());
}

/// Asserts that `body` fits the schema `doc` gives the answer `status` of `method path`.
fn fits(doc: &Value, path: &str, method: &str, status: &str, body: &Value) {
    let mut response = &doc["paths"][path][method]["responses"][status];
    if let Some(reference) = response["$ref"].as_str() {
        response = doc.pointer(reference.trim_start_matches('#')).unwrap();
    }
    let schema = &response["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} {status} has no JSON schema"
    );
    if let Err(problem) = check(doc, schema, body, "", true) {
        panic!("{method} {path} {status} does not fit its schema: {problem}\n{body}");
    }
}

/// The schema `schema` refers to, or itself.
fn resolved<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => resolved(doc, doc.pointer(reference.trim_start_matches('#')).unwrap()),
        None => schema,
    }
}

/// The properties `schema` declares, its `allOf` parts' included.
fn declared<'a>(doc: &'a Value, schema: &'a Value, names: &mut Vec<&'a str>) {
    let schema = resolved(doc, schema);
    names.extend(
        schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.as_str()),
    );
    for part in schema["allOf"].as_array().into_iter().flatten() {
        declared(doc, part, names);
    }
}

/// Whether `value` fits `schema`, for the keywords the document uses (patterns and formats
/// aside): the error names where it does not. `closed`: an object may hold no property the
/// schema does not declare, stricter than JSON Schema, so that a field a handler sends and the
/// document does not describe is caught.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, closed: bool) -> Result<(), String> {
    let schema = resolved(doc, schema);
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            check(doc, part, value, at, false)?;
        }
    }
    for (keyword, needed) in [("oneOf", 1), ("anyOf", 0)] {
        if let Some(cases) = schema[keyword].as_array() {
            let matched = cases
                .iter()
                .filter(|case| check(doc, case, value, at, closed).is_ok())
                .count();
            let fine = if needed == 1 {
                matched == 1
            } else {
                matched >= 1
            };
            if !fine {
                return Err(format!("{at}: {matched} cases of {keyword} match"));
            }
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect(),
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let accepted =
            types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
        if !accepted {
            return Err(format!("{at}: a {actual}, not {types:?}"));
        }
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {values:?}"));
    }
    if let (Some(items), Value::Array(list)) = (schema.get("items"), value) {
        for (index, item) in list.iter().enumerate() {
            check(doc, items, item, &format!("{at}[{index}]"), true)?;
        }
    }
    if let Value::Object(object) = value {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !object.contains_key(name) {
                return Err(format!("{at}.{name} is missing"));
            }
        }
        let properties = schema["properties"].as_object();
        let values = &schema["additionalProperties"];
        let mut names = Vec::new();
        declared(doc, schema, &mut names);
        for (name, field) in object {
            let at = format!("{at}.{name}");
            match properties.and_then(|p| p.get(name)) {
                Some(property) => check(doc, property, field, &at, true)?,
                None if values.is_object() => check(doc, values, field, &at, true)?,
                None if (closed || *values == false)
                    && !names.is_empty()
                    && !names.contains(&name.as_str()) =>
                {
                    return Err(format!("{at} is not in the document"));
                }
                None => {}
            }
        }
    }
    Ok(())
}
