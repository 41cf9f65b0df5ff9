//! CPU time used by a process, from `/proc/<pid>/stat`, to say what limited a run
//! (which process saturated a core) beside the throughput figures.

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
