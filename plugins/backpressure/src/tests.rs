//! Unit tests for `backpressure` on a small fixture estate (fixtures/estate.json). What it holds:
//! - RabbitMQ `rabbit-test`: `jobs.in` growing 20 → 900 (never drained) with a manual-ack
//!   prefetch-0 consumer and an auto-ack one; `jobs.dlq` and `parked` (bound from the DLX) also
//!   rising but dead-letter queues; `steady` fine; `backlog` judged from the `queue-depth` signal
//!   (350..420, never drained). Node `mq-a` at 80 % disk with no signal (node fallback); `mq-b`
//!   covered by a 0.5 `broker-disk-utilisation` series.
//! - Kafka `kafka-test`: groups `stalled` (STALL), `rising` (WARN), `ok` (lag hit 0), `short`
//!   (2 samples → note).
//! - SQS `sqs-test`: `slow` 30 s vs p99 45 s (by queue label); `export` 120 s vs 50 s (by
//!   integration); `export-dlq` 30 s, a DLQ, so the integration's time does not apply; `quiet`
//!   with no processing time (note).
//! - PostgreSQL `pg-test`: 75 of 100 connections.
//! - Signals: 429 peaking at 0.02 (last 0.005), 503 at 0.001; CPU `hot` (sustained), `spiky`
//!   (only the last sample high), `cool`; memory/pool `hot` and `cool`; network 0.65.
//! - Config: Spring prefetch 0, max-concurrency 200, sane concurrency 4 and 3; Kafka `heavy`
//!   polling 2000 × 0.2 s; `.env` `WORKER_MAX_THREADS=unlimited` and an unreadable placeholder;
//!   `quiet` consumer without processing time (note).

use plumbline_sdk::estate::Sample;
use plumbline_sdk::testing::{self, Fixture, rules_fired};
use plumbline_sdk::{ParamValue, Section, Status, Verdict};

use crate::*;

mod examples;
mod fixed;

pub(crate) fn estate() -> Fixture {
    Fixture::from_json(include_str!("../fixtures/estate.json")).expect("fixture parses")
}

/// (rule, subject id) of every finding, sorted.
pub(crate) fn pairs(verdict: &Verdict) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        verdict.findings.iter().map(|f| (f.rule.clone(), f.subject.id.clone())).collect();
    out.sort();
    out
}

/// Subject ids of the findings of `rule`.
pub(crate) fn ids(verdict: &Verdict, rule: &str) -> Vec<String> {
    verdict.findings.iter().filter(|f| f.rule == rule).map(|f| f.subject.id.clone()).collect()
}

pub(crate) fn run(fixture: &Fixture) -> Verdict {
    testing::run::<Backpressure>(fixture, &[])
}

pub(crate) fn samples(values: &[f64]) -> Vec<Sample> {
    let step = 86_400 / (values.len().max(2) as i64 - 1);
    values.iter().enumerate().map(|(i, v)| Sample { at: 1_795_513_600 + i as i64 * step, value: *v }).collect()
}

#[test]
fn fires_every_rule_on_the_fixture() {
    let verdict = run(&estate());
    assert_eq!(verdict.status, Status::Fail);
    let mut all = vec![
        UNBOUNDED_PREFETCH,
        UNBOUNDED_CONCURRENCY,
        POLL_INTERVAL_RISK,
        VISIBILITY_TIMEOUT,
        QUEUE_GROWING,
        QUEUE_NOT_DRAINING,
        DOWNSTREAM_THROTTLING,
        LAG_STALLED,
        LAG_RISING,
        CPU_SATURATION,
        MEMORY_PRESSURE,
        DB_POOL_EXHAUSTION,
        BROKER_DISK,
        NETWORK_SATURATION,
        DB_CONNECTIONS,
    ];
    all.sort();
    assert_eq!(rules_fired(&verdict), all);
    // 3 consumers + 1 prefetch key + 5 concurrency keys + 3 Kafka consumer configs + 4 groups
    // + 4 SQS queues + 3 queue depths + 2 throttle series + 9 capacity series + 1 node + 1 server
    assert_eq!(verdict.evaluated, 36);
}

