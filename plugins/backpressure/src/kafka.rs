//! Kafka side of `backpressure`:
//! - `poll-interval-risk`: consumer configs whose `max.poll.records` × observed per-record p99
//!   processing time (signal `processing-seconds-p99`) exceeds `max.poll.interval.ms`;
//! - `lag-stalled` / `lag-rising`: consumer-group lag judged over the whole window with Burrow's
//!   evaluation rules, not from a single sample.

use plumbline_sdk::prelude::*;

use crate::processing::Processing;
use crate::{LAG_RISING, LAG_STALLED, POLL_INTERVAL_RISK, PROCESSING_P99, num};

/// Kafka consumer defaults (Apache Kafka consumer configs).
const DEFAULT_MAX_POLL_RECORDS: f64 = 500.0;
const DEFAULT_MAX_POLL_INTERVAL_MS: f64 = 300_000.0;

const SPRING_GROUP: &str = "spring.kafka.consumer.group-id";
const SPRING_RECORDS: [&str; 2] =
    ["spring.kafka.consumer.max-poll-records", "spring.kafka.consumer.properties.max.poll.records"];
const SPRING_INTERVAL: [&str; 2] = ["spring.kafka.consumer.properties.max.poll.interval.ms", "max.poll.interval.ms"];

/// A setting's value and where it came from (`None` = client default).
fn setting(file: &ConfigFile, keys: &[&str], default: f64) -> (f64, Option<ConfigEntry>) {
    match file.get_any(keys) {
        Some(entry) => (entry.as_f64().unwrap_or(default), Some(entry.clone())),
        None => (default, None),
    }
}

pub fn audit_poll_interval(audit: &mut Audit<'_>, files: &[ConfigFile], processing: &Processing<'_>) {
    let mut unknown = Vec::new();
    for file in files {
        let (group, records_keys, interval_keys): (_, &[&str], &[&str]) = if let Some(g) = file.get(SPRING_GROUP) {
            (g, &SPRING_RECORDS, &SPRING_INTERVAL)
        } else if let Some(g) = file.get("group.id") {
            (g, &["max.poll.records"], &["max.poll.interval.ms"])
        } else {
            continue;
        };
        audit.evaluated(1);
        let group = group.value.trim().to_string();
        let (records, records_entry) = setting(file, records_keys, DEFAULT_MAX_POLL_RECORDS);
        let (interval_ms, interval_entry) = setting(file, interval_keys, DEFAULT_MAX_POLL_INTERVAL_MS);
        let Some((p99, series)) = processing.for_group(&group) else {
            unknown.push(format!("`{group}` ({})", file.path));
            continue;
        };
        let batch_ms = records * p99 * 1000.0;
        if batch_ms <= interval_ms {
            continue;
        }
        let key = records_entry.as_ref().map_or(records_keys[0].to_string(), |e| e.key.clone());
        let mut evidence = vec![
            ("file".to_string(), file.path.clone()),
            ("group_id".to_string(), group.clone()),
            ("max_poll_records".to_string(), num(records)),
            ("processing_seconds_p99".to_string(), num(p99)),
            ("signal_series".to_string(), series),
            ("batch_seconds".to_string(), num(batch_ms / 1000.0)),
            ("max_poll_interval_ms".to_string(), num(interval_ms)),
        ];
        match &records_entry {
            Some(e) => evidence.push(("max_poll_records_line".into(), e.line.to_string())),
            None => evidence.push(("max_poll_records_source".into(), "client default".into())),
        }
        match &interval_entry {
            Some(e) => evidence.push(("max_poll_interval_line".into(), e.line.to_string())),
            None => evidence.push(("max_poll_interval_source".into(), "client default".into())),
        }
        audit.finding(
            POLL_INTERVAL_RISK,
            Subject::new(&file.path, "config-key", key),
            format!(
                "Consumer group `{group}` ({}) polls up to {} records at a p99 of {} s each: {} s per batch, above max.poll.interval.ms {} ({} s), so a slow batch gets the consumer evicted and the batch re-processed after a rebalance.",
                file.owner(),
                num(records),
                num(p99),
                num(batch_ms / 1000.0),
                num(interval_ms),
                num(interval_ms / 1000.0)
            ),
            evidence,
        );
    }
    if !unknown.is_empty() {
        audit.note(format!(
            "poll-interval-risk: no `{PROCESSING_P99}` series for consumer group(s) {} (by label group/consumer_group or a registry integration listing the group); max.poll.records was not weighed against processing time.",
            unknown.join(", ")
        ));
    }
}

