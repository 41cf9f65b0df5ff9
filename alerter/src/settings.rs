//! The configuration, resolved and checked once: secrets read from their `_FILE`
//! variants, channels built, routes and templates loaded. The service,
//! `check-config` and `send-test` all start from here, so they agree.

use std::sync::Arc;

use anyhow::Context;
use secrecy::SecretString;
use telemetry::secrets::resolve;

use crate::auth::WebhookToken;
use crate::channels::{Channel, ChannelName, EmailChannel, MatrixChannel};
use crate::config::Config;
use crate::outbox::DEFAULT_DATABASE_URL;
use crate::render::{LinkSettings, Renderer};
use crate::routing::{ConfigFile, Routing};

/// Everything the service needs, checked.
#[derive(Debug)]
pub struct Settings {
    /// The webhook's bearer token.
    pub token: WebhookToken,
    /// The outbox database.
    pub database_url: SecretString,
    /// Configured channels (at least one).
    pub channels: Vec<Channel>,
    /// Which channels each notification goes to.
    pub routing: Routing,
    /// The templates.
    pub renderer: Arc<Renderer>,
}

impl Settings {
    /// Resolves `config`; every problem is reported with the setting's name.
    pub fn resolve(config: &Config) -> anyhow::Result<Self> {
        let token = resolve(
            "ALERTER_WEBHOOK_TOKEN",
            config.webhook_token.clone(),
            config.webhook_token_file.as_deref(),
        )?
        .context("no webhook token: set ALERTER_WEBHOOK_TOKEN or ALERTER_WEBHOOK_TOKEN_FILE")?;
        let token = WebhookToken::new(&token)?;
        let database_url = database_url(config)?;
        let file = match &config.config_file {
            Some(path) => ConfigFile::load(path)?,
            None => ConfigFile::default(),
        };
        let links = LinkSettings {
            prometheus_url: config.prometheus_url.clone(),
            alertmanager_url: config.alertmanager_url.clone(),
        };
        let renderer = Arc::new(Renderer::load(file.templates_dir.as_deref(), links)?);
        let channels = channels(config, &renderer)?;
        let names: Vec<ChannelName> = channels.iter().map(Channel::name).collect();
        let routing = Routing::new(&file, &names).with_context(|| {
            format!("invalid routes in ALERTER_CONFIG {:?}", config.config_file)
        })?;
        Ok(Self {
            token,
            database_url,
            channels,
            routing,
            renderer,
        })
    }

    /// The configured channel names.
    pub fn channel_names(&self) -> Vec<ChannelName> {
        self.channels.iter().map(Channel::name).collect()
    }
}

/// `ALERTER_DATABASE_URL`(`_FILE`), or the default SQLite file.
pub fn database_url(config: &Config) -> anyhow::Result<SecretString> {
    let url = resolve(
        "ALERTER_DATABASE_URL",
        config.database_url.clone(),
        config.database_url_file.as_deref(),
    )?;
    Ok(url.unwrap_or_else(|| DEFAULT_DATABASE_URL.into()))
}

fn channels(config: &Config, renderer: &Arc<Renderer>) -> anyhow::Result<Vec<Channel>> {
    let mut channels = Vec::new();
    let smtp_url = resolve(
        "ALERTER_SMTP_URL",
        config.smtp_url.clone(),
        config.smtp_url_file.as_deref(),
    )?;
    match (smtp_url, &config.email_from, &config.email_to) {
        (None, None, None) => {}
        (Some(url), Some(from), Some(to)) => {
            channels.push(Channel::Email(Arc::new(EmailChannel::new(
                &url,
                from,
                to,
                config.send_timeout(),
                u32::try_from(config.channel_concurrency.max(1)).unwrap_or(u32::MAX),
                Arc::clone(renderer),
            )?)))
        }
        (url, from, to) => anyhow::bail!(
            "e-mail is half configured: set all of ALERTER_SMTP_URL, ALERTER_EMAIL_FROM and ALERTER_EMAIL_TO (missing: {})",
            missing(&[
                ("ALERTER_SMTP_URL", url.is_some()),
                ("ALERTER_EMAIL_FROM", from.is_some()),
                ("ALERTER_EMAIL_TO", to.is_some())
            ])
        ),
    }
    let token = resolve(
        "ALERTER_MATRIX_ACCESS_TOKEN",
        config.matrix_access_token.clone(),
        config.matrix_access_token_file.as_deref(),
    )?;
    match (&config.matrix_homeserver, token, &config.matrix_room_id) {
        (None, None, None) => {}
        (Some(homeserver), Some(token), Some(room)) => {
            channels.push(Channel::Matrix(Arc::new(MatrixChannel::new(
                homeserver,
                token,
                room,
                config.send_timeout(),
                Arc::clone(renderer),
            )?)))
        }
        (homeserver, token, room) => anyhow::bail!(
            "Matrix is half configured: set all of ALERTER_MATRIX_HOMESERVER, ALERTER_MATRIX_ACCESS_TOKEN and ALERTER_MATRIX_ROOM_ID (missing: {})",
            missing(&[
                ("ALERTER_MATRIX_HOMESERVER", homeserver.is_some()),
                ("ALERTER_MATRIX_ACCESS_TOKEN", token.is_some()),
                ("ALERTER_MATRIX_ROOM_ID", room.is_some())
            ])
        ),
    }
    anyhow::ensure!(
        !channels.is_empty(),
        "no channel configured: set ALERTER_SMTP_URL, ALERTER_EMAIL_FROM and ALERTER_EMAIL_TO for e-mail, \
         and/or ALERTER_MATRIX_HOMESERVER, ALERTER_MATRIX_ACCESS_TOKEN and ALERTER_MATRIX_ROOM_ID for Matrix"
    );
    Ok(channels)
}

fn missing(settings: &[(&str, bool)]) -> String {
    settings
        .iter()
        .filter(|(_, set)| !set)
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}
