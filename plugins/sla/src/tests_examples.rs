//! `sla` on the two example estates in `examples/`: the healthy one passes with no findings, the
//! leaky one gives exactly the problems `examples/README.md` plants under "SLAs (Q6)" (plus the
//! retry rate listed under "Monitoring").

use plumbline_sdk::testing::{self, Fixture};
use plumbline_sdk::{Status, Verdict};

use crate::*;

fn example(text: &str) -> Verdict {
    let fixture = Fixture::from_json(text).expect("example parses");
    testing::run::<Sla>(&fixture, &[])
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
        // "Latency is exposed only as summaries: payment_processing_seconds,
        // warehouse_dispatch_seconds and http_client_requests_seconds. The recording rule
        // payment:processing_seconds:mean5m is rate(.._sum) / rate(.._count)."
        (AVERAGE_ONLY_LATENCY, "payment_processing_seconds"),
        (AVERAGE_ONLY_LATENCY, "warehouse_dispatch_seconds"),
        (AVERAGE_ONLY_LATENCY, "http_client_requests_seconds"),
        (AVERAGE_ONLY_LATENCY, "latency/payment:processing_seconds:mean5m"),
        // "No rule uses histogram_quantile."
        (NO_PERCENTILE_RULES, "prom-main"),
        // "order-to-payment has a p99 SLA of 2000 ms. latency-p99-seconds ends at 4.8 s (maximum
        // 5.4 s), which is also more than 2 × latency-baseline-seconds (1.9 s)."
        (P99_ABOVE_TARGET, "order-to-payment"),
        (LATENCY_ABOVE_BASELINE, "order-to-payment"),
        // "retry-rate for order-to-payment ends at 0.034."
        (RETRY_RATE, "order-to-payment"),
        // "payment-to-billing has an SLA with measured_by: null."
        (UNMEASURED_SLA, "payment-to-billing"),
        // billing-to-invoicing: processing-seconds-p99 is collected (41 s) but the leaky registry
        // agrees no SLA for it (the healthy one does: 30000 ms).
        (UNDEFINED_SLA, "billing-to-invoicing"),
        // payment-to-warehouse declares a 5000 ms p99 SLA but not what the latency spans.
        (NO_DEFINITION, "payment-to-warehouse"),
    ]
    .iter()
    .map(|(r, id)| (r.to_string(), id.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want);
}
