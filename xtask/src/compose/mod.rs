//! `cargo xtask check-compose` (also run by `cargo xtask ci`): the container
//! images and the compose stack, checked without a Docker engine.
//!
//! 1. Every compose file validates against the compose specification's schema
//!    (check-jsonschema), and so does each platform's rendered model.
//! 2. Each platform (dev, qualif, prod) is rendered from the files and its env
//!    file by [`loader`], then checked for hardening ([`hardening`]) and for
//!    agreement with the monitoring configuration ([`consistency`]).
//! 3. The Dockerfile and `.dockerignore` follow the image rules ([`dockerfile`]).
//! 4. `nginx -t` accepts the gateway (native and compose includes, both
//!    policies) and the frontend's config ([`tools`]).
//!
//! docs/compose.md says what each rule is for.

mod consistency;
mod dockerfile;
mod env_file;
mod hardening;
mod interpolate;
mod loader;
mod model;
mod tools;

use std::path::Path;

use anyhow::{Context, bail};
use clap::Args;

use crate::cmd;
use interpolate::Env;
use model::Project;

/// One platform: how it is started, and what it may publish.
#[derive(Debug, Clone, Copy)]
pub struct Platform {
    /// dev, qualif or prod (the project is `vigie-<name>`).
    pub name: &'static str,
    /// The compose file `docker compose -f` is given, from the repository root.
    pub entry: &'static str,
    /// The `--env-file`, when the command passes one.
    pub env_file: Option<&'static str>,
    /// Production has reservations; the others lower priority.
    pub production: bool,
    /// Every (host address, port) it publishes, and nothing else.
    pub published: &'static [(&'static str, u16)],
}

/// The three platforms of the SAE brief.
pub const PLATFORMS: [Platform; 3] = [
    Platform {
        name: "dev",
        entry: "compose/platform.yml",
        env_file: Some("compose/env/dev.env"),
        production: false,
        published: &[("0.0.0.0", 8091)],
    },
    Platform {
        name: "qualif",
        entry: "compose/platform.yml",
        env_file: Some("compose/env/qualif.env"),
        production: false,
        published: &[("0.0.0.0", 8092)],
    },
    Platform {
        name: "prod",
        entry: "compose/observability.yml",
        env_file: None,
        production: true,
        published: &[
            ("0.0.0.0", 8090),
            ("0.0.0.0", 8000),
            ("0.0.0.0", 8080),
            ("0.0.0.0", 3000),
            ("0.0.0.0", 8025),
            ("127.0.0.1", 9090),
            ("127.0.0.1", 9093),
            ("127.0.0.1", 16686),
        ],
    },
];

impl Platform {
    /// The platform's model, rendered from the files under `root`.
    pub fn render(&self, root: &Path) -> anyhow::Result<Project> {
        let env = match self.env_file {
            Some(file) => env_file::load(&root.join(file))?,
            None => Env::new(),
        };
        loader::load(&root.join(self.entry), &env)
            .with_context(|| format!("rendering the {} platform", self.name))
    }

    /// Every hardening and consistency problem of the platform's rendered `project`.
    pub fn problems(&self, project: &Project, root: &Path) -> anyhow::Result<Vec<String>> {
        let mut problems = hardening::problems(project, self, root);
        problems.extend(consistency::problems(project, self, root)?);
        Ok(problems
            .into_iter()
            .map(|p| format!("{}: {p}", self.name))
            .collect())
    }
}

/// `cargo xtask check-compose` options.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print this platform's rendered model (what `docker compose config` would
    /// show: interpolated, includes merged) instead of checking.
    #[arg(long, value_name = "PLATFORM")]
    pub render: Option<String>,
}

/// `cargo xtask check-compose [--render PLATFORM]`.
pub fn run(args: &CheckArgs) -> anyhow::Result<()> {
    let Some(name) = &args.render else {
        return check();
    };
    let platform = PLATFORMS
        .iter()
        .find(|p| p.name == name)
        .with_context(|| format!("no platform {name}: dev, qualif or prod"))?;
    let project = platform.render(&cmd::workspace_root())?;
    print!("{}", serde_yaml_ng::to_string(&project.to_value())?);
    Ok(())
}

