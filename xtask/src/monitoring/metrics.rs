//! Metric names used by rules, dashboards and rule tests must be exported by
//! something we scrape (see `known_metrics.rs`) or recorded by a rule.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml_ng::Value;

use super::known_metrics::{self, CADVISOR};
use super::promql;

/// Names used, each with the first place it was seen.
#[derive(Debug, Default)]
pub struct Usage {
    pub names: BTreeMap<String, String>,
}

impl Usage {
    /// Records the metric names of a PromQL expression.
    pub fn add_expr(&mut self, at: &str, expr: &str) {
        for name in promql::metric_names(expr) {
            self.add_name(at, name);
        }
    }

    /// Records one metric name.
    pub fn add_name(&mut self, at: &str, name: String) {
        self.names.entry(name).or_insert_with(|| at.to_string());
    }

    /// Names neither exported nor recorded. Names with a colon are recording
    /// rules by convention (Prometheus docs, "Recording rules"), so they must
    /// be recorded; a typo there is caught the same way.
    pub fn problems(&self, recorded: &BTreeSet<String>) -> Vec<String> {
        let exported: BTreeSet<String> = known_metrics::series_names().collect();
        self.names
            .iter()
            .filter(|(name, _)| !exported.contains(*name) && !recorded.contains(*name))
            .map(|(name, at)| {
                if name.contains(':') {
                    format!("{at}: `{name}` is recorded by no rule")
                } else {
                    format!(
                        "{at}: `{name}` is exported by nothing Vigie scrapes (known_metrics.rs)"
                    )
                }
            })
            .collect()
    }
}

/// The cAdvisor list must be exactly what the `keep` rule of the `cadvisor`
/// job in prometheus.yml lets through: a listed name that is dropped there
/// would pass the name check yet never exist.
pub fn cadvisor_keep_problems(prometheus_yml: &str) -> Vec<String> {
    let kept = match cadvisor_kept_names(prometheus_yml) {
        Ok(kept) => kept,
        Err(err) => return vec![format!("prometheus.yml: {err}")],
    };
    let listed: BTreeSet<String> = CADVISOR.iter().map(|(n, _)| n.to_string()).collect();
    let mut problems = Vec::new();
    for name in listed.difference(&kept) {
        problems.push(format!(
            "known_metrics.rs lists {name}, which prometheus.yml drops"
        ));
    }
    for name in kept.difference(&listed) {
        problems.push(format!(
            "prometheus.yml keeps {name}, which known_metrics.rs does not list"
        ));
    }
    problems
}

/// Reads the `__name__` keep regex of the cadvisor job, of the form
/// `prefix(a|b|c)`, as the set of names it matches.
fn cadvisor_kept_names(prometheus_yml: &str) -> Result<BTreeSet<String>, String> {
    let config: Value = serde_yaml_ng::from_str(prometheus_yml).map_err(|e| e.to_string())?;
    let jobs = config["scrape_configs"]
        .as_sequence()
        .ok_or("no scrape_configs")?;
    let job = jobs
        .iter()
        .find(|job| job["job_name"].as_str() == Some("cadvisor"))
        .ok_or("no `cadvisor` job")?;
    let regex = job["metric_relabel_configs"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|rule| {
            rule["action"].as_str() == Some("keep")
                && rule["source_labels"][0].as_str() == Some("__name__")
        })
        .and_then(|rule| rule["regex"].as_str())
        .ok_or("the cadvisor job has no `keep` rule on __name__")?;
    let (prefix, alternatives) = regex
        .strip_suffix(')')
        .and_then(|r| r.split_once('('))
        .ok_or_else(|| format!("cannot read the keep regex `{regex}` (expected prefix(a|b))"))?;
    Ok(alternatives
        .split('|')
        .map(|alt| format!("{prefix}{alt}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_unrecorded_names_are_reported() {
        let mut usage = Usage::default();
        usage.add_expr(
            "rule A",
            "rate(http_server_request_duration_seconds_count[1m]) > up",
        );
        usage.add_expr(
            "rule B",
            "http_server_request_duration_seconds > 1 or job:typo:rate1m",
        );
        usage.add_expr("panel C", "rate(http_requests_total[1m]) / job:ok:rate1m");
        let recorded = BTreeSet::from(["job:ok:rate1m".to_string()]);
        assert_eq!(
            usage.problems(&recorded),
            [
                "panel C: `http_requests_total` is exported by nothing Vigie scrapes (known_metrics.rs)",
                "rule B: `http_server_request_duration_seconds` is exported by nothing Vigie scrapes (known_metrics.rs)",
                "rule B: `job:typo:rate1m` is recorded by no rule",
            ]
        );
    }

    #[test]
    fn the_cadvisor_list_matches_the_keep_rule() {
        let all: Vec<&str> = CADVISOR
            .iter()
            .map(|(n, _)| n.trim_start_matches("container_"))
            .collect();
        let yml = |alternatives: &str| {
            format!(
                "scrape_configs:\n  - job_name: cadvisor\n    metric_relabel_configs:\n      - source_labels: [__name__]\n        regex: \"container_({alternatives})\"\n        action: keep\n"
            )
        };
        assert_eq!(
            cadvisor_keep_problems(&yml(&all.join("|"))),
            Vec::<String>::new()
        );
        let problems = cadvisor_keep_problems(&yml(&all[1..].join("|")));
        assert_eq!(
            problems,
            [format!(
                "known_metrics.rs lists {}, which prometheus.yml drops",
                CADVISOR[0].0
            )]
        );
    }
}
