//! `blind-spots` on the two example estates in `examples/`: the healthy one passes with no
//! findings, the leaky one gives exactly the problems `examples/README.md` plants under
//! "Monitoring (Q5, module 7)" and "Registry hygiene (module 7)".

use plumbline_sdk::testing::{self, Fixture};
use plumbline_sdk::{Status, Verdict};

use crate::*;

fn example(text: &str) -> Verdict {
    let fixture = Fixture::from_json(text).expect("example parses");
    testing::run::<BlindSpots>(&fixture, &[])
}

#[test]
fn healthy_estate_passes() {
    let verdict = example(include_str!("../../../examples/healthy-estate/snapshot.json"));
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Pass);
}

#[test]
fn leaky_estate_fails_with_the_planted_findings() {
    let verdict = example(include_str!("../../../examples/leaky-estate/snapshot.json"));
    assert_eq!(verdict.status, Status::Fail);
    let mut got: Vec<(String, String)> =
        verdict.findings.iter().map(|f| (f.rule.clone(), f.subject.id.clone())).collect();
    got.sort();
    let mut want: Vec<(String, String)> = [
        // "There is no alert for DLQ depth, queue growth, heartbeat or absence, throughput
        // deviation, retry rate, event balance" (+ unacked messages, which the seed asks for).
        // Error rate (5 %) and latency (mean > 5 s) have alerts.
        (MISSING_HEALTH_ALERT, "heartbeat"),
        (MISSING_HEALTH_ALERT, "throughput"),
        (MISSING_HEALTH_ALERT, "dlq-depth"),
        (MISSING_HEALTH_ALERT, "queue-growth"),
        (MISSING_HEALTH_ALERT, "event-balance"),
        (MISSING_HEALTH_ALERT, "unacked-messages"),
        (MISSING_HEALTH_ALERT, "retry-rate"),
        // "... CPU, memory, DB pool, broker disk, network".
        (MISSING_CAPACITY_ALERT, "cpu"),
        (MISSING_CAPACITY_ALERT, "memory"),
        (MISSING_CAPACITY_ALERT, "db-pool"),
        (MISSING_CAPACITY_ALERT, "broker-disk"),
        (MISSING_CAPACITY_ALERT, "network"),
        // "error rate above 5 % (IntegrationErrorRateHigh; the seed threshold is 1 %)".
        (LENIENT_ERROR_ALERT, "integrations/IntegrationErrorRateHigh"),
        // "error-rate for order-to-payment ... ends at 0.023".
        (ERROR_RATE, "order-to-payment"),
        // "throughput for payment-to-warehouse is about 38 % below throughput-baseline".
        (THROUGHPUT_DEVIATION, "payment-to-warehouse"),
        // "events-produced and events-consumed for payment-to-billing ... 3.0 %".
        (EVENT_IMBALANCE, "payment-to-billing"),
        // "Event balance is not measured at all for the other broker integrations (order-events,
        // warehouse-dispatch, warehouse-shipments, billing-to-invoicing, legacy-fax-orders,
        // returns-to-refund)": only order-to-payment, payment-to-billing and payment-to-warehouse
        // have a produced/consumed pair; the two webhooks are not on a broker transport.
        (EVENT_BALANCE_UNMEASURED, "order-events"),
        (EVENT_BALANCE_UNMEASURED, "warehouse-dispatch"),
        (EVENT_BALANCE_UNMEASURED, "warehouse-shipments"),
        (EVENT_BALANCE_UNMEASURED, "billing-to-invoicing"),
        (EVENT_BALANCE_UNMEASURED, "legacy-fax-orders"),
        (EVENT_BALANCE_UNMEASURED, "returns-to-refund"),
        // "prom-main target billing-service 10.0.4.21:8080 has health: down".
        (TARGET_DOWN, "billing-service/10.0.4.21:8080"),
        // "prom-main has tracing_detected: false" (and no tracing keys in the config files).
        (NO_TRACING, "distributed-tracing"),
        // "legacy-fax-orders is active, but its last-activity is T − 134 days".
        (UNUSED_INTEGRATION, "legacy-fax-orders"),
        // "returns-to-refund ... The entry has no last-activity series".
        (HEARTBEAT_UNMEASURED, "returns-to-refund"),
        // "/orders/crm.order-export is live ... but no integration lists it".
        (UNREGISTERED_RESOURCE, "/orders/crm.order-export"),
        // "returns-to-refund lists queue:/orders/returns.in, which does not exist".
        (ORPHANED_REGISTRY_ENTRY, "returns-to-refund"),
    ]
    .iter()
    .map(|(r, id)| (r.to_string(), id.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want);
}
