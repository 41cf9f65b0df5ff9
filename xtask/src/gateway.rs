//! The gateway's native include, and a prefix directory nginx runs from.
//!
//! `compose/gateway/gateway.conf` is the one routing file of both stacks. It
//! includes `upstreams.conf` (where to listen, where each queue answers) and
//! `policy.conf` (whether the chaos routes go through). Compose mounts the
//! committed `upstreams.compose.conf` (service names); natively the addresses
//! are loopback ports, written here. The queue-service gateway test
//! (`services/queue/tests/gateway.rs`) compiles this very file, so what it
//! exercises is what the native stack runs. std only, for that reason.

use std::fmt::Write as _;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

/// The routing file, compiled in: a prefix can be written from anywhere.
pub const GATEWAY_CONF: &str = include_str!("../../compose/gateway/gateway.conf");

/// The compose stack's include (service names), for comparison in checks.
pub const COMPOSE_UPSTREAMS: &str = include_str!("../../compose/gateway/upstreams.compose.conf");

/// The queues behind the gateway, in the contract's order.
pub const QUEUES: [&str; 4] = ["rubis", "saphir", "emeraude", "diamant"];

/// The native gateway's port (contract).
pub const NATIVE_GATEWAY_PORT: u16 = 8090;

/// The native API port of each queue of [`QUEUES`] (contract).
pub const NATIVE_QUEUE_PORTS: [u16; 4] = [8101, 8102, 8103, 8104];

/// Whether the gateway lets `/<queue>/traceback` and `/<queue>/chaos/...` through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// prod and qualif: the gateway answers them 403 itself.
    Prod,
    /// dev: they reach the services (which serve them only with `CHAOS_ENDPOINTS=true`).
    Chaos,
}

impl Policy {
    /// The text of `policy.conf` (`compose/gateway/policy.<name>.conf`).
    pub fn include(self) -> &'static str {
        match self {
            Self::Prod => include_str!("../../compose/gateway/policy.prod.conf"),
            Self::Chaos => include_str!("../../compose/gateway/policy.chaos.conf"),
        }
    }
}

/// The native `upstreams.conf`: listen on `listen`, and each queue at its address
/// (no resolver: the addresses are IPs, used as they are).
///
/// # Panics
///
/// When `queues` does not name each of [`QUEUES`] exactly once: the routing
/// file knows these four and no other, and a missing one would answer 502.
pub fn native_upstreams(listen: SocketAddr, queues: &[(&str, SocketAddr)]) -> String {
    for queue in QUEUES {
        let given = queues.iter().filter(|(name, _)| *name == queue).count();
        assert_eq!(given, 1, "the gateway needs one address for queue {queue}");
    }
    assert_eq!(
        queues.len(),
        QUEUES.len(),
        "the gateway routes only {QUEUES:?}"
    );
    let mut text = String::from(
        "# Written by xtask/src/gateway.rs for the native stack: loopback addresses.\n",
    );
    let _ = writeln!(text, "listen {listen};");
    for queue in QUEUES {
        let (_, addr) = queues
            .iter()
            .find(|(name, _)| *name == queue)
            .expect("checked above");
        let _ = writeln!(text, "set $vigie_upstream_{queue} {addr};");
    }
    text
}

/// The native stack's addresses: the gateway on 127.0.0.1:8090, the queues on
/// 127.0.0.1:8101..8104.
pub fn native_defaults() -> (SocketAddr, Vec<(&'static str, SocketAddr)>) {
    let loopback = |port| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let queues = QUEUES
        .iter()
        .zip(NATIVE_QUEUE_PORTS)
        .map(|(queue, port)| (*queue, loopback(port)))
        .collect();
    (loopback(NATIVE_GATEWAY_PORT), queues)
}

/// The native stack's gateway: a prefix in `dir` with the native addresses and
/// the prod policy (the chaos routes stay reachable on each instance's own
/// port). Returns the config to pass to `nginx -p <dir>/ -c`; it already says
/// `daemon off;`, so nginx must not be given `-g "daemon off;"` as well.
pub fn write_native(dir: &Path) -> io::Result<PathBuf> {
    let (listen, queues) = native_defaults();
    write_prefix(dir, &native_upstreams(listen, &queues), Policy::Prod)?;
    Ok(dir.join("gateway.conf"))
}

/// Writes what `nginx -p <dir>/ -c gateway.conf -e stderr` needs: the routing
/// file, `upstreams` as `upstreams.conf`, the policy as `policy.conf`, and the
/// writable `run/`.
pub fn write_prefix(dir: &Path, upstreams: &str, policy: Policy) -> io::Result<()> {
    std::fs::create_dir_all(dir.join("run"))?;
    std::fs::write(dir.join("gateway.conf"), GATEWAY_CONF)?;
    std::fs::write(dir.join("upstreams.conf"), upstreams)?;
    std::fs::write(dir.join("policy.conf"), policy.include())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The `$vigie_upstream_*` variables a text sets or uses.
    fn upstream_variables(text: &str) -> BTreeSet<String> {
        text.split('$')
            .skip(1)
            .filter(|rest| rest.starts_with("vigie_upstream_"))
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_native_include_sets_what_the_routing_file_maps() {
        let (listen, queues) = native_defaults();
        let native = native_upstreams(listen, &queues);
        assert!(native.contains("listen 127.0.0.1:8090;"), "{native}");
        assert!(
            native.contains("set $vigie_upstream_diamant 127.0.0.1:8104;"),
            "{native}"
        );
        assert!(!native.contains("resolver"), "IPs need no resolver");
        let mapped = upstream_variables(GATEWAY_CONF);
        assert_eq!(mapped.len(), 4, "{mapped:?}");
        assert_eq!(upstream_variables(&native), mapped);
        assert_eq!(upstream_variables(COMPOSE_UPSTREAMS), mapped);
    }

    #[test]
    #[should_panic(expected = "one address for queue saphir")]
    fn a_missing_queue_is_refused() {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 1));
        native_upstreams(addr, &[("rubis", addr)]);
    }

    #[test]
    fn policies_switch_the_chaos_variable() {
        assert!(Policy::Prod.include().contains("set $vigie_chaos off;"));
        assert!(Policy::Chaos.include().contains("set $vigie_chaos on;"));
        assert!(GATEWAY_CONF.contains("include policy.conf;"));
        assert!(GATEWAY_CONF.contains("include upstreams.conf;"));
    }

    #[test]
    fn a_prefix_holds_the_three_files_and_run() {
        let dir = tempfile::tempdir().unwrap();
        let config = write_native(dir.path()).unwrap();
        assert_eq!(config, dir.path().join("gateway.conf"));
        for file in ["gateway.conf", "upstreams.conf", "policy.conf"] {
            assert!(dir.path().join(file).is_file(), "{file}");
        }
        assert!(dir.path().join("run").is_dir());
        let upstreams = std::fs::read_to_string(dir.path().join("upstreams.conf")).unwrap();
        assert!(upstreams.contains("listen 127.0.0.1:8090;"), "{upstreams}");
        let policy = std::fs::read_to_string(dir.path().join("policy.conf")).unwrap();
        assert_eq!(policy, Policy::Prod.include());
    }
}
