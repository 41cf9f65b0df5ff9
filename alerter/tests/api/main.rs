//! alerter integration tests: the real application against real servers (a SQLite
//! or PostgreSQL outbox, aiosmtpd, Synapse), in-process on port 0 or as its real
//! binary where crashes and exit codes matter. A mock homeserver appears only to
//! inject failures a real one cannot produce on demand.

mod alertmanager;
mod bad_input;
mod dedup;
mod email;
mod faults;
mod helpers;
mod matrix;
mod metrics;
mod mime;
mod mock_matrix;
mod outage;
mod postgres;
mod process;
