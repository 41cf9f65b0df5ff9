//! alerter: turns Alertmanager webhooks into e-mail and Matrix messages without
//! ever losing or repeating one. A webhook is acknowledged only once stored in
//! the outbox (`outbox`); a worker per channel delivers it with retries
//! (`delivery`) until it succeeds or becomes a visible dead letter.
//!
//! `main.rs` only parses the command line; everything else is here so that tests
//! and `cargo xtask` start the real application in-process.

pub mod auth;
pub mod channels;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod error;
pub mod metrics;
pub mod outbox;
pub mod payload;
pub mod render;
pub mod routes;
pub mod routing;
pub mod settings;
pub mod startup;
pub mod state;

pub use config::{Cli, Command, Config};
pub use startup::Application;
