//! Compose's variable interpolation, as the compose specification defines it:
//! `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
//! `${VAR?error}`, `${VAR:+replacement}`, `${VAR+replacement}`, and `$$` for a
//! literal `$`. Defaults and replacements are interpolated too (`${A:-${B}}`).
//!
//! One difference, on purpose: a variable that is unset and has no default is an
//! error here, where compose would warn and use an empty string. In a checked
//! file that is always a mistake (a name missing from an env file).

use std::collections::BTreeMap;

/// Variables, by name.
pub type Env = BTreeMap<String, String>;

/// Interpolates `text` with `env`; the error says which variable and why.
pub fn interpolate(text: &str, env: &Env) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = closing_brace(inner).ok_or_else(|| format!("unclosed `${{` in {text:?}"))?;
            out.push_str(&expand(&inner[..end], env)?);
            rest = &inner[end + 1..];
        } else {
            let len = name_len(after);
            if len == 0 {
                return Err(format!(
                    "a lone `$` in {text:?}: write `$$` for a literal dollar"
                ));
            }
            out.push_str(&lookup(&after[..len], env)?);
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The index of the `}` closing a `${`, counting nested `${...}`.
fn closing_brace(inner: &str) -> Option<usize> {
    let bytes = inner.as_bytes();
    let mut depth = 1;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn name_len(text: &str) -> usize {
    let first_ok = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok {
        return 0;
    }
    text.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .count()
}

fn lookup(name: &str, env: &Env) -> Result<String, String> {
    env.get(name)
        .cloned()
        .ok_or_else(|| format!("variable {name} is not set and has no default"))
}

/// The inside of `${...}`.
fn expand(expr: &str, env: &Env) -> Result<String, String> {
    let len = name_len(expr);
    if len == 0 {
        return Err(format!("`${{{expr}}}` does not start with a variable name"));
    }
    let (name, op) = expr.split_at(len);
    let value = env.get(name);
    let set = value.is_some();
    let non_empty = value.is_some_and(|v| !v.is_empty());
    let (operator, argument) =
        split_operator(op).ok_or_else(|| format!("`${{{expr}}}`: unknown operator {op:?}"))?;
    match operator {
        "" => lookup(name, env),
        ":-" if non_empty => lookup(name, env),
        "-" if set => lookup(name, env),
        ":-" | "-" => interpolate(argument, env),
        ":?" if non_empty => lookup(name, env),
        "?" if set => lookup(name, env),
        ":?" | "?" => Err(format!(
            "variable {name} is required: {}",
            interpolate(argument, env)?
        )),
        ":+" if non_empty => interpolate(argument, env),
        "+" if set => interpolate(argument, env),
        _ => Ok(String::new()),
    }
}

fn split_operator(op: &str) -> Option<(&str, &str)> {
    if op.is_empty() {
        return Some(("", ""));
    }
    [":-", ":?", ":+", "-", "?", "+"]
        .into_iter()
        .find(|candidate| op.starts_with(candidate))
        .map(|candidate| (candidate, &op[candidate.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        [("PLATFORM", "dev"), ("EMPTY", ""), ("PORT", "8091")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn ok(text: &str) -> String {
        interpolate(text, &env()).unwrap()
    }

    #[test]
    fn plain_and_braced_names() {
        assert_eq!(ok("vigie-$PLATFORM"), "vigie-dev");
        assert_eq!(ok("vigie-${PLATFORM}-x"), "vigie-dev-x");
        assert_eq!(ok("${PORT}:80"), "8091:80");
        assert_eq!(ok("no variable"), "no variable");
    }

    #[test]
    fn dollar_dollar_is_a_literal_dollar() {
        assert_eq!(ok("^/(dev|proc)($$|/)"), "^/(dev|proc)($|/)");
        assert_eq!(ok("$${PLATFORM}"), "${PLATFORM}");
    }

    #[test]
    fn defaults_distinguish_unset_from_empty() {
        assert_eq!(ok("${UNSET:-d}"), "d");
        assert_eq!(ok("${EMPTY:-d}"), "d");
        assert_eq!(ok("${EMPTY-d}"), "");
        assert_eq!(ok("${UNSET-d}"), "d");
        assert_eq!(ok("${PLATFORM:-d}"), "dev");
    }

    #[test]
    fn defaults_are_interpolated() {
        assert_eq!(ok("${UNSET:-${PLATFORM}-x}"), "dev-x");
        assert_eq!(ok("${UNSET:-${ALSO_UNSET:-deep}}"), "deep");
    }

    #[test]
    fn required_variables_fail_with_their_message() {
        assert_eq!(ok("${PLATFORM:?set it}"), "dev");
        let error = interpolate("${UNSET:?set PLATFORM, e.g. dev}", &env()).unwrap_err();
        assert_eq!(error, "variable UNSET is required: set PLATFORM, e.g. dev");
        assert!(interpolate("${EMPTY:?x}", &env()).is_err());
        assert_eq!(ok("${EMPTY?x}"), "");
    }

    #[test]
    fn replacements_apply_only_when_set() {
        assert_eq!(ok("${PLATFORM:+yes}"), "yes");
        assert_eq!(ok("${EMPTY:+yes}"), "");
        assert_eq!(ok("${EMPTY+yes}"), "yes");
        assert_eq!(ok("${UNSET+yes}"), "");
    }

    #[test]
    fn mistakes_are_errors() {
        for bad in [
            "${UNSET}",
            "$UNSET",
            "${",
            "${PLATFORM",
            "a $ b",
            "${:-x}",
            "${PLATFORM!x}",
        ] {
            assert!(interpolate(bad, &env()).is_err(), "{bad}");
        }
    }
}