#[test]
fn findings_name_the_expected_subjects() {
    let verdict = run(&estate());
    let expected = [
        (BROKER_DISK, "rabbit@mq-a"),
        (CPU_SATURATION, "cpu-utilisation{service=\"hot\"}"),
        (DB_CONNECTIONS, "pg-test"),
        (DB_POOL_EXHAUSTION, "db-pool-utilisation{service=\"hot\"}"),
        (DOWNSTREAM_THROTTLING, "http-429-rate{integration=\"orders-flow\",peer=\"api.partner.example\"}"),
        (LAG_RISING, "rising"),
        (LAG_STALLED, "stalled"),
        (MEMORY_PRESSURE, "memory-utilisation{service=\"hot\"}"),
        (NETWORK_SATURATION, "network-utilisation{instance=\"mq-b.test.internal:9100\"}"),
        (POLL_INTERVAL_RISK, "max.poll.records"),
        (QUEUE_GROWING, "/app/jobs.in"),
        (QUEUE_NOT_DRAINING, "/app/backlog"),
        (QUEUE_NOT_DRAINING, "/app/jobs.in"),
        (UNBOUNDED_CONCURRENCY, "WORKER_MAX_THREADS"),
        (UNBOUNDED_CONCURRENCY, "spring.rabbitmq.listener.simple.max-concurrency"),
        (UNBOUNDED_PREFETCH, "/app/jobs.in/ctag-1"),
        (UNBOUNDED_PREFETCH, "spring.rabbitmq.listener.simple.prefetch"),
        (VISIBILITY_TIMEOUT, "slow"),
    ];
    let mut expected: Vec<(String, String)> = expected.iter().map(|(r, i)| (r.to_string(), i.to_string())).collect();
    expected.sort();
    assert_eq!(pairs(&verdict), expected);
}

#[test]
fn evidence_carries_the_burrow_state_and_figures() {
    let verdict = run(&estate());
    let find = |rule: &str| verdict.findings.iter().find(|f| f.rule == rule).unwrap();
    let has = |rule: &str, key: &str, value: &str| find(rule).evidence.iter().any(|(k, v)| k == key && v == value);
    assert!(has(LAG_STALLED, "burrow_state", "STALL"));
    assert!(has(LAG_RISING, "burrow_state", "WARN"));
    assert!(has(VISIBILITY_TIMEOUT, "processing_seconds_p99_max", "45"));
    assert!(has(POLL_INTERVAL_RISK, "batch_seconds", "400"));
    assert!(has(DOWNSTREAM_THROTTLING, "rate_max", "0.02"));
    assert!(has(DOWNSTREAM_THROTTLING, "rate_last", "0.005"));
    assert!(has(DB_CONNECTIONS, "utilisation", "0.75"));
    assert!(has(BROKER_DISK, "utilisation", "0.8"));
}

#[test]
fn notes_explain_what_could_not_be_judged() {
    let verdict = run(&estate());
    let note = |needle: &str| verdict.notes.iter().any(|n| n.contains(needle));
    assert!(note("`quiet` (/app/quiet/consumer.properties)"), "{:?}", verdict.notes);
    assert!(note("`short` (2 sample(s))"), "{:?}", verdict.notes);
    assert!(note("SQS queue(s) `quiet`"), "{:?}", verdict.notes);
    assert!(note("/app/jobs.dlq, /app/parked"), "{:?}", verdict.notes);
    assert!(note("TASK_CONCURRENCY"), "{:?}", verdict.notes);
    assert!(!note("export-dlq"), "a DLQ without processing time needs no note: {:?}", verdict.notes);
}

#[test]
fn auto_ack_consumers_are_left_to_the_acks_check() {
    let verdict = run(&estate());
    assert!(!ids(&verdict, UNBOUNDED_PREFETCH).iter().any(|id| id.contains("ctag-2")));
}

