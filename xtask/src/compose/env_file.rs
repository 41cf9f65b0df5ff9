//! Compose env files (`--env-file`, `include: env_file:`): `NAME=value` lines,
//! `#` comments, blank lines, optional `export ` and quotes. Values are taken
//! literally (the files here need no interpolation inside an env file).

use std::path::Path;

use anyhow::{Context, bail};

use super::interpolate::Env;

/// Parses an env file's text.
pub fn parse(text: &str) -> anyhow::Result<Env> {
    let mut env = Env::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            bail!("line {}: expected NAME=value, got {line:?}", number + 1);
        };
        let name = name.trim();
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            bail!("line {}: {name:?} is not a variable name", number + 1);
        }
        env.insert(name.to_owned(), unquote(value.trim()));
    }
    Ok(env)
}

/// Reads and parses an env file.
pub fn load(path: &Path) -> anyhow::Result<Env> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the env file {}", path.display()))?;
    parse(&text).with_context(|| format!("in {}", path.display()))
}

fn unquote(value: &str) -> String {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner.to_owned();
        }
    }
    // An unquoted value ends at ` #`, as in compose.
    value
        .split_once(" #")
        .map_or(value, |(v, _)| v)
        .trim_end()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_values_comments_and_quotes() {
        let env = parse(
            "# comment\n\nPLATFORM=dev\nexport PORT = 8091 # the gateway\nQ=\"a # b\"\nS='x'\nEMPTY=\n",
        )
        .unwrap();
        assert_eq!(env["PLATFORM"], "dev");
        assert_eq!(env["PORT"], "8091");
        assert_eq!(env["Q"], "a # b");
        assert_eq!(env["S"], "x");
        assert_eq!(env["EMPTY"], "");
    }

    #[test]
    fn malformed_lines_are_refused() {
        assert!(parse("JUST_A_NAME\n").is_err());
        assert!(parse("BAD-NAME=1\n").is_err());
    }
}
