//! `cargo xtask gen-k8s`: the files of deploy/k8s/ that are copies or
//! translations of the project's single sources, since kustomize reads no file
//! outside its tree:
//!
//! - `deploy/k8s/monitoring/`: a PrometheusRule per `prometheus/rules/*.yml`,
//!   a dashboard ConfigMap per `grafana/dashboards/*.json`, the
//!   AlertmanagerConfig translated from `prometheus/alertmanager.yml`, and the
//!   kustomization listing them;
//! - `deploy/k8s/components/students/`: byte-for-byte copies of the dashboard
//!   page's `nginx.conf` and `index.html` (into `frontend/`) and of compose's
//!   PostgreSQL init script (into `initdb/`).
//!
//! `cargo xtask check-k8s` regenerates them in memory and fails on any
//! difference, a missing file or a stray one.

mod alertmanager;
mod dashboards;
mod rules;

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_yaml_ng::{Mapping, Value};

/// Where the monitoring objects are written.
pub const MONITORING_DIR: &str = "deploy/k8s/monitoring";

/// Files copied verbatim: (source, destination directory). Every file of a
/// destination directory must be one of these.
const COPIES: &[(&str, &str)] = &[
    (
        "services/students/frontend/nginx.conf",
        "deploy/k8s/components/students/frontend",
    ),
    (
        "services/students/frontend/index.html",
        "deploy/k8s/components/students/frontend",
    ),
    (
        "compose/postgres/initdb/10-students-role.sh",
        "deploy/k8s/components/students/initdb",
    ),
];

/// The labels every generated object carries; `release` is what
/// kube-prometheus-stack selects rules on (docs/operations.md).
const RELEASE: &str = "kube-prometheus-stack";

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Relative to the workspace root.
    pub path: PathBuf,
    /// Its exact contents.
    pub contents: Vec<u8>,
}

/// Every generated file, from the sources under `root`.
pub fn all(root: &Path) -> anyhow::Result<Vec<File>> {
    let monitoring = Path::new(MONITORING_DIR);
    let mut objects = rules::prometheus_rules(&root.join("prometheus/rules"))?;
    objects.extend(dashboards::config_maps(&root.join("grafana/dashboards"))?);
    objects.push(alertmanager::config(
        &root.join("prometheus/alertmanager.yml"),
    )?);

    let mut files: Vec<File> = objects
        .iter()
        .map(|object| File {
            path: monitoring.join(&object.file),
            contents: object.text.clone().into_bytes(),
        })
        .collect();
    files.push(File {
        path: monitoring.join("kustomization.yaml"),
        contents: kustomization(&objects).into_bytes(),
    });
    for (source, dir) in COPIES {
        let name = Path::new(source)
            .file_name()
            .context("a copy has no file name")?;
        files.push(File {
            path: Path::new(dir).join(name),
            contents: std::fs::read(root.join(source))
                .with_context(|| format!("reading {source}"))?,
        });
    }
    Ok(files)
}

/// Writes `files` under `root` and removes stray files from the generated
/// directories; returns the paths it changed.
pub fn write(root: &Path, files: &[File]) -> anyhow::Result<Vec<String>> {
    let mut changed = Vec::new();
    for file in files {
        let path = root.join(&file.path);
        if std::fs::read(&path).ok().as_deref() != Some(file.contents.as_slice()) {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, &file.contents)
                .with_context(|| format!("writing {}", path.display()))?;
            changed.push(file.path.display().to_string());
        }
    }
    for stray in strays(root, files)? {
        std::fs::remove_file(root.join(&stray))?;
        changed.push(format!("{} (removed)", stray.display()));
    }
    Ok(changed)
}

/// How the files under `root` differ from `files`: one line per file.
pub fn differences(root: &Path, files: &[File]) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for file in files {
        match std::fs::read(root.join(&file.path)) {
            Ok(contents) if contents == file.contents => {}
            Ok(_) => problems.push(format!("{} differs from its sources", file.path.display())),
            Err(_) => problems.push(format!("{} is missing", file.path.display())),
        }
    }
    for stray in strays(root, files)? {
        problems.push(format!(
            "{} is not generated from any source",
            stray.display()
        ));
    }
    Ok(problems)
}

