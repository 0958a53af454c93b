//! One fix per rule applied to the fixture, and a test per rule that the fix silences it (and
//! only it): the "does not fire on the fixed variant" half of each rule's tests.

use plumbline_sdk::estate::{KafkaLagSample, Series};
use plumbline_sdk::testing::{Fixture, rules_fired};

use super::{estate, ids, run, samples};
use crate::*;

fn series_mut<'a>(fixture: &'a mut Fixture, signal: &str) -> &'a mut Vec<Series> {
    let server = &mut fixture.prometheus.as_mut().unwrap()[0];
    &mut server.signals.iter_mut().find(|s| s.name == signal).unwrap().series
}

fn set_entry(fixture: &mut Fixture, key: &str, value: &str) {
    for file in fixture.config_files.as_mut().unwrap() {
        for entry in file.entries.iter_mut().filter(|e| e.key == key) {
            entry.value = value.to_string();
        }
    }
}

pub fn fix_prefetch(f: &mut Fixture) {
    for c in &mut f.rabbitmq.as_mut().unwrap()[0].consumers {
        c.prefetch_count = 20;
    }
    set_entry(f, "spring.rabbitmq.listener.simple.prefetch", "20");
}

pub fn fix_concurrency(f: &mut Fixture) {
    set_entry(f, "spring.rabbitmq.listener.simple.max-concurrency", "32");
    set_entry(f, "WORKER_MAX_THREADS", "16");
}

pub fn fix_poll_interval(f: &mut Fixture) {
    set_entry(f, "max.poll.records", "500");
}

pub fn fix_visibility(f: &mut Fixture) {
    for q in &mut f.sqs.as_mut().unwrap()[0].queues {
        if q.name == "slow" {
            q.visibility_timeout_seconds = 60;
        }
    }
}

pub fn fix_growth(f: &mut Fixture) {
    for q in &mut f.rabbitmq.as_mut().unwrap()[0].queues {
        if q.name == "jobs.in" {
            q.depth_history = samples(&[5.0, 50.0, 30.0, 60.0]);
        }
    }
}

pub fn fix_draining(f: &mut Fixture) {
    for q in &mut f.rabbitmq.as_mut().unwrap()[0].queues {
        if q.name == "jobs.in" {
            q.depth_history = samples(&[5.0, 50.0, 200.0, 900.0]);
        }
    }
    series_mut(f, QUEUE_DEPTH)[0].samples = samples(&[400.0, 8.0, 380.0, 420.0]);
}

pub fn fix_throttling(f: &mut Fixture) {
    series_mut(f, "http-429-rate")[0].samples = samples(&[0.0, 0.009, 0.005]);
}

fn lag(points: &[(i64, i64)]) -> Vec<KafkaLagSample> {
    points
        .iter()
        .enumerate()
        .map(|(i, (committed, lag))| KafkaLagSample {
            at: 1_795_542_400 + i as i64 * 28_800,
            committed: *committed,
            lag: *lag,
        })
        .collect()
}

pub fn fix_stall(f: &mut Fixture) {
    let group = f.kafka.as_mut().unwrap()[0].consumer_groups.iter_mut().find(|g| g.group_id == "stalled").unwrap();
    group.history = lag(&[(1000, 10), (1100, 5), (1200, 30)]);
}

pub fn fix_rising(f: &mut Fixture) {
    let group = f.kafka.as_mut().unwrap()[0].consumer_groups.iter_mut().find(|g| g.group_id == "rising").unwrap();
    group.history = lag(&[(100, 5), (200, 3), (300, 20)]);
}

pub fn fix_cpu(f: &mut Fixture) {
    series_mut(f, "cpu-utilisation")[0].samples = samples(&[0.9, 0.85, 0.7]);
}

pub fn fix_memory(f: &mut Fixture) {
    series_mut(f, "memory-utilisation")[0].samples = samples(&[0.8]);
}

pub fn fix_db_pool(f: &mut Fixture) {
    series_mut(f, "db-pool-utilisation")[0].samples = samples(&[0.6]);
}

pub fn fix_broker_disk(f: &mut Fixture) {
    f.rabbitmq.as_mut().unwrap()[0].nodes[0].disk_free_bytes = 60 * 1024 * 1024 * 1024;
}

pub fn fix_network(f: &mut Fixture) {
    series_mut(f, "network-utilisation")[0].samples = samples(&[0.6]);
}

pub fn fix_db_connections(f: &mut Fixture) {
    f.postgres.as_mut().unwrap()[0].max_connections = 200;
}

type Fix = fn(&mut Fixture);

const FIXES: [(&str, Fix); 15] = [
    (UNBOUNDED_PREFETCH, fix_prefetch),
    (UNBOUNDED_CONCURRENCY, fix_concurrency),
    (POLL_INTERVAL_RISK, fix_poll_interval),
    (VISIBILITY_TIMEOUT, fix_visibility),
    // Draining before growth: both rewrite `jobs.in`'s history, and growth's version drains too.
    (QUEUE_NOT_DRAINING, fix_draining),
    (QUEUE_GROWING, fix_growth),
    (DOWNSTREAM_THROTTLING, fix_throttling),
    (LAG_STALLED, fix_stall),
    (LAG_RISING, fix_rising),
    (CPU_SATURATION, fix_cpu),
    (MEMORY_PRESSURE, fix_memory),
    (DB_POOL_EXHAUSTION, fix_db_pool),
    (BROKER_DISK, fix_broker_disk),
    (NETWORK_SATURATION, fix_network),
    (DB_CONNECTIONS, fix_db_connections),
];

