//! A host wrapper that checks what every response must carry, whatever the case.

use cubby_tests::{Call, Host, Reply};

/// Sends through `H` and asserts, on every reply: an `X-Request-ID`, the security headers, and
/// no trace of a panic or stack in the body.
pub struct Checked<'a, H>(pub &'a H);

impl<H: Host> Host for Checked<'_, H> {
    async fn send(&self, call: Call) -> Reply {
        let reply = self.0.send(call).await;
        let id = reply.header("x-request-id").unwrap_or_default();
        assert!(!id.is_empty(), "no X-Request-ID on {}", reply.status);
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            (
                "content-security-policy",
                "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
            ("referrer-policy", "no-referrer"),
        ] {
            assert_eq!(
                reply.header(name),
                Some(value),
                "{name} missing on {}",
                reply.status
            );
        }
        assert!(
            reply
                .header("strict-transport-security")
                .is_some_and(|v| v.starts_with("max-age="))
        );
        let text = String::from_utf8_lossy(&reply.bytes).to_lowercase();
        let leaks = [
            "panicked",
            "backtrace",
            "src/",
            ".rs:",
            "mongodb://",
            "redis://",
            "errorkind",
            "errmsg",
        ];
        for leak in leaks {
            assert!(!text.contains(leak), "the body leaks `{leak}`: {text}");
        }
        if !reply.status.is_success() {
            // Every failure is in the uniform shape; a replayed one keeps the id of the request
            // that produced it.
            let body = reply.json();
            assert!(
                body["code"].is_string() && body["message"].is_string(),
                "not the error shape: {body}"
            );
            if reply.header("idempotent-replayed").is_none() {
                assert_eq!(body["request_id"].as_str(), Some(id));
            }
        }
        reply
    }
}

/// Generates three tests per case: `actix::case` on a real socket and `lambda::case` through
/// API Gateway event JSON, each on a fresh in-memory world, and `services::case` on the actix
/// host over a fresh MongoDB database and Redis namespace.
#[macro_export]
macro_rules! on_both_hosts {
    ($($case:ident),* $(,)?) => {
        mod actix {
            $(
                #[tokio::test]
                async fn $case() {
                    let world = cubby_tests::World::in_memory().await;
                    let host = cubby_tests::ActixHost::start(&world).await;
                    super::$case(&$crate::checked::Checked(&host), &world).await;
                }
            )*
        }
        mod lambda {
            $(
                #[tokio::test]
                async fn $case() {
                    let world = cubby_tests::World::in_memory().await;
                    let host = cubby_tests::LambdaHost::start(&world);
                    super::$case(&$crate::checked::Checked(&host), &world).await;
                }
            )*
        }
        mod services {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(world) = cubby_tests::World::on_services().await else { return };
                    let host = cubby_tests::ActixHost::start(&world).await;
                    super::$case(&$crate::checked::Checked(&host), &world).await;
                }
            )*
        }
    };
}

/// Generates `actix::case` and `lambda::case` for each case, on the world `$world()` builds.
#[macro_export]
macro_rules! on_both_hosts_of {
    ($world:ident; $($case:ident),* $(,)?) => {
        mod actix {
            $(
                #[tokio::test]
                async fn $case() {
                    let world = super::$world().await;
                    let host = cubby_tests::ActixHost::start(&world).await;
                    super::$case(&$crate::checked::Checked(&host), &world).await;
                }
            )*
        }
        mod lambda {
            $(
                #[tokio::test]
                async fn $case() {
                    let world = super::$world().await;
                    let host = cubby_tests::LambdaHost::start(&world);
                    super::$case(&$crate::checked::Checked(&host), &world).await;
                }
            )*
        }
    };
}
