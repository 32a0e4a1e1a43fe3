//! Cubby's end-to-end tests: one binary, every case over HTTP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub,
    missing_debug_implementations,
    reason = "tests"
)]

mod architecture;
mod checked;
mod http_contract;
mod idempotency;
mod lambda_fixtures;
mod outages;
mod rooms;
mod sessions;
mod stored_data;
