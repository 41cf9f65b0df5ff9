//! The native stack's ports, from the contract's "native stack" column.

/// The four queues, in the contract's order, with their API and metrics ports.
pub const QUEUES: [(&str, u16, u16); 4] = [
    ("rubis", 8101, 9101),
    ("saphir", 8102, 9102),
    ("emeraude", 8103, 9103),
    ("diamant", 8104, 9104),
];
/// The gateway (`/rubis/...`).
pub const GATEWAY: u16 = 8090;
/// students-service API and metrics.
pub const STUDENTS: u16 = 8000;
/// See `STUDENTS`.
pub const STUDENTS_METRICS: u16 = 9200;
/// The dashboard page.
pub const FRONTEND: u16 = 8080;
/// The alerter's webhook and health.
pub const ALERTER: u16 = 9095;
/// The alerter's metrics.
pub const ALERTER_METRICS: u16 = 9300;
/// Prometheus.
pub const PROMETHEUS: u16 = 9090;
/// Alertmanager.
pub const ALERTMANAGER: u16 = 9093;
/// node-exporter.
pub const NODE_EXPORTER: u16 = 9100;
/// The SMTP catcher.
pub const SMTP: u16 = 1025;
/// The native stack's own Redis (never the machine's 6379).
pub const REDIS: u16 = 6380;
/// A private PostgreSQL, when the machine has none on 5432.
pub const PRIVATE_POSTGRES: u16 = 5433;
/// Synapse (with `--matrix`).
pub const SYNAPSE: u16 = 8008;
