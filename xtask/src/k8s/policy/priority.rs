//! Production first under pressure: each platform has its own PriorityClass,
//! every pod uses its platform's, prod's value is above every other's, the
//! other platforms never preempt, and their quota allows no pod at prod's
//! priority (otherwise any namespace could simply name it).

use serde_yaml_ng::Value;

use super::{PRODUCTION, of_kind};
use crate::k8s::manifest::{self, get, str_at};
use crate::k8s::render::Rendered;

/// One platform's PriorityClass.
#[derive(Debug)]
struct Class<'a> {
    platform: &'a str,
    name: &'a str,
    value: i64,
    preempts: bool,
}

/// Problems across all the platforms.
pub fn problems(platforms: &[Rendered]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut classes = Vec::new();
    for rendered in platforms {
        let platform = rendered.platform.as_str();
        let found: Vec<_> = of_kind(&rendered.objects, "PriorityClass").collect();
        let [class] = found.as_slice() else {
            problems.push(format!(
                "{platform}: {} PriorityClasses, expected one",
                found.len()
            ));
            continue;
        };
        let class = Class {
            platform,
            name: class.name(),
            value: get(&class.0, &["value"])
                .and_then(Value::as_i64)
                .unwrap_or(0),
            preempts: str_at(&class.0, &["preemptionPolicy"]) != Some("Never"),
        };
        for object in &rendered.objects {
            let Some(pod) = object.pod_spec() else {
                continue;
            };
            if str_at(pod, &["priorityClassName"]) != Some(class.name) {
                problems.push(format!(
                    "{platform}: {} does not use PriorityClass {}",
                    object.id(),
                    class.name
                ));
            }
        }
        classes.push(class);
    }
    let Some(prod) = classes.iter().find(|c| c.platform == PRODUCTION) else {
        problems.push(format!("no {PRODUCTION} platform with a PriorityClass"));
        return problems;
    };
    for other in classes.iter().filter(|c| c.platform != PRODUCTION) {
        if other.value >= prod.value {
            problems.push(format!(
                "{}: PriorityClass {} ({}) is not below {PRODUCTION}'s {} ({})",
                other.platform, other.name, other.value, prod.name, prod.value
            ));
        }
        if other.preempts {
            problems.push(format!(
                "{}: PriorityClass {} may preempt (set preemptionPolicy: Never)",
                other.platform, other.name
            ));
        }
    }
    for rendered in platforms.iter().filter(|r| r.platform != PRODUCTION) {
        let fenced = of_kind(&rendered.objects, "ResourceQuota").any(|q| forbids(&q.0, prod.name));
        if !fenced {
            problems.push(format!(
                "{}: no ResourceQuota allowing 0 pods at PriorityClass {}",
                rendered.platform, prod.name
            ));
        }
    }
    problems
}

/// A quota scoped to `class` that allows no pod.
fn forbids(quota: &Value, class: &str) -> bool {
    let zero_pods = manifest::get(quota, &["spec", "hard", "pods"])
        .and_then(manifest::scalar_string)
        .is_some_and(|pods| pods == "0");
    let scoped = manifest::items(quota, &["spec", "scopeSelector", "matchExpressions"]).any(|e| {
        str_at(e, &["scopeName"]) == Some("PriorityClass")
            && str_at(e, &["operator"]) == Some("In")
            && manifest::items(e, &["values"]).any(|v| v.as_str() == Some(class))
    });
    zero_pods && scoped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::policy::fixtures::{platform, platforms};

    #[test]
    fn prod_below_qualif_is_reported() {
        let mut all = platforms();
        all[1] = platform("qualif", 200_000, |y| y);
        let found = problems(&all);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].contains("is not below prod's"));
    }

    #[test]
    fn a_pod_on_another_class_and_an_unfenced_platform_are_reported() {
        let mut all = platforms();
        all[0] = platform("dev", 500, |y| {
            y.replace(
                "priorityClassName: vigie-dev",
                "priorityClassName: vigie-prod",
            )
            .replace("values: [vigie-prod]", "values: [other]")
        });
        let found = problems(&all);
        assert!(
            found
                .iter()
                .any(|p| p.contains("does not use PriorityClass vigie-dev")),
            "{found:#?}"
        );
        assert!(
            found.iter().any(|p| p.contains("allowing 0 pods")),
            "{found:#?}"
        );
    }
}
