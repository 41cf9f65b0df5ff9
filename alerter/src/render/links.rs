//! Links shown with each alert. Only `http` and `https` URLs become links: a label
//! or annotation that says `javascript:...` is shown as nothing rather than as a
//! clickable trap.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::payload::KeyValues;

/// Public base URLs that replace what Alertmanager and Prometheus report about
/// themselves (often internal names such as `http://prometheus:9090`).
#[derive(Debug, Clone, Default)]
pub struct LinkSettings {
    /// Replaces the scheme and host of `generatorURL`.
    pub prometheus_url: Option<String>,
    /// Base of silence links; the payload's `externalURL` otherwise.
    pub alertmanager_url: Option<String>,
}

/// `url` when it is an absolute `http(s)` URL.
pub fn safe_url(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let has_host = |rest: &str| !rest.is_empty() && !rest.starts_with('/');
    let ok = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .is_some_and(has_host)
        && !url.chars().any(char::is_control);
    ok.then(|| url.to_owned())
}

/// The generator link, its origin replaced by the public Prometheus URL when set.
pub fn generator_url(raw: &str, settings: &LinkSettings) -> Option<String> {
    let url = safe_url(raw)?;
    let Some(public) = settings.prometheus_url.as_deref() else {
        return Some(url);
    };
    let scheme_end = url.find("://")? + 3;
    let path_start = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    safe_url(&format!(
        "{}{}",
        public.trim_end_matches('/'),
        &url[path_start..]
    ))
}

/// An Alertmanager "new silence" link pre-filled with the alert's label matchers.
pub fn silence_url(
    labels: &KeyValues,
    external_url: &str,
    settings: &LinkSettings,
) -> Option<String> {
    let base = settings.alertmanager_url.as_deref().unwrap_or(external_url);
    let base = safe_url(base)?;
    let matchers: Vec<String> = labels
        .iter()
        .map(|(name, value)| format!("{name}=\"{}\"", escape_matcher_value(value)))
        .collect();
    let filter = format!("{{{}}}", matchers.join(","));
    Some(format!(
        "{}/#/silences/new?filter={}",
        base.trim_end_matches('/'),
        utf8_percent_encode(&filter, NON_ALPHANUMERIC)
    ))
}

fn escape_matcher_value(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_are_links() {
        assert!(safe_url("https://grafana.example/d/x").is_some());
        assert!(safe_url("HTTP://host:3000/").is_some());
        assert!(safe_url("javascript:alert(1)").is_none());
        assert!(safe_url("http:///no-host").is_none());
        assert!(safe_url("https://x/\r\nBcc: evil").is_none());
        assert!(safe_url("").is_none());
    }

    #[test]
    fn generator_links_can_be_made_public() {
        let settings = LinkSettings {
            prometheus_url: Some("https://prom.example.org/".into()),
            alertmanager_url: None,
        };
        assert_eq!(
            generator_url("http://prometheus:9090/graph?g0.expr=up", &settings).as_deref(),
            Some("https://prom.example.org/graph?g0.expr=up")
        );
        assert_eq!(generator_url("", &settings), None);
    }

    #[test]
    fn silence_links_carry_escaped_matchers() {
        let labels = KeyValues::from([
            ("alertname".to_owned(), "HighErrorRate".to_owned()),
            ("x".to_owned(), "a\"b".to_owned()),
        ]);
        let url = silence_url(&labels, "http://am:9093", &LinkSettings::default()).unwrap();
        assert!(url.starts_with(
            "http://am:9093/#/silences/new?filter=%7Balertname%3D%22HighErrorRate%22"
        ));
        assert!(url.contains("x%3D%22a%5C%22b%22%7D"), "{url}");
        assert!(silence_url(&labels, "", &LinkSettings::default()).is_none());
    }
}
