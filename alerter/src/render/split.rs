//! Splitting a group too large for one Matrix event. Homeservers refuse events
//! over 64 KiB (content, envelope and signatures together), so each part's content
//! is kept under [`MAX_MATRIX_CONTENT_BYTES`]: alerts are halved until every part
//! fits, and a single alert that still does not fit has its long values cut.

use super::MatrixContent;
use crate::payload::{Alert, Notification};

/// Largest serialized event content sent, leaving room for the event envelope.
pub const MAX_MATRIX_CONTENT_BYTES: usize = 60_000;

/// Longest label or annotation value kept in an alert too large on its own.
const CUT_VALUE_CHARS: usize = 1_000;

/// Renders `notification` in as many parts as needed; `render` gets the alerts of a
/// part and `(part, parts)`.
pub(super) fn matrix_parts(
    notification: &Notification,
    render: impl Fn(&[Alert], (usize, usize)) -> anyhow::Result<MatrixContent>,
) -> anyhow::Result<Vec<MatrixContent>> {
    // Chunks of alerts; halved until each renders small enough. The part count is
    // not known until the end, so sizes are checked with a placeholder count that
    // takes as many characters as any real one.
    let mut chunks: Vec<Vec<Alert>> = vec![notification.alerts.clone()];
    let placeholder = (notification.alerts.len(), notification.alerts.len());
    loop {
        let mut next = Vec::with_capacity(chunks.len());
        let mut changed = false;
        for chunk in chunks {
            if fits(&render(&chunk, placeholder)?) {
                next.push(chunk);
            } else if chunk.len() > 1 {
                let mut first = chunk;
                let second = first.split_off(first.len() / 2);
                next.push(first);
                next.push(second);
                changed = true;
            } else {
                next.push(chunk.into_iter().map(cut_values).collect());
            }
        }
        chunks = next;
        if !changed {
            break;
        }
    }
    let parts = chunks.len();
    chunks
        .iter()
        .enumerate()
        .map(|(index, chunk)| {
            let content = render(chunk, (index + 1, parts))?;
            Ok(if fits(&content) {
                content
            } else {
                last_resort(&content)
            })
        })
        .collect()
}

fn size(content: &MatrixContent) -> usize {
    serde_json::json!({
        "msgtype": "m.notice",
        "format": "org.matrix.custom.html",
        "body": content.body,
        "formatted_body": content.formatted_body,
    })
    .to_string()
    .len()
}

fn fits(content: &MatrixContent) -> bool {
    size(content) <= MAX_MATRIX_CONTENT_BYTES
}

fn cut_values(mut alert: Alert) -> Alert {
    for value in alert
        .labels
        .values_mut()
        .chain(alert.annotations.values_mut())
    {
        if value.chars().count() > CUT_VALUE_CHARS {
            let cut: String = value.chars().take(CUT_VALUE_CHARS).collect();
            *value = format!("{cut}… (cut)");
        }
    }
    alert
}

/// Even cut values do not fit (thousands of labels): send the text alone, cut, so
/// that the alert is still seen.
fn last_resort(content: &MatrixContent) -> MatrixContent {
    // JSON escaping can double a character's size; a quarter leaves ample room.
    let limit = MAX_MATRIX_CONTENT_BYTES / 4;
    let mut body: String = content.body.chars().take(limit).collect();
    body.push_str("\n… (message cut: too large for one Matrix event)");
    let formatted_body = format!(
        "<pre>{}</pre>",
        body.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    );
    MatrixContent {
        body,
        formatted_body,
    }
}

/// Whether `content` fits in one event (for the tests).
#[cfg(test)]
pub(super) fn fits_for_test(content: &MatrixContent) -> bool {
    fits(content)
}
