//! students-service integration tests: the real application against a fresh
//! database on the machine's PostgreSQL and a private redis-server, in-process on
//! port 0, or as its real binary where signals, exit codes and logs matter; and
//! the frontend (nginx, then headless Chromium) in front of it.

mod browser;
mod chaos;
mod concurrency;
mod cors;
mod docs;
mod frontend;
mod helpers;
mod metrics;
mod nginx;
mod postgres_faults;
mod process;
mod redis_faults;
mod students;
