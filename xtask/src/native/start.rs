//! Starting each component of the native stack with its generated configuration.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use super::components::{binaries, scrape_targets, service_command};
use super::layout::Layout;
use super::monitoring_config::{self, Target, Timings};
use super::{matrix, ports, secrets, supervisor};
use crate::cmd;

/// What a run of the stack needs to start its components.
#[derive(Debug, Clone)]
pub struct StackContext {
    /// The state directory.
    pub layout: Layout,
    /// `release` or `debug` binaries.
    pub profile: String,
    /// Prometheus and Alertmanager timings.
    pub timings: Timings,
    /// The students database URL (the machine's PostgreSQL or a private one).
    pub database_url: String,
    /// Whether Synapse runs and the alerter posts to Matrix.
    pub matrix: bool,
}

impl StackContext {
    fn binary(&self, name: &str) -> PathBuf {
        binaries(&self.profile).join(name)
    }

    fn redis_url(&self) -> String {
        format!("redis://127.0.0.1:{}/", ports::REDIS)
    }
}

/// Starts `component`.
pub fn start(ctx: &StackContext, component: &str) -> anyhow::Result<()> {
    let layout = &ctx.layout;
    let command = match component {
        "redis" => redis(layout)?,
        "postgres" => return Ok(()), // started by `database::prepare` when needed
        "students-api" => students(ctx),
        "gateway" => gateway(layout)?,
        "students-frontend" => frontend(layout)?,
        "mail-catcher" => mail_catcher(layout)?,
        "synapse" => matrix::synapse_command(layout)?,
        "alerter" => alerter(ctx)?,
        "alertmanager" => alertmanager(ctx)?,
        "node-exporter" => node_exporter(),
        "prometheus" => prometheus(ctx)?,
        queue if queue.starts_with("queue-") => {
            queue_service(ctx, queue.trim_start_matches("queue-"))?
        }
        other => bail!("unknown component {other}"),
    };
    supervisor::spawn(layout, component, command)?;
    Ok(())
}

fn redis(layout: &Layout) -> anyhow::Result<Command> {
    let dir = layout.data("redis");
    std::fs::create_dir_all(&dir)?;
    let mut command = Command::new("redis-server");
    command
        .args([
            "--port",
            &ports::REDIS.to_string(),
            "--bind",
            "127.0.0.1",
            "--appendonly",
            "yes",
            "--save",
            "",
        ])
        .arg("--dir")
        .arg(dir);
    Ok(command)
}

fn queue_service(ctx: &StackContext, queue: &str) -> anyhow::Result<Command> {
    let (_, api, metrics) = ports::QUEUES
        .iter()
        .find(|(name, _, _)| *name == queue)
        .with_context(|| format!("unknown queue {queue}"))?;
    let key = secrets::ensure(&ctx.layout.secrets(), &format!("queue-{queue}.key"))?;
    let mut command = service_command(
        &ctx.binary("queue-service"),
        *api,
        *metrics,
        &format!("queue-{queue}"),
    );
    command
        .env("QUEUE_NAME", queue)
        .env("REDIS_URL", ctx.redis_url())
        .env("API_KEYS_FILE", key)
        // Reachable on the instance's own port only (the gateway refuses them, as on
        // prod): the end-to-end test and `cargo xtask load --fault` use them.
        .env("CHAOS_ENDPOINTS", "true");
    Ok(command)
}

fn students(ctx: &StackContext) -> Command {
    let mut command = service_command(
        &ctx.binary("students-service"),
        ports::STUDENTS,
        ports::STUDENTS_METRICS,
        "students-api",
    );
    command
        .env("DATABASE_URL", &ctx.database_url)
        .env("REDIS_URL", ctx.redis_url())
        .env(
            "CORS_ALLOWED_ORIGINS",
            format!("http://localhost:{}", ports::FRONTEND),
        )
        .env("CHAOS_ENDPOINTS", "true");
    command
}

fn alerter(ctx: &StackContext) -> anyhow::Result<Command> {
    let layout = &ctx.layout;
    let token = secrets::ensure(&layout.secrets(), "alerter_webhook_token")?;
    let data = layout.data("alerter");
    std::fs::create_dir_all(&data)?;
    let mut command = service_command(
        &ctx.binary("alerter"),
        ports::ALERTER,
        ports::ALERTER_METRICS,
        "alerter",
    );
    command
        .env("ALERTER_WEBHOOK_TOKEN_FILE", token)
        .env(
            "ALERTER_DATABASE_URL",
            format!("sqlite://{}/outbox.db", data.display()),
        )
        .env(
            "ALERTER_SMTP_URL",
            format!("smtp://127.0.0.1:{}", ports::SMTP),
        )
        .env("ALERTER_EMAIL_FROM", "Vigie <alerts@vigie.localhost>")
        .env("ALERTER_EMAIL_TO", "oncall@vigie.localhost")
        .env(
            "ALERTER_PROMETHEUS_URL",
            format!("http://localhost:{}", ports::PROMETHEUS),
        )
        .env(
            "ALERTER_ALERTMANAGER_URL",
            format!("http://localhost:{}", ports::ALERTMANAGER),
        );
    if ctx.matrix {
        let room = matrix::ensure_room(layout)?;
        command
            .env(
                "ALERTER_MATRIX_HOMESERVER",
                format!("http://127.0.0.1:{}", ports::SYNAPSE),
            )
            .env("ALERTER_MATRIX_ACCESS_TOKEN_FILE", room.token_file)
            .env("ALERTER_MATRIX_ROOM_ID", room.room_id);
    }
    Ok(command)
}

