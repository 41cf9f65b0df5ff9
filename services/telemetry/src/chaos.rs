//! Controlled failures, for demos, restart-policy checks and the end-to-end test
//! (services expose them only with `CHAOS_ENDPOINTS=true`): `GET /traceback` ends
//! the process, `POST /chaos/errors?ratio=&seconds=` makes a fraction of API
//! requests answer 500 for a while. Every service behaves the same way, so
//! demos and alerts do too. Services keep the route handlers (their OpenAPI
//! annotations differ: the queue's need a key) and call these.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::json_error;

/// Exit status of `/traceback`: non-zero, so restart policies act on it.
pub const TRACEBACK_EXIT_CODE: i32 = 70;
/// Longest error spike, so a forgotten one ends by itself.
pub const MAX_SPIKE_SECONDS: u64 = 3_600;
/// The body of an injected failure.
pub const INJECTED_FAILURE: &str = "injected failure (chaos)";

const PARTS_PER_MILLION: f64 = 1_000_000.0;

/// The current error injection: lock-free, since every API request reads it.
#[derive(Debug, Default)]
pub struct ErrorInjection {
    ratio_ppm: AtomicU32,
    until_unix_ms: AtomicU64,
}

impl ErrorInjection {
    /// Makes `ratio` (0 to 1) of requests fail for `duration`; a ratio of 0 ends it.
    pub fn set(&self, ratio: f64, duration: Duration) {
        let until =
            now_unix_ms().saturating_add(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX));
        // Ratio first, then the end: a reader seeing the new end sees the new ratio too.
        self.ratio_ppm.store(
            (ratio.clamp(0.0, 1.0) * PARTS_PER_MILLION) as u32,
            Ordering::SeqCst,
        );
        self.until_unix_ms.store(until, Ordering::SeqCst);
    }

    /// Whether this request should fail.
    pub fn should_fail(&self) -> bool {
        let ratio = self.ratio_ppm.load(Ordering::Relaxed);
        ratio > 0
            && now_unix_ms() < self.until_unix_ms.load(Ordering::Relaxed)
            && fastrand::u32(0..1_000_000) < ratio
    }
}

fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

/// Middleware on the routes a spike applies to: 500 JSON while it says so.
pub async fn inject_errors(
    State(injection): State<Arc<ErrorInjection>>,
    request: Request,
    next: Next,
) -> Response {
    if injection.should_fail() {
        return json_error(StatusCode::INTERNAL_SERVER_ERROR, INJECTED_FAILURE);
    }
    next.run(request).await
}

/// Answers 500 and ends the process shortly after, as an unhandled exception would.
pub fn traceback() -> Response {
    tracing::error!(
        exit_code = TRACEBACK_EXIT_CODE,
        "traceback requested: the process exits now"
    );
    tokio::spawn(async {
        // Long enough for the answer to leave, short enough to look like a crash.
        tokio::time::sleep(Duration::from_millis(100)).await;
        std::process::exit(TRACEBACK_EXIT_CODE);
    });
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "traceback requested: exiting",
    )
}

/// Parameters of an error spike.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SpikeParams {
    /// Fraction of API requests that answer 500, from 0 (ends a spike) to 1.
    pub ratio: f64,
    /// How long the spike lasts, in seconds (1 to 3600; default 60).
    pub seconds: Option<u64>,
}

/// The spike now in force.
#[derive(Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Spike {
    /// Fraction of API requests answering 500.
    pub ratio: f64,
    /// For how long, in seconds.
    pub seconds: u64,
}

/// Validates a spike request and sets it: 200 with the spike, or 400 JSON saying
/// what is wrong.
pub fn start_spike(
    injection: &ErrorInjection,
    params: Result<Query<SpikeParams>, QueryRejection>,
) -> Response {
    match validate(params) {
        Ok(spike) => {
            injection.set(spike.ratio, Duration::from_secs(spike.seconds));
            tracing::warn!(
                ratio = spike.ratio,
                seconds = spike.seconds,
                "chaos: error spike set"
            );
            Json(spike).into_response()
        }
        Err(reason) => json_error(StatusCode::BAD_REQUEST, reason),
    }
}

fn validate(params: Result<Query<SpikeParams>, QueryRejection>) -> Result<Spike, String> {
    let Query(params) = params.map_err(|rejection| rejection.body_text())?;
    if !(0.0..=1.0).contains(&params.ratio) {
        return Err(format!(
            "ratio must be between 0 and 1, got {}",
            params.ratio
        ));
    }
    let seconds = params.seconds.unwrap_or(60);
    if !(1..=MAX_SPIKE_SECONDS).contains(&seconds) {
        return Err(format!(
            "seconds must be between 1 and {MAX_SPIKE_SECONDS}, got {seconds}"
        ));
    }
    Ok(Spike {
        ratio: params.ratio,
        seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_ratio_fails_everything_until_it_ends() {
        let chaos = ErrorInjection::default();
        assert!(!chaos.should_fail());
        chaos.set(1.0, Duration::from_secs(60));
        assert!((0..100).all(|_| chaos.should_fail()));
        chaos.set(0.0, Duration::from_secs(60));
        assert!(!chaos.should_fail());
        chaos.set(1.0, Duration::ZERO);
        assert!(!chaos.should_fail());
    }

    #[test]
    fn half_ratio_fails_about_half() {
        let chaos = ErrorInjection::default();
        chaos.set(0.5, Duration::from_secs(60));
        let failures = (0..10_000).filter(|_| chaos.should_fail()).count();
        assert!((4_000..6_000).contains(&failures), "{failures}");
    }

    #[test]
    fn spikes_are_validated() {
        let spike = |ratio, seconds| validate(Ok(Query(SpikeParams { ratio, seconds })));
        assert_eq!(
            spike(0.5, None),
            Ok(Spike {
                ratio: 0.5,
                seconds: 60
            })
        );
        assert!(spike(1.5, None).unwrap_err().contains("ratio"));
        assert!(spike(0.5, Some(0)).unwrap_err().contains("seconds"));
        assert!(spike(0.5, Some(MAX_SPIKE_SECONDS + 1)).is_err());
    }
}
