//! Renders a compose file into its model the way `docker compose config` does,
//! as far as the checks need: YAML anchors and merge keys, `x-` extensions
//! dropped, every string value interpolated from the env file, relative paths
//! made absolute against the file's own directory, and `include:` resolved
//! (each included file with the including file's variables plus its own
//! `env_file`). A resource defined twice differently is refused, as compose
//! refuses it ("conflicts with imported resource").
//!
//! Variables come from the env files only, never from the environment this
//! runs in, so that the check gives the same answer on every machine.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail, ensure};
use serde_yaml_ng::{Mapping, Value};

use super::env_file;
use super::interpolate::{Env, interpolate};
use super::model::{Project, is_host_path, scalar, strings};

/// Deeper than this, an include is assumed to include itself.
const MAX_INCLUDE_DEPTH: usize = 8;

/// Loads `path` with the variables `env`.
pub fn load(path: &Path, env: &Env) -> anyhow::Result<Project> {
    load_at(path, env, 0)
}

fn load_at(path: &Path, env: &Env, depth: usize) -> anyhow::Result<Project> {
    ensure!(
        depth < MAX_INCLUDE_DEPTH,
        "{}: includes nested too deep (a cycle?)",
        path.display()
    );
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut value: Value =
        serde_yaml_ng::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    apply_merges(&mut value).with_context(|| format!("merge keys in {}", path.display()))?;
    let Value::Mapping(mut top) = value else {
        bail!("{}: the top level is not a mapping", path.display());
    };
    top.retain(|key, _| !key.as_str().is_some_and(|k| k.starts_with("x-")));
    let mut value = Value::Mapping(top);
    interpolate_all(&mut value, env, "")
        .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;

    let dir = path.parent().unwrap_or(Path::new("."));
    let mut project = project_of(value, dir)?;
    for include in std::mem::take(&mut project.includes) {
        let (files, env_files) = include_entry(&include)
            .with_context(|| format!("{}: include {include:?}", path.display()))?;
        let mut child_env = env.clone();
        for env_path in env_files {
            child_env.extend(env_file::load(&dir.join(env_path))?);
        }
        for file in files {
            let child = load_at(&dir.join(&file), &child_env, depth + 1)?;
            import(&mut project.model, child)
                .with_context(|| format!("{}: including {file}", path.display()))?;
        }
    }
    Ok(project.model)
}

/// The model plus the includes still to resolve.
struct Loaded {
    model: Project,
    includes: Vec<Value>,
}

fn project_of(value: Value, dir: &Path) -> anyhow::Result<Loaded> {
    let Value::Mapping(mut top) = value else {
        unreachable!("checked by the caller")
    };
    let mut take = |key: &str| match top.remove(key) {
        Some(Value::Mapping(map)) => Ok(map),
        None | Some(Value::Null) => Ok(Mapping::new()),
        Some(other) => bail!("`{key}` is not a mapping: {other:?}"),
    };
    let mut model = Project {
        name: None,
        services: take("services")?,
        networks: take("networks")?,
        volumes: take("volumes")?,
        secrets: take("secrets")?,
        configs: take("configs")?,
    };
    model.name = top.get("name").and_then(scalar);
    let includes = match top.remove("include") {
        Some(Value::Sequence(items)) => items,
        None => Vec::new(),
        Some(other) => bail!("`include` is not a list: {other:?}"),
    };
    top.remove("name");
    top.remove("version");
    if let Some(key) = top.keys().next() {
        bail!("unknown top-level key {key:?}");
    }
    for (_, service) in model.services.iter_mut() {
        absolutize_service(service, dir);
    }
    for resources in [&mut model.secrets, &mut model.configs] {
        for (_, resource) in resources.iter_mut() {
            if let Some(Value::String(file)) = resource.get_mut("file") {
                *file = absolute(dir, file);
            }
        }
    }
    Ok(Loaded { model, includes })
}

/// `include:` entries: a path, or `{path, env_file}`.
fn include_entry(entry: &Value) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    if let Some(path) = scalar(entry) {
        return Ok((vec![path], Vec::new()));
    }
    ensure!(
        entry.get("project_directory").is_none(),
        "`project_directory` is not supported by this check"
    );
    let paths = strings(entry.get("path"));
    ensure!(!paths.is_empty(), "no `path`");
    Ok((paths, strings(entry.get("env_file"))))
}

/// Adds an included project's resources, refusing a different definition of
/// one already there.
fn import(target: &mut Project, child: Project) -> anyhow::Result<()> {
    for (kind, from, into) in [
        ("services", child.services, &mut target.services),
        ("networks", child.networks, &mut target.networks),
        ("volumes", child.volumes, &mut target.volumes),
        ("secrets", child.secrets, &mut target.secrets),
        ("configs", child.configs, &mut target.configs),
    ] {
        for (name, definition) in from {
            match into.get(&name) {
                Some(existing) if *existing == definition => {}
                Some(_) => bail!(
                    "{kind}.{} conflicts with imported resource",
                    scalar(&name).unwrap_or_default()
                ),
                None => {
                    into.insert(name, definition);
                }
            }
        }
    }
    Ok(())
}

