//! A fixed-rate (open-loop) webhook client: a scheduler hands out requests at
//! their intended start times to a pool of keep-alive connections, and each
//! latency is measured from the intended start, so queueing behind a slow
//! answer is counted (no coordinated omission).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;

use super::BODY;

/// Connections in the pool: enough that a few slow answers never delay a start.
const CONNECTIONS: usize = 16;

/// One webhook's outcome.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// From the intended start to the answer.
    pub latency: Duration,
    /// The stored notification's id; none when not answered 200 `stored`.
    pub notification_id: Option<i64>,
    /// When the answer came, Unix nanoseconds.
    pub answered_unix_ns: u128,
}

/// Sends `rate` webhooks per second for `seconds` to `addr`, each unique (`tag`).
pub fn run(
    addr: SocketAddr,
    token: &str,
    rate: u32,
    seconds: u64,
    tag: &str,
) -> anyhow::Result<Vec<Accepted>> {
    let total = u64::from(rate) * seconds;
    let interval = Duration::from_secs(1) / rate;
    let (jobs, queue) = mpsc::channel::<(u64, Instant)>();
    let queue = Arc::new(Mutex::new(queue));
    let (results, outcomes) = mpsc::channel();
    let mut workers = Vec::new();
    for _ in 0..CONNECTIONS {
        let queue = Arc::clone(&queue);
        let results = results.clone();
        let (token, tag) = (token.to_owned(), tag.to_owned());
        workers.push(std::thread::spawn(move || -> anyhow::Result<()> {
            let mut connection: Option<BufReader<TcpStream>> = None;
            loop {
                let job = queue
                    .lock()
                    .map_err(|_| anyhow::anyhow!("queue lock"))?
                    .recv();
                let Ok((seq, intended)) = job else {
                    return Ok(());
                };
                let body = BODY.replace("SEQ", &format!("{tag}-{seq}"));
                let reply = post(&mut connection, addr, &token, &body);
                let latency = intended.elapsed();
                let notification_id = reply.ok().and_then(|(status, text)| {
                    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
                    (status == 200)
                        .then(|| json["notification_id"].as_i64())
                        .flatten()
                });
                let answered_unix_ns = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
                let _ = results.send(Accepted {
                    latency,
                    notification_id,
                    answered_unix_ns,
                });
            }
        }));
    }
    drop(results);
    let start = Instant::now() + Duration::from_millis(10);
    for seq in 0..total {
        let intended = start + interval * u32::try_from(seq).unwrap_or(u32::MAX);
        if let Some(wait) = intended.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        jobs.send((seq, intended)).context("the workers stopped")?;
    }
    drop(jobs);
    for worker in workers {
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
    }
    Ok(outcomes.into_iter().collect())
}

/// One POST on a kept-alive connection (reconnecting when needed): status and body.
fn post(
    connection: &mut Option<BufReader<TcpStream>>,
    addr: SocketAddr,
    token: &str,
    body: &str,
) -> anyhow::Result<(u16, String)> {
    if connection.is_none() {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        *connection = Some(BufReader::new(stream));
    }
    let reader = connection.as_mut().context("connected")?;
    let request = format!(
        "POST /webhook HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let result = (|| -> anyhow::Result<(u16, String)> {
        reader.get_mut().write_all(request.as_bytes())?;
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .context("status line")?
            .parse()?;
        let mut length = 0;
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            if line.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse()?;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    })();
    if result.is_err() {
        *connection = None;
    }
    result
}

/// Accept-to-arrival latencies in milliseconds, matched by the notification id the
/// alerter puts in each e-mail's Message-ID (`<alerter.<id>.…>`).
pub fn delivery_latencies(accepted: &[Accepted], received: &[(u128, String)]) -> Vec<f64> {
    let arrivals: std::collections::HashMap<i64, u128> = received
        .iter()
        .filter_map(|(arrival, message)| {
            let start = message.find("<alerter.")? + "<alerter.".len();
            let id = message[start..].split('.').next()?.parse().ok()?;
            Some((id, *arrival))
        })
        .collect();
    accepted
        .iter()
        .filter_map(|accepted| {
            let arrival = arrivals.get(&accepted.notification_id?)?;
            Some(arrival.saturating_sub(accepted.answered_unix_ns) as f64 / 1e6)
        })
        .collect()
}
