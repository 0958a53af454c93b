//! Unit tests for `blind-spots` on a small fixture estate (fixtures/estate.json):
//! - Prometheus `prom`: a 5 % error-rate alert, a static backlog alert, a DLQ alert whose
//!   evaluation fails (health `err`, so it does not count) and a CPU recording rule (recording
//!   rules do not count); target `svc-b` down; no tracing. Signals: integration `a` at 2 % errors
//!   and 2 % event imbalance, `b` 40 % below its throughput baseline, `old` idle for 123 days,
//!   `ghost` without a heartbeat. Only `a` and `b` have an events-produced/events-consumed pair,
//!   so the other active broker integrations (`c` on SQS, `old` and `ghost` on RabbitMQ) have
//!   their event balance unmeasured. `svc-a` CPU at 90 % gives no finding here: capacity values are
//!   the `backpressure` check's business, blind-spots only asks for a capacity alert.
//! - Config: one file that only switches tracing *off*.
//! - RabbitMQ: `stray.q` unregistered; `a.dead` (bound from `a.in`'s DLX) and `amq.gen-123` exempt;
//!   node `rabbit@n2` with 80 % disk used (not judged here either, see above).
//! - Kafka: `stray-topic` and `stray-group` unregistered; the DLT, `__consumer_offsets` and the
//!   `Dead` group exempt. SQS: `stray-sqs` unregistered; `c-jobs-dlq` exempt.
//! - Registry: `ghost` lists a queue and a topic that do not exist.

use plumbline_sdk::estate::{PrometheusRule, RuleKind};
use plumbline_sdk::testing::{self, Fixture};
use plumbline_sdk::{ParamValue, Section, Status, Verdict};

use crate::alerts::comparison_threshold;
use crate::*;

fn estate() -> Fixture {
    Fixture::from_json(include_str!("../fixtures/estate.json")).expect("fixture parses")
}

fn run(fixture: &Fixture) -> Verdict {
    testing::run::<BlindSpots>(fixture, &[])
}

/// Subject ids the verdict reports for `rule`, in order.
fn ids(verdict: &Verdict, rule: &str) -> Vec<String> {
    verdict.findings.iter().filter(|f| f.rule == rule).map(|f| f.subject.id.clone()).collect()
}

fn alert(name: &str, expr: &str) -> PrometheusRule {
    PrometheusRule {
        kind: RuleKind::Alerting,
        name: name.into(),
        expr: expr.into(),
        for_seconds: 300,
        labels: Vec::new(),
        health: "ok".into(),
    }
}

fn add_alerts(fixture: &mut Fixture, alerts: Vec<PrometheusRule>) {
    fixture.prometheus.as_mut().unwrap()[0].rule_groups[0].rules.extend(alerts);
}

fn series_value(fixture: &mut Fixture, signal: &str, key: &str, value: f64) {
    let server = &mut fixture.prometheus.as_mut().unwrap()[0];
    let signal = server.signals.iter_mut().find(|s| s.name == signal).unwrap();
    let series = signal.series.iter_mut().find(|s| s.labels.iter().any(|(_, v)| v == key)).unwrap();
    series.samples.last_mut().unwrap().value = value;
}

