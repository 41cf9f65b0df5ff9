//! `cargo xtask up` / `down` / `status`: the compose topology as local processes
//! (Debian's Redis, PostgreSQL, nginx, Prometheus, Alertmanager, node-exporter,
//! an SMTP catcher, optionally Synapse, and our three binaries) with the same
//! rule files, nginx routing and Alertmanager routing as compose.

mod components;
mod database;
mod health;
mod layout;
mod matrix;
mod monitoring_config;
mod ports;
mod secrets;
mod start;
mod status;
mod supervisor;

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;

pub use components::Component;
pub use layout::Layout;
pub use monitoring_config::Timings;
pub use ports::{FRONTEND, GATEWAY, QUEUES, STUDENTS, SYNAPSE};
pub use status::status;

/// Options shared by `up`, `down` and `status`.
#[derive(Debug, Clone, Args)]
pub struct StackArgs {
    /// The state directory (configuration, data, logs, pid files, secrets).
    #[arg(long, default_value = ".vigie", env = "VIGIE_STATE_DIR")]
    pub dir: PathBuf,
}

/// Options of `up`.
#[derive(Debug, Clone, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// Also run a Matrix homeserver (Synapse) and deliver alerts to a room there.
    #[arg(long)]
    pub matrix: bool,
    /// Use debug builds (faster to build, slower to run).
    #[arg(long)]
    pub debug: bool,
}

/// A running stack's description, for `up` and the end-to-end test.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where its state lives.
    pub layout: Layout,
    /// Synapse and Matrix delivery.
    pub matrix: bool,
    /// `debug` or `release`.
    pub profile: String,
    /// Prometheus and Alertmanager timings.
    pub timings: Timings,
}

/// `cargo xtask up`.
pub fn up(args: &UpArgs) -> anyhow::Result<()> {
    crate::setup::ensure_stack_dependencies()?;
    let plan = Plan {
        layout: Layout::new(&args.stack.dir)?,
        matrix: args.matrix,
        profile: if args.debug { "debug" } else { "release" }.to_owned(),
        timings: Timings::production(),
    };
    start(&plan)?;
    status::print_table(&plan.layout, plan.matrix);
    println!(
        "\nlogs: {}   stop everything: cargo xtask down",
        plan.layout.logs().display()
    );
    Ok(())
}

/// A started stack: components can be stopped, killed and started again.
#[derive(Debug)]
pub struct Running {
    ctx: start::StackContext,
}

impl Running {
    /// The stack's state directory.
    pub fn layout(&self) -> &Layout {
        &self.ctx.layout
    }

    /// Stops `component` gracefully (SIGTERM).
    pub fn stop(&self, component: &str) -> anyhow::Result<()> {
        supervisor::stop(&self.ctx.layout, component).map(drop)
    }

    /// Kills `component` at once (SIGKILL), as a crash would.
    pub fn kill(&self, component: &str) -> anyhow::Result<()> {
        supervisor::kill(&self.ctx.layout, component)
    }

    /// Starts `component` again and waits until it is healthy.
    pub fn start(&self, component: &str) -> anyhow::Result<()> {
        let spec = components::all()
            .into_iter()
            .find(|spec| spec.name == component)
            .with_context(|| format!("unknown component {component}"))?;
        start::start(&self.ctx, component)?;
        health::wait_healthy(&self.ctx.layout, &spec)
    }

    /// Stops every component, in reverse start order.
    pub fn stop_all(&self) -> anyhow::Result<Vec<String>> {
        stop_all(&self.ctx.layout)
    }
}

