//! What every Vigie binary shares: logs and traces (`logging`), the Prometheus
//! recorder and its `/metrics` listener (`metrics`), the HTTP plumbing that makes
//! every service answer and measure the same way (`http`), DB timing (`db`),
//! health endpoints and probes (`health`), graceful shutdown (`shutdown`),
//! `_FILE` secrets (`secrets`), the Swagger UI and OpenAPI routes (`docs`) and
//! controlled failures (`chaos`).

pub mod chaos;
pub mod config;
pub mod db;
pub mod docs;
pub mod health;
pub mod http;
pub mod logging;
pub mod metrics;
#[cfg(feature = "redis")]
pub mod redis_client;
pub mod secrets;
pub mod shutdown;

pub use config::{LogFormat, TelemetryArgs};
pub use logging::{Guard, init, init_for_test};
