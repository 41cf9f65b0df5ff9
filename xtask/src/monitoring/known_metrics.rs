//! Every metric name that a rule, a dashboard or a rule test may use, listed by
//! the program that exports it. A name outside these lists is a typo or a
//! metric nobody exports: the panel would stay empty, the alert silent.
//!
//! Histograms are listed by their base name; their `_bucket`, `_count` and
//! `_sum` series are what queries select.

/// Whether a name is a histogram (three series) or a single series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Single,
    Histogram,
}

use Kind::{Histogram, Single};

/// The Vigie services (queue-service, students-service, alerter), as fixed by
/// the contract (`shared/spec/contract.md`, "Metrics") and exported through
/// `services/telemetry` (`process_*` come from the `metrics-process` crate).
pub const VIGIE: &[(&str, Kind)] = &[
    ("http_server_request_duration_seconds", Histogram),
    ("http_server_active_requests", Single),
    ("db_client_operation_duration_seconds", Histogram),
    ("queue_tickets_waiting", Single),
    ("queue_oldest_ticket_age_seconds", Single),
    ("queue_tickets_issued_total", Single),
    ("queue_tickets_called_total", Single),
    ("queue_ticket_wait_seconds", Histogram),
    ("students_cache_degraded_responses_total", Single),
    ("alerter_webhooks_received_total", Single),
    ("alerter_notifications_total", Single),
    ("alerter_delivery_duration_seconds", Histogram),
    ("alerter_outbox_pending", Single),
    ("alerter_outbox_oldest_pending_seconds", Single),
    ("process_cpu_seconds_total", Single),
    ("process_resident_memory_bytes", Single),
    ("process_virtual_memory_bytes", Single),
    ("process_open_fds", Single),
    ("process_max_fds", Single),
    ("process_start_time_seconds", Single),
    ("process_threads", Single),
    ("vigie_build_info", Single),
];

/// Series Prometheus writes itself: per scrape target (`up`, `scrape_*`) and
/// for alerting rules (`ALERTS`, `ALERTS_FOR_STATE`), plus its own /metrics
/// (Prometheus 2.42, `notifier` and `rules` packages).
pub const PROMETHEUS: &[(&str, Kind)] = &[
    ("up", Single),
    ("scrape_duration_seconds", Single),
    ("scrape_samples_scraped", Single),
    ("ALERTS", Single),
    ("ALERTS_FOR_STATE", Single),
    ("prometheus_notifications_sent_total", Single),
    ("prometheus_notifications_errors_total", Single),
    ("prometheus_notifications_dropped_total", Single),
    ("prometheus_notifications_queue_length", Single),
    ("prometheus_rule_evaluation_failures_total", Single),
];

/// Alertmanager 0.25's /metrics (`notify` and `dispatch` packages).
pub const ALERTMANAGER: &[(&str, Kind)] = &[
    ("alertmanager_notifications_total", Single),
    ("alertmanager_notifications_failed_total", Single),
    ("alertmanager_notification_latency_seconds", Histogram),
    ("alertmanager_alerts", Single),
];

/// cAdvisor's per-container metrics. Only these survive the `keep` rule of the
/// `cadvisor` job in prometheus/prometheus.yml (the check verifies it).
pub const CADVISOR: &[(&str, Kind)] = &[
    ("container_last_seen", Single),
    ("container_start_time_seconds", Single),
    ("container_cpu_usage_seconds_total", Single),
    ("container_memory_working_set_bytes", Single),
    ("container_memory_rss", Single),
    ("container_spec_memory_limit_bytes", Single),
    ("container_network_receive_bytes_total", Single),
    ("container_network_transmit_bytes_total", Single),
];

/// node-exporter's host metrics (default collectors: cpu, meminfo,
/// filesystem, loadavg).
pub const NODE_EXPORTER: &[(&str, Kind)] = &[
    ("node_cpu_seconds_total", Single),
    ("node_memory_MemAvailable_bytes", Single),
    ("node_memory_MemTotal_bytes", Single),
    ("node_filesystem_avail_bytes", Single),
    ("node_filesystem_size_bytes", Single),
    ("node_load1", Single),
];

/// Every exported series name, histograms expanded to their three series.
pub fn series_names() -> impl Iterator<Item = String> {
    [VIGIE, PROMETHEUS, ALERTMANAGER, CADVISOR, NODE_EXPORTER]
        .into_iter()
        .flatten()
        .flat_map(|&(name, kind)| match kind {
            Single => vec![name.to_string()],
            Histogram => ["_bucket", "_count", "_sum"]
                .iter()
                .map(|suffix| format!("{name}{suffix}"))
                .collect(),
        })
}
