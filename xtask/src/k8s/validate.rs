//! Schema validation of the rendered objects: `kubernetes-validate --strict`
//! (unknown fields fail) for the Kubernetes kinds, against each version in
//! [`KUBERNETES_VERSIONS`]. It has no schema for custom resources and only
//! warns about them, so they are set aside for [`super::crds`], and any other
//! warning (an unknown kind or apiVersion) is an error here.

use std::io::Write;

use anyhow::bail;

use super::manifest::{self, Object};
use super::tools;

/// The oldest Kubernetes these manifests support (PodLifecycleSleepAction is
/// on by default from 1.30) and a current one.
pub const KUBERNETES_VERSIONS: &[&str] = &["1.30.0", "1.34.0"];

/// Whether `kubernetes-validate` has no schema for this object's group.
pub fn is_custom_resource(object: &Object) -> bool {
    object.group() == super::crds::GROUP
}

/// Validates the built-in kinds among `objects`; returns how many it checked.
pub fn builtin_kinds(platform: &str, objects: &[Object]) -> anyhow::Result<usize> {
    let builtin: Vec<&Object> = objects.iter().filter(|o| !is_custom_resource(o)).collect();
    let mut file = tempfile::Builder::new()
        .prefix(&format!("vigie-{platform}-"))
        .suffix(".yaml")
        .tempfile()?;
    file.write_all(manifest::to_json_stream(&builtin)?.as_bytes())?;
    let validator = tools::validator()?;
    let path = file.path().to_string_lossy().into_owned();
    for version in KUBERNETES_VERSIONS {
        let out = tools::output(&validator, &["--strict", "--quiet", "-k", version, &path]);
        let text = match out {
            Ok(text) => text,
            Err(error) => bail!("{platform}: kubernetes-validate {version}: {error:#}"),
        };
        // --quiet prints only problems; a WARN means a kind it has no schema for.
        if !text.trim().is_empty() {
            bail!("{platform}: kubernetes-validate {version}:\n{text}");
        }
    }
    Ok(builtin.len())
}
