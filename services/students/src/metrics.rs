//! The service's own metric, described once here; the HTTP, DB and process metrics
//! come from the telemetry crate.

use metrics::{Unit, counter, describe_counter};

/// `students_cache_degraded_responses_total`: `GET /` answers served without views.
pub const CACHE_DEGRADED: &str = "students_cache_degraded_responses_total";

/// Describes the metric and exports it at 0, so that `rate()` works from the first
/// scrape and an alert can tell "never degraded" from "not scraped".
pub fn describe() {
    describe_counter!(
        CACHE_DEGRADED,
        Unit::Count,
        "Responses of GET / served without the view counter because Redis was down, slow, full or skipped by the open circuit breaker."
    );
    counter!(CACHE_DEGRADED).absolute(0);
}

/// Counts one response served without views.
pub fn cache_degraded() {
    counter!(CACHE_DEGRADED).increment(1);
}
