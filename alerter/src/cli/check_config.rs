//! `alerter check-config`: resolve every setting, load the routing file, compile
//! the templates and render a sample through each, without starting anything.

use crate::cli::sample_notification;
use crate::config::Config;
use crate::settings::Settings;

/// Checks `config`; returns a summary to print, or the first problem found.
pub fn check_config(config: &Config) -> anyhow::Result<String> {
    let settings = Settings::resolve(config)?;
    let url = settings::database_scheme(&settings)?;
    let sample = sample_notification();
    settings.renderer.email(&sample)?;
    settings.renderer.matrix(&sample)?;
    let channels: Vec<&str> = settings
        .channel_names()
        .iter()
        .map(|c| c.as_str())
        .collect();
    Ok(format!(
        "configuration is valid: channels {}, database {url}, routes to {:?} by default for the sample alert",
        channels.join(", "),
        settings.routing.channels_for(&sample)
    ))
}

mod settings {
    use secrecy::ExposeSecret;

    use crate::settings::Settings;

    /// The database kind, checked without connecting.
    pub(super) fn database_scheme(settings: &Settings) -> anyhow::Result<&'static str> {
        let url = settings.database_url.expose_secret();
        if url.starts_with("sqlite:") {
            Ok("sqlite")
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok("postgres")
        } else {
            anyhow::bail!("ALERTER_DATABASE_URL must start with sqlite:// or postgres://")
        }
    }
}