/// Runs every check; fails listing all problems found.
pub fn check() -> anyhow::Result<()> {
    let root = cmd::workspace_root();
    let compose_dir = root.join("compose");
    let mut files: Vec<_> = std::fs::read_dir(&compose_dir)
        .with_context(|| format!("listing {}", compose_dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|path| path.extension().is_some_and(|ext| ext == "yml"));
    files.sort();

    // The rendered models are validated too: interpolation must not break them.
    let rendered = tempfile::tempdir().context("creating a temporary directory")?;
    let mut problems = Vec::new();
    let mut services = Vec::new();
    for platform in &PLATFORMS {
        let project = platform.render(&root)?;
        services.push(format!("{} {}", platform.name, project.services.len()));
        let path = rendered
            .path()
            .join(format!("{}.rendered.yml", platform.name));
        std::fs::write(&path, serde_yaml_ng::to_string(&project.to_value())?)?;
        files.push(path);
        problems.extend(platform.problems(&project, &root)?);
    }
    // Reported with the other problems, so that one run shows them all.
    if let Err(error) = tools::check_schema(&files) {
        problems.push(format!("schema: {error:#}"));
    }

    let dockerfile =
        std::fs::read_to_string(root.join("Dockerfile")).context("reading Dockerfile")?;
    let dockerignore =
        std::fs::read_to_string(root.join(".dockerignore")).context("reading .dockerignore")?;
    problems.extend(
        dockerfile::problems(&dockerfile, &dockerignore)
            .into_iter()
            .map(|p| format!("Dockerfile: {p}")),
    );
    if !problems.is_empty() {
        bail!(
            "compose: {} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        );
    }
    let gateways = tools::test_gateway()?;
    let frontend = tools::test_frontend()?;

    println!(
        "compose: {} files and {} rendered platforms valid against the compose schema",
        files.len() - PLATFORMS.len(),
        PLATFORMS.len()
    );
    println!(
        "compose: hardening and monitoring consistency hold for every service ({})",
        services.join(", ")
    );
    println!(
        "compose: Dockerfile targets {} follow the image rules",
        dockerfile::TARGETS.join(", ")
    );
    println!(
        "compose: nginx -t passed on {gateways} gateway configurations{}; all checks passed",
        if frontend { " and the frontend" } else { "" }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_platform_renders_and_passes_the_checks() {
        let root = cmd::workspace_root();
        for platform in &PLATFORMS {
            let project = platform.render(&root).unwrap();
            let problems = platform.problems(&project, &root).unwrap();
            assert!(problems.is_empty(), "{problems:#?}");
        }
    }

    #[test]
    fn platforms_are_isolated_projects() {
        let root = cmd::workspace_root();
        let dev = PLATFORMS[0].render(&root).unwrap();
        let prod = PLATFORMS[2].render(&root).unwrap();
        assert_eq!(dev.name.as_deref(), Some("vigie-dev"));
        assert_eq!(prod.name.as_deref(), Some("vigie-prod"));
        assert_eq!(dev.services.len(), 6, "four queues, Redis, the gateway");
        assert!(
            prod.services.contains_key("students-api")
                && !dev.services.contains_key("students-api")
        );
        let secret = |p: &Project| p.secrets["api_keys"]["file"].as_str().unwrap().to_owned();
        assert!(secret(&dev).ends_with("compose/secrets/dev/api_keys"));
        assert!(secret(&prod).ends_with("compose/secrets/prod/api_keys"));
        let chaos =
            |p: &Project| p.services["queue-rubis"]["environment"]["CHAOS_ENDPOINTS"].clone();
        assert_eq!(chaos(&dev), "true");
        assert_eq!(chaos(&prod), "false");
    }
}
