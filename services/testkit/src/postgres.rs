//! A fresh, uniquely named database per test on the machine's PostgreSQL
//! (127.0.0.1:5432, user `postgres`, trust authentication; `PGHOST`/`PGPORT`/`PGUSER`
//! override), dropped when the test ends. Statements go through `psql`, so that
//! tests and benchmarks need no async client of their own.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A database created for one test; dropped (connections closed) with it.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    server: PgServer,
}

/// Where the machine's PostgreSQL answers.
#[derive(Debug, Clone)]
struct PgServer {
    host: String,
    port: u16,
    user: String,
}

impl PgServer {
    fn from_env() -> Self {
        let var =
            |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
        Self {
            host: var("PGHOST", "127.0.0.1"),
            port: var("PGPORT", "5432")
                .parse()
                .expect("PGPORT is a port number"),
            user: var("PGUSER", "postgres"),
        }
    }
}

impl TestDatabase {
    /// Creates an empty database named `vigie_test_<pid>_<time>_<n>`.
    pub fn create() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let name = format!(
            "vigie_test_{}_{nanos}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let database = Self {
            name,
            server: PgServer::from_env(),
        };
        database
            .psql_on("postgres", &format!("CREATE DATABASE {}", database.name))
            .unwrap_or_else(|error| {
                panic!(
                    "cannot create a test database on PostgreSQL at {}:{} as {}: {error}\n\
                     Tests need a PostgreSQL server there with trust authentication for that user \
                     (`cargo xtask setup` as root starts one when none answers).",
                    database.server.host, database.server.port, database.server.user
                )
            });
        database
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The PostgreSQL port it is served on.
    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// `postgres://user@host:port/name`
    pub fn url(&self) -> String {
        self.url_via(&self.server.host, self.server.port)
    }

    /// The URL of this database through another address (a proxy in front of the server).
    pub fn url_via(&self, host: &str, port: u16) -> String {
        format!(
            "postgres://{}@{host}:{port}/{}",
            self.server.user, self.name
        )
    }

    /// Runs `sql` (one statement, or several without a transaction block) and
    /// returns the unaligned, tuples-only output; panics with psql's message on error.
    pub fn psql(&self, sql: &str) -> String {
        self.psql_on(&self.name, sql)
            .unwrap_or_else(|error| panic!("psql on {} failed for `{sql}`: {error}", self.name))
    }

    fn psql_on(&self, database: &str, sql: &str) -> Result<String, String> {
        let output = Command::new("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", &self.server.host, "-p", &self.server.port.to_string()])
            .args(["-U", &self.server.user, "-d", database, "-c", sql])
            .env("PGCONNECT_TIMEOUT", "5")
            .output()
            .map_err(|error| format!("cannot run psql ({error}): install postgresql-client"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // FORCE closes the connections a service under test may still hold.
        if let Err(error) = self.psql_on(
            "postgres",
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        ) {
            eprintln!("could not drop test database {}: {error}", self.name);
        }
    }
}
