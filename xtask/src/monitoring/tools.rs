//! The real validators: promtool (Prometheus 2.42) and amtool (Alertmanager
//! 0.25), as Debian packages them. What they accept is what the servers load.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde::Serialize;

use super::rules::Rule;
use crate::cmd;

/// Fails with the package to install when `program` is missing.
pub fn require(program: &str, package: &str) -> anyhow::Result<()> {
    if !cmd::exists(program) {
        bail!("`{program}` is missing: apt-get install {package} (or `cargo xtask setup`)");
    }
    Ok(())
}

/// `promtool check config`, `check rules` and `test rules`, `amtool check-config`.
pub fn check_files(
    config: &Path,
    rules: &[PathBuf],
    tests: &[PathBuf],
    am: &Path,
) -> anyhow::Result<()> {
    cmd::run("promtool", &["check", "config", &relative(config)])?;
    run_with_files("promtool", &["check", "rules"], rules)?;
    run_with_files("promtool", &["test", "rules"], tests)?;
    cmd::run("amtool", &["check-config", &relative(am)])
}

/// Where each alert must be routed: Watchdog and info/none to `null`
/// (nobody is mailed), critical and warning to the alerter.
pub fn expected_receiver(rule: &Rule) -> &'static str {
    let severity = rule.labels.get("severity").map(String::as_str);
    match (rule.alert.as_deref(), severity) {
        (Some("Watchdog"), _) => "null",
        (_, Some("critical" | "warning")) => "alerter",
        _ => "null",
    }
}

/// `amtool config routes test` for every alerting rule's labels. Returns the
/// number of routes verified.
pub fn check_routes(am: &Path, alerts: &[Rule]) -> anyhow::Result<usize> {
    let mut cases: Vec<(String, String, &str)> = alerts
        .iter()
        .map(|rule| {
            let name = rule.alert.clone().unwrap_or_default();
            let severity = rule.labels.get("severity").cloned().unwrap_or_default();
            (name, severity, expected_receiver(rule))
        })
        .collect();
    cases.dedup();
    let config = format!("--config.file={}", relative(am));
    for (name, severity, receiver) in &cases {
        let verify = format!("--verify.receivers={receiver}");
        let (alertname, sev) = (format!("alertname={name}"), format!("severity={severity}"));
        let args = [
            "config", "routes", "test", &config, &verify, &alertname, &sev,
        ];
        let (ok, output) = quiet("amtool", &args)?;
        if !ok {
            bail!(
                "alertmanager.yml routes {alertname} {sev} to `{}`, expected `{receiver}`",
                output.trim()
            );
        }
        println!("route {alertname} {sev} -> {receiver}");
    }
    Ok(cases.len())
}

#[derive(Serialize)]
struct RuleFile {
    groups: Vec<Group>,
}

#[derive(Serialize)]
struct Group {
    name: String,
    rules: Vec<Record>,
}

#[derive(Serialize)]
struct Record {
    record: String,
    expr: String,
}

/// Feeds the expressions to `promtool check rules` as recording rules of a
/// temporary file. When promtool refuses the batch, each expression is tried
/// alone so that the error names the dashboard and panel.
pub fn check_expressions(exprs: &[(String, String)]) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let path = dir.path().join("dashboard-expressions.yml");
    let accepts = |batch: &[(String, String)]| -> anyhow::Result<(bool, String)> {
        let rules = batch
            .iter()
            .enumerate()
            .map(|(i, (_, expr))| Record {
                record: format!("dashboard_check:expr_{i}:check"),
                expr: expr.clone(),
            })
            .collect();
        let file = RuleFile {
            groups: vec![Group {
                name: "dashboards".into(),
                rules,
            }],
        };
        std::fs::write(&path, serde_yaml_ng::to_string(&file)?)?;
        quiet("promtool", &["check", "rules", &path.to_string_lossy()])
    };
    println!(
        "$ promtool check rules <{} dashboard expressions>",
        exprs.len()
    );
    let (ok, output) = accepts(exprs)?;
    if ok {
        return Ok(());
    }
    let mut refused = Vec::new();
    for item in exprs {
        let (ok, output) = accepts(std::slice::from_ref(item))?;
        if !ok {
            refused.push(format!("{}: `{}`\n{}", item.0, item.1, output.trim()));
        }
    }
    if refused.is_empty() {
        bail!("promtool refused the dashboard expressions:\n{output}");
    }
    bail!(
        "promtool refused {} dashboard expression(s):\n{}",
        refused.len(),
        refused.join("\n")
    )
}

/// Runs a program in the workspace root, capturing stdout and stderr.
fn quiet(program: &str, args: &[&str]) -> anyhow::Result<(bool, String)> {
    let out = Command::new(program)
        .args(args)
        .current_dir(cmd::workspace_root())
        .output()
        .with_context(|| format!("could not start `{program}`"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((out.status.success(), text))
}

fn run_with_files(program: &str, args: &[&str], files: &[PathBuf]) -> anyhow::Result<()> {
    let files: Vec<String> = files.iter().map(|f| relative(f)).collect();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(files.iter().map(String::as_str));
    cmd::run(program, &all)
}

/// The path relative to the workspace root, where the tools run.
fn relative(path: &Path) -> String {
    let root = cmd::workspace_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}