fn mail_catcher(layout: &Layout) -> anyhow::Result<Command> {
    let mail = layout.mail();
    // Python's Maildir creates its subdirectories only along with the directory itself.
    for part in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(mail.join(part))?;
    }
    let python = crate::setup::venv_python();
    // aiosmtpd's Mailbox handler keeps every message in a Maildir (new/ holds one file each).
    let mut command = Command::new(python);
    command
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{}", ports::SMTP),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(mail);
    Ok(command)
}

fn gateway(layout: &Layout) -> anyhow::Result<Command> {
    let dir = layout.config("gateway");
    let config = crate::gateway::write_native(&dir)?;
    nginx(&dir, &config)
}

fn frontend(layout: &Layout) -> anyhow::Result<Command> {
    let dir = layout.config("students-frontend");
    let frontend = cmd::workspace_root().join("services/students/frontend");
    copy_dir(&frontend, &dir)?;
    std::fs::create_dir_all(dir.join("run"))?;
    nginx(&dir, &dir.join("nginx.conf"))
}

/// nginx with `prefix` as its prefix (relative paths, temp files); the configs
/// themselves say `daemon off;`, as containers need, so it stays in the foreground.
fn nginx(prefix: &std::path::Path, config: &std::path::Path) -> anyhow::Result<Command> {
    std::fs::create_dir_all(prefix.join("logs"))?;
    let mut command = Command::new(nginx_binary());
    command
        .arg("-p")
        .arg(prefix)
        .arg("-c")
        .arg(config)
        .args(["-e", "stderr"]);
    Ok(command)
}

/// Debian installs nginx in /usr/sbin, which is not on every user's PATH.
pub fn nginx_binary() -> &'static str {
    if cmd::exists("nginx") {
        "nginx"
    } else {
        "/usr/sbin/nginx"
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

fn alertmanager(ctx: &StackContext) -> anyhow::Result<Command> {
    let layout = &ctx.layout;
    let dir = layout.config("alertmanager");
    let token = secrets::ensure(&layout.secrets(), "alerter_webhook_token")?;
    let webhook = format!("http://127.0.0.1:{}/webhook", ports::ALERTER);
    monitoring_config::write_alertmanager(&dir, &webhook, &token, &ctx.timings)?;
    let data = layout.data("alertmanager");
    std::fs::create_dir_all(&data)?;
    let mut command = Command::new("prometheus-alertmanager");
    command
        .arg(format!(
            "--config.file={}",
            dir.join("alertmanager.yml").display()
        ))
        .arg(format!("--storage.path={}", data.display()))
        .arg(format!(
            "--web.listen-address=127.0.0.1:{}",
            ports::ALERTMANAGER
        ))
        .arg(format!(
            "--web.external-url=http://localhost:{}",
            ports::ALERTMANAGER
        ))
        // No gossip port: one instance.
        .arg("--cluster.listen-address=");
    Ok(command)
}

fn node_exporter() -> Command {
    let mut command = Command::new("prometheus-node-exporter");
    command.arg(format!(
        "--web.listen-address=127.0.0.1:{}",
        ports::NODE_EXPORTER
    ));
    command
}

fn prometheus(ctx: &StackContext) -> anyhow::Result<Command> {
    let layout = &ctx.layout;
    let dir = layout.config("prometheus");
    let targets: Vec<Target> = scrape_targets()
        .into_iter()
        .filter(|(_, _, service)| ctx.matrix || *service != "synapse")
        .map(|(job, port, service)| Target {
            job,
            address: format!("127.0.0.1:{port}"),
            service,
        })
        .collect();
    let alertmanager = format!("127.0.0.1:{}", ports::ALERTMANAGER);
    monitoring_config::write_prometheus(&dir, &targets, &ctx.timings, &alertmanager)?;
    let data = layout.data("prometheus");
    std::fs::create_dir_all(&data)?;
    let mut command = Command::new("prometheus");
    command
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!(
            "--web.listen-address=127.0.0.1:{}",
            ports::PROMETHEUS
        ))
        .arg(format!(
            "--web.external-url=http://localhost:{}",
            ports::PROMETHEUS
        ));
    Ok(command)
}
