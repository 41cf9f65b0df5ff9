//! Controlled failures for demos and the end-to-end test (only with
//! `CHAOS_ENDPOINTS=true`): a fraction of API requests answering 500 for a while.
//! The same mechanism as queue-service's, so demos and alerts behave alike.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

const PARTS_PER_MILLION: f64 = 1_000_000.0;

/// The current error injection: lock-free, since every API request reads it.
#[derive(Debug, Default)]
pub struct ErrorInjection {
    ratio_ppm: AtomicU32,
    until_unix_ms: AtomicU64,
}

impl ErrorInjection {
    /// Makes `ratio` (0 to 1) of API requests fail for `duration`; a ratio of 0 ends it.
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

/// Middleware on the API routes: answers 500 while an injection says so.
pub async fn inject_errors(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if state.chaos.should_fail() {
        return ApiError::Injected.into_response();
    }
    next.run(request).await
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
}