/// Applies `<<` merge keys until none is left (a merged mapping may carry its own).
fn apply_merges(value: &mut Value) -> anyhow::Result<()> {
    for _ in 0..8 {
        if !has_merge_key(value) {
            return Ok(());
        }
        value.apply_merge()?;
    }
    bail!("merge keys nested too deep")
}

fn has_merge_key(value: &Value) -> bool {
    match value {
        Value::Mapping(map) => map.contains_key("<<") || map.values().any(has_merge_key),
        Value::Sequence(items) => items.iter().any(has_merge_key),
        _ => false,
    }
}

/// Interpolates every string value (keys are left alone, as compose does).
fn interpolate_all(value: &mut Value, env: &Env, at: &str) -> Result<(), String> {
    match value {
        Value::String(text) => {
            *text = interpolate(text, env).map_err(|error| format!("{at}: {error}"))?;
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate_all(item, env, &format!("{at}[{i}]"))?;
            }
        }
        Value::Mapping(map) => {
            for (key, item) in map.iter_mut() {
                let key = scalar(key).unwrap_or_default();
                let at = if at.is_empty() {
                    key
                } else {
                    format!("{at}.{key}")
                };
                interpolate_all(item, env, &at)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn absolutize_service(service: &mut Value, dir: &Path) {
    match service.get_mut("build") {
        Some(Value::String(context)) => *context = absolute(dir, context),
        Some(Value::Mapping(build)) => {
            if let Some(Value::String(context)) = build.get_mut("context") {
                *context = absolute(dir, context);
            }
        }
        _ => {}
    }
    if let Some(Value::Sequence(volumes)) = service.get_mut("volumes") {
        for volume in volumes {
            match volume {
                Value::String(spec) => {
                    if let Some((source, rest)) = spec.split_once(':')
                        && is_host_path(source)
                    {
                        *spec = format!("{}:{rest}", absolute(dir, source));
                    }
                }
                Value::Mapping(long) => {
                    let is_bind = long.get("type").and_then(scalar).as_deref() == Some("bind");
                    if let Some(Value::String(source)) = long.get_mut("source")
                        && is_bind
                    {
                        *source = absolute(dir, source);
                    }
                }
                _ => {}
            }
        }
    }
}

/// `path` against `dir`, with `.` and `..` resolved lexically.
fn absolute(dir: &Path, path: &str) -> String {
    let joined = dir.join(path);
    let mut out = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn merges_interpolates_and_resolves_paths() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "c/app.yml",
            "name: vigie-${P}\nx-base: &base\n  restart: unless-stopped\nx-more: &more\n  <<: *base\n  read_only: true\nservices:\n  a:\n    <<: *more\n    image: a:${V:-1.0}\n    build: {context: ..}\n    volumes: ['./conf:/conf:ro', 'data:/data']\nsecrets:\n  s:\n    file: ./secrets/${P}/s\n",
        );
        let project = load(&file, &env(&[("P", "dev")])).unwrap();
        assert_eq!(project.name.as_deref(), Some("vigie-dev"));
        let a = &project.services["a"];
        assert_eq!(a["restart"], "unless-stopped", "nested merge keys");
        assert_eq!(a["read_only"], true);
        assert_eq!(a["image"], "a:1.0");
        let root = dir.path().to_string_lossy();
        assert_eq!(a["build"]["context"], root.as_ref());
        assert_eq!(a["volumes"][0], format!("{root}/c/conf:/conf:ro").as_str());
        assert_eq!(a["volumes"][1], "data:/data");
        assert_eq!(
            project.secrets["s"]["file"],
            format!("{root}/c/secrets/dev/s").as_str()
        );
    }

    #[test]
    fn includes_use_their_env_file_and_refuse_conflicts() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "env/prod.env", "P=prod\n");
        write(
            dir.path(),
            "part.yml",
            "services:\n  q:\n    image: q:1\n    networks: {monitoring: {aliases: ['${P}-q']}}\nnetworks:\n  monitoring: {name: shared, internal: true}\n",
        );
        write(
            dir.path(),
            "other.yml",
            "services:\n  r:\n    image: r:1\nnetworks:\n  monitoring: {name: shared, internal: true}\n",
        );
        let top = write(
            dir.path(),
            "top.yml",
            "name: vigie-prod\ninclude:\n  - path: part.yml\n    env_file: env/prod.env\n  - other.yml\n",
        );
        let project = load(&top, &Env::new()).unwrap();
        assert_eq!(project.services.len(), 2);
        assert_eq!(
            project.services["q"]["networks"]["monitoring"]["aliases"][0],
            "prod-q"
        );
        assert_eq!(project.networks.len(), 1, "identical definitions merge");

        write(
            dir.path(),
            "other.yml",
            "services:\n  r:\n    image: r:1\nnetworks:\n  monitoring: {name: shared}\n",
        );
        let error = format!("{:#}", load(&top, &Env::new()).unwrap_err());
        assert!(
            error.contains("networks.monitoring conflicts with imported resource"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_variable_names_the_place() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "c.yml",
            "services:\n  a:\n    ports: ['${PORT}:80']\n",
        );
        let error = format!("{:#}", load(&file, &Env::new()).unwrap_err());
        assert!(
            error.contains("services.a.ports[0]: variable PORT is not set"),
            "{error}"
        );
    }
}
