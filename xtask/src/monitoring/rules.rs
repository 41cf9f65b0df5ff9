//! The Prometheus rule files (prometheus/rules/*.yml): loading them, and the
//! contract's conventions promtool cannot know about.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// The severities the contract allows, which alertmanager.yml routes.
pub const SEVERITIES: &[&str] = &["critical", "warning", "info", "none"];

/// Annotations every alert carries; Alertmanager and the alerter show them.
pub const ANNOTATIONS: &[&str] = &["summary", "description", "runbook_url"];

#[derive(Debug, Deserialize)]
struct RuleFile {
    groups: Vec<Group>,
}

#[derive(Debug, Deserialize)]
struct Group {
    #[serde(default)]
    rules: Vec<Rule>,
}

/// One recording or alerting rule.
#[derive(Debug, Clone, Deserialize)]
pub struct Rule {
    #[serde(default)]
    pub record: Option<String>,
    #[serde(default)]
    pub alert: Option<String>,
    pub expr: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// Every rule of every file.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub files: Vec<PathBuf>,
    pub groups: usize,
    pub records: Vec<Rule>,
    pub alerts: Vec<Rule>,
}

impl RuleSet {
    /// Reads the given rule files.
    pub fn load(files: &[PathBuf]) -> anyhow::Result<Self> {
        let mut set = RuleSet {
            files: files.to_vec(),
            ..RuleSet::default()
        };
        for file in files {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            set.add(&text)
                .with_context(|| format!("parsing {}", file.display()))?;
        }
        Ok(set)
    }

    fn add(&mut self, yaml: &str) -> anyhow::Result<()> {
        let file: RuleFile = serde_yaml_ng::from_str(yaml)?;
        self.groups += file.groups.len();
        for rule in file.groups.into_iter().flat_map(|g| g.rules) {
            if rule.alert.is_some() {
                self.alerts.push(rule);
            } else {
                self.records.push(rule);
            }
        }
        Ok(())
    }

    /// Alert names; one name may have several rules (e.g. page and ticket).
    pub fn alert_names(&self) -> BTreeSet<String> {
        self.alerts.iter().filter_map(|r| r.alert.clone()).collect()
    }

    /// Names of the recorded series.
    pub fn record_names(&self) -> BTreeSet<String> {
        self.records
            .iter()
            .filter_map(|r| r.record.clone())
            .collect()
    }

    /// Where each rule expression comes from, for the metric-name check.
    pub fn expressions(&self) -> impl Iterator<Item = (String, &str)> {
        self.records.iter().chain(&self.alerts).map(|rule| {
            let name = rule
                .record
                .as_deref()
                .or(rule.alert.as_deref())
                .unwrap_or("?");
            (format!("rule {name}"), rule.expr.as_str())
        })
    }
}

/// Problems with the contract's conventions: a severity from the list, the
/// three annotations, and (for recording rules) a `level:metric:operations`
/// name, which is also how the metric check tells recorded series apart.
pub fn convention_problems(set: &RuleSet) -> Vec<String> {
    let mut problems = Vec::new();
    for rule in &set.alerts {
        let name = rule.alert.as_deref().unwrap_or("?");
        match rule.labels.get("severity") {
            Some(s) if SEVERITIES.contains(&s.as_str()) => {}
            other => problems.push(format!(
                "alert {name}: severity {other:?} is not one of {SEVERITIES:?}"
            )),
        }
        for key in ANNOTATIONS {
            if rule
                .annotations
                .get(*key)
                .is_none_or(|v| v.trim().is_empty())
            {
                problems.push(format!("alert {name}: annotation `{key}` is missing"));
            }
        }
    }
    for name in set.record_names() {
        if name.split(':').count() != 3 {
            problems.push(format!(
                "recording rule {name}: name is not level:metric:operations"
            ));
        }
    }
    problems
}

/// The `*.yml` files of a directory, sorted.
pub fn yaml_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yml" || ext == "yaml")
        })
        .collect();
    files.sort();
    anyhow::ensure!(!files.is_empty(), "no YAML file in {}", dir.display());
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(yaml: &str) -> RuleSet {
        let mut set = RuleSet::default();
        set.add(yaml).expect("valid rule file");
        set
    }

    #[test]
    fn an_alert_without_severity_or_runbook_is_rejected() {
        let set = set(r#"
groups:
  - name: g
    rules:
      - record: a:b:c
        expr: up
      - alert: X
        expr: up == 0
        labels: {severity: page}
        annotations: {summary: s, description: d}
"#);
        assert_eq!(set.alert_names().len(), 1);
        assert_eq!(set.record_names().len(), 1);
        let problems = convention_problems(&set);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("severity"));
        assert!(problems[1].contains("runbook_url"));
    }

    #[test]
    fn a_recording_rule_name_needs_three_parts() {
        let set = set("groups: [{name: g, rules: [{record: job_rate, expr: up}]}]");
        assert_eq!(convention_problems(&set).len(), 1);
    }
}
