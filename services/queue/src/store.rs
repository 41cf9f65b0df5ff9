//! The tickets in Redis: `queue:<name>:seq` (INCR) and `queue:<name>:tickets` (a
//! list of `"<ticket>:<issued_ms>"`, oldest first). Every operation is one Lua
//! script, so issue and call are atomic and replicas of one queue can share them.
//!
//! Every operation is bounded by the connect plus response timeouts: when Redis is
//! down or hung, callers get an error quickly instead of waiting.

use std::time::Duration;

use jiff::Timestamp;
use redis::Script;
use secrecy::SecretString;
pub use telemetry::redis_client::Timeouts;
use telemetry::redis_client::{BoundedRedis, RedisFailure};

use crate::queue_name::QueueName;

/// Most tickets `list` returns in one answer.
pub const MAX_LIST_LIMIT: usize = 10_000;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis did not answer in time, refused the connection or answered an error.
    #[error(transparent)]
    Redis(#[from] RedisFailure),
    /// An entry in the list is not `ticket[:issued_ms]`.
    #[error("unreadable queue entry {0:?}")]
    Corrupt(String),
}

/// A ticket just issued.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Issued {
    /// Its number.
    pub ticket: u64,
    /// Tickets waiting, this one included.
    pub waiting: u64,
    /// When it was issued (Redis's clock).
    pub issued_at: Timestamp,
}

/// The outcome of calling the next ticket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Called {
    /// The ticket called and how long it waited (unknown for legacy entries); none when empty.
    pub ticket: Option<(u64, Option<Duration>)>,
    /// Tickets still waiting.
    pub waiting: u64,
}

/// A snapshot of the queue: total and the first entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// Tickets waiting in total.
    pub waiting: u64,
    /// The first tickets with their issue time, oldest first.
    pub tickets: Vec<(u64, Option<Timestamp>)>,
}

/// Queue size and the age of its oldest ticket, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Tickets waiting.
    pub waiting: u64,
    /// Age of the oldest ticket (zero when empty or unknown).
    pub oldest_age: Duration,
}

/// The ticket store of one queue.
#[derive(Clone)]
pub struct TicketStore {
    redis: BoundedRedis,
    seq_key: String,
    list_key: String,
    scripts: Scripts,
}

impl std::fmt::Debug for TicketStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketStore")
            .field("list_key", &self.list_key)
            .field("redis", &self.redis)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct Scripts {
    issue: Script,
    call: Script,
    list: Script,
    stats: Script,
}

impl TicketStore {
    /// Prepares the store; the connection is opened lazily, so the service starts
    /// (and reports itself unready) while Redis is down.
    pub fn new(url: &SecretString, queue: &QueueName, timeouts: Timeouts) -> anyhow::Result<Self> {
        let redis = BoundedRedis::new("Redis URL", url, timeouts)?;
        Ok(Self {
            redis,
            seq_key: format!("queue:{queue}:seq"),
            list_key: format!("queue:{queue}:tickets"),
            scripts: Scripts {
                issue: Script::new(include_str!("scripts/issue.lua")),
                call: Script::new(include_str!("scripts/call.lua")),
                list: Script::new(include_str!("scripts/list.lua")),
                stats: Script::new(include_str!("scripts/stats.lua")),
            },
        })
    }

    /// Issues the next ticket.
    pub async fn issue(&self) -> Result<Issued, StoreError> {
        let mut connection = self.redis.connection();
        let mut invocation = self.scripts.issue.key(&self.seq_key);
        let invocation = invocation.key(&self.list_key).invoke_async(&mut connection);
        let (ticket, waiting, now_ms): (u64, u64, i64) =
            self.redis.run("issue_ticket", invocation).await?;
        Ok(Issued {
            ticket,
            waiting,
            issued_at: timestamp(now_ms),
        })
    }

    /// Calls (removes) the oldest ticket.
    pub async fn call(&self) -> Result<Called, StoreError> {
        let mut connection = self.redis.connection();
        let invocation = self.scripts.call.key(&self.list_key);
        let invocation = invocation.invoke_async(&mut connection);
        let (waiting, now_ms, entry): (u64, i64, Option<String>) =
            self.redis.run("call_ticket", invocation).await?;
        let ticket = match entry {
            None => None,
            Some(entry) => {
                let (ticket, issued_ms) = parse_entry(&entry)?;
                Some((ticket, issued_ms.map(|issued| elapsed(issued, now_ms))))
            }
        };
        Ok(Called { ticket, waiting })
    }

    /// Lists at most `limit` tickets, oldest first, and the total.
    pub async fn list(&self, limit: usize) -> Result<Listing, StoreError> {
        let mut connection = self.redis.connection();
        let mut invocation = self.scripts.list.key(&self.list_key);
        let invocation = invocation.arg(limit).invoke_async(&mut connection);
        let (waiting, entries): (u64, Vec<String>) =
            self.redis.run("list_tickets", invocation).await?;
        let tickets = entries
            .iter()
            .map(|entry| parse_entry(entry).map(|(ticket, issued)| (ticket, issued.map(timestamp))))
            .collect::<Result<_, _>>()?;
        Ok(Listing { waiting, tickets })
    }

    /// Size and oldest ticket age, for the scrape-time gauges.
    pub async fn stats(&self) -> Result<Stats, StoreError> {
        let mut connection = self.redis.connection();
        let invocation = self.scripts.stats.key(&self.list_key);
        let invocation = invocation.invoke_async(&mut connection);
        let (waiting, now_ms, oldest): (u64, i64, Option<String>) =
            self.redis.run("queue_stats", invocation).await?;
        let oldest_age = match oldest {
            Some(entry) => parse_entry(&entry)?
                .1
                .map_or(Duration::ZERO, |issued| elapsed(issued, now_ms)),
            None => Duration::ZERO,
        };
        Ok(Stats {
            waiting,
            oldest_age,
        })
    }

    /// Checks that Redis answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.redis.ping().await?)
    }
}

/// Parses `"ticket:issued_ms"`, or a bare `"ticket"` as the original application wrote.
fn parse_entry(entry: &str) -> Result<(u64, Option<i64>), StoreError> {
    let corrupt = || StoreError::Corrupt(entry.chars().take(64).collect());
    match entry.split_once(':') {
        Some((ticket, issued)) => Ok((
            ticket.parse().map_err(|_| corrupt())?,
            Some(issued.parse().map_err(|_| corrupt())?),
        )),
        None => Ok((entry.parse().map_err(|_| corrupt())?, None)),
    }
}

fn timestamp(millis: i64) -> Timestamp {
    Timestamp::from_millisecond(millis).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn elapsed(from_ms: i64, to_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(to_ms.saturating_sub(from_ms)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_with_and_without_issue_time() {
        assert_eq!(
            parse_entry("42:1700000000123").unwrap(),
            (42, Some(1_700_000_000_123))
        );
        assert_eq!(parse_entry("7").unwrap(), (7, None));
        assert!(matches!(parse_entry("x:1"), Err(StoreError::Corrupt(_))));
        assert!(matches!(parse_entry("1:y"), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn clock_skew_never_gives_negative_waits() {
        assert_eq!(elapsed(2_000, 1_000), Duration::ZERO);
        assert_eq!(elapsed(1_000, 3_500), Duration::from_millis(2_500));
    }
}
