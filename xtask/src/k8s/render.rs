//! Rendering an overlay with `kubectl kustomize` (kustomize built into
//! kubectl; no cluster needed) into objects.

use super::manifest::{self, Object};
use super::{OVERLAYS_DIR, tools};

/// One platform's rendered manifests.
#[derive(Debug)]
pub struct Rendered {
    /// The overlay's name: dev, qualif or prod.
    pub platform: String,
    /// What `kubectl kustomize` printed, parsed.
    pub objects: Vec<Object>,
}

/// Renders `deploy/k8s/overlays/<platform>`.
pub fn overlay(platform: &str) -> anyhow::Result<Rendered> {
    let kubectl = tools::kubectl()?;
    let dir = format!("{OVERLAYS_DIR}/{platform}");
    let yaml = tools::output(&kubectl, &["kustomize", &dir])?;
    let objects = manifest::parse_all(&yaml)?;
    anyhow::ensure!(!objects.is_empty(), "{dir} rendered no object");
    Ok(Rendered {
        platform: platform.to_owned(),
        objects,
    })
}
