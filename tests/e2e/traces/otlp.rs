//! Traces over the wire: spans posted to a collector stand-in over OTLP/HTTP (protobuf) when
//! `CUBBY_OTLP_ENDPOINT` names it, and nothing of OpenTelemetry installed when it is unset. Both
//! install the global subscriber, as the hosts do.

use cubby_settings::Settings;
use cubby_telemetry::Host as Where;
use cubby_tests::{Call, Host, LambdaHost, World};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{CALLER, TRACE, traceparent};

/// A collector stand-in: answers every POST with 200 and hands over its request line, its
/// headers (lowercase) and its body.
async fn collector() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(String, Vec<u8>)>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (posts, received) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let posts = posts.clone();
            tokio::spawn(async move {
                let mut bytes = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    let read = stream.read(&mut chunk).await.unwrap_or(0);
                    if read == 0 {
                        return;
                    }
                    bytes.extend_from_slice(&chunk[..read]);
                    let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&bytes[..end]).to_lowercase();
                    let length = head
                        .lines()
                        .find_map(|line| line.strip_prefix("content-length:"))
                        .and_then(|value| value.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if bytes.len() >= end + 4 + length {
                        let _ = posts.send((head, bytes[end + 4..end + 4 + length].to_vec()));
                        let ok = "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
                        let _ = stream.write_all(ok.as_bytes()).await;
                        return;
                    }
                }
            });
        }
    });
    (url, received)
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_are_posted_to_the_collector_over_otlp_http() {
    let (url, mut received) = collector().await;
    let vars = [("CUBBY_OTLP_ENDPOINT".to_owned(), format!("{url}/"))];
    let settings = Settings::from_vars(vars).unwrap();
    let telemetry = cubby_telemetry::init(&settings, Where::Container).unwrap();
    assert!(telemetry.traces().is_some());
    let span = tracing::info_span!("request", trace_id = tracing::field::Empty);
    assert!(cubby_telemetry::trace::exported_trace_id(&span).is_some());
    drop(span);
    let world = World::in_memory().await;
    let call = Call::get("/v1/rooms").bearer(&world.a.director);
    let host = LambdaHost::start(&world);
    host.send(call.header("traceparent", &traceparent()))
        .await
        .expect(200);
    // What the Lambda functions do after each invocation, then what the end of `main` does.
    let telemetry = tokio::task::spawn_blocking(move || {
        telemetry.traces().unwrap().flush();
        telemetry
    })
    .await
    .unwrap();

    let (head, body) = tokio::time::timeout(std::time::Duration::from_secs(10), received.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(head.starts_with("post /v1/traces http/1.1"), "{head}");
    assert!(
        head.contains("content-type: application/x-protobuf"),
        "{head}"
    );
    let found = |part: &[u8]| body.windows(part.len()).any(|w| w == part);
    assert!(found(&hex_bytes(TRACE)), "the request's trace id");
    assert!(found(&hex_bytes(CALLER)), "its parent, the caller's span");
    assert!(found(b"request") && found(b"cubby") && found(b"container"));
    tokio::task::spawn_blocking(move || drop(telemetry))
        .await
        .unwrap();
}

#[tokio::test]
async fn without_an_endpoint_no_opentelemetry_layer_is_installed() {
    let settings = Settings::from_vars(Vec::new()).unwrap();
    let telemetry = cubby_telemetry::init(&settings, Where::Container).unwrap();
    assert!(telemetry.traces().is_none());
    let span = tracing::info_span!("request", trace_id = tracing::field::Empty);
    assert_eq!(cubby_telemetry::trace::exported_trace_id(&span), None);
    // The trace id is still made, logged and carried.
    let trace_id = cubby_telemetry::trace::start(&span, None);
    assert_eq!(trace_id.len(), 32);
    let carried = span.in_scope(cubby_telemetry::trace::current).unwrap();
    assert_eq!(carried.trace_id(), trace_id);
}
