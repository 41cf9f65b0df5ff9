//! The queue's name, validated once at startup: it ends up in Redis keys and in the
//! `queue` metric label, so it must stay short and plain.

use std::fmt;
use std::sync::Arc;

/// A name matching `[A-Za-z0-9_-]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueueName(Arc<str>);

impl QueueName {
    /// Validates `name`, explaining what is wrong when it is refused.
    pub fn parse(name: &str) -> Result<Self, String> {
        if name.is_empty() || name.len() > 64 {
            return Err(format!(
                "queue name must be 1 to 64 characters long, got {}",
                name.len()
            ));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(format!(
                "queue name {name:?} contains {bad:?}: only letters, digits, '_' and '-' are allowed"
            ));
        }
        Ok(Self(Arc::from(name)))
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a shared string, cheap to put in every response.
    pub fn shared(&self) -> Arc<str> {
        Arc::clone(&self.0)
    }
}

impl fmt::Display for QueueName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_default_and_team_names() {
        for name in ["DEFAULT", "rubis", "Saphir", "team_2-b", &"a".repeat(64)] {
            assert!(QueueName::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn refuses_what_would_break_keys_or_labels() {
        for name in ["", "with space", "a:b", "é", "a{b}", &"a".repeat(65)] {
            assert!(QueueName::parse(name).is_err(), "{name}");
        }
        let message = QueueName::parse("bad name").unwrap_err();
        assert!(message.contains("only letters, digits"), "{message}");
    }
}
