//! Bearer-token authentication for the ticket routes.
//!
//! Keys are kept as SHA-256 digests and a presented token is hashed and compared
//! with every key in constant time, so neither the content nor the length of a
//! key leaks through response timing.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};
use telemetry::http::json_error;

/// Shortest key accepted: shorter ones can be guessed.
pub const MIN_KEY_LENGTH: usize = 16;

/// The accepted keys, or anonymous access.
#[derive(Clone)]
pub struct ApiKeys {
    digests: Arc<[[u8; 32]]>,
    anonymous: bool,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeys")
            .field("count", &self.digests.len())
            .field("anonymous", &self.anonymous)
            .finish()
    }
}

impl ApiKeys {
    /// Parses keys separated by commas or newlines; blank entries and `#` comments are skipped.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut digests = Vec::new();
        for (index, key) in raw
            .lines()
            .map(|line| line.split('#').next().unwrap_or(""))
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .enumerate()
        {
            if key.len() < MIN_KEY_LENGTH {
                return Err(format!(
                    "key #{} is {} characters long; keys need at least {MIN_KEY_LENGTH}",
                    index + 1,
                    key.len()
                ));
            }
            digests.push(digest(key));
        }
        Ok(Self {
            digests: digests.into(),
            anonymous: false,
        })
    }

    /// No key at all (refused at startup unless anonymous access is explicit).
    pub fn none() -> Self {
        Self {
            digests: Arc::new([]),
            anonymous: false,
        }
    }

    /// Every request is accepted.
    pub fn anonymous() -> Self {
        Self {
            digests: Arc::new([]),
            anonymous: true,
        }
    }

    /// Whether no key is configured.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Whether every request is accepted.
    pub fn is_anonymous(&self) -> bool {
        self.anonymous
    }

    /// Whether `token` is one of the keys (always true in anonymous mode).
    pub fn verify(&self, token: &str) -> bool {
        if self.anonymous {
            return true;
        }
        let presented = digest(token);
        // No early exit: every key is compared whatever matched before.
        let matched = self
            .digests
            .iter()
            .fold(Choice::from(0), |found, key| found | key.ct_eq(&presented));
        matched.into()
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Middleware for the protected routes: 401 JSON without a valid `Authorization: Bearer` key.
pub async fn require_api_key(
    State(keys): State<ApiKeys>,
    request: Request,
    next: Next,
) -> Response {
    if keys.is_anonymous() {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(bearer_token);
    match token {
        Some(token) if keys.verify(token) => next.run(request).await,
        Some(_) => unauthorized("invalid API key"),
        None => unauthorized("missing API key: send `Authorization: Bearer <key>`"),
    }
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn unauthorized(message: &str) -> Response {
    let mut response = json_error(StatusCode::UNAUTHORIZED, message);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"vigie\""),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef-team-rubis";

    #[test]
    fn keys_are_checked_whole() {
        let keys = ApiKeys::parse(&format!("{KEY}, other-key-0123456789")).unwrap();
        assert!(keys.verify(KEY));
        assert!(keys.verify("other-key-0123456789"));
        assert!(!keys.verify(&KEY[..KEY.len() - 1]));
        assert!(!keys.verify(&format!("{KEY}x")));
        assert!(!keys.verify(""));
    }

    #[test]
    fn files_may_hold_one_key_per_line_with_comments() {
        let keys = ApiKeys::parse(&format!(
            "# rubis\n{KEY}\n\nsecond-key-0123456789 # saphir\n"
        ))
        .unwrap();
        assert!(keys.verify(KEY));
        assert!(keys.verify("second-key-0123456789"));
    }

    #[test]
    fn short_keys_are_refused() {
        let error = ApiKeys::parse("short").unwrap_err();
        assert!(error.contains("at least 16"), "{error}");
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }
}
