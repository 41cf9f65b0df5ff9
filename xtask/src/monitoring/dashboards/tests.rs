//! Unit tests of the dashboard checks, on small inline dashboards.

use super::*;

fn check(dashboards: &[&str]) -> Report {
    let uids = BTreeSet::from(["prometheus".to_string()]);
    let mut report = Report::default();
    for (i, text) in dashboards.iter().enumerate() {
        report.add(&format!("d{i}.json"), text, &uids);
    }
    report
}

const VARS: &str = r#""templating": {"list": [{"name": "platform", "type": "query",
    "datasource": {"type": "prometheus", "uid": "prometheus"}, "query": "label_values(up, platform)"}]}"#;

fn dashboard(uid: &str, panel: &str) -> String {
    format!(r#"{{"uid": "{uid}", "title": "t", {VARS}, "panels": [{panel}]}}"#)
}

const GOOD: &str = r#"{"id": 1, "type": "timeseries", "title": "rate",
    "datasource": {"type": "prometheus", "uid": "prometheus"},
    "fieldConfig": {"defaults": {"unit": "reqps"}},
    "targets": [{"refId": "A", "expr": "rate(up{platform=\"$platform\"}[$__rate_interval])"}]}"#;

#[test]
fn a_good_dashboard_passes_with_its_expressions_substituted() {
    let report = check(&[&dashboard("a", GOOD)]);
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!((report.dashboards, report.panels), (1, 1));
    let exprs: Vec<&str> = report.expressions.iter().map(|(_, e)| e.as_str()).collect();
    assert_eq!(exprs, ["up", r#"rate(up{platform="prod"}[1m])"#]);
}

#[test]
fn a_graph_panel_is_rejected() {
    let report = check(&[&dashboard("a", &GOOD.replace("timeseries", "graph"))]);
    assert_eq!(report.problems.len(), 1);
    assert!(
        report.problems[0].contains("`graph` is deprecated"),
        "{:?}",
        report.problems
    );
}

#[test]
fn duplicate_uids_unknown_datasources_and_missing_units_are_rejected() {
    let unknown_ds = GOOD.replace(r#""uid": "prometheus"}"#, r#""uid": "${DS_PROM}"}"#);
    let no_unit = GOOD.replace(r#""unit": "reqps""#, r#""decimals": 2"#);
    let report = check(&[&dashboard("a", &unknown_ds), &dashboard("a", &no_unit), "{"]);
    let all = report.problems.join("\n");
    assert!(all.contains("d0.json: datasource"), "{all}");
    assert!(
        all.contains("d1.json: uid a is used by another dashboard"),
        "{all}"
    );
    assert!(all.contains("d1.json panel \"rate\": no unit"), "{all}");
    assert!(all.contains("d2.json: invalid JSON"), "{all}");
}

#[test]
fn an_undefined_variable_and_a_panel_without_query_are_rejected() {
    let undefined = GOOD.replace("$platform", "$queue");
    let no_query = GOOD.replace(r#""expr": "#, r#""legendFormat": "#);
    let report = check(&[&dashboard("a", &undefined), &dashboard("b", &no_query)]);
    let all = report.problems.join("\n");
    assert!(all.contains("unknown variable `$queue`"), "{all}");
    assert!(all.contains("query A has no expression"), "{all}");
}
