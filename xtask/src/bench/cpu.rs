//! CPU time used by a process (`/proc/<pid>/stat`) and by the whole machine
//! (`/proc/stat`, load average), to say what limited a run beside its figures:
//! which process saturated a core, how busy the shared machine was.

use std::time::{Duration, Instant};

/// Clock ticks per second of `/proc` times: 100 on every Linux target we run on.
const TICKS_PER_SECOND: f64 = 100.0;

/// A process's cumulated CPU time (user + system) at one instant.
#[derive(Debug, Clone, Copy)]
pub struct CpuSample {
    seconds: f64,
    at: Instant,
}

impl CpuSample {
    /// Reads `pid`'s CPU time now; `None` when the process is gone.
    pub fn read(pid: u32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name is in parentheses and may contain spaces: split after it.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        Some(Self {
            seconds: ticks / TICKS_PER_SECOND,
            at: Instant::now(),
        })
    }

    /// Average cores used between `self` and `later` (1.0 = one core busy).
    pub fn cores_until(&self, later: &Self) -> f64 {
        let wall = later
            .at
            .duration_since(self.at)
            .max(Duration::from_millis(1));
        (later.seconds - self.seconds) / wall.as_secs_f64()
    }
}

/// Measures cores used by `pids` while `work` runs.
pub fn cores_used<T>(pids: &[u32], work: impl FnOnce() -> T) -> (T, Vec<f64>) {
    let before: Vec<Option<CpuSample>> = pids.iter().map(|pid| CpuSample::read(*pid)).collect();
    let result = work();
    let used = pids
        .iter()
        .zip(before)
        .map(|(pid, before)| match (before, CpuSample::read(*pid)) {
            (Some(before), Some(after)) => before.cores_until(&after),
            _ => f64::NAN,
        })
        .collect();
    (result, used)
}

/// Busy and total jiffies of all cores, from the first line of /proc/stat.
pub struct MachineCpu {
    busy: u64,
    total: u64,
}

impl MachineCpu {
    pub fn read() -> Self {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let fields: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|field| field.parse().ok())
            .collect();
        let total = fields.iter().sum();
        // idle and iowait are the fourth and fifth fields.
        let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
        Self {
            busy: total - idle,
            total,
        }
    }

    /// Fraction of the machine's CPU busy since `before` (1.0 = every core).
    pub fn busy_since(&self, before: &Self) -> f64 {
        let total = self.total.saturating_sub(before.total).max(1);
        self.busy.saturating_sub(before.busy) as f64 / total as f64
    }
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}