#[test]
fn fixture_gives_exactly_the_planted_findings() {
    let verdict = run(&estate());
    assert_eq!(verdict.status, Status::Fail);
    let mut got: Vec<(String, String)> =
        verdict.findings.iter().map(|f| (f.rule.clone(), f.subject.id.clone())).collect();
    got.sort();
    let mut want: Vec<(String, String)> = [
        (MISSING_HEALTH_ALERT, "heartbeat"),
        (MISSING_HEALTH_ALERT, "throughput"),
        (MISSING_HEALTH_ALERT, "dlq-depth"),
        (MISSING_HEALTH_ALERT, "latency"),
        (MISSING_HEALTH_ALERT, "queue-growth"),
        (MISSING_HEALTH_ALERT, "event-balance"),
        (MISSING_HEALTH_ALERT, "unacked-messages"),
        (MISSING_HEALTH_ALERT, "retry-rate"),
        (MISSING_CAPACITY_ALERT, "cpu"),
        (MISSING_CAPACITY_ALERT, "memory"),
        (MISSING_CAPACITY_ALERT, "db-pool"),
        (MISSING_CAPACITY_ALERT, "broker-disk"),
        (MISSING_CAPACITY_ALERT, "network"),
        (LENIENT_ERROR_ALERT, "flow/ErrorRateHigh"),
        (ERROR_RATE, "a"),
        (THROUGHPUT_DEVIATION, "b"),
        (EVENT_IMBALANCE, "a"),
        // Active broker integrations without a produced/consumed pair (`a` and `b` have one).
        (EVENT_BALANCE_UNMEASURED, "c"),
        (EVENT_BALANCE_UNMEASURED, "old"),
        (EVENT_BALANCE_UNMEASURED, "ghost"),
        (TARGET_DOWN, "svc-b/10.0.0.2:8080"),
        (NO_TRACING, "distributed-tracing"),
        (UNUSED_INTEGRATION, "old"),
        (HEARTBEAT_UNMEASURED, "ghost"),
        (UNREGISTERED_RESOURCE, "/v/stray.q"),
        (UNREGISTERED_RESOURCE, "stray-topic"),
        (UNREGISTERED_RESOURCE, "stray-group"),
        (UNREGISTERED_RESOURCE, "stray-sqs"),
        (ORPHANED_REGISTRY_ENTRY, "ghost"),
    ]
    .iter()
    .map(|(r, id)| (r.to_string(), id.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn missing_health_alerts_clear_when_alerts_cover_them() {
    let mut fixture = estate();
    add_alerts(
        &mut fixture,
        vec![
            alert("IntegrationHeartbeatMissing", "time() - max(last_message_timestamp_seconds) > 900"),
            alert("ThroughputDeviation", "abs(throughput / throughput_baseline - 1) > 0.3"),
            alert("LatencyAboveBaseline", "p99_latency > 2 * p99_latency_baseline"),
            alert("QueueGrowing", "deriv(rabbitmq_queue_messages_ready[10m]) > 0"),
            alert("EventBalance", "abs(1 - events_consumed / events_produced) > 0.01"),
            alert("UnackedHigh", "rabbitmq_queue_messages_unacked > 1000"),
            alert("RetryRateHigh", "rate(retries_total[5m]) / rate(messages_total[5m]) > 0.01"),
        ],
    );
    // The DLQ alert exists but fails to evaluate; once it evaluates, it counts.
    let verdict = run(&fixture);
    assert_eq!(ids(&verdict, MISSING_HEALTH_ALERT), ["dlq-depth"]);
    fixture.prometheus.as_mut().unwrap()[0].rule_groups[0].rules[2].health = "ok".into();
    assert_eq!(ids(&run(&fixture), MISSING_HEALTH_ALERT), Vec::<String>::new());
}

#[test]
fn an_empty_pattern_list_drops_the_requirement() {
    let verdict = testing::run::<BlindSpots>(&estate(), &[("unacked-patterns", ParamValue::TextList(Vec::new()))]);
    assert!(!ids(&verdict, MISSING_HEALTH_ALERT).contains(&"unacked-messages".to_string()));
}

#[test]
fn capacity_alerts_must_be_alerting_rules() {
    let mut fixture = estate();
    add_alerts(
        &mut fixture,
        vec![
            alert("ServiceCpuHigh", "job:cpu:ratio > 0.8"),
            alert("ServiceMemoryHigh", "container_memory_working_set_bytes / limit > 0.85"),
            alert("DbPoolSaturation", "hikaricp_connections_active / hikaricp_connections_max > 0.7"),
            alert("BrokerDiskHigh", "1 - node_filesystem_avail_bytes / node_filesystem_size_bytes > 0.7"),
            alert("NetworkSaturation", "rate(node_network_transmit_bytes_total[5m]) * 8 / 1e9 > 0.6"),
        ],
    );
    assert_eq!(ids(&run(&fixture), MISSING_CAPACITY_ALERT), Vec::<String>::new());
}

#[test]
fn lenient_error_alert_is_fine_next_to_a_strict_one() {
    let mut fixture = estate();
    add_alerts(
        &mut fixture,
        vec![alert("ErrorRateWarning", "sum(rate(failed_total[5m])) / sum(rate(messages_total[5m])) >= 0.01")],
    );
    assert_eq!(ids(&run(&fixture), LENIENT_ERROR_ALERT), Vec::<String>::new());
}

#[test]
fn error_rate_threshold_parameter_changes_both_error_rules() {
    let verdict = testing::run::<BlindSpots>(&estate(), &[("error-rate", ParamValue::Float(0.05))]);
    assert_eq!(ids(&verdict, LENIENT_ERROR_ALERT), Vec::<String>::new());
    assert_eq!(ids(&verdict, ERROR_RATE), Vec::<String>::new());
}

#[test]
fn comparison_thresholds_are_read_as_ratios() {
    assert_eq!(comparison_threshold("a / b > 0.05"), Some(0.05));
    assert_eq!(comparison_threshold("a / b * 100 >= 5"), Some(0.05));
    assert_eq!(comparison_threshold("a / b > bool 1e-2"), Some(0.01));
    assert_eq!(comparison_threshold("x{l=\">9\"} > 0.02 and y > 100"), Some(0.02));
    assert_eq!(comparison_threshold("a < 0.99"), None);
}

#[test]
fn error_rate_below_the_threshold_passes() {
    let mut fixture = estate();
    series_value(&mut fixture, "error-rate", "a", 0.009);
    assert_eq!(ids(&run(&fixture), ERROR_RATE), Vec::<String>::new());
}

#[test]
fn throughput_within_the_deviation_passes() {
    let mut fixture = estate();
    series_value(&mut fixture, "throughput", "b", 7.5);
    assert_eq!(ids(&run(&fixture), THROUGHPUT_DEVIATION), Vec::<String>::new());
    let verdict = testing::run::<BlindSpots>(&estate(), &[("throughput-deviation", ParamValue::Float(0.5))]);
    assert_eq!(ids(&verdict, THROUGHPUT_DEVIATION), Vec::<String>::new());
}

#[test]
fn balanced_events_pass() {
    let mut fixture = estate();
    series_value(&mut fixture, "events-consumed", "a", 995.0);
    assert_eq!(ids(&run(&fixture), EVENT_IMBALANCE), Vec::<String>::new());
}

#[test]
fn event_balance_unmeasured_per_server_and_per_integration() {
    let per_server = [("balance-per-integration", ParamValue::Boolean(false))];
    // Default: every active broker integration without the pair, in registry order (`a` and `b`
    // have one; `c` is SQS, `old` and `ghost` RabbitMQ).
    let verdict = run(&estate());
    assert_eq!(ids(&verdict, EVENT_BALANCE_UNMEASURED), ["c", "old", "ghost"]);
    assert!(
        verdict.findings.iter().filter(|f| f.rule == EVENT_BALANCE_UNMEASURED).all(|f| f.subject.source == "registry")
    );
    assert!(!verdict.notes.iter().any(|n| n.contains("event balance is measured")), "{:?}", verdict.notes);
    // Per server: two of the five have the pair, so only a note.
    let verdict = testing::run::<BlindSpots>(&estate(), &per_server);
    assert_eq!(ids(&verdict, EVENT_BALANCE_UNMEASURED), Vec::<String>::new());
    assert!(verdict.notes.iter().any(|n| n.contains("event balance is measured for 2 of 5")), "{:?}", verdict.notes);
    // No pair at all: by default all five integrations, per server the server once.
    let mut fixture = estate();
    fixture.prometheus.as_mut().unwrap()[0].signals.retain(|s| s.name != "events-consumed");
    assert_eq!(ids(&run(&fixture), EVENT_BALANCE_UNMEASURED), ["a", "b", "c", "old", "ghost"]);
    let verdict = testing::run::<BlindSpots>(&fixture, &per_server);
    assert_eq!(ids(&verdict, EVENT_BALANCE_UNMEASURED), ["events-produced/events-consumed"]);
    // Transports outside `balance-transports` are not asked for the pair.
    let verdict = testing::run::<BlindSpots>(
        &estate(),
        &[("balance-transports", ParamValue::TextList(vec!["kafka".into(), "sqs".into()]))],
    );
    assert_eq!(ids(&verdict, EVENT_BALANCE_UNMEASURED), ["c"]);
}

#[test]
fn targets_up_pass() {
    let mut fixture = estate();
    fixture.prometheus.as_mut().unwrap()[0].targets[1].health = "up".into();
    assert_eq!(ids(&run(&fixture), TARGET_DOWN), Vec::<String>::new());
}

#[test]
fn tracing_found_by_prometheus_or_in_config_passes() {
    let mut fixture = estate();
    fixture.prometheus.as_mut().unwrap()[0].tracing_detected = true;
    assert_eq!(ids(&run(&fixture), NO_TRACING), Vec::<String>::new());

    let mut fixture = estate();
    fixture.config_files.as_mut().unwrap()[0].entries[1].value = "true".into();
    let verdict = run(&fixture);
    assert_eq!(ids(&verdict, NO_TRACING), Vec::<String>::new());
    assert!(verdict.notes.iter().any(|n| n.contains("management.tracing.enabled")));

    // Unreadable config files: not judged.
    let fixture = estate().unavailable(Section::ConfigFiles, "configs: permission denied");
    assert_eq!(ids(&run(&fixture), NO_TRACING), Vec::<String>::new());
}

#[test]
fn recent_activity_passes_and_unused_days_is_a_parameter() {
    let mut fixture = estate();
    series_value(&mut fixture, "last-activity", "old", 1_795_000_000.0);
    assert_eq!(ids(&run(&fixture), UNUSED_INTEGRATION), Vec::<String>::new());
    let verdict = testing::run::<BlindSpots>(&estate(), &[("unused-days", ParamValue::Integer(200))]);
    assert_eq!(ids(&verdict, UNUSED_INTEGRATION), Vec::<String>::new());
}

#[test]
fn heartbeat_present_passes() {
    let mut fixture = estate();
    fixture.registry.as_mut().unwrap().retain(|i| i.id != "ghost");
    assert_eq!(ids(&run(&fixture), HEARTBEAT_UNMEASURED), Vec::<String>::new());
}

#[test]
fn registered_or_ignored_resources_pass() {
    let mut fixture = estate();
    fixture.registry.as_mut().unwrap()[0].resources.extend(
        ["queue:/v/stray.q", "topic:stray-topic", "consumer-group:stray-group", "sqs-queue:stray-sqs"]
            .map(String::from),
    );
    assert_eq!(ids(&run(&fixture), UNREGISTERED_RESOURCE), Vec::<String>::new());
    let verdict =
        testing::run::<BlindSpots>(&estate(), &[("ignore-resources", ParamValue::TextList(vec!["stray*".into()]))]);
    assert_eq!(ids(&verdict, UNREGISTERED_RESOURCE), Vec::<String>::new());
    // Without a registry nothing can be called unregistered.
    let fixture = estate().without(Section::Registry);
    assert_eq!(ids(&run(&fixture), UNREGISTERED_RESOURCE), Vec::<String>::new());
}

#[test]
fn orphaned_entries_only_judge_collected_sections() {
    let mut fixture = estate();
    fixture.registry.as_mut().unwrap()[4].resources = vec!["queue:/v/a.in".into(), "table:ghosts".into()];
    assert_eq!(ids(&run(&fixture), ORPHANED_REGISTRY_ENTRY), Vec::<String>::new());

    let verdict = run(&estate().without(Section::Kafka));
    let finding = verdict.findings.iter().find(|f| f.rule == ORPHANED_REGISTRY_ENTRY).expect("ghost reported");
    assert!(finding.evidence.iter().any(|(k, v)| k == "missing" && v == "queue:/v/ghost.in"), "{:?}", finding.evidence);
}

#[test]
fn unavailable_prometheus_is_inconclusive_not_pass() {
    let mut fixture = estate().unavailable(Section::Prometheus, "prom: timeout");
    fixture.registry = Some(Vec::new());
    fixture.rabbitmq = Some(Vec::new());
    fixture.kafka = Some(Vec::new());
    fixture.sqs = Some(Vec::new());
    let verdict = run(&fixture);
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Inconclusive);
    assert!(verdict.notes.iter().any(|n| n.contains("prom: timeout")), "{:?}", verdict.notes);
}

#[test]
fn nothing_to_evaluate_is_skip() {
    let verdict = run(&Fixture::default());
    assert_eq!(verdict.status, Status::Skip);
    assert_eq!(verdict.evaluated, 0);
}
