//! What the rendered manifests must guarantee, checked on the objects
//! `kubectl kustomize` prints for every platform (issue 8, acceptance 2, and
//! the rest of its "What to build"):
//!
//! - pods.rs: every container non-root, read-only root filesystem, no
//!   privilege escalation, capabilities dropped, seccomp RuntimeDefault,
//!   requests and limits, probes (readiness `/healthcheck`, liveness `/livez`
//!   for Vigie's services), pinned images, secrets only as files;
//! - namespaces.rs: every namespace has a quota, a LimitRange, a default-deny
//!   NetworkPolicy and the `restricted` Pod Security level;
//! - quota.rs: each platform's workloads fit its quota at their autoscalers'
//!   maximum plus a rolling update, and each container fits the LimitRange;
//! - priority.rs: prod's PriorityClass is above dev's and qualif's, every pod
//!   uses its platform's, and the other platforms cannot use prod's;
//! - wiring.rs: Services, PodDisruptionBudgets, autoscalers, Ingresses and
//!   ServiceMonitors point at things that exist, and every metrics port is
//!   scraped with the `platform` and `service` labels.

mod namespaces;
mod pods;
mod priority;
mod quantity;
mod quota;
mod wiring;

use super::manifest::Object;
use super::render::Rendered;

/// The platform whose pods preempt the others'.
pub const PRODUCTION: &str = "prod";

/// Every problem found in the rendered platforms, each prefixed by its platform.
pub fn problems(platforms: &[Rendered]) -> Vec<String> {
    let mut problems = Vec::new();
    for rendered in platforms {
        let (platform, objects) = (rendered.platform.as_str(), rendered.objects.as_slice());
        let mut found = pods::problems(platform, objects);
        found.extend(namespaces::problems(objects));
        found.extend(quota::problems(objects));
        found.extend(wiring::problems(objects));
        problems.extend(found.into_iter().map(|p| format!("{platform}: {p}")));
    }
    problems.extend(priority::problems(platforms));
    problems
}

/// The objects of one kind.
fn of_kind<'a>(objects: &'a [Object], kind: &'a str) -> impl Iterator<Item = &'a Object> {
    objects.iter().filter(move |o| o.kind() == kind)
}

#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
mod tests {
    use super::fixtures::{platform, platforms};
    use super::*;

    #[test]
    fn the_fixture_platforms_pass() {
        let found = problems(&platforms());
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn problems_are_prefixed_by_their_platform() {
        let broken = platform("dev", 500, |yaml| {
            yaml.replace(
                "readOnlyRootFilesystem: true",
                "readOnlyRootFilesystem: false",
            )
        });
        let found = problems(&[broken]);
        assert!(
            found
                .iter()
                .any(|p| p.starts_with("dev: ") && p.contains("read-only")),
            "{found:#?}"
        );
    }
}
