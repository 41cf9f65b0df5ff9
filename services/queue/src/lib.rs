//! queue-service: one ticket queue (take a number, call the next one, list who
//! waits) stored in Redis, so that several replicas of one queue share it.
//!
//! `main.rs` only parses the command line; everything else is here so that tests
//! and `cargo xtask` start the real application in-process.

pub mod auth;
pub mod config;
pub mod error;
pub mod metrics;
pub mod model;
pub mod openapi;
pub mod queue_name;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;

pub use config::{Cli, Command, Config};
pub use startup::Application;
