//! `cargo xtask check-monitoring` (also run by `cargo xtask ci`): monitoring as
//! code. The Prometheus config, rules and rule tests, the Alertmanager routing
//! and the Grafana dashboards are checked by the real tools where they exist
//! (promtool, amtool) and by the checks below where they do not (coverage of
//! the rule tests, dashboards, metric names, runbooks). docs/monitoring.md
//! describes what is checked and why.

mod dashboards;
mod known_metrics;
mod metrics;
mod promql;
mod provisioning;
mod rule_tests;
mod rules;
mod runbooks;
mod tools;

use anyhow::bail;

use crate::cmd;

/// Every panel query of every dashboard, with the template variables substituted
/// as the dashboard check does: (`<file> panel "<title>" query <ref>`, expression).
pub fn panel_expressions() -> anyhow::Result<Vec<(String, String)>> {
    let root = cmd::workspace_root();
    let datasources = rules::yaml_files(&root.join("grafana/provisioning/datasources"))?;
    let uids = provisioning::provisioned_uids(&datasources)?;
    let board = dashboards::check_dir(&root.join("grafana/dashboards"), &uids)?;
    Ok(board
        .expressions
        .into_iter()
        .filter(|(at, _)| at.contains(" panel \""))
        .collect())
}

/// The metric names the rules and dashboards select, recording rules' own names
/// left out: what a live Prometheus must have scraped.
pub fn used_metric_names() -> anyhow::Result<std::collections::BTreeSet<String>> {
    let root = cmd::workspace_root();
    let set = rules::RuleSet::load(&rules::yaml_files(&root.join("prometheus/rules"))?)?;
    let mut usage = metrics::Usage::default();
    for (at, expr) in set.expressions() {
        usage.add_expr(&at, expr);
    }
    for (at, expr) in panel_expressions()? {
        usage.add_expr(&at, &expr);
    }
    let recorded = set.record_names();
    Ok(usage
        .names
        .into_keys()
        .filter(|name| !recorded.contains(name))
        .collect())
}

/// Runs every monitoring check; fails listing all problems found.
pub fn check() -> anyhow::Result<()> {
    tools::require("promtool", "prometheus")?;
    tools::require("amtool", "prometheus-alertmanager")?;
    let root = cmd::workspace_root();
    let prometheus = root.join("prometheus");
    let config = prometheus.join("prometheus.yml");
    let alertmanager = prometheus.join("alertmanager.yml");
    let rule_files = rules::yaml_files(&prometheus.join("rules"))?;
    let test_files = rules::yaml_files(&prometheus.join("tests"))?;

    // Acceptance 1: the tools accept the files, every alert is routed as its
    // severity says, and every rule is covered by a rule test.
    tools::check_files(&config, &rule_files, &test_files, &alertmanager)?;
    let set = rules::RuleSet::load(&rule_files)?;
    let routes = tools::check_routes(&alertmanager, &set.alerts)?;
    let mut problems = rules::convention_problems(&set);
    let coverage = rule_tests::Coverage::load(&test_files)?;
    problems.extend(coverage.problems(&set.alert_names(), &set.record_names()));

    // Acceptance 2: the dashboards.
    let datasources = rules::yaml_files(&root.join("grafana/provisioning/datasources"))?;
    let uids = provisioning::provisioned_uids(&datasources)?;
    let board = dashboards::check_dir(&root.join("grafana/dashboards"), &uids)?;
    problems.extend(board.problems.iter().cloned());

    // Acceptance 3: every metric name is exported by something scraped.
    let mut usage = metrics::Usage::default();
    for (at, expr) in set.expressions() {
        usage.add_expr(&at, expr);
    }
    for (at, expr) in &board.expressions {
        usage.add_expr(at, expr);
    }
    for (name, file) in &coverage.input_names {
        usage.add_name(&format!("{file} input series"), name.clone());
    }
    problems.extend(usage.problems(&set.record_names()));
    problems.extend(metrics::cadvisor_keep_problems(&std::fs::read_to_string(
        &config,
    )?));

    // Acceptance 4: the runbooks.
    let runbooks = std::fs::read_to_string(root.join("docs/runbooks.md"))?;
    problems.extend(runbooks::problems(&set.alerts, &runbooks));

    if !problems.is_empty() {
        bail!(
            "monitoring: {} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        );
    }
    tools::check_expressions(&board.expressions)?;

    print_summary(&set, &coverage, &board, usage.names.len(), routes);
    Ok(())
}

fn print_summary(
    set: &rules::RuleSet,
    coverage: &rule_tests::Coverage,
    board: &dashboards::Report,
    metric_names: usize,
    routes: usize,
) {
    println!(
        "monitoring: {} rule files, {} groups, {} recording rules, {} alerting rules ({} alerts), {routes} routes verified",
        set.files.len(),
        set.groups,
        set.records.len(),
        set.alerts.len(),
        set.alert_names().len(),
    );
    let (firing, silent): (usize, usize) = coverage
        .per_alert
        .values()
        .fold((0, 0), |(f, s), c| (f + c.firing, s + c.silent));
    println!(
        "monitoring: {} test files, {} alert test cases ({firing} firing, {silent} not firing), {} promql_expr_test cases",
        coverage.files,
        firing + silent,
        coverage.expr_tests,
    );
    for (alert, cases) in &coverage.per_alert {
        let note = if rule_tests::ALWAYS_FIRING.contains(&alert.as_str()) {
            " (always fires)"
        } else {
            ""
        };
        println!(
            "  {alert}: {} firing, {} not firing{note}",
            cases.firing, cases.silent
        );
    }
    println!(
        "monitoring: {} dashboards, {} panels, {} expressions accepted by promtool, {metric_names} metric names all exported or recorded",
        board.dashboards,
        board.panels,
        board.expressions.len(),
    );
    println!(
        "monitoring: runbooks cover all {} alerts; all checks passed",
        set.alert_names().len()
    );
}
