//! The root Dockerfile's rules (issue 6, acceptance 3): several stages, and for
//! each image target a non-root numeric `USER`, an exec-form `ENTRYPOINT` that
//! runs the target's binary as PID 1, a `HEALTHCHECK` through the binary's own
//! `healthcheck` subcommand, the OCI labels, and pinned base images. Stages
//! inherit from their parent stage, as Docker does. The `.dockerignore` must
//! keep build output, VCS data and secrets out of the context.

use std::collections::BTreeMap;

use super::hardening::is_pinned;

/// The image targets and the binary each runs.
pub const TARGETS: [&str; 3] = ["queue-service", "students-service", "alerter"];

/// The OCI labels every image carries.
const LABELS: [&str; 4] = [
    "org.opencontainers.image.title",
    "org.opencontainers.image.version",
    "org.opencontainers.image.source",
    "org.opencontainers.image.licenses",
];

/// What `.dockerignore` must exclude.
const IGNORED: [&str; 3] = ["target/", ".git/", "compose/"];

/// One build stage.
#[derive(Debug, Default)]
struct Stage {
    /// The `FROM` image or parent stage, ARG defaults substituted.
    base: String,
    name: String,
    user: Option<String>,
    entrypoint: Option<String>,
    healthcheck: Option<String>,
    labels: BTreeMap<String, String>,
}

/// Every problem of `dockerfile` and `dockerignore` (their texts).
pub fn problems(dockerfile: &str, dockerignore: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let stages = parse(dockerfile);
    if stages.len() < 2 {
        problems.push(format!(
            "{} stage(s): the build must be multi-stage",
            stages.len()
        ));
    }
    let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
    for stage in &stages {
        if !names.contains(&stage.base.as_str()) && !is_pinned(&stage.base) {
            problems.push(format!(
                "stage {}: base image {} is not pinned (a version tag or a digest)",
                stage.name, stage.base
            ));
        }
    }
    for target in TARGETS {
        match stages.iter().position(|s| s.name == target) {
            None => problems.push(format!("no target {target}")),
            Some(index) => target_problems(&stages, index, target, &mut problems),
        }
    }
    let ignored: Vec<&str> = dockerignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    for pattern in IGNORED {
        if !ignored.contains(&pattern) {
            problems.push(format!(".dockerignore must exclude {pattern}"));
        }
    }
    problems
}

fn target_problems(stages: &[Stage], index: usize, target: &str, problems: &mut Vec<String>) {
    // The stage and its ancestors, nearest first: the nearest setting wins.
    let mut chain = vec![&stages[index]];
    while let Some(parent) = stages
        .iter()
        .find(|s| s.name == chain[chain.len() - 1].base)
    {
        if chain.len() > stages.len() {
            break;
        }
        chain.push(parent);
    }
    let nearest = |get: fn(&Stage) -> Option<&String>| chain.iter().find_map(|s| get(s));
    let binary = format!("/{target}");

    match nearest(|s| s.user.as_ref()) {
        None => problems.push(format!("{target}: no USER (it would run as root)")),
        Some(user) => {
            let uid = user.split(':').next().unwrap_or_default();
            if uid.parse::<u32>().map_or(true, |uid| uid == 0) {
                problems.push(format!(
                    "{target}: USER {user} must be a numeric, non-root uid"
                ));
            }
        }
    }
    match nearest(|s| s.entrypoint.as_ref()).map(|e| exec_form(e)) {
        Some(Some(args)) if args.first().is_some_and(|a| a.ends_with(&binary)) => {}
        Some(Some(args)) => problems.push(format!(
            "{target}: ENTRYPOINT {args:?} does not run {target}"
        )),
        Some(None) => problems.push(format!(
            "{target}: ENTRYPOINT is in shell form: the binary would not be PID 1"
        )),
        None => problems.push(format!("{target}: no ENTRYPOINT")),
    }
    let check = nearest(|s| s.healthcheck.as_ref());
    let exec = check
        .and_then(|c| c.split_once("CMD").map(|(_, cmd)| cmd.trim().to_owned()))
        .and_then(|cmd| exec_form(&cmd));
    let through_binary = exec.as_ref().is_some_and(|args| {
        args.first().is_some_and(|a| a.ends_with(&binary))
            && args.iter().any(|a| a == "healthcheck")
    });
    if !through_binary {
        problems.push(format!(
            "{target}: HEALTHCHECK must be CMD [\".../{target}\", \"healthcheck\"] (got {check:?})"
        ));
    }
    for label in LABELS {
        let value = chain.iter().find_map(|s| s.labels.get(label));
        match value {
            None => problems.push(format!("{target}: no label {label}")),
            Some(value) if value.is_empty() => {
                problems.push(format!("{target}: label {label} is empty"));
            }
            Some(_) => {}
        }
    }
    let title = chain
        .iter()
        .find_map(|s| s.labels.get("org.opencontainers.image.title"));
    if title.is_some_and(|t| t != target) {
        problems.push(format!("{target}: the title label is {title:?}"));
    }
}

/// `["a", "b"]` -> the arguments; `None` for the shell form.
fn exec_form(text: &str) -> Option<Vec<String>> {
    serde_json::from_str(text.trim()).ok()
}

