//! The webhook's bearer token, checked in constant time: the token is kept as a
//! SHA-256 digest and a presented one is hashed and compared with `subtle`, so
//! neither its content nor its length leaks through response timing (the same
//! scheme as queue-service's API keys).

use axum::http::{HeaderMap, header};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Shortest token accepted: shorter ones can be guessed.
pub const MIN_TOKEN_LENGTH: usize = 16;

/// The accepted token's digest.
#[derive(Clone)]
pub struct WebhookToken([u8; 32]);

impl std::fmt::Debug for WebhookToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookToken(..)")
    }
}

/// Why a request is not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    Missing,
    /// A token that is not the right one.
    Invalid,
}

impl WebhookToken {
    /// Keeps `token`'s digest; refuses short tokens.
    pub fn new(token: &SecretString) -> anyhow::Result<Self> {
        let token = token.expose_secret().trim();
        anyhow::ensure!(
            token.len() >= MIN_TOKEN_LENGTH,
            "the webhook token is {} characters long; it needs at least {MIN_TOKEN_LENGTH}",
            token.len()
        );
        Ok(Self(digest(token)))
    }

    /// Checks the request's `Authorization` header.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), AuthError> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_token)
            .ok_or(AuthError::Missing)?;
        if bool::from(self.0.ct_eq(&digest(token))) {
            Ok(())
        } else {
            Err(AuthError::Invalid)
        }
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    const TOKEN: &str = "alertmanager-token-0123456789";

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_the_whole_token_passes() {
        let token = WebhookToken::new(&TOKEN.to_owned().into()).unwrap();
        assert_eq!(token.check(&headers(&format!("Bearer {TOKEN}"))), Ok(()));
        assert_eq!(token.check(&headers(&format!("bearer  {TOKEN} "))), Ok(()));
        assert_eq!(
            token.check(&headers(&format!("Bearer {}", &TOKEN[1..]))),
            Err(AuthError::Invalid)
        );
        assert_eq!(
            token.check(&headers(&format!("Basic {TOKEN}"))),
            Err(AuthError::Missing)
        );
        assert_eq!(token.check(&HeaderMap::new()), Err(AuthError::Missing));
    }

    #[test]
    fn short_tokens_are_refused() {
        let error = WebhookToken::new(&"short".to_owned().into()).unwrap_err();
        assert!(error.to_string().contains("at least 16"), "{error}");
    }
}
