//! E-mail over SMTP (lettre): a multipart text + HTML message per notification.
//!
//! `ALERTER_SMTP_URL` takes lettre's URL forms: `smtp://host:port` (plain, for a
//! local catcher), `smtp://user:pass@host:587?tls=required` (STARTTLS, refused
//! if the server does not offer it), `?tls=opportunistic`, and `smtps://...`
//! (implicit TLS). TLS uses rustls with the webpki (Mozilla) roots.
//!
//! The subject is one line built from labels, with control characters removed,
//! and lettre encodes every header: a label holding CRLF cannot add a header.
//!
//! lettre 0.11.23 leaves Nagle's algorithm on and writes the final `.` of each
//! message separately, so every message waits for the server's delayed ACK
//! (about 40 ms on Linux; fixed upstream by lettre PR #1159, not yet released).
//! Concurrent deliveries (`ALERTER_CHANNEL_CONCURRENCY`) hide it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lettre::message::{Mailbox, Mailboxes, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use super::SendFailure;
use crate::outbox::queue::Claimed;
use crate::render::Renderer;

/// The e-mail channel.
pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Mailboxes,
    renderer: Arc<Renderer>,
}

impl std::fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailChannel")
            .field("from", &self.from.to_string())
            .field("to", &self.to.to_string())
            .finish_non_exhaustive()
    }
}

impl EmailChannel {
    /// A channel sending from `from` to the comma-separated `to` through `smtp_url`.
    pub fn new(
        smtp_url: &SecretString,
        from: &str,
        to: &str,
        timeout: Duration,
        connections: u32,
        renderer: Arc<Renderer>,
    ) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url.expose_secret())
            // lettre's message can quote the URL; say which setting without the secret.
            .map_err(|error| {
                anyhow::anyhow!(
                    "invalid ALERTER_SMTP_URL: {}",
                    redact(&error.to_string(), smtp_url)
                )
            })?
            .timeout(Some(timeout))
            // One parked connection per concurrent delivery, so none is reopened.
            .pool_config(PoolConfig::new().max_size(connections))
            .build();
        let from: Mailbox = from
            .parse()
            .with_context(|| format!("invalid ALERTER_EMAIL_FROM {from:?}"))?;
        let to: Mailboxes = to
            .parse()
            .with_context(|| format!("invalid ALERTER_EMAIL_TO {to:?}"))?;
        anyhow::ensure!(
            to.iter().next().is_some(),
            "ALERTER_EMAIL_TO has no address"
        );
        Ok(Self {
            transport,
            from,
            to,
            renderer,
        })
    }

    /// Renders and sends one delivery.
    pub async fn send(&self, delivery: &Claimed) -> Result<(), SendFailure> {
        let message = self.message(delivery).map_err(|error| SendFailure {
            permanent: true,
            ..SendFailure::temporary(format!("{error:#}"), 0)
        })?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(error) => Err(SendFailure {
                permanent: error.is_permanent(),
                ..SendFailure::temporary(format!("smtp: {error}"), 0)
            }),
        }
    }

    /// The message of `delivery`. Its Message-ID is derived from the delivery, so a
    /// copy re-sent after a crash between sending and recording is recognisable.
    pub fn message(&self, delivery: &Claimed) -> anyhow::Result<Message> {
        let content = self.renderer.email(&delivery.notification)?;
        let domain = self.from.email.domain();
        let key = delivery.dedup_key.get(..16).unwrap_or(&delivery.dedup_key);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(content.subject)
            .message_id(Some(format!(
                "<alerter.{}.{}.{key}@{domain}>",
                delivery.notification_id, delivery.id
            )));
        for mailbox in self.to.iter() {
            builder = builder.to(mailbox.clone());
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                content.text,
                content.html,
            ))
            .context("cannot build the e-mail")
    }
}

/// `text` with the URL's password replaced.
fn redact(text: &str, url: &SecretString) -> String {
    let url = url.expose_secret();
    match url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
    {
        Some((_, password)) if !password.is_empty() => text.replace(password, "***"),
        _ => text.to_owned(),
    }
}
