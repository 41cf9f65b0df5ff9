//! queue-service integration tests: the real application against a private
//! redis-server, in-process on port 0 or as its real binary where signals, exit
//! codes and logs matter.

mod auth;
mod chaos;
mod concurrency;
mod docs;
mod errors;
mod faults;
mod helpers;
mod metrics;
mod process;
mod tickets;
mod tracing;
