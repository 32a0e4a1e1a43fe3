//! The container host: the `cubby` binary serves the shared [`cubby_api::Api`] on actix-web.
//!
//! This crate is a thin composition root: it reads [`cubby_settings::Settings`], picks the adapters,
//! builds the application, and adapts actix requests and responses to the framework-free api.
//!
//! **Architecture Invariant:** only the host crates know actix-web or lambda_http; no route,
//! check or error shape is defined here.

pub mod centres;
pub mod demo;
mod glue;
pub mod health;
pub mod metrics;
pub mod server;
pub mod worker;

pub use server::Server;