/// The fixture with every fix applied.
pub fn all_fixed() -> Fixture {
    let mut fixture = estate();
    for (_, fix) in FIXES {
        fix(&mut fixture);
    }
    fixture
}

/// Applies the fix for `rule` and checks that exactly that rule stops firing.
fn silences(rule: &str) {
    let before = rules_fired(&run(&estate()));
    assert!(before.iter().any(|r| r == rule), "{rule} does not fire on the fixture");
    let (_, fix) = FIXES.iter().find(|(r, _)| *r == rule).unwrap();
    let mut fixture = estate();
    fix(&mut fixture);
    let verdict = run(&fixture);
    assert!(ids(&verdict, rule).is_empty(), "{rule} still fires: {:?}", ids(&verdict, rule));
    let expected: Vec<String> = before.into_iter().filter(|r| r != rule).collect();
    assert_eq!(rules_fired(&verdict), expected, "fixing {rule} changed other rules");
}

#[test]
fn bounded_prefetch_passes() {
    silences(UNBOUNDED_PREFETCH);
}

#[test]
fn bounded_concurrency_passes() {
    silences(UNBOUNDED_CONCURRENCY);
}

#[test]
fn poll_batch_within_the_interval_passes() {
    silences(POLL_INTERVAL_RISK);
}

#[test]
fn poll_interval_raised_also_passes() {
    let mut fixture = estate();
    let file =
        fixture.config_files.as_mut().unwrap().iter_mut().find(|f| f.service.as_deref() == Some("heavy")).unwrap();
    file.entries.push(plumbline_sdk::estate::ConfigEntry {
        key: "max.poll.interval.ms".into(),
        value: "600000".into(),
        line: 3,
        secret: None,
    });
    assert!(ids(&run(&fixture), POLL_INTERVAL_RISK).is_empty());
}

#[test]
fn spring_prefetch_of_an_auto_ack_container_is_left_to_acks() {
    let mut fixture = estate();
    let file = &mut fixture.config_files.as_mut().unwrap()[0];
    file.entries.push(plumbline_sdk::estate::ConfigEntry {
        key: "spring.rabbitmq.listener.simple.acknowledge-mode".into(),
        value: "none".into(),
        line: 4,
        secret: None,
    });
    let verdict = run(&fixture);
    assert_eq!(ids(&verdict, UNBOUNDED_PREFETCH), ["/app/jobs.in/ctag-1"]);
}

#[test]
fn visibility_timeout_above_processing_time_passes() {
    silences(VISIBILITY_TIMEOUT);
}

#[test]
fn a_queue_that_dips_is_not_growing() {
    silences(QUEUE_GROWING);
}

#[test]
fn a_queue_that_drains_once_passes() {
    silences(QUEUE_NOT_DRAINING);
}

#[test]
fn a_short_depth_history_is_not_judged_for_draining() {
    let mut fixture = estate();
    fix_growth(&mut fixture);
    for q in &mut fixture.rabbitmq.as_mut().unwrap()[0].queues {
        if q.name == "jobs.in" {
            q.depth_history.truncate(2);
        }
    }
    let verdict = run(&fixture);
    assert_eq!(ids(&verdict, QUEUE_NOT_DRAINING), ["/app/backlog"]);
    assert!(verdict.notes.iter().any(|n| n.contains("`/app/jobs.in` (8 h)")), "{:?}", verdict.notes);
}

#[test]
fn throttling_below_the_rate_passes() {
    silences(DOWNSTREAM_THROTTLING);
}

#[test]
fn a_group_that_commits_is_not_stalled() {
    silences(LAG_STALLED);
}

#[test]
fn lag_that_falls_once_is_not_rising() {
    silences(LAG_RISING);
}

#[test]
fn cpu_that_dropped_on_the_last_sample_passes() {
    silences(CPU_SATURATION);
}

#[test]
fn memory_below_the_threshold_passes() {
    silences(MEMORY_PRESSURE);
}

#[test]
fn db_pool_below_the_threshold_passes() {
    silences(DB_POOL_EXHAUSTION);
}

#[test]
fn broker_disk_with_room_passes() {
    silences(BROKER_DISK);
}

#[test]
fn broker_disk_signal_takes_precedence_over_node_data() {
    // mq-b's node data says 90 % used, but its signal series (0.5) covers it.
    let verdict = run(&estate());
    assert!(!ids(&verdict, BROKER_DISK).iter().any(|id| id.contains("mq-b")));
}

#[test]
fn network_at_the_threshold_passes() {
    silences(NETWORK_SATURATION);
}

#[test]
fn postgres_with_free_connections_passes() {
    silences(DB_CONNECTIONS);
}
