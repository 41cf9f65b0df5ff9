//! Grafana provisioning (grafana/provisioning/datasources/*.yml): the datasource
//! uids that dashboards may refer to.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct DatasourceFile {
    #[serde(default)]
    datasources: Vec<Datasource>,
}

#[derive(Debug, Deserialize)]
struct Datasource {
    name: String,
    uid: Option<String>,
}

/// The uids of the provisioned datasources; every one must have a uid.
pub fn provisioned_uids(files: &[PathBuf]) -> anyhow::Result<BTreeSet<String>> {
    let mut uids = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(file)?;
        let parsed: DatasourceFile = serde_yaml_ng::from_str(&text)
            .with_context(|| format!("parsing {}", file.display()))?;
        for ds in parsed.datasources {
            let uid = ds.uid.with_context(|| {
                format!(
                    "{}: datasource {} has no fixed uid",
                    file.display(),
                    ds.name
                )
            })?;
            anyhow::ensure!(
                uids.insert(uid.clone()),
                "datasource uid {uid} is provisioned twice"
            );
        }
    }
    Ok(uids)
}
