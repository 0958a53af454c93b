//! `backpressure` — seed question 2: "Is your parallelism unbounded and likely to overwhelm
//! downstream systems?", plus the capacity thresholds of the maintenance module (module 7).
//!
//! Looks for the three warning signs the seed names and the limits the module lists:
//! - unbounded consumption: RabbitMQ consumers (and Spring listener containers) with prefetch 0,
//!   listener/worker concurrency settings that are unbounded or very high ([`rabbitmq`],
//!   [`config`]);
//! - broker settings that do not fit the measured processing time: Kafka `max.poll.records` ×
//!   per-record time against `max.poll.interval.ms`, SQS visibility timeout against p99
//!   processing time ([`kafka`], [`sqs`]);
//! - backlogs and throttling: queues that grow or never drain over the window, Burrow-style
//!   consumer-group lag evaluation, downstream 429/503 rates ([`queues`], [`kafka`], [`signals`]);
//! - capacity: CPU, memory, DB pool, broker disk, network and PostgreSQL connections against the
//!   module's thresholds ([`capacity`]).
//!
//! Rule metadata and parameters live in [`rules`]; this file wires the run together.

use plumbline_sdk::prelude::*;

mod capacity;
mod config;
mod kafka;
mod processing;
mod queues;
mod rabbitmq;
mod rules;
mod signals;
mod sqs;

pub struct Backpressure;

pub const UNBOUNDED_PREFETCH: &str = "backpressure/unbounded-prefetch";
pub const UNBOUNDED_CONCURRENCY: &str = "backpressure/unbounded-concurrency";
pub const POLL_INTERVAL_RISK: &str = "backpressure/poll-interval-risk";
pub const VISIBILITY_TIMEOUT: &str = "backpressure/visibility-timeout";
pub const QUEUE_GROWING: &str = "backpressure/queue-growing";
pub const QUEUE_NOT_DRAINING: &str = "backpressure/queue-not-draining";
pub const DOWNSTREAM_THROTTLING: &str = "backpressure/downstream-throttling";
pub const LAG_STALLED: &str = "backpressure/lag-stalled";
pub const LAG_RISING: &str = "backpressure/lag-rising";
pub const CPU_SATURATION: &str = "backpressure/cpu-saturation";
pub const MEMORY_PRESSURE: &str = "backpressure/memory-pressure";
pub const DB_POOL_EXHAUSTION: &str = "backpressure/db-pool-exhaustion";
pub const BROKER_DISK: &str = "backpressure/broker-disk";
pub const NETWORK_SATURATION: &str = "backpressure/network-saturation";
pub const DB_CONNECTIONS: &str = "backpressure/db-connections";

/// Well-known signal names this check reads (see `signal` in `estate.wit`).
pub(crate) const PROCESSING_P99: &str = "processing-seconds-p99";
pub(crate) const QUEUE_DEPTH: &str = "queue-depth";
pub(crate) const BROKER_DISK_SIGNAL: &str = "broker-disk-utilisation";

impl Check for Backpressure {
    fn info() -> Info {
        rules::info()
    }

    fn run(audit: &mut Audit<'_>) {
        let registry = audit.registry();
        let prometheus = audit.prometheus();
        let files = audit.config_files();
        let brokers = audit.rabbitmq();

        rabbitmq::audit_prefetch(audit, &brokers, &files);
        config::audit_concurrency(audit, &files);

        let processing = processing::Processing::new(&prometheus, &registry);
        let clusters = audit.kafka();
        kafka::audit_poll_interval(audit, &files, &processing);
        kafka::audit_lag(audit, &clusters);

        let accounts = audit.sqs();
        sqs::audit_visibility(audit, &accounts, &processing);

        queues::audit_depth(audit, &brokers, &prometheus);
        signals::audit_throttling(audit, &prometheus);

        let postgres = audit.postgres();
        capacity::audit_signals(audit, &prometheus);
        capacity::audit_broker_nodes(audit, &brokers, &prometheus);
        capacity::audit_postgres(audit, &postgres);
    }
}

plumbline_sdk::export_check!(Backpressure);

/// Subject id of a signal series in Prometheus notation: `cpu-utilisation{service="x"}`.
pub(crate) fn series_id(signal: &str, series: &Series) -> String {
    let labels: Vec<String> = series.labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{signal}{{{}}}", labels.join(","))
}

/// A number for messages and evidence: integers without a fraction, others with up to three
/// decimals (`0.041`, `41`, `0.725`).
pub(crate) fn num(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests;
