//! Secrets given either directly (`X`) or as a file path (`X_FILE`, for Docker and
//! Kubernetes secrets). The value never appears in `Debug` output or logs.

use std::path::Path;

use anyhow::{Context, bail};
use secrecy::SecretString;

/// Resolves a secret from its two sources; giving both is an error, since one of
/// them would be silently ignored.
pub fn resolve(
    name: &str,
    value: Option<SecretString>,
    file: Option<&Path>,
) -> anyhow::Result<Option<SecretString>> {
    match (value, file) {
        (Some(_), Some(_)) => bail!("{name} and {name}_FILE are both set: keep only one"),
        (Some(value), None) => Ok(Some(value)),
        (None, Some(path)) => read_file(name, path).map(Some),
        (None, None) => Ok(None),
    }
}

/// Reads a secret file, dropping the trailing newline editors and `echo` add.
pub fn read_file(name: &str, path: &Path) -> anyhow::Result<SecretString> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {name}_FILE at {}", path.display()))?;
    let trimmed = text.trim_end_matches(['\n', '\r']);
    if trimmed.is_empty() {
        bail!("{name}_FILE at {} is empty", path.display());
    }
    Ok(SecretString::from(trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn value_or_file_but_not_both() {
        let dir = std::env::temp_dir().join(format!("vigie-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token");
        std::fs::write(&path, "s3cret\n").unwrap();

        let from_file = resolve("TOKEN", None, Some(&path)).unwrap().unwrap();
        assert_eq!(from_file.expose_secret(), "s3cret");

        let direct = resolve("TOKEN", Some("abc".into()), None).unwrap().unwrap();
        assert_eq!(direct.expose_secret(), "abc");

        let both = resolve("TOKEN", Some("abc".into()), Some(&path)).unwrap_err();
        assert!(both.to_string().contains("TOKEN and TOKEN_FILE"));

        assert!(resolve("TOKEN", None, None).unwrap().is_none());
        let missing = resolve("TOKEN", None, Some(&dir.join("nope"))).unwrap_err();
        assert!(format!("{missing:#}").contains("cannot read TOKEN_FILE"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
