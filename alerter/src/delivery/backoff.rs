//! When to try again: exponential backoff with jitter, a server's own wait when it
//! gives one, and a maximum age after which a delivery is given up on.

use std::time::Duration;

/// Longest wait a server may impose through `Retry-After`/`retry_after_ms`; a
/// larger value is treated as this, so a bogus header cannot park a delivery.
const MAX_SERVER_WAIT: Duration = Duration::from_secs(3600);

/// The retry policy of every channel.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub initial: Duration,
    /// Longest delay.
    pub max: Duration,
    /// Age at which a failing delivery becomes a dead letter.
    pub max_age: Duration,
}

impl RetryPolicy {
    /// The delay before attempt `failures + 1`: doubling from `initial`, capped at
    /// `max`, with "equal jitter" (half fixed, half random) so deliveries that
    /// failed together do not retry in lockstep.
    pub fn backoff(&self, failures: u32) -> Duration {
        let exponent = failures.saturating_sub(1).min(30);
        let delay = self.initial.saturating_mul(1_u32 << exponent).min(self.max);
        let half = delay / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// The delay after a failure: the server's wait when it gave one (plus up to
    /// 10 % jitter), the backoff otherwise.
    pub fn delay(&self, failures: u32, server_wait: Option<Duration>) -> Duration {
        match server_wait {
            Some(wait) => {
                let wait = wait.min(MAX_SERVER_WAIT);
                wait + wait.mul_f64(fastrand::f64() * 0.1)
            }
            None => self.backoff(failures),
        }
    }

    /// Whether a delivery stored `age` ago has failed for too long.
    pub fn expired(&self, age: Duration) -> bool {
        age >= self.max_age
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            max_age: Duration::from_secs(86_400),
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let policy = policy();
        for failures in 1..=12 {
            let nominal = Duration::from_secs(1 << (failures - 1)).min(policy.max);
            for _ in 0..50 {
                let delay = policy.backoff(failures);
                assert!(
                    delay >= nominal / 2 && delay <= nominal,
                    "{failures}: {delay:?}"
                );
            }
        }
        assert!(policy.backoff(u32::MAX) <= policy.max);
    }

    #[test]
    fn a_server_wait_is_honoured_whatever_the_backoff() {
        let policy = policy();
        let wait = Duration::from_millis(2_500);
        for _ in 0..50 {
            let delay = policy.delay(1, Some(wait));
            assert!(delay >= wait && delay <= wait.mul_f64(1.1), "{delay:?}");
        }
        assert!(
            policy.delay(1, Some(Duration::from_secs(1 << 40))) <= MAX_SERVER_WAIT.mul_f64(1.1)
        );
    }

    #[test]
    fn expiry_is_by_age() {
        assert!(!policy().expired(Duration::from_secs(86_399)));
        assert!(policy().expired(Duration::from_secs(86_400)));
    }
}
