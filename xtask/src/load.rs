//! `cargo xtask load`: realistic traffic for a running native stack: the four
//! queues through the gateway (issue, call, list in a 4:3:1 mix, each team with
//! its own key) and the students API, at a fixed rate (open loop), printing a
//! line per second; optionally with a fault (`--fault 5xx` on rubis,
//! `--fault redis-down`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::native::{self, Layout, QUEUES};

/// Options of `cargo xtask load`.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    #[command(flatten)]
    pub stack: native::StackArgs,
    /// Requests per second, all routes together.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// A fault to inject while the traffic runs (removed at the end).
    #[arg(long, value_enum)]
    pub fault: Option<Fault>,
}

/// Faults `load` can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fault {
    /// Half the ticket requests of the rubis queue answer 500.
    #[value(name = "5xx")]
    ServerErrors,
    /// The stack's Redis stops answering (SIGSTOP), then resumes.
    RedisDown,
}

/// Counters of a traffic run, shared with its tasks.
#[derive(Debug, Default)]
pub struct Counters {
    /// Requests sent.
    pub sent: AtomicU64,
    /// 2xx answers.
    pub ok: AtomicU64,
    /// 4xx answers.
    pub client_errors: AtomicU64,
    /// 5xx answers.
    pub server_errors: AtomicU64,
    /// Requests that got no answer.
    pub failed: AtomicU64,
    /// Milliseconds since the start of the first 5xx from the rubis queue (0: none yet).
    pub first_rubis_5xx_ms: AtomicU64,
}

/// One request of the mix.
#[derive(Debug, Clone)]
struct Target {
    url: String,
    post: bool,
    key: Option<String>,
    rubis: bool,
}

/// The traffic mix of a native stack under `layout`.
#[derive(Debug, Clone)]
pub struct Mix {
    targets: Vec<Target>,
}

impl Mix {
    /// Reads the queue keys from the stack's secrets.
    pub fn new(layout: &Layout) -> anyhow::Result<Self> {
        let mut targets = Vec::new();
        for (queue, _, _) in QUEUES {
            let key_file = layout.secrets().join(format!("queue-{queue}.key"));
            let key = std::fs::read_to_string(&key_file)
                .with_context(|| format!("cannot read {}: is the stack up?", key_file.display()))?
                .trim()
                .to_owned();
            let base = format!("http://127.0.0.1:{}/{queue}", native::GATEWAY);
            let rubis = queue == "rubis";
            // 4 issues, 3 calls, 1 list per queue: queues grow slowly, so the gauges move.
            for (path, post, weight) in [
                ("/get_ticket", true, 4),
                ("/call_ticket", true, 3),
                ("/list_tickets", false, 1),
            ] {
                for _ in 0..weight {
                    targets.push(Target {
                        url: format!("{base}{path}"),
                        post,
                        key: Some(key.clone()),
                        rubis,
                    });
                }
            }
        }
        // The students page is read about as often as one queue is used.
        for _ in 0..8 {
            targets.push(Target {
                url: format!("http://127.0.0.1:{}/", native::STUDENTS),
                post: false,
                key: None,
                rubis: false,
            });
        }
        Ok(Self { targets })
    }
}

/// Sends `rate` requests per second drawn from `mix` until `stop` resolves.
pub async fn generate(
    mix: Mix,
    rate: f64,
    counters: Arc<Counters>,
    stop: impl std::future::Future<Output = ()>,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("HTTP client");
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = tick.tick() => {}
        }
        let target = mix.targets[fastrand::usize(..mix.targets.len())].clone();
        let (client, counters) = (client.clone(), Arc::clone(&counters));
        counters.sent.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let mut request = if target.post {
                client.post(&target.url)
            } else {
                client.get(&target.url)
            };
            if let Some(key) = &target.key {
                request = request.bearer_auth(key);
            }
            match request.send().await.map(|response| response.status()) {
                Ok(status) if status.is_success() => counters.ok.fetch_add(1, Ordering::Relaxed),
                Ok(status) if status.is_server_error() => {
                    if target.rubis {
                        let elapsed = u64::try_from(start.elapsed().as_millis())
                            .unwrap_or(u64::MAX)
                            .max(1);
                        let _ = counters.first_rubis_5xx_ms.compare_exchange(
                            0,
                            elapsed,
                            Ordering::SeqCst,
                            Ordering::SeqCst,
                        );
                    }
                    counters.server_errors.fetch_add(1, Ordering::Relaxed)
                }
                Ok(_) => counters.client_errors.fetch_add(1, Ordering::Relaxed),
                Err(_) => counters.failed.fetch_add(1, Ordering::Relaxed),
            };
        });
    }
}

/// Starts (`ratio` > 0) or ends (`ratio` = 0) an error spike on the rubis instance.
pub async fn set_rubis_errors(layout: &Layout, ratio: f64, seconds: u64) -> anyhow::Result<()> {
    let key = std::fs::read_to_string(layout.secrets().join("queue-rubis.key"))?
        .trim()
        .to_owned();
    let (_, rubis, _) = QUEUES[0];
    let url = format!("http://127.0.0.1:{rubis}/chaos/errors?ratio={ratio}&seconds={seconds}");
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth(key)
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "chaos request refused: {}",
        response.status()
    );
    Ok(())
}

/// `cargo xtask load`.
pub fn run(args: &LoadArgs) -> anyhow::Result<()> {
    let layout = Layout::new(&args.stack.dir)?;
    let mix = Mix::new(&layout)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        match args.fault {
            Some(Fault::ServerErrors) => {
                set_rubis_errors(&layout, 0.5, args.seconds).await?;
                println!(
                    "fault: half the rubis ticket requests answer 500 for {} s",
                    args.seconds
                );
            }
            Some(Fault::RedisDown) => {
                native::pause_redis(&layout, true)?;
                println!("fault: Redis paused (SIGSTOP) for {} s", args.seconds);
            }
            None => {}
        }
        let counters = Arc::new(Counters::default());
        let traffic = generate(
            mix,
            args.rate,
            Arc::clone(&counters),
            tokio::time::sleep(Duration::from_secs(args.seconds)),
        );
        let progress = report_every_second(&counters, args.seconds);
        tokio::join!(traffic, progress);
        let removed = match args.fault {
            Some(Fault::ServerErrors) => set_rubis_errors(&layout, 0.0, 1).await,
            Some(Fault::RedisDown) => native::pause_redis(&layout, false),
            None => Ok(()),
        };
        removed.context("could not remove the fault")?;
        anyhow::Ok(())
    })
}

async fn report_every_second(counters: &Counters, seconds: u64) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    for second in 1..=seconds {
        tick.tick().await;
        println!(
            "{second:>4}s  sent {:>6}  2xx {:>6}  4xx {:>5}  5xx {:>5}  no answer {:>4}",
            counters.sent.load(Ordering::Relaxed),
            counters.ok.load(Ordering::Relaxed),
            counters.client_errors.load(Ordering::Relaxed),
            counters.server_errors.load(Ordering::Relaxed),
            counters.failed.load(Ordering::Relaxed),
        );
    }
}