#[test]
fn a_queue_is_judged_once_preferring_its_depth_history() {
    let verdict = run(&estate());
    let growing = ids(&verdict, QUEUE_GROWING);
    assert_eq!(growing, ["/app/jobs.in"]);
    let finding = verdict.findings.iter().find(|f| f.rule == QUEUE_GROWING).unwrap();
    assert!(finding.evidence.iter().any(|(k, v)| k == "source" && v == "depth_history"));
    let backlog =
        verdict.findings.iter().find(|f| f.rule == QUEUE_NOT_DRAINING && f.subject.id == "/app/backlog").unwrap();
    assert_eq!(backlog.subject.source, "rabbit-test");
    assert!(backlog.evidence.iter().any(|(k, v)| k == "source" && v.starts_with("queue-depth signal")));
}

#[test]
fn threshold_parameters_change_the_verdict() {
    let verdict = testing::run::<Backpressure>(&estate(), &[("max-concurrency", ParamValue::Integer(256))]);
    assert_eq!(ids(&verdict, UNBOUNDED_CONCURRENCY), ["WORKER_MAX_THREADS"]);

    let verdict = testing::run::<Backpressure>(&estate(), &[("throttle-rate", ParamValue::Float(0.05))]);
    assert!(ids(&verdict, DOWNSTREAM_THROTTLING).is_empty());

    let verdict = testing::run::<Backpressure>(&estate(), &[("drain-threshold", ParamValue::Integer(500))]);
    assert!(ids(&verdict, QUEUE_NOT_DRAINING).is_empty());

    let verdict = testing::run::<Backpressure>(&estate(), &[("growth-minutes", ParamValue::Integer(48 * 60))]);
    assert!(ids(&verdict, QUEUE_GROWING).is_empty());

    let verdict = testing::run::<Backpressure>(&estate(), &[("sustain-samples", ParamValue::Integer(1))]);
    assert_eq!(
        ids(&verdict, CPU_SATURATION),
        ["cpu-utilisation{service=\"hot\"}", "cpu-utilisation{service=\"spiky\"}"]
    );

    let verdict =
        testing::run::<Backpressure>(&estate(), &[("max-db-connections-utilisation", ParamValue::Float(0.8))]);
    assert!(ids(&verdict, DB_CONNECTIONS).is_empty());

    let verdict = testing::run::<Backpressure>(&estate(), &[("max-broker-disk-utilisation", ParamValue::Float(0.85))]);
    assert!(ids(&verdict, BROKER_DISK).is_empty());

    let verdict = testing::run::<Backpressure>(&estate(), &[("min-samples", ParamValue::Integer(4))]);
    assert!(ids(&verdict, LAG_STALLED).is_empty() && ids(&verdict, LAG_RISING).is_empty());
}

#[test]
fn unavailable_section_is_inconclusive_not_pass() {
    let fixture = Fixture::default().unavailable(Section::Prometheus, "prom-test: connection refused");
    let verdict = run(&fixture);
    assert_eq!(verdict.status, Status::Inconclusive);
    assert!(verdict.notes.iter().any(|n| n.contains("connection refused")), "{:?}", verdict.notes);
}

#[test]
fn unavailable_section_stays_inconclusive_even_when_the_rest_is_fine() {
    let mut fixture = fixed::all_fixed();
    fixture = fixture.unavailable(Section::Kafka, "kafka-test: timeout");
    let verdict = run(&fixture);
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Inconclusive);
}

#[test]
fn findings_elsewhere_still_fail_when_one_section_is_unavailable() {
    let fixture = estate().unavailable(Section::Rabbitmq, "rabbit-test: timeout");
    let verdict = run(&fixture);
    assert_eq!(verdict.status, Status::Fail);
    assert!(verdict.notes.iter().any(|n| n.contains("rabbitmq: unavailable")));
}

#[test]
fn nothing_to_evaluate_is_skip() {
    let verdict = run(&Fixture::default());
    assert_eq!(verdict.status, Status::Skip);
    assert_eq!(verdict.evaluated, 0);
}

#[test]
fn fixed_estate_passes() {
    let verdict = run(&fixed::all_fixed());
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Pass);
}
