//! The promtool unit-test files (prometheus/tests/*.yml): promtool runs them;
//! this module checks they cover every rule, which promtool does not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::Context;
use serde::Deserialize;

use super::promql;

/// Alerts that fire by design whatever the data, so that no test can show
/// them silent: only a firing case is required.
pub const ALWAYS_FIRING: &[&str] = &["Watchdog"];

#[derive(Debug, Deserialize)]
struct TestFile {
    #[serde(default)]
    tests: Vec<TestGroup>,
}

#[derive(Debug, Deserialize)]
struct TestGroup {
    #[serde(default)]
    input_series: Option<Vec<InputSeries>>,
    #[serde(default)]
    alert_rule_test: Option<Vec<AlertTest>>,
    #[serde(default)]
    promql_expr_test: Option<Vec<ExprTest>>,
}

#[derive(Debug, Deserialize)]
struct InputSeries {
    series: String,
}

#[derive(Debug, Deserialize)]
struct AlertTest {
    alertname: String,
    #[serde(default)]
    exp_alerts: Option<Vec<serde_yaml_ng::Value>>,
}

#[derive(Debug, Deserialize)]
struct ExprTest {
    expr: String,
}

/// Firing and non-firing cases of one alert.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cases {
    pub firing: usize,
    pub silent: usize,
}

/// What the test files contain.
#[derive(Debug, Default)]
pub struct Coverage {
    pub files: usize,
    pub per_alert: BTreeMap<String, Cases>,
    pub expr_tests: usize,
    /// Metric names the `promql_expr_test` expressions read.
    pub tested_names: BTreeSet<String>,
    /// Names of the input series, with the file they are in.
    pub input_names: Vec<(String, String)>,
}

impl Coverage {
    /// Reads the test files.
    pub fn load(files: &[PathBuf]) -> anyhow::Result<Self> {
        let mut coverage = Coverage::default();
        for file in files {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            coverage
                .add(&file.display().to_string(), &text)
                .with_context(|| format!("parsing {}", file.display()))?;
        }
        Ok(coverage)
    }

    fn add(&mut self, origin: &str, yaml: &str) -> anyhow::Result<()> {
        let file: TestFile = serde_yaml_ng::from_str(yaml)?;
        self.files += 1;
        for group in file.tests {
            for series in group.input_series.unwrap_or_default() {
                let name = series.series.split('{').next().unwrap_or_default().trim();
                self.input_names
                    .push((name.to_string(), origin.to_string()));
            }
            for test in group.alert_rule_test.unwrap_or_default() {
                let cases = self.per_alert.entry(test.alertname).or_default();
                if test.exp_alerts.is_some_and(|alerts| !alerts.is_empty()) {
                    cases.firing += 1;
                } else {
                    cases.silent += 1;
                }
            }
            for test in group.promql_expr_test.unwrap_or_default() {
                self.expr_tests += 1;
                self.tested_names.extend(promql::metric_names(&test.expr));
            }
        }
        Ok(())
    }

    /// Every alert needs a firing and a non-firing case (except the
    /// always-firing ones), every recording rule a `promql_expr_test`, and
    /// every tested alert must exist.
    pub fn problems(&self, alerts: &BTreeSet<String>, records: &BTreeSet<String>) -> Vec<String> {
        let mut problems = Vec::new();
        for alert in alerts {
            let cases = self.per_alert.get(alert).copied().unwrap_or_default();
            if cases.firing == 0 {
                problems.push(format!("alert {alert} has no test case where it fires"));
            }
            if cases.silent == 0 && !ALWAYS_FIRING.contains(&alert.as_str()) {
                problems.push(format!(
                    "alert {alert} has no test case where it must not fire"
                ));
            }
        }
        for alert in self.per_alert.keys().filter(|a| !alerts.contains(*a)) {
            problems.push(format!(
                "a test expects alert {alert}, which no rule defines"
            ));
        }
        for record in records.iter().filter(|r| !self.tested_names.contains(*r)) {
            problems.push(format!("recording rule {record} has no promql_expr_test"));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
tests:
  - interval: 1m
    input_series:
      - series: 'up{job="a"}'
        values: '0x5'
    alert_rule_test:
      - eval_time: 5m
        alertname: Down
        exp_alerts: [{exp_labels: {severity: critical}}]
      - eval_time: 1m
        alertname: Watchdog
        exp_alerts: [{exp_labels: {severity: none}}]
    promql_expr_test:
      - expr: round(job:up:sum, 0.1)
        eval_time: 1m
        exp_samples: []
"#;

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_alert_without_a_silent_case_is_reported() {
        let mut coverage = Coverage::default();
        coverage.add("t.yml", FILE).expect("valid test file");
        assert_eq!(
            coverage.per_alert["Down"],
            Cases {
                firing: 1,
                silent: 0
            }
        );
        assert_eq!(
            coverage.input_names,
            [("up".to_string(), "t.yml".to_string())]
        );
        let problems = coverage.problems(
            &names(&["Down", "Watchdog", "Untested"]),
            &names(&["job:up:sum", "job:up:max"]),
        );
        assert_eq!(
            problems,
            [
                "alert Down has no test case where it must not fire",
                "alert Untested has no test case where it fires",
                "alert Untested has no test case where it must not fire",
                "recording rule job:up:max has no promql_expr_test",
            ]
        );
    }
}
