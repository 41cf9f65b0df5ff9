//! Runs the telemetry crate's `http_layer` benchmark (optimised, in-process: the
//! router with and without the HTTP metrics layer) and reads its figures.

use anyhow::Context;
use serde::Deserialize;

use crate::cmd;

/// Median nanoseconds per request with and without the layer.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct LayerCost {
    /// With the layer.
    pub with_ns: f64,
    /// Without it.
    pub without_ns: f64,
}

/// Runs `pairs` interleaved pairs of batches.
pub fn measure(pairs: usize) -> anyhow::Result<LayerCost> {
    let output = std::process::Command::new("cargo")
        .args([
            "bench",
            "--quiet",
            "-p",
            "telemetry",
            "--bench",
            "http_layer",
            "--",
            "--pairs",
            &pairs.to_string(),
        ])
        .current_dir(cmd::workspace_root())
        .output()
        .context("cannot run cargo bench")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "the http_layer bench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = stdout
        .lines()
        .find_map(|line| line.strip_prefix("LAYER_JSON "))
        .context("no LAYER_JSON line")?;
    Ok(serde_json::from_str(json)?)
}
