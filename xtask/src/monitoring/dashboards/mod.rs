//! The Grafana dashboards (grafana/dashboards/*.json).
//!
//! Grafana is not installed here, so the checks are static: valid JSON, unique
//! uids, datasource references that resolve to a provisioned uid, current
//! panel types only, a unit and a query on every panel, and every PromQL
//! expression, template variables substituted, handed to promtool (by
//! `mod.rs`, as recording rules).

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use serde_json::Value;

use super::promql;

/// Values given to template variables before promtool reads an expression.
/// Grafana's own (`$__rate_interval` is at least 4 scrape intervals of 15s),
/// then the dashboards' variables, each replaced by one of its real values.
/// docs/monitoring.md states the same table.
pub const SUBSTITUTIONS: &[(&str, &str)] = &[
    ("__rate_interval", "1m"),
    ("__interval", "1m"),
    ("__range", "1h"),
    ("platform", "prod"),
    ("queue", "rubis"),
];

/// Variables every dashboard has, so that switching boards keeps the platform.
const REQUIRED_VARIABLES: &[&str] = &["platform"];

/// Current panel types. `row` and `text` carry no query.
const PANEL_TYPES: &[&str] = &[
    "timeseries",
    "stat",
    "gauge",
    "bargauge",
    "table",
    "row",
    "text",
];

/// Removed or deprecated panel types, named in the error to say why.
const DEPRECATED_TYPES: &[&str] = &["graph", "singlestat", "table-old", "grafana-piechart-panel"];

/// Grafana unit ids (grafana-data `valueFormats/categories.ts`) that fit
/// these dashboards; a typo in a unit silently shows raw numbers.
const UNITS: &[&str] = &[
    "none",
    "short",
    "percent",
    "percentunit",
    "s",
    "ms",
    "µs",
    "ns",
    "dtdurations",
    "reqps",
    "ops",
    "rps",
    "wps",
    "bytes",
    "decbytes",
    "Bps",
    "binBps",
    "dateTimeAsIso",
    "bool",
];

/// What the dashboards hold, once checked.
#[derive(Debug, Default)]
pub struct Report {
    pub dashboards: usize,
    pub panels: usize,
    /// (where, expression with the variables substituted).
    pub expressions: Vec<(String, String)>,
    pub problems: Vec<String>,
    uids: BTreeSet<String>,
}

