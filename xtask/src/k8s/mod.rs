//! The Kubernetes deployment in deploy/k8s/ (kustomize: base/, components/,
//! monitoring/, overlays/{dev,qualif,prod}/), checked as code:
//!
//! - `cargo xtask gen-k8s` writes the files made from the project's single
//!   sources (generate/);
//! - `cargo xtask check-k8s` (also run by `cargo xtask ci`) fails when those
//!   files are stale, renders every overlay with `kubectl kustomize`, validates
//!   the built-in kinds with `kubernetes-validate --strict` (validate.rs) and
//!   the prometheus-operator kinds with a structural schema (crds/), checks
//!   that `create-secrets.sh` creates every Secret key the pods mount
//!   (secrets.rs), then what the manifests must guarantee (policy/).
//!
//! docs/operations.md describes the deployment; docs/security.md what it
//! defends against.

mod crds;
mod generate;
mod manifest;
mod policy;
mod render;
mod secrets;
mod tools;
mod validate;

use anyhow::bail;

use crate::cmd;

pub use tools::ensure_kubectl;

/// The overlays, one per platform.
pub const PLATFORMS: &[&str] = &["dev", "qualif", "prod"];

/// Where the overlays are, relative to the workspace root.
pub const OVERLAYS_DIR: &str = "deploy/k8s/overlays";

/// `cargo xtask gen-k8s`: (re)writes the generated files.
pub fn generate() -> anyhow::Result<()> {
    let root = cmd::workspace_root();
    let files = generate::all(&root)?;
    let changed = generate::write(&root, &files)?;
    for path in &changed {
        println!("gen-k8s: wrote {path}");
    }
    println!("gen-k8s: {} files, {} changed", files.len(), changed.len());
    Ok(())
}

/// `cargo xtask check-k8s`: every check; fails listing all problems found.
pub fn check() -> anyhow::Result<()> {
    let root = cmd::workspace_root();
    let files = generate::all(&root)?;
    let stale = generate::differences(&root, &files)?;
    if !stale.is_empty() {
        bail!(
            "k8s: generated files are out of date; run `cargo xtask gen-k8s` and commit:\n  {}",
            stale.join("\n  ")
        );
    }
    println!(
        "k8s: {} generated files match their sources (prometheus/, grafana/, the frontend, compose's PostgreSQL init)",
        files.len()
    );

    let mut rendered = Vec::new();
    let mut problems = Vec::new();
    for platform in PLATFORMS {
        let overlay = render::overlay(platform)?;
        let builtin = validate::builtin_kinds(platform, &overlay.objects)?;
        let (custom, mut found) = crds::problems(&overlay.objects);
        found.extend(secrets::missing(
            &overlay.objects,
            &secrets::created(platform)?,
        ));
        problems.extend(found.into_iter().map(|p| format!("{platform}: {p}")));
        println!(
            "k8s: {OVERLAYS_DIR}/{platform}: {} objects rendered; {builtin} valid for Kubernetes {} (kubernetes-validate --strict); {custom} custom resources checked structurally",
            overlay.objects.len(),
            validate::KUBERNETES_VERSIONS.join(" and "),
        );
        rendered.push(overlay);
    }
    problems.extend(policy::problems(&rendered));
    if !problems.is_empty() {
        bail!(
            "k8s: {} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        );
    }
    let pods: usize = rendered
        .iter()
        .map(|r| r.objects.iter().filter(|o| o.pod_spec().is_some()).count())
        .sum();
    println!(
        "k8s: policy holds on {} platforms ({pods} workloads): hardened containers with limits, quotas, LimitRanges, default-deny policies, prod priority above the others, every mounted Secret key created by create-secrets.sh; all checks passed",
        rendered.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real overlays, rendered by the real kubectl: what `check-k8s` sees.
    #[test]
    fn the_overlays_render_and_meet_the_policy() {
        let rendered: Vec<_> = PLATFORMS
            .iter()
            .map(|p| {
                render::overlay(p).expect("kubectl renders the overlay: run `cargo xtask setup`")
            })
            .collect();
        let mut problems = policy::problems(&rendered);
        for overlay in &rendered {
            problems.extend(crds::problems(&overlay.objects).1);
        }
        assert!(problems.is_empty(), "{problems:#?}");
        let prod = &rendered[2];
        for kind in ["ServiceMonitor", "PrometheusRule", "AlertmanagerConfig"] {
            assert!(
                prod.objects.iter().any(|o| o.kind() == kind),
                "prod has no {kind}"
            );
        }
    }
}
