//! The optional configuration file (`ALERTER_CONFIG`, YAML): which channels a
//! notification goes to, and where templates are overridden.
//!
//! ```yaml
//! templates_dir: /etc/alerter/templates   # optional, relative to this file
//! routes:                                 # first match wins
//!   - severity: [critical]
//!     channels: [email, matrix]
//!   - severity: [warning]
//!     channels: [matrix]
//!   - receiver: team-db
//!     channels: [email]
//! default_channels: [email, matrix]       # optional; default: every configured channel
//! ```
//!
//! Without the file (or without routes) every notification goes to every
//! configured channel. Unknown keys are refused, so a typo cannot silently
//! route alerts nowhere.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::channels::ChannelName;
use crate::payload::Notification;

/// The file's contents.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Directory whose files override the default templates by name.
    #[serde(default)]
    pub templates_dir: Option<PathBuf>,
    /// Routes, tried in order.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Channels of notifications no route matches.
    #[serde(default)]
    pub default_channels: Option<Vec<ChannelName>>,
}

/// One route: every condition given must hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The Alertmanager receiver name.
    #[serde(default)]
    pub receiver: Option<String>,
    /// Severities (the group's `severity` label, or its most severe alert's).
    #[serde(default)]
    pub severity: Option<Vec<String>>,
    /// Where matching notifications go.
    pub channels: Vec<ChannelName>,
}

impl ConfigFile {
    /// Reads and parses `path`; a relative `templates_dir` is taken from the file's directory.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read ALERTER_CONFIG {}", path.display()))?;
        let mut file: Self = serde_yaml_ng::from_str(&text)
            .with_context(|| format!("invalid ALERTER_CONFIG {}", path.display()))?;
        if let Some(dir) = &file.templates_dir
            && dir.is_relative()
        {
            let base = path.parent().unwrap_or_else(|| Path::new("."));
            file.templates_dir = Some(base.join(dir));
        }
        Ok(file)
    }
}

/// Routing, checked against the configured channels.
#[derive(Debug, Clone)]
pub struct Routing {
    routes: Vec<Route>,
    default: Vec<ChannelName>,
}

impl Routing {
    /// Checks that every route sends somewhere configured.
    pub fn new(file: &ConfigFile, configured: &[ChannelName]) -> anyhow::Result<Self> {
        let check = |what: &str, channels: &[ChannelName]| -> anyhow::Result<()> {
            anyhow::ensure!(
                !channels.is_empty(),
                "{what} has no channel: its alerts would go nowhere"
            );
            for channel in channels {
                anyhow::ensure!(
                    configured.contains(channel),
                    "{what} sends to {channel}, which is not configured"
                );
            }
            Ok(())
        };
        for (index, route) in file.routes.iter().enumerate() {
            check(&format!("route #{}", index + 1), &route.channels)?;
        }
        let default = file
            .default_channels
            .clone()
            .unwrap_or_else(|| configured.to_vec());
        check("default_channels", &default)?;
        Ok(Self {
            routes: file.routes.clone(),
            default,
        })
    }

    /// The channels `notification` goes to (sorted, no repeats).
    pub fn channels_for(&self, notification: &Notification) -> Vec<ChannelName> {
        let severity = notification.severity();
        let matched = self.routes.iter().find(|route| {
            route
                .receiver
                .as_ref()
                .is_none_or(|receiver| *receiver == notification.receiver)
                && route.severity.as_ref().is_none_or(|severities| {
                    severity.as_ref().is_some_and(|s| severities.contains(s))
                })
        });
        let mut channels =
            matched.map_or_else(|| self.default.clone(), |route| route.channels.clone());
        channels.sort_unstable();
        channels.dedup();
        channels
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Notification;

    fn notification(receiver: &str, severity: &str) -> Notification {
        let body = format!(
            r#"{{"receiver":"{receiver}","status":"firing","alerts":[{{"status":"firing","labels":{{"severity":"{severity}"}}}}]}}"#
        );
        Notification::parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn first_matching_route_wins_else_default() {
        let file: ConfigFile = serde_yaml_ng::from_str(
            "routes:\n  - severity: [warning]\n    channels: [matrix]\n  - receiver: db\n    channels: [email]\n",
        )
        .unwrap();
        let routing = Routing::new(&file, &ChannelName::ALL).unwrap();
        use ChannelName::{Email, Matrix};
        assert_eq!(
            routing.channels_for(&notification("x", "warning")),
            vec![Matrix]
        );
        assert_eq!(
            routing.channels_for(&notification("db", "critical")),
            vec![Email]
        );
        assert_eq!(
            routing.channels_for(&notification("x", "critical")),
            vec![Email, Matrix]
        );
    }

    #[test]
    fn the_example_file_is_valid() {
        let file: ConfigFile =
            serde_yaml_ng::from_str(include_str!("../alerter.example.yml")).unwrap();
        let routing = Routing::new(&file, &ChannelName::ALL).unwrap();
        assert_eq!(
            routing.channels_for(&notification("x", "warning")),
            vec![ChannelName::Matrix]
        );
    }

    #[test]
    fn routes_to_nowhere_are_refused() {
        let file: ConfigFile =
            serde_yaml_ng::from_str("routes:\n  - channels: [matrix]\n").unwrap();
        let error = Routing::new(&file, &[ChannelName::Email]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("matrix, which is not configured"),
            "{error}"
        );
        let file: ConfigFile = serde_yaml_ng::from_str("routes:\n  - channels: []\n").unwrap();
        assert!(Routing::new(&file, &ChannelName::ALL).is_err());
        let typo = serde_yaml_ng::from_str::<ConfigFile>("route:\n  - channels: [email]\n");
        assert!(typo.unwrap_err().to_string().contains("unknown field"));
    }
}
