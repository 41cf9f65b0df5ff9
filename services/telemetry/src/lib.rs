//! What every Vigie binary shares: logs and traces (`logging`), the Prometheus
//! recorder and its `/metrics` listener (`metrics`), the HTTP plumbing that makes
//! every service answer and measure the same way (`http`), DB timing (`db`),
//! health endpoints and probes (`health`), graceful shutdown (`shutdown`) and
//! `_FILE` secrets (`secrets`).

pub mod config;
pub mod db;
pub mod health;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod secrets;
pub mod shutdown;

pub use config::{LogFormat, TelemetryArgs};
pub use logging::{Guard, init, init_for_test};