impl Report {
    /// Checks one dashboard file's text; `name` is used in messages.
    pub fn add(&mut self, name: &str, text: &str, datasource_uids: &BTreeSet<String>) {
        let mut problem = |msg: String| self.problems.push(format!("{name}: {msg}"));
        let dashboard: Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(err) => return problem(format!("invalid JSON: {err}")),
        };
        self.dashboards += 1;
        match dashboard["uid"].as_str() {
            Some(uid) if !uid.is_empty() => {
                if !self.uids.insert(uid.to_string()) {
                    problem(format!("uid {uid} is used by another dashboard"));
                }
            }
            _ => problem("no uid".to_string()),
        }
        let mut refs = Vec::new();
        datasource_refs(&dashboard, &mut refs);
        for reference in refs {
            match reference["uid"].as_str() {
                Some(uid) if datasource_uids.contains(uid) => {}
                _ => problem(format!(
                    "datasource {reference} is not a provisioned uid {datasource_uids:?}"
                )),
            }
        }
        let variables = self.check_variables(name, &dashboard);
        let mut ids = BTreeSet::new();
        for panel in all_panels(&dashboard) {
            self.check_panel(name, panel, &variables, &mut ids);
        }
    }

    /// Checks the template variables; returns the names defined.
    fn check_variables(&mut self, name: &str, dashboard: &Value) -> BTreeSet<String> {
        let list = dashboard["templating"]["list"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let defined: BTreeSet<String> = list
            .iter()
            .filter_map(|v| v["name"].as_str())
            .map(str::to_string)
            .collect();
        for required in REQUIRED_VARIABLES.iter().filter(|r| !defined.contains(**r)) {
            self.problems
                .push(format!("{name}: no `{required}` template variable"));
        }
        for variable in &list {
            let var = variable["name"].as_str().unwrap_or("?");
            if !SUBSTITUTIONS.iter().any(|(n, _)| n == &var) {
                self.problems.push(format!(
                    "{name}: variable `{var}` has no test value in SUBSTITUTIONS"
                ));
            }
            // A query variable holds either the query string or {query: ...}.
            let query = variable["query"]["query"]
                .as_str()
                .or(variable["query"].as_str());
            if let Some(expr) = query.and_then(promql::variable_query_expr) {
                self.add_expression(format!("{name} variable {var}"), &expr, &defined);
            }
        }
        defined
    }

    fn check_panel(
        &mut self,
        name: &str,
        panel: &Value,
        vars: &BTreeSet<String>,
        ids: &mut BTreeSet<i64>,
    ) {
        let title = panel["title"].as_str().unwrap_or("?");
        let kind = panel["type"].as_str().unwrap_or("");
        let at = format!("{name} panel \"{title}\"");
        self.panels += 1;
        if let Some(id) = panel["id"].as_i64()
            && !ids.insert(id)
        {
            self.problems.push(format!("{at}: id {id} is used twice"));
        }
        if DEPRECATED_TYPES.contains(&kind) {
            self.problems
                .push(format!("{at}: panel type `{kind}` is deprecated"));
            return;
        }
        if !PANEL_TYPES.contains(&kind) {
            self.problems.push(format!(
                "{at}: panel type `{kind}` is not one of {PANEL_TYPES:?}"
            ));
            return;
        }
        if kind == "row" || kind == "text" {
            return;
        }
        match panel["fieldConfig"]["defaults"]["unit"].as_str() {
            Some(unit) if UNITS.contains(&unit) => {}
            Some(unit) => self.problems.push(format!("{at}: unknown unit `{unit}`")),
            None => self.problems.push(format!("{at}: no unit")),
        }
        let targets = panel["targets"].as_array().cloned().unwrap_or_default();
        if targets.is_empty() {
            self.problems.push(format!("{at}: no query"));
        }
        for target in &targets {
            let ref_id = target["refId"].as_str().unwrap_or("?");
            match target["expr"].as_str() {
                Some(expr) if !expr.trim().is_empty() => {
                    self.add_expression(format!("{at} query {ref_id}"), expr, vars)
                }
                _ => self
                    .problems
                    .push(format!("{at}: query {ref_id} has no expression")),
            }
        }
    }

    fn add_expression(&mut self, at: String, expr: &str, vars: &BTreeSet<String>) {
        let lookup = |var: &str| {
            let usable = var.starts_with("__") || vars.contains(var);
            let value = SUBSTITUTIONS
                .iter()
                .find(|(n, _)| *n == var)
                .map(|(_, v)| v.to_string());
            value.filter(|_| usable)
        };
        match promql::substitute(expr, lookup) {
            Ok(expr) => self.expressions.push((at, expr)),
            Err(err) => self.problems.push(format!("{at}: {err}")),
        }
    }
}

/// Panels at the top level and inside collapsed rows.
fn all_panels(dashboard: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        out.push(panel);
        out.extend(panel["panels"].as_array().into_iter().flatten());
    }
    out
}

/// Every value of a `datasource` key, anywhere in the dashboard, except null
/// (the default datasource) and Grafana's built-in annotation source.
fn datasource_refs<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "datasource" && !child.is_null() && child["uid"] != "-- Grafana --" {
                    out.push(child);
                } else {
                    datasource_refs(child, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| datasource_refs(item, out)),
        _ => {}
    }
}

/// Checks every `*.json` of `dir`.
pub fn check_dir(dir: &Path, datasource_uids: &BTreeSet<String>) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    anyhow::ensure!(!files.is_empty(), "no dashboard in {}", dir.display());
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        report.add(&name, &text, datasource_uids);
    }
    Ok(report)
}

#[cfg(test)]
mod tests;