/// Builds the binaries and starts every component of `plan`, each waiting for the
/// previous ones to be healthy; on failure, stops what it started.
pub fn start(plan: &Plan) -> anyhow::Result<Running> {
    let layout = &plan.layout;
    layout.create()?;
    let wanted: Vec<Component> = components::all()
        .into_iter()
        .filter(|c| plan.matrix || !c.matrix_only)
        .collect();
    let busy: Vec<String> = wanted
        .iter()
        .filter(|component| supervisor::running_pid(layout, &component.name).is_none())
        .flat_map(|component| component.ports.iter().map(move |port| (component, *port)))
        .filter(|(component, port)| {
            // The machine's own PostgreSQL on 5432 is used, not replaced.
            component.name != "postgres" && supervisor::port_open(*port)
        })
        .map(|(component, port)| format!("{port} ({})", component.name))
        .collect();
    if !busy.is_empty() {
        bail!(
            "ports already in use: {}. Stop what holds them (`cargo xtask down` if it is a native stack) and retry.",
            busy.join(", ")
        );
    }
    let mut build = vec![
        "build",
        "--quiet",
        "-p",
        "queue-service",
        "-p",
        "students-service",
        "-p",
        "alerter",
    ];
    if plan.profile == "release" {
        build.push("--release");
    }
    println!("building the services ({})", plan.profile);
    crate::cmd::run("cargo", &build)?;

    let database = database::prepare(layout)?;
    let ctx = start::StackContext {
        layout: layout.clone(),
        profile: plan.profile.clone(),
        timings: plan.timings.clone(),
        database_url: database.url,
        matrix: plan.matrix,
    };
    for component in &wanted {
        if component.name == "postgres" && !database.private {
            continue;
        }
        if supervisor::running_pid(layout, &component.name).is_some() {
            continue;
        }
        println!("starting {}", component.name);
        let started = start::start(&ctx, &component.name)
            .and_then(|()| health::wait_healthy(layout, component));
        if let Err(error) = started {
            println!(
                "{} failed to start; stopping what was started",
                component.name
            );
            let _ = stop_all(layout);
            return Err(error);
        }
    }
    Ok(Running { ctx })
}

/// `cargo xtask down`.
pub fn down(args: &StackArgs) -> anyhow::Result<()> {
    let layout = Layout::new(&args.dir)?;
    let stopped = stop_all(&layout)?;
    if stopped.is_empty() {
        println!("nothing was running from {}", layout.root().display());
    } else {
        println!("stopped: {}", stopped.join(", "));
    }
    let open: Vec<String> = leftover_ports().iter().map(u16::to_string).collect();
    if !open.is_empty() {
        println!(
            "still open (not started by this stack): {}",
            open.join(", ")
        );
    }
    Ok(())
}

/// Stops every component that has a pid file, in reverse start order.
pub fn stop_all(layout: &Layout) -> anyhow::Result<Vec<String>> {
    let mut stopped = Vec::new();
    for component in components::all().iter().rev() {
        if supervisor::stop(layout, &component.name)? {
            stopped.push(component.name.clone());
        }
    }
    Ok(stopped)
}

/// Pauses (SIGSTOP) or resumes (SIGCONT) the stack's Redis: a hung Redis, the
/// failure timeouts and circuit breakers exist for.
pub fn pause_redis(layout: &Layout, pause: bool) -> anyhow::Result<()> {
    let Some(pid) = supervisor::running_pid(layout, "redis") else {
        bail!("the stack's Redis is not running")
    };
    let signal = if pause {
        nix::sys::signal::Signal::SIGSTOP
    } else {
        nix::sys::signal::Signal::SIGCONT
    };
    testkit::signal(pid, signal)?;
    Ok(())
}

/// The alerter's Matrix room (created on first use).
pub fn matrix_room(layout: &Layout) -> anyhow::Result<matrix::Room> {
    matrix::ensure_room(layout)
}

/// A call to the native homeserver's client API.
pub fn matrix_call(
    method: &str,
    path: &str,
    token: Option<&str>,
) -> anyhow::Result<(u16, serde_json::Value)> {
    matrix::call(method, path, token, &serde_json::Value::Null)
}

/// The stack's ports that still accept connections (the machine's 5432 aside).
pub fn leftover_ports() -> Vec<u16> {
    components::all()
        .iter()
        .flat_map(|component| component.ports.clone())
        .filter(|port| *port != 5432 && supervisor::port_open(*port))
        .collect()
}

/// The generated rule files hold the project's rules with only `for` changed.
pub fn check_generated_rules(layout: &Layout) -> anyhow::Result<()> {
    for source in monitoring_config::rule_files()? {
        let name = source.file_name().context("rule file name")?;
        let generated =
            monitoring_config::read_yaml(&layout.config("prometheus").join("rules").join(name))?;
        let original = monitoring_config::read_yaml(&source)?;
        anyhow::ensure!(
            monitoring_config::without_for(&generated) == monitoring_config::without_for(&original),
            "the generated copy of {} changes more than `for`",
            source.display()
        );
    }
    Ok(())
}
