//! The permission matrix (`tests/fixtures/permission-matrix.json`): every route of the table
//! and, for each built-in role, whether it may call it. The matrix and the route table must
//! list the same routes (a route added without a matrix entry fails here), and every cell holds
//! over HTTP on both hosts.

use std::collections::BTreeMap;

use cubby_api::Access;
use cubby_domain::Role;
use cubby_tests::{Call, Host, World};
use http::Method;
use serde_json::{Value, json};

crate::on_both_hosts!(every_cell_of_the_permission_matrix_holds);

fn matrix() -> BTreeMap<String, Value> {
    let path = format!(
        "{}/fixtures/permission-matrix.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let document: Value = serde_json::from_str(&text).unwrap();
    document["routes"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn call(method: &Method, path: &str) -> Call {
    // Every path parameter is some value that names nothing.
    let path: String = path
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "x"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let call = Call::new(method.clone(), &path);
    if matches!(*method, Method::POST | Method::PATCH | Method::PUT) {
        call.json(&json!({}))
    } else {
        call
    }
}

async fn every_cell_of_the_permission_matrix_holds(host: &impl Host, world: &World) {
    let matrix = matrix();
    let routes: BTreeMap<String, &cubby_api::RouteSpec> = world
        .api
        .routes()
        .map(|route| (format!("{} {}", route.method, route.path), route))
        .collect();
    let missing: Vec<&String> = routes
        .keys()
        .filter(|key| !matrix.contains_key(*key))
        .collect();
    assert!(
        missing.is_empty(),
        "routes missing from tests/fixtures/permission-matrix.json: {missing:?}"
    );
    let unknown: Vec<&String> = matrix
        .keys()
        .filter(|key| !routes.contains_key(*key))
        .collect();
    assert!(
        unknown.is_empty(),
        "the matrix lists routes that do not exist: {unknown:?}"
    );

    // Logging out ends the session used, so the session routes go last, logout at the very end.
    let mut order: Vec<&String> = routes.keys().collect();
    order.sort_by_key(|key| (matrix[*key] == "session", key.ends_with("/logout")));
    for key in order {
        let route = routes[key];
        let cell = &matrix[key];
        match (cell, route.access) {
            (Value::String(kind), Access::Public) if kind == "public" => {}
            (Value::String(kind), Access::Session) if kind == "session" => {
                for role in Role::ALL {
                    let reply = host
                        .send(call(&route.method, route.path).bearer(&world.a.member(role).token))
                        .await;
                    assert!(
                        ![401, 403].contains(&reply.status.as_u16()),
                        "{key} refused a {role} session: {}",
                        reply.status
                    );
                }
            }
            (Value::Object(roles), Access::Permission(permission)) => {
                for role in Role::ALL {
                    let allowed = roles[role.as_str()].as_bool().unwrap();
                    let reply = host
                        .send(call(&route.method, route.path).bearer(&world.a.member(role).token))
                        .await;
                    let body = reply.json();
                    let forbidden = reply.status == 403 && body["code"] == "forbidden";
                    if allowed {
                        assert!(
                            !forbidden && reply.status != 401,
                            "{key} should allow {role}, answered {}: {body}",
                            reply.status
                        );
                    } else {
                        assert!(
                            forbidden,
                            "{key} should refuse {role}, answered {}: {body}",
                            reply.status
                        );
                        assert_eq!(body["details"]["permission"], permission.as_str());
                    }
                }
            }
            (Value::String(kind), Access::Operator) if kind == "operator" => {
                for role in Role::ALL {
                    let reply = host
                        .send(call(&route.method, route.path).bearer(&world.a.member(role).token))
                        .await;
                    let code = reply.json()["code"].clone();
                    // A centre's token is a wrong key; enough of them from one address are
                    // throttled. Never served.
                    assert!(
                        (reply.status == 401 && code == "platform.invalid_key")
                            || (reply.status == 429 && code == "platform.throttled"),
                        "{key} answered a {role} session {}: {code}",
                        reply.status
                    );
                }
            }
            (cell, access) => {
                panic!("{key}: the matrix says {cell}, the route table says {access:?}")
            }
        }
    }
}
