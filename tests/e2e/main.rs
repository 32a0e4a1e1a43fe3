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
mod attendance;
mod centres;
mod checked;
mod children;
mod credentials;
mod errors;
mod exchange;
mod files;
mod first_day;
mod http_contract;
mod idempotency;
mod identity;
mod jobs;
mod keys;
mod lambda_fixtures;
mod lambda_functions;
mod lists;
mod logs;
mod mail;
mod messages;
mod metrics;
mod openapi;
mod outages;
mod passwords;
mod permissions;
mod platform;
mod rooms;
mod sessions;
mod stored_data;
mod team;
mod traces;
