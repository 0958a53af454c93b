//! The example estates in `examples/`: the healthy one passes with no findings; the leaky one
//! fails with exactly the findings listed below, written by hand from `examples/README.md`
//! ("Backpressure (Q2)" and the capacity signals under "Monitoring") and the snapshot itself.

use plumbline_sdk::Status;
use plumbline_sdk::testing::Fixture;

use super::run;
use crate::*;

fn example(text: &str) -> Fixture {
    Fixture::from_json(text).expect("example snapshot parses")
}

#[test]
fn healthy_example_passes() {
    let verdict = run(&example(include_str!("../../../../examples/healthy-estate/snapshot.json")));
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Pass);
    assert!(verdict.evaluated > 0);
}

#[test]
fn leaky_example_fails_with_exactly_the_planted_problems() {
    let verdict = run(&example(include_str!("../../../../examples/leaky-estate/snapshot.json")));
    assert_eq!(verdict.status, Status::Fail);
    let mut found: Vec<(String, String, String, String)> = verdict
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.subject.source.clone(), f.subject.kind.clone(), f.subject.id.clone()))
        .collect();
    found.sort();
    let payment_config = "/srv/payment-service/config/application.yml";
    let mut expected: Vec<(String, String, String, String)> = [
        // Both manual-ack payment-service consumers of payments.in run with prefetch 0, and the
        // Spring direct container says the same (line 19). The auto-ack consumer of
        // orders.created is the acks check's business.
        (UNBOUNDED_PREFETCH, "rabbit-prod", "consumer", "/orders/payments.in/amq.ctag-pV0c4Hn2rS8dTq1wXz6bEg"),
        (UNBOUNDED_PREFETCH, "rabbit-prod", "consumer", "/orders/payments.in/amq.ctag-e9LmQ2aZr5YtK0uWs3NfPh"),
        (UNBOUNDED_PREFETCH, payment_config, "config-key", "spring.rabbitmq.listener.direct.prefetch"),
        // max-concurrency 500 (line 46) is above the 64 the check accepts.
        (UNBOUNDED_CONCURRENCY, payment_config, "config-key", "spring.rabbitmq.listener.simple.max-concurrency"),
        // warehouse-sync: max.poll.records=2000 × 0.23 s (p99 peak, group=warehouse-sync) = 460 s > 300 s.
        (POLL_INTERVAL_RISK, "/srv/warehouse-sync/config/consumer.properties", "config-key", "max.poll.records"),
        // payments.in: depth_history 140 → 18,420, rising at every sample, never below 140.
        (QUEUE_GROWING, "rabbit-prod", "queue", "/orders/payments.in"),
        (QUEUE_NOT_DRAINING, "rabbit-prod", "queue", "/orders/payments.in"),
        // orders.created has no depth_history; its queue-depth series never falls below 104
        // ready messages all day (288, 296, 274, 122, 104, 251, 312): it never drains either.
        (QUEUE_NOT_DRAINING, "rabbit-prod", "queue", "/orders/orders.created"),
        // 429 rate towards api.paygate.example peaks at 0.043 and ends at 0.041; 503 stays ≤ 0.003.
        (
            DOWNSTREAM_THROTTLING,
            "prom-main",
            "series",
            "http-429-rate{integration=\"order-to-payment\",peer=\"api.paygate.example\"}",
        ),
        // warehouse-sync commits at every sample but its lag rises at every one: Burrow WARN.
        (LAG_RISING, "kafka-prod", "consumer-group", "warehouse-sync"),
        // shop-shipments commits nothing all window (1,980,000 throughout) while lag rises: STALL.
        (LAG_STALLED, "kafka-prod", "consumer-group", "shop-shipments"),
        // invoices: visibility 30 s, billing-to-invoicing p99 up to 41 s.
        (VISIBILITY_TIMEOUT, "sqs-billing", "queue", "invoices"),
        // warehouse-sync memory climbs to 0.91 (> 0.85); payment-service stays at 0.74.
        (MEMORY_PRESSURE, "prom-main", "series", "memory-utilisation{service=\"warehouse-sync\"}"),
        // rmq-prod-2 network ends at 0.66 (> 0.60); rmq-prod-1 stays at 0.42.
        (NETWORK_SATURATION, "prom-main", "series", "network-utilisation{instance=\"rmq-prod-2.acme.internal\"}"),
        // payment-service CPU 0.92 then 0.90 on the last two samples; pool 0.82.
        (CPU_SATURATION, "prom-main", "series", "cpu-utilisation{service=\"payment-service\"}"),
        (DB_POOL_EXHAUSTION, "prom-main", "series", "db-pool-utilisation{service=\"payment-service\"}"),
        // Broker disks 0.75, 0.74, 0.72: all three above 0.70 (the node data agrees, but the
        // signal covers every node so it is not reported twice).
        (BROKER_DISK, "prom-main", "series", "broker-disk-utilisation{instance=\"rmq-prod-1.acme.internal\"}"),
        (BROKER_DISK, "prom-main", "series", "broker-disk-utilisation{instance=\"rmq-prod-2.acme.internal\"}"),
        (BROKER_DISK, "prom-main", "series", "broker-disk-utilisation{instance=\"rmq-prod-3.acme.internal\"}"),
        // 41 + 28 + 12 + 4 = 85 of 100 connections.
        (DB_CONNECTIONS, "pg-payments", "server", "pg-payments"),
    ]
    .iter()
    .map(|(r, s, k, i)| (r.to_string(), s.to_string(), k.to_string(), i.to_string()))
    .collect();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn leaky_example_notes_what_it_could_not_weigh() {
    let verdict = run(&example(include_str!("../../../../examples/leaky-estate/snapshot.json")));
    // No processing-seconds-p99 series for billing: no guess at its poll risk.
    assert!(
        verdict.notes.iter().any(|n| n.starts_with("poll-interval-risk") && n.contains("`billing`")),
        "{:?}",
        verdict.notes
    );
    // orders.dlq rises too, but it is a dead-letter queue.
    assert!(verdict.notes.iter().any(|n| n.contains("/orders/orders.dlq")), "{:?}", verdict.notes);
}
