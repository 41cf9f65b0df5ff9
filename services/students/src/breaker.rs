//! A circuit breaker for the view counter. Short Redis timeouts alone would still
//! make *every* request pay the timeout while Redis hangs; after a few consecutive
//! failures the breaker opens and requests skip Redis altogether. After a pause one
//! request (the trial) tries again: success closes the breaker, failure reopens it.
//!
//! ```text
//! Closed --N consecutive failures--> Open --pause elapsed--> HalfOpen (one trial)
//!   ^                                  ^                          |
//!   +----------- trial succeeds -------|--------------------------+
//!                                      +----- trial fails --------+
//! ```

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen,
}

/// The breaker; share it behind an `Arc`.
#[derive(Debug)]
pub struct CircuitBreaker {
    state: Mutex<State>,
    failure_threshold: u32,
    open_for: Duration,
}

/// Permission to call Redis. Report the outcome with [`Permit::succeeded`] or
/// [`Permit::failed`]; a permit dropped without an outcome (the request was
/// cancelled) frees the trial slot without counting for or against Redis.
#[derive(Debug)]
#[must_use = "report the outcome of the call"]
pub struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    trial: bool,
    reported: bool,
}

impl CircuitBreaker {
    /// Opens after `failure_threshold` consecutive failures, for `open_for` each time.
    pub fn new(failure_threshold: u32, open_for: Duration) -> Self {
        Self {
            state: Mutex::new(State::Closed { failures: 0 }),
            failure_threshold: failure_threshold.max(1),
            open_for,
        }
    }

    /// Asks to call Redis now; `None` means skip it (the breaker is open, or a trial
    /// is already in flight).
    pub fn admit(&self) -> Option<Permit<'_>> {
        self.admit_at(Instant::now())
    }

    /// Whether requests currently skip Redis.
    pub fn is_open(&self) -> bool {
        !matches!(*self.lock(), State::Closed { .. })
    }

    fn admit_at(&self, now: Instant) -> Option<Permit<'_>> {
        let mut state = self.lock();
        let trial = match *state {
            State::Closed { .. } => false,
            State::Open { until } if now >= until => {
                *state = State::HalfOpen;
                true
            }
            State::Open { .. } | State::HalfOpen => return None,
        };
        Some(Permit {
            breaker: self,
            trial,
            reported: false,
        })
    }

    fn record(&self, trial: bool, success: bool, now: Instant) {
        let mut state = self.lock();
        let next = match (*state, success) {
            (State::Closed { failures: 0 }, true) => return,
            (State::Closed { .. }, true) => State::Closed { failures: 0 },
            (State::Open { .. } | State::HalfOpen, true) => {
                tracing::info!("redis answers again: circuit breaker closed, views are back");
                State::Closed { failures: 0 }
            }
            (State::Closed { failures }, false) if failures + 1 < self.failure_threshold => {
                State::Closed {
                    failures: failures + 1,
                }
            }
            (State::Closed { .. }, false) => {
                tracing::warn!(
                    failures = self.failure_threshold,
                    retry_in_ms = self.open_for.as_millis() as u64,
                    "redis keeps failing: circuit breaker opened, serving without views"
                );
                State::Open {
                    until: now + self.open_for,
                }
            }
            (State::HalfOpen, false) if trial => State::Open {
                until: now + self.open_for,
            },
            // A late failure of a call admitted before the breaker opened: already open.
            (State::Open { .. } | State::HalfOpen, false) => return,
        };
        *state = next;
    }

    fn release_trial(&self, now: Instant) {
        let mut state = self.lock();
        if *state == State::HalfOpen {
            // Try again right away: nothing was learnt about Redis.
            *state = State::Open { until: now };
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is always consistent (one assignment), so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Permit<'_> {
    /// Redis answered.
    pub fn succeeded(self) {
        self.report(true, Instant::now());
    }

    /// Redis failed or did not answer in time.
    pub fn failed(self) {
        self.report(false, Instant::now());
    }

    fn report(mut self, success: bool, now: Instant) {
        self.reported = true;
        self.breaker.record(self.trial, success, now);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.trial && !self.reported {
            self.breaker.release_trial(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAUSE: Duration = Duration::from_secs(1);

    fn fail(breaker: &CircuitBreaker, now: Instant) {
        breaker.admit_at(now).expect("admitted").report(false, now);
    }

    fn succeed(breaker: &CircuitBreaker, now: Instant) {
        breaker.admit_at(now).expect("admitted").report(true, now);
    }

    #[test]
    fn opens_after_consecutive_failures_only() {
        let breaker = CircuitBreaker::new(3, PAUSE);
        let now = Instant::now();
        fail(&breaker, now);
        fail(&breaker, now);
        succeed(&breaker, now);
        fail(&breaker, now);
        fail(&breaker, now);
        assert!(!breaker.is_open(), "a success resets the count");
        fail(&breaker, now);
        assert!(breaker.is_open());
        assert!(breaker.admit_at(now).is_none());
        assert!(breaker.admit_at(now + PAUSE / 2).is_none());
    }

    #[test]
    fn one_trial_after_the_pause_then_close_or_reopen() {
        let breaker = CircuitBreaker::new(1, PAUSE);
        let start = Instant::now();
        fail(&breaker, start);

        let later = start + PAUSE;
        let trial = breaker.admit_at(later).expect("a trial");
        assert!(trial.trial);
        assert!(
            breaker.admit_at(later).is_none(),
            "one trial at a time: the others skip Redis"
        );
        trial.report(false, later);
        assert!(breaker.admit_at(later).is_none(), "a failed trial reopens");

        let again = later + PAUSE;
        succeed(&breaker, again);
        assert!(!breaker.is_open());
        let permit = breaker.admit_at(again).expect("closed");
        assert!(!permit.trial);
    }

    #[test]
    fn a_cancelled_trial_frees_the_slot() {
        let breaker = CircuitBreaker::new(1, PAUSE);
        let start = Instant::now();
        fail(&breaker, start);
        let trial = breaker.admit_at(start + PAUSE).expect("a trial");
        drop(trial);
        assert!(
            breaker
                .admit_at(start + PAUSE)
                .expect("another trial")
                .trial
        );
    }

    #[test]
    fn late_failures_do_not_extend_an_open_breaker() {
        let breaker = CircuitBreaker::new(1, PAUSE);
        let start = Instant::now();
        fail(&breaker, start);
        // A call admitted before the breaker opened fails later.
        breaker.record(false, false, start + PAUSE / 2);
        assert!(breaker.admit_at(start + PAUSE).is_some());
    }
}