/// Files in the generated directories that `files` does not list.
fn strays(root: &Path, files: &[File]) -> anyhow::Result<Vec<PathBuf>> {
    let mut strays = Vec::new();
    let mut dirs: Vec<&str> = COPIES.iter().map(|(_, dir)| *dir).collect();
    dirs.push(MONITORING_DIR);
    dirs.dedup();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries {
            let path = Path::new(dir).join(entry?.file_name());
            if !files.iter().any(|f| f.path == path) {
                strays.push(path);
            }
        }
    }
    strays.sort();
    Ok(strays)
}

/// One generated Kubernetes object: its file name and YAML text.
#[derive(Debug)]
struct Generated {
    file: String,
    text: String,
}

impl Generated {
    /// `object` as YAML under a header naming its source.
    fn new(file: String, source: &str, object: &Value) -> anyhow::Result<Self> {
        let text = format!(
            "# Generated by `cargo xtask gen-k8s` from {source}: do not edit.\n{}",
            serde_yaml_ng::to_string(object)?
        );
        Ok(Self { file, text })
    }
}

fn kustomization(objects: &[Generated]) -> String {
    let mut text = String::from(
        "# Generated by `cargo xtask gen-k8s`: the monitoring objects for\n\
         # kube-prometheus-stack, included by overlays/prod. Do not edit.\n\
         apiVersion: kustomize.config.k8s.io/v1beta1\n\
         kind: Kustomization\n\
         resources:\n",
    );
    for object in objects {
        text.push_str(&format!("  - {}\n", object.file));
    }
    text
}

/// A YAML mapping with its keys in the given order.
fn mapping(pairs: Vec<(&str, Value)>) -> Value {
    let mut map = Mapping::new();
    for (key, value) in pairs {
        map.insert(Value::from(key), value);
    }
    Value::Mapping(map)
}

/// `metadata` with the labels every generated object carries, plus `extra`.
fn metadata(name: &str, extra: Vec<(&str, Value)>) -> Value {
    let mut labels = vec![
        ("app.kubernetes.io/part-of", Value::from("vigie")),
        ("release", Value::from(RELEASE)),
    ];
    labels.extend(extra);
    mapping(vec![
        ("name", Value::from(name)),
        ("labels", mapping(labels)),
    ])
}

/// The sorted files of `dir` whose names end with one of `extensions`.
fn sorted_files(dir: &Path, extensions: &[&str]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.extension()
                .and_then(|ext| ext.to_str())
                .is_some_and(|ext| extensions.contains(&ext))
        })
        .collect();
    files.sort();
    anyhow::ensure!(
        !files.is_empty(),
        "no {extensions:?} file in {}",
        dir.display()
    );
    Ok(files)
}

/// A file's stem as a Kubernetes name part: `platform-overview`.
fn stem(path: &Path) -> anyhow::Result<String> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .with_context(|| format!("bad file name {}", path.display()))?;
    let name = stem.to_ascii_lowercase().replace('_', "-");
    anyhow::ensure!(
        name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
        "{} cannot name a Kubernetes object",
        path.display()
    );
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_sources_generate_what_is_committed() {
        let root = crate::cmd::workspace_root();
        let files = all(&root).unwrap();
        let problems = differences(&root, &files).unwrap();
        assert!(
            problems.is_empty(),
            "run `cargo xtask gen-k8s`:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn a_changed_missing_or_stray_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![
            File {
                path: Path::new(MONITORING_DIR).join("a.yaml"),
                contents: b"a".to_vec(),
            },
            File {
                path: Path::new(MONITORING_DIR).join("b.yaml"),
                contents: b"b".to_vec(),
            },
        ];
        assert_eq!(write(dir.path(), &files).unwrap().len(), 2);
        assert!(differences(dir.path(), &files).unwrap().is_empty());
        assert!(
            write(dir.path(), &files).unwrap().is_empty(),
            "nothing to rewrite"
        );

        let monitoring = dir.path().join(MONITORING_DIR);
        std::fs::write(monitoring.join("a.yaml"), "edited").unwrap();
        std::fs::remove_file(monitoring.join("b.yaml")).unwrap();
        std::fs::write(monitoring.join("old.yaml"), "x").unwrap();
        let problems = differences(dir.path(), &files).unwrap();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].ends_with("a.yaml differs from its sources"));
        assert!(problems[1].ends_with("b.yaml is missing"));
        assert!(problems[2].ends_with("old.yaml is not generated from any source"));
    }
}
