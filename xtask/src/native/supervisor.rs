//! Starting components as detached local processes (own process group, output to
//! a log file, pid in a pid file) and stopping exactly those again.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::layout::Layout;

/// How long a component may take to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(12);

/// Starts `command` as `component`, detached: it outlives this process.
pub fn spawn(layout: &Layout, component: &str, mut command: Command) -> anyhow::Result<u32> {
    if let Some(pid) = running_pid(layout, component) {
        bail!("{component} is already running (pid {pid}); run `cargo xtask down` first");
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(layout.log(component))
        .with_context(|| format!("cannot open the log of {component}"))?;
    let child = command
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group: Ctrl-C in this terminal does not reach it, and
        // `down` can signal the component with every process it started.
        .process_group(0)
        .spawn()
        .with_context(|| format!("cannot start {component} ({:?})", command.get_program()))?;
    let pid = child.id();
    std::fs::write(layout.pid_file(component), pid.to_string())?;
    Ok(pid)
}

/// The pid of `component` if its pid file names a live process.
pub fn running_pid(layout: &Layout, component: &str) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(layout.pid_file(component))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    alive(pid).then_some(pid)
}

fn alive(pid: u32) -> bool {
    // A zombie still has a /proc entry; its state letter says it is gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .is_some_and(|zombie| !zombie)
}

/// Stops `component` (SIGTERM to its group, SIGKILL after a timeout) and removes
/// its pid file. Returns whether something was running.
pub fn stop(layout: &Layout, component: &str) -> anyhow::Result<bool> {
    let pid_file = layout.pid_file(component);
    let Some(pid) = running_pid(layout, component) else {
        let _ = std::fs::remove_file(&pid_file);
        return Ok(false);
    };
    let group = Pid::from_raw(i32::try_from(pid)?);
    let _ = killpg(group, Signal::SIGCONT);
    let _ = killpg(group, Signal::SIGTERM);
    let start = Instant::now();
    while group_alive(group) {
        if start.elapsed() > STOP_TIMEOUT {
            println!("  {component} did not stop within {STOP_TIMEOUT:?}: killing it");
            let _ = killpg(group, Signal::SIGKILL);
        }
        if start.elapsed() > STOP_TIMEOUT * 2 {
            bail!("{component} (process group {pid}) survived SIGKILL");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::remove_file(&pid_file)?;
    Ok(true)
}

/// Kills `component` at once (SIGKILL to its group), as a crash would.
pub fn kill(layout: &Layout, component: &str) -> anyhow::Result<()> {
    let Some(pid) = running_pid(layout, component) else {
        bail!("{component} is not running")
    };
    let group = Pid::from_raw(i32::try_from(pid)?);
    killpg(group, Signal::SIGKILL)?;
    let start = Instant::now();
    while group_alive(group) {
        if start.elapsed() > STOP_TIMEOUT {
            bail!("{component} (process group {pid}) survived SIGKILL");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::remove_file(layout.pid_file(component))?;
    Ok(())
}

fn group_alive(group: Pid) -> bool {
    // Signal 0 checks existence; a group whose members are all zombies is gone for us.
    killpg(group, None).is_ok() && group_has_live_member(group)
}

fn group_has_live_member(group: Pid) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    entries.flatten().any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // Fields after the name: state, ppid, pgrp.
        fields.first().is_some_and(|state| *state != "Z")
            && fields.get(2).and_then(|pgrp| pgrp.parse::<i32>().ok()) == Some(group.as_raw())
    })
}

/// Whether something listens on 127.0.0.1:`port`.
pub fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))
        .is_ok()
}

/// The last `lines` lines of a log, to show why a component did not start.
pub fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
