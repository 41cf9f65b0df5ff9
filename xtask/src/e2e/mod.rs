//! `cargo xtask e2e` (run by `cargo xtask ci`): the platform's whole promise in
//! one test. The native stack runs with short intervals (scrape and evaluation
//! 1 s, `group_wait` 1 s, rule `for` durations shortened, expressions unchanged),
//! under steady traffic; an error spike on the rubis queue must become an e-mail
//! and a Matrix message, then their RESOLVED counterparts; a crash of the alerter
//! during an SMTP outage must lose and repeat nothing; the dashboard page must
//! degrade as promised; every dashboard panel must have data. Then everything
//! stops, leaving no process behind.

mod alert_path;
mod browser;
mod crash;
mod observe;
mod panels;
mod scenario;

use std::time::Duration;

use anyhow::Context;
use clap::Args;

use crate::native::{self, Layout, Plan, Timings};
use crate::{cmd, monitoring};

/// Options of `cargo xtask e2e`.
#[derive(Debug, Clone, Args)]
pub struct E2eArgs {
    /// Use release builds (debug builds start faster in CI).
    #[arg(long)]
    pub release: bool,
}

/// The shortened timings: the alert path in seconds instead of minutes.
pub fn timings() -> Timings {
    Timings {
        scrape_interval: "1s".into(),
        evaluation_interval: "1s".into(),
        rule_for: Some("5s".into()),
        group_wait: "1s".into(),
        group_interval: "5s".into(),
        repeat_interval: "1h".into(),
    }
}

/// `cargo xtask e2e`.
pub fn run(args: &E2eArgs) -> anyhow::Result<()> {
    crate::setup::ensure_stack_dependencies()?;
    let out = cmd::workspace_root().join("target/e2e");
    let state = out.join("state");
    // A fresh state each run: old mail, rooms or outboxes would confuse the counts.
    if state.exists() {
        native::stop_all(&Layout::new(&state)?)?;
        std::fs::remove_dir_all(&state)
            .with_context(|| format!("cannot clear {}", state.display()))?;
    }
    let plan = Plan {
        layout: Layout::new(&state)?,
        matrix: true,
        profile: if args.release { "release" } else { "debug" }.to_owned(),
        timings: timings(),
    };
    let running = native::start(&plan)?;
    // From here on, stop everything whatever happens, a panic included.
    let teardown = Teardown(&running);
    let outcome = tokio::runtime::Runtime::new()?.block_on(scenario::run(&running, &out));
    std::mem::forget(teardown);
    let stopped = running.stop_all();
    let leftovers = native::leftover_ports();
    match (&outcome, &stopped) {
        (Ok(()), Ok(_)) if leftovers.is_empty() => {
            println!("e2e: teardown left no process and no open port");
        }
        _ => {}
    }
    outcome?;
    stopped?;
    anyhow::ensure!(
        leftovers.is_empty(),
        "ports still open after teardown: {leftovers:?}"
    );
    Ok(())
}

/// Stops the stack when dropped during a panic; the normal path stops it itself
/// to report errors.
struct Teardown<'a>(&'a native::Running);

impl Drop for Teardown<'_> {
    fn drop(&mut self) {
        let _ = self.0.stop_all();
    }
}

/// The generated rule files differ from the project's only by `for`.
pub fn check_generated_rules(layout: &Layout) -> anyhow::Result<()> {
    native::check_generated_rules(layout)
}

/// Panels whose queries are allowed to return nothing natively (cAdvisor feeds
/// them, and the native stack has no containers): the checked-in list.
pub fn cadvisor_panels() -> anyhow::Result<Vec<String>> {
    let path = cmd::workspace_root().join("grafana/cadvisor-panels.txt");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

/// Every panel query with its substitutions.
pub fn panels() -> anyhow::Result<Vec<(String, String)>> {
    monitoring::panel_expressions()
}

/// How long to wait for one step of the alert path.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(120);