/// The stages, with the settings the checks read.
fn parse(text: &str) -> Vec<Stage> {
    let mut args = BTreeMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    for (keyword, rest) in instructions(text) {
        match (keyword.as_str(), stages.last_mut()) {
            ("ARG", None) => {
                if let Some((name, value)) = rest.split_once('=') {
                    args.insert(
                        name.trim().to_owned(),
                        value.trim().trim_matches('"').to_owned(),
                    );
                }
            }
            ("FROM", _) => {
                let words: Vec<&str> = rest
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let base = substitute(words.first().copied().unwrap_or_default(), &args);
                let name = match words.as_slice() {
                    [_, r#as, name] if r#as.eq_ignore_ascii_case("as") => (*name).to_owned(),
                    _ => format!("#{}", stages.len()),
                };
                stages.push(Stage {
                    base,
                    name,
                    ..Stage::default()
                });
            }
            ("USER", Some(stage)) => stage.user = Some(rest),
            ("ENTRYPOINT", Some(stage)) => stage.entrypoint = Some(rest),
            ("HEALTHCHECK", Some(stage)) => stage.healthcheck = Some(rest),
            ("LABEL", Some(stage)) => stage.labels.extend(labels(&rest)),
            _ => {}
        }
    }
    stages
}

/// `${NAME}` and `$NAME` from the global ARG defaults.
fn substitute(word: &str, args: &BTreeMap<String, String>) -> String {
    let mut out = word.to_owned();
    for (name, value) in args {
        out = out
            .replace(&format!("${{{name}}}"), value)
            .replace(&format!("${name}"), value);
    }
    out
}

/// `key="value" other=value` pairs.
fn labels(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key.trim().to_owned();
        let (value, remaining) = match after.strip_prefix('"') {
            Some(quoted) => match quoted.split_once('"') {
                Some((value, remaining)) => (value, remaining),
                None => (quoted, ""),
            },
            None => after.split_once(char::is_whitespace).unwrap_or((after, "")),
        };
        pairs.push((key, value.to_owned()));
        rest = remaining.trim();
    }
    pairs
}

/// Instructions with line continuations joined and comments dropped:
/// (KEYWORD, arguments).
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        // Docker skips comments and blank lines, also inside a continuation.
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        if let Some(part) = trimmed.strip_suffix('\\') {
            current.push_str(part);
            current.push(' ');
            continue;
        }
        current.push_str(trimmed);
        let instruction = std::mem::take(&mut current);
        if let Some((keyword, rest)) = instruction.split_once(char::is_whitespace) {
            out.push((keyword.to_ascii_uppercase(), rest.trim().to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_file(name: &str) -> String {
        std::fs::read_to_string(crate::cmd::workspace_root().join(name)).unwrap()
    }

    fn check(dockerfile: &str) -> Vec<String> {
        problems(dockerfile, &root_file(".dockerignore"))
    }

    fn assert_finds(dockerfile: &str, expected: &str) {
        let found = check(dockerfile);
        assert!(
            found.iter().any(|p| p.contains(expected)),
            "expected {expected:?} in {found:?}"
        );
    }

    #[test]
    fn the_repository_dockerfile_passes() {
        assert_eq!(check(&root_file("Dockerfile")), Vec::<String>::new());
    }

    #[test]
    fn every_rule_can_fail() {
        let good = root_file("Dockerfile");
        assert_finds(
            &good.replace("USER 65532:65532", "USER root"),
            "must be a numeric, non-root uid",
        );
        assert_finds(&good.replace("USER 65532:65532", ""), "no USER");
        assert_finds(
            &good.replace(
                "ENTRYPOINT [\"/usr/local/bin/alerter\"]",
                "ENTRYPOINT /usr/local/bin/alerter",
            ),
            "alerter: ENTRYPOINT is in shell form",
        );
        assert_finds(
            &good.replace(
                "CMD [\"/usr/local/bin/queue-service\", \"healthcheck\"]",
                "NONE",
            ),
            "queue-service: HEALTHCHECK",
        );
        assert_finds(
            &good.replace("org.opencontainers.image.licenses", "org.example.licenses"),
            "no label org.opencontainers.image.licenses",
        );
        assert_finds(
            &good.replace("rust:1.95.0-bookworm", "rust:latest"),
            "base image rust:latest is not pinned",
        );
        assert_finds(
            &good.replace(
                "@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f",
                "",
            ),
            "cc-debian12:nonroot is not pinned",
        );
        assert_finds("FROM rust:1.95.0\nUSER 1\n", "1 stage(s)");
        assert!(
            problems(&good, "target/\n")
                .iter()
                .any(|p| p.contains("must exclude compose/"))
        );
    }

    #[test]
    fn labels_and_continuations_parse() {
        let pairs = labels("a=\"x y\" b=z c=\"\"");
        assert_eq!(
            pairs,
            [
                ("a".into(), "x y".into()),
                ("b".into(), "z".into()),
                ("c".into(), "".into())
            ]
        );
        let parsed = instructions("# c\nRUN a \\\n    b\nUSER 1\n");
        assert_eq!(parsed[0], ("RUN".into(), "a  b".into()));
        assert_eq!(parsed[1], ("USER".into(), "1".into()));
    }
}
