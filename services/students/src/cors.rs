//! CORS: the dashboard page, served by nginx on `http://localhost:8080`, calls this
//! API on `http://localhost:8000`, another origin; only the configured origins may
//! read the answers.

use std::fmt;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The origins allowed by `CORS_ALLOWED_ORIGINS`: `scheme://host[:port]` each, or `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Any origin (`*`).
    Any,
    /// These origins exactly.
    List(Vec<String>),
}

impl AllowedOrigins {
    /// Parses a comma-separated list; says which entry is wrong and why.
    pub fn parse(text: &str) -> Result<Self, String> {
        let entries: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .collect();
        if entries == ["*"] {
            return Ok(Self::Any);
        }
        if entries.is_empty() {
            return Err("give at least one origin, e.g. http://localhost:8080".to_owned());
        }
        entries
            .iter()
            .map(|entry| validate(entry).map(|()| entry.trim_end_matches('/').to_owned()))
            .collect::<Result<_, _>>()
            .map(Self::List)
    }

    /// The tower-http layer answering preflights and adding the CORS headers.
    pub fn layer(&self) -> CorsLayer {
        let origins = match self {
            Self::Any => AllowOrigin::any(),
            Self::List(origins) => AllowOrigin::list(
                origins
                    .iter()
                    .map(|origin| HeaderValue::from_str(origin).expect("validated on parse")),
            ),
        };
        CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([Method::GET, Method::HEAD])
            .allow_headers([header::CONTENT_TYPE, HeaderName::from_static("traceparent")])
            .max_age(PREFLIGHT_MAX_AGE)
    }
}

impl fmt::Display for AllowedOrigins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::List(origins) => f.write_str(&origins.join(",")),
        }
    }
}

fn validate(origin: &str) -> Result<(), String> {
    let (scheme, rest) = origin
        .split_once("://")
        .ok_or_else(|| format!("{origin:?} has no scheme: write it as http://host[:port]"))?;
    if scheme != "http" && scheme != "https" {
        return Err(format!("{origin:?}: the scheme must be http or https"));
    }
    let host = rest.trim_end_matches('/');
    if host.is_empty() || host.contains(['/', '?', '#', '*', ' ']) {
        return Err(format!(
            "{origin:?} is not an origin: scheme://host[:port] only, no path"
        ));
    }
    if HeaderValue::from_str(origin).is_err() {
        return Err(format!("{origin:?} has characters not allowed in a header"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_wildcard() {
        assert_eq!(
            AllowedOrigins::parse("http://localhost:8080, https://dash.example.org/").unwrap(),
            AllowedOrigins::List(vec![
                "http://localhost:8080".to_owned(),
                "https://dash.example.org".to_owned()
            ])
        );
        assert_eq!(AllowedOrigins::parse("*").unwrap(), AllowedOrigins::Any);
    }

    #[test]
    fn bad_entries_say_why() {
        for (input, reason) in [
            ("localhost:8080", "no scheme"),
            ("ftp://x", "http or https"),
            ("http://x/path", "no path"),
            ("", "at least one"),
            ("http://a,*", "no scheme"),
        ] {
            let error = AllowedOrigins::parse(input).unwrap_err();
            assert!(error.contains(reason), "{input}: {error}");
        }
    }
}
