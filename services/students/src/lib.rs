//! students-service: the API behind the student dashboard. `GET /` lists the
//! students from PostgreSQL with a global view counter from Redis, and keeps
//! answering when Redis is down, hung or full (without `views`), and answers 503
//! (never hangs) while PostgreSQL is away, recovering by itself in both cases.
//!
//! `main.rs` only parses the command line; everything else is here so that tests
//! and `cargo xtask` start the real application in-process.

pub mod breaker;
pub mod cache;
pub mod config;
pub mod cors;
pub mod db;
pub mod error;
pub mod metrics;
pub mod migrate;
pub mod model;
pub mod openapi;
pub mod routes;
pub mod startup;
pub mod state;

pub use config::{Cli, Command, Config};
pub use startup::Application;
