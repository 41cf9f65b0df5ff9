//! docs/runbooks.md against the alerts: one `## AlertName` section per alert,
//! and each alert's `runbook_url` pointing at its section's anchor.

use std::collections::BTreeMap;

use super::rules::Rule;

/// Where docs/runbooks.md is published; `runbook_url`s start with it.
pub const RUNBOOKS_URL: &str = "https://github.com/vigie-platform/vigie/blob/main/docs/runbooks.md";

/// The anchor GitHub gives a heading: lower case, punctuation other than `-`
/// and `_` removed, spaces turned into `-`.
pub fn github_slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The level-2 headings of a Markdown text (outside code fences), by anchor.
pub fn sections(markdown: &str) -> BTreeMap<String, String> {
    let mut in_fence = false;
    let mut out = BTreeMap::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if let Some(heading) = line.strip_prefix("## ").filter(|_| !in_fence) {
            out.insert(github_slug(heading), heading.trim().to_string());
        }
    }
    out
}

/// Problems: an alert without its section, a `runbook_url` that is not the
/// section's anchor, a section that is no alert's.
pub fn problems(alerts: &[Rule], markdown: &str) -> Vec<String> {
    let sections = sections(markdown);
    let mut problems = Vec::new();
    for rule in alerts {
        let name = rule.alert.as_deref().unwrap_or("?");
        let slug = github_slug(name);
        if sections.get(&slug).map(String::as_str) != Some(name) {
            problems.push(format!("docs/runbooks.md has no `## {name}` section"));
        }
        let expected = format!("{RUNBOOKS_URL}#{slug}");
        let url = rule
            .annotations
            .get("runbook_url")
            .map(String::as_str)
            .unwrap_or("");
        if url != expected {
            problems.push(format!(
                "alert {name}: runbook_url is `{url}`, expected `{expected}`"
            ));
        }
    }
    for heading in sections.values() {
        if !alerts.iter().any(|r| r.alert.as_deref() == Some(heading)) {
            problems.push(format!(
                "docs/runbooks.md: section `## {heading}` is no alert's"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(name: &str, anchor: &str) -> Rule {
        Rule {
            record: None,
            alert: Some(name.to_string()),
            expr: "vector(1)".to_string(),
            labels: Default::default(),
            annotations: [(
                "runbook_url".to_string(),
                format!("{RUNBOOKS_URL}#{anchor}"),
            )]
            .into(),
        }
    }

    #[test]
    fn slugs_follow_github() {
        assert_eq!(github_slug("HighErrorRate"), "higherrorrate");
        assert_eq!(github_slug("What to do (now)?"), "what-to-do-now");
    }

    #[test]
    fn missing_sections_and_wrong_anchors_are_reported() {
        let doc = "# Runbooks\n## HighErrorRate\n```\n## not a heading\n```\n## Orphan\n";
        let alerts = [
            alert("HighErrorRate", "higherrorrate"),
            alert("ServiceDown", "service-down"),
        ];
        assert_eq!(
            problems(&alerts, doc),
            [
                "docs/runbooks.md has no `## ServiceDown` section",
                &format!(
                    "alert ServiceDown: runbook_url is `{RUNBOOKS_URL}#service-down`, expected `{RUNBOOKS_URL}#servicedown`"
                ),
                "docs/runbooks.md: section `## Orphan` is no alert's",
            ]
        );
    }
}
