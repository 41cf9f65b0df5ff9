//! Reading a component's health: an HTTP 2xx, a Redis PONG or an open port.

use std::time::{Duration, Instant};

use anyhow::bail;

use super::components::{Component, Health};
use super::layout::Layout;
use super::supervisor;

/// Waits up to a minute for `component` to be healthy; says why not, with the
/// end of its log.
pub fn wait_healthy(layout: &Layout, component: &Component) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if healthy(&component.health) {
            return Ok(());
        }
        if supervisor::running_pid(layout, &component.name).is_none()
            && component.name != "postgres"
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!(
        "{} is not healthy; the end of {}:\n{}",
        component.name,
        layout.log(&component.name).display(),
        supervisor::log_tail(&layout.log(&component.name), 30)
    )
}

/// Whether a component answers its health check now.
pub fn healthy(health: &Health) -> bool {
    match health {
        Health::Http(url) => {
            let client = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(2))
                .build();
            client.is_ok_and(|client| {
                client
                    .get(url)
                    .send()
                    .is_ok_and(|response| response.status().is_success())
            })
        }
        Health::Redis(port) => {
            testkit::resp_command(*port, &["PING"]).is_some_and(|reply| reply.starts_with("+PONG"))
        }
        Health::Tcp(port) => supervisor::port_open(*port),
    }
}