/// Burrow's verdict on a group's window (github.com/linkedin/Burrow/wiki/Consumer-Lag-Evaluation-Rules).
#[derive(Debug, PartialEq)]
pub(crate) enum Burrow {
    /// Lag was zero at some point, or nothing alarming.
    Ok,
    /// Committed offset did not move while lag stayed above zero.
    Stall,
    /// Committed offset went backwards (a reset); Burrow's REWIND.
    Rewind,
    /// Committing, but lag rose between every pair of samples.
    Warn,
}

impl Burrow {
    fn name(&self) -> &'static str {
        match self {
            Burrow::Ok => "OK",
            Burrow::Stall => "STALL",
            Burrow::Rewind => "REWIND",
            Burrow::Warn => "WARN",
        }
    }
}

pub(crate) fn burrow(history: &[KafkaLagSample]) -> Burrow {
    if history.iter().any(|s| s.lag <= 0) {
        return Burrow::Ok;
    }
    let pairs = || history.windows(2).map(|w| (&w[0], &w[1]));
    if pairs().any(|(a, b)| b.committed < a.committed) {
        return Burrow::Rewind;
    }
    if pairs().all(|(a, b)| b.committed == a.committed) {
        return Burrow::Stall;
    }
    if pairs().all(|(a, b)| b.lag > a.lag) {
        return Burrow::Warn;
    }
    Burrow::Ok
}

pub fn audit_lag(audit: &mut Audit<'_>, clusters: &[KafkaCluster]) {
    let min_samples = audit.params().i64("min-samples").max(2) as usize;
    let mut short = Vec::new();
    for cluster in clusters {
        for group in &cluster.consumer_groups {
            audit.evaluated(1);
            let history = &group.history;
            if history.len() < min_samples {
                short.push(format!("`{}` ({} sample(s))", group.group_id, history.len()));
                continue;
            }
            let state = burrow(history);
            let (first, last) = (&history[0], &history[history.len() - 1]);
            let evidence = vec![
                ("burrow_state", state.name().to_string()),
                ("samples", history.len().to_string()),
                ("window_seconds", (last.at - first.at).to_string()),
                ("lag_first", first.lag.to_string()),
                ("lag_last", last.lag.to_string()),
                ("committed_first", first.committed.to_string()),
                ("committed_last", last.committed.to_string()),
                ("group_state", group.state.clone()),
            ];
            let subject = Subject::new(&cluster.source, "consumer-group", &group.group_id);
            let hours = (last.at - first.at) as f64 / 3600.0;
            match state {
                Burrow::Stall => audit.finding(
                    LAG_STALLED,
                    subject,
                    format!(
                        "Consumer group `{}` is STALLED (Burrow): its committed offset stayed at {} over {} h of samples while lag was {} to {}.",
                        group.group_id, last.committed, num(hours), first.lag, last.lag
                    ),
                    evidence,
                ),
                Burrow::Warn => audit.finding(
                    LAG_RISING,
                    subject,
                    format!(
                        "Consumer group `{}` is in Burrow state WARN: it commits, but its lag rose at every one of {} samples over {} h, from {} to {}; producers outpace it.",
                        group.group_id, history.len(), num(hours), first.lag, last.lag
                    ),
                    evidence,
                ),
                Burrow::Rewind => audit.note(format!(
                    "lag: consumer group `{}` committed offset went backwards in the window (Burrow REWIND: an offset reset); not judged further.",
                    group.group_id
                )),
                Burrow::Ok => {}
            }
        }
    }
    if !short.is_empty() {
        audit.note(format!(
            "lag: fewer than {min_samples} lag samples for consumer group(s) {}; Burrow evaluation needs a window, so they were not judged.",
            short.join(", ")
        ));
    }
}
