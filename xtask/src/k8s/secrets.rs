//! The Secrets are not in the manifests (they are created in the cluster by
//! `deploy/k8s/create-secrets.sh`), so nothing else would notice a pod that
//! mounts a Secret key the script never creates: this runs the script with
//! `--dry-run` and checks that every Secret and key the platform's pods and
//! AlertmanagerConfig reference is among what it prints.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use anyhow::{Context, bail};
use serde_yaml_ng::Value;

use super::manifest::{self, Object, str_at};
use super::tools;

/// The script, relative to the workspace root.
const SCRIPT: &str = "deploy/k8s/create-secrets.sh";

/// Secrets the operator provides another way: the TLS certificate of the
/// Ingress (cert-manager, or `kubectl create secret tls`).
const PROVIDED_ELSEWHERE: &[&str] = &["vigie-tls"];

/// Secret name -> its keys.
type Keys = BTreeMap<String, BTreeSet<String>>;

/// What `create-secrets.sh <platform> --dry-run` would create.
pub fn created(platform: &str) -> anyhow::Result<Keys> {
    let kubectl = tools::kubectl()?;
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(dir) = kubectl.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut dirs = vec![dir.to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        path = std::env::join_paths(dirs)?;
    }
    let out = Command::new("sh")
        .args([SCRIPT, platform, "--dry-run"])
        .current_dir(crate::cmd::workspace_root())
        .env("PATH", path)
        .env("ALERTER_SMTP_URL", "smtp://relay.example.invalid:587")
        .output()
        .with_context(|| format!("running {SCRIPT}"))?;
    if !out.status.success() {
        bail!(
            "{SCRIPT} {platform} --dry-run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let objects = manifest::parse_all(&String::from_utf8(out.stdout)?)?;
    Ok(keys_of(&objects))
}

fn keys_of(secrets: &[Object]) -> Keys {
    secrets
        .iter()
        .filter(|o| o.kind() == "Secret")
        .map(|secret| {
            let keys = secret
                .get(&["data"])
                .and_then(Value::as_mapping)
                .into_iter()
                .flatten()
                .filter_map(|(k, _)| k.as_str().map(str::to_owned))
                .collect();
            (secret.name().to_owned(), keys)
        })
        .collect()
}

/// References to Secrets, or keys, that `created` lacks.
pub fn missing(objects: &[Object], created: &Keys) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check = |at: String, name: &str, key: Option<&str>| {
        if PROVIDED_ELSEWHERE.contains(&name) {
            return;
        }
        match (created.get(name), key) {
            (None, _) => problems.push(format!("{at}: Secret {name} is not created by {SCRIPT}")),
            (Some(keys), Some(key)) if !keys.contains(key) => {
                problems.push(format!("{at}: Secret {name} has no key {key} in {SCRIPT}"))
            }
            _ => {}
        }
    };
    for object in objects {
        for (name, key) in references(object) {
            check(object.id(), &name, key.as_deref());
        }
    }
    problems
}

/// (Secret, key) pairs an object reads; no key when it mounts the whole Secret.
fn references(object: &Object) -> Vec<(String, Option<String>)> {
    let mut refs = Vec::new();
    if let Some(pod) = object.pod_spec() {
        for volume in manifest::items(pod, &["volumes"]) {
            if let Some(secret) = volume.get("secret") {
                add_mounted(&mut refs, secret, "secretName");
            }
            for source in manifest::items(volume, &["projected", "sources"]) {
                if let Some(secret) = source.get("secret") {
                    add_mounted(&mut refs, secret, "name");
                }
            }
        }
        let containers =
            manifest::items(pod, &["containers"]).chain(manifest::items(pod, &["initContainers"]));
        for env in containers.flat_map(|c| manifest::items(c, &["env"])) {
            if let Some(reference) = manifest::get(env, &["valueFrom", "secretKeyRef"]) {
                add_key(&mut refs, reference);
            }
        }
    }
    for receiver in manifest::items(&object.0, &["spec", "receivers"]) {
        for hook in manifest::items(receiver, &["webhookConfigs"]) {
            let credentials = ["httpConfig", "authorization", "credentials"];
            if let Some(reference) = manifest::get(hook, &credentials) {
                add_key(&mut refs, reference);
            }
        }
    }
    for tls in manifest::items(&object.0, &["spec", "tls"]) {
        if let Some(name) = str_at(tls, &["secretName"]) {
            refs.push((name.to_owned(), None));
        }
    }
    refs
}

/// A mounted Secret: its listed keys, or the whole Secret.
fn add_mounted(refs: &mut Vec<(String, Option<String>)>, secret: &Value, name_field: &str) {
    let Some(name) = str_at(secret, &[name_field]) else {
        return;
    };
    let keys: Vec<_> = manifest::items(secret, &["items"])
        .filter_map(|i| str_at(i, &["key"]))
        .collect();
    if keys.is_empty() {
        refs.push((name.to_owned(), None));
    }
    refs.extend(
        keys.into_iter()
            .map(|key| (name.to_owned(), Some(key.to_owned()))),
    );
}

/// A `{name, key}` reference.
fn add_key(refs: &mut Vec<(String, Option<String>)>, reference: &Value) {
    if let (Some(name), Some(key)) = (str_at(reference, &["name"]), str_at(reference, &["key"])) {
        refs.push((name.to_owned(), Some(key.to_owned())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes:\n\
        \x20   - name: s\n      projected:\n        sources:\n\
        \x20         - secret: {name: redis, items: [{key: url, path: redis_url}]}\n\
        \x20   - {name: t, secret: {secretName: alerter}}\n";

    fn created(pairs: &[(&str, &[&str])]) -> Keys {
        pairs
            .iter()
            .map(|(name, keys)| {
                (
                    name.to_string(),
                    keys.iter().map(|k| k.to_string()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn a_mounted_key_the_script_does_not_create_is_reported() {
        let objects = manifest::parse_all(POD).unwrap();
        let all = created(&[
            ("redis", &["url", "redis.conf"]),
            ("alerter", &["webhook_token"]),
        ]);
        assert!(missing(&objects, &all).is_empty());
        let problems = missing(&objects, &created(&[("redis", &["redis.conf"])]));
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].contains("Secret redis has no key url"));
        assert!(problems[1].contains("Secret alerter is not created"));
    }

    #[test]
    fn the_script_creates_what_every_platform_mounts() {
        for platform in super::super::PLATFORMS {
            let rendered = super::super::render::overlay(platform).unwrap();
            let problems = missing(&rendered.objects, &super::created(platform).unwrap());
            assert!(problems.is_empty(), "{platform}: {problems:#?}");
        }
    }
}
