//! Cubby's end-to-end test harness: a [`World`] of two tenants with a session per role, and
//! the [`Host`]s it can be served by (actix on a real socket, Lambda through API Gateway event
//! JSON), so that one table of cases runs against both.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub,
    missing_debug_implementations,
    reason = "a test harness: a failed step must stop the test"
)]

pub mod call;
pub mod hosts;
pub mod http_stub;
pub mod logs;
pub mod mailbox;
pub mod objects;
pub mod scrape;
pub mod services;
pub mod tokens;
pub mod world;

pub use call::{Call, Reply};
pub use hosts::{ActixHost, Host, LambdaHost};
pub use world::{Centre, World};
