//! `blind-spots` — seed question 5: "Are your monitoring dashboards actually telling you when
//! something is wrong?", together with the maintenance module's health and capacity metric tables
//! and its quarterly registry review.
//!
//! Three kinds of blind spot:
//! - **Alerts that are missing or too lenient** (`alerts.rs`): no Prometheus alerting rule for a
//!   seed health or capacity metric, or an error-rate alert above the seed's 1 %.
//! - **Problems the data already shows** (`signals.rs`, `activity.rs`, `observability.rs`): error
//!   rate, throughput deviation, produced/consumed imbalance, integrations idle for months or
//!   without a heartbeat, scrape targets down, no tracing. Capacity values themselves are judged by
//!   the `backpressure` check; this check only asks whether alerts cover them.
//! - **A registry that no longer matches the estate** (`inventory.rs`): live queues, topics, groups
//!   and SQS queues no integration lists, and registry resources that do not exist.
//!
//! Rule metadata and parameters live in `rules.rs`; this file wires the reads together.

use plumbline_sdk::prelude::*;

mod activity;
mod alerts;
mod inventory;
mod observability;
mod rules;
mod signals;

pub struct BlindSpots;

pub const MISSING_HEALTH_ALERT: &str = "blind-spots/missing-health-alert";
pub const MISSING_CAPACITY_ALERT: &str = "blind-spots/missing-capacity-alert";
pub const LENIENT_ERROR_ALERT: &str = "blind-spots/lenient-error-alert";
pub const ERROR_RATE: &str = "blind-spots/error-rate";
pub const THROUGHPUT_DEVIATION: &str = "blind-spots/throughput-deviation";
pub const EVENT_IMBALANCE: &str = "blind-spots/event-imbalance";
pub const EVENT_BALANCE_UNMEASURED: &str = "blind-spots/event-balance-unmeasured";
pub const TARGET_DOWN: &str = "blind-spots/target-down";
pub const NO_TRACING: &str = "blind-spots/no-tracing";
pub const UNUSED_INTEGRATION: &str = "blind-spots/unused-integration";
pub const HEARTBEAT_UNMEASURED: &str = "blind-spots/heartbeat-unmeasured";
pub const UNREGISTERED_RESOURCE: &str = "blind-spots/unregistered-resource";
pub const ORPHANED_REGISTRY_ENTRY: &str = "blind-spots/orphaned-registry-entry";

impl Check for BlindSpots {
    fn info() -> Info {
        rules::info()
    }

    fn run(audit: &mut Audit<'_>) {
        let servers = audit.prometheus();
        let registry = audit.registry();
        let files = audit.config_files();
        let rabbit = audit.rabbitmq();
        let kafka = audit.kafka();
        let sqs = audit.sqs();

        alerts::audit(audit, &servers);
        observability::audit_targets(audit, &servers);
        observability::audit_tracing(audit, &servers, &files);
        signals::audit(audit, &servers, &registry);
        activity::audit(audit, &servers, &registry);
        inventory::audit_unregistered(audit, &registry, &rabbit, &kafka, &sqs);
        inventory::audit_orphaned(audit, &registry, &rabbit, &kafka, &sqs);
    }
}

plumbline_sdk::export_check!(BlindSpots);

/// A number for messages and evidence: up to three decimals, trailing zeros dropped.
pub(crate) fn num(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_string() } else { text.to_string() }
}

/// A ratio (0..1) as a percentage with one decimal, e.g. `0.023` → `2.3%`.
pub(crate) fn pct(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// The name a series goes by in messages and subjects: its `integration` label, or else the first
/// of `preferred` labels it has, or else all its labels.
pub(crate) fn series_key(series: &Series, preferred: &[&str]) -> String {
    std::iter::once("integration")
        .chain(preferred.iter().copied())
        .find_map(|label| series.label(label))
        .map(str::to_string)
        .unwrap_or_else(|| series.label_text())
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_examples;
