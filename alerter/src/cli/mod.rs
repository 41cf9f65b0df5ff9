//! The operator subcommands: `check-config`, `send-test`, `dead-letters`.

mod check_config;
mod dead_letters;
mod send_test;

pub use check_config::check_config;
pub use dead_letters::dead_letters;
pub use send_test::{sample_notification, send_test};
