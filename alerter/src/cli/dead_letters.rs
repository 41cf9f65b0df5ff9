//! `alerter dead-letters list|replay`: what was given up on, and sending it again.
//! Works on the outbox directly, with the service running or not.

use crate::config::{Config, DeadLetterAction};
use crate::outbox::Outbox;
use crate::settings::database_url;

/// Runs `action`; returns what to print.
pub async fn dead_letters(config: &Config, action: &DeadLetterAction) -> anyhow::Result<String> {
    let outbox = Outbox::connect(&database_url(config)?).await?;
    let output = match action {
        DeadLetterAction::List => {
            let letters = outbox.dead_letters().await?;
            let mut lines: Vec<String> = letters
                .iter()
                .map(|letter| serde_json::to_string(letter).unwrap_or_default())
                .collect();
            lines.push(format!("{} dead letter(s)", letters.len()));
            lines.join("\n")
        }
        DeadLetterAction::Replay { ids, all } => {
            anyhow::ensure!(
                *all || !ids.is_empty(),
                "name the delivery ids to replay, or pass --all"
            );
            let replayed = outbox
                .replay_dead_letters((!*all).then_some(ids.as_slice()))
                .await?;
            format!(
                "{replayed} dead letter(s) queued again; a running alerter delivers them within a second"
            )
        }
    };
    outbox.close().await;
    Ok(output)
}
