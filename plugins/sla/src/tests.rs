//! Unit tests for `sla` on a small fixture estate (fixtures/estate.json):
//! - Prometheus `prom`: latency metric `orders_processing_seconds` is a Summary (the HTTP one is a
//!   Histogram), a recording rule takes its mean, no rule uses `histogram_quantile`.
//! - Signals: `slow` peaks at 3.5 s p99 (newest 1.8 s) against a 2000 ms SLA, 2.25x its 0.8 s
//!   baseline, with 3 % retries; `fast` is fine everywhere; `batch` has a p99 series but no SLA.
//! - Registry: `blind` has an SLA without `measured_by` or definition; `typo`'s signal has no series
//!   for it; `quiet` has neither SLA nor measurement; `retired` is deprecated.

use plumbline_sdk::estate::{PrometheusRule, RuleKind};
use plumbline_sdk::testing::{self, Fixture};
use plumbline_sdk::{ParamValue, Section, Status, Verdict};

use crate::metrics::mean_of;
use crate::*;

fn estate() -> Fixture {
    Fixture::from_json(include_str!("../fixtures/estate.json")).expect("fixture parses")
}

fn run(fixture: &Fixture) -> Verdict {
    testing::run::<Sla>(fixture, &[])
}

fn ids(verdict: &Verdict, rule: &str) -> Vec<String> {
    verdict.findings.iter().filter(|f| f.rule == rule).map(|f| f.subject.id.clone()).collect()
}

fn integration<'a>(fixture: &'a mut Fixture, id: &str) -> &'a mut plumbline_sdk::estate::Integration {
    fixture.registry.as_mut().unwrap().iter_mut().find(|i| i.id == id).unwrap()
}

fn set_last(fixture: &mut Fixture, signal: &str, key: &str, value: f64) {
    let server = &mut fixture.prometheus.as_mut().unwrap()[0];
    let signal = server.signals.iter_mut().find(|s| s.name == signal).unwrap();
    let series = signal.series.iter_mut().find(|s| s.labels.iter().any(|(_, v)| v == key)).unwrap();
    for sample in &mut series.samples {
        sample.value = sample.value.min(value);
    }
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
        (AVERAGE_ONLY_LATENCY, "orders_processing_seconds"),
        (AVERAGE_ONLY_LATENCY, "latency/orders:processing_seconds:mean5m"),
        (NO_PERCENTILE_RULES, "prom"),
        (P99_ABOVE_TARGET, "slow"),
        (LATENCY_ABOVE_BASELINE, "slow"),
        (RETRY_RATE, "slow"),
        (UNDEFINED_SLA, "batch"),
        (UNMEASURED_SLA, "blind"),
        (UNMEASURED_SLA, "typo"),
        (NO_DEFINITION, "blind"),
    ]
    .iter()
    .map(|(r, id)| (r.to_string(), id.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn a_percentile_rule_clears_both_measurement_rules() {
    let mut fixture = estate();
    fixture.prometheus.as_mut().unwrap()[0].rule_groups[0].rules.push(PrometheusRule {
        kind: RuleKind::Recording,
        name: "orders:processing_seconds:p99".into(),
        expr: "histogram_quantile(0.99, sum by (le) (rate(orders_processing_seconds_bucket[5m])))".into(),
        for_seconds: 0,
        labels: Vec::new(),
        health: "ok".into(),
    });
    let verdict = run(&fixture);
    assert_eq!(ids(&verdict, NO_PERCENTILE_RULES), Vec::<String>::new());
    assert_eq!(ids(&verdict, AVERAGE_ONLY_LATENCY), Vec::<String>::new());
}

#[test]
fn without_declared_slas_averages_are_not_judged() {
    let mut fixture = estate();
    for integration in fixture.registry.as_mut().unwrap() {
        integration.sla = None;
    }
    let verdict = run(&fixture);
    assert_eq!(ids(&verdict, NO_PERCENTILE_RULES), Vec::<String>::new());
    assert_eq!(ids(&verdict, AVERAGE_ONLY_LATENCY), Vec::<String>::new());
}

#[test]
fn means_are_recognised_only_for_latency_sum_over_count() {
    let names: Vec<String> = ["*_seconds*", "*latency*"].map(String::from).to_vec();
    assert_eq!(mean_of("rate(a_seconds_sum[5m]) / rate(a_seconds_count[5m])", &names), Some("a_seconds".to_string()));
    assert_eq!(mean_of("sum(rate(bytes_sum[5m])) / sum(rate(bytes_count[5m]))", &names), None);
    assert_eq!(mean_of("rate(a_seconds_sum[5m]) / rate(b_seconds_count[5m])", &names), None);
    assert_eq!(mean_of("histogram_quantile(0.99, rate(a_seconds_bucket[5m]))", &names), None);
}

#[test]
fn p99_within_target_passes_and_the_window_maximum_counts() {
    // Newest 1.8 s is within 2000 ms, but the 3.5 s peak is not.
    assert_eq!(ids(&run(&estate()), P99_ABOVE_TARGET), ["slow"]);
    let mut fixture = estate();
    set_last(&mut fixture, "latency-p99-seconds", "slow", 1.9);
    assert_eq!(ids(&run(&fixture), P99_ABOVE_TARGET), Vec::<String>::new());
}

#[test]
fn latency_within_the_baseline_factor_passes() {
    let mut fixture = estate();
    set_last(&mut fixture, "latency-p99-seconds", "slow", 1.5);
    assert_eq!(ids(&run(&fixture), LATENCY_ABOVE_BASELINE), Vec::<String>::new());
    let verdict = testing::run::<Sla>(&estate(), &[("baseline-factor", ParamValue::Float(3.0))]);
    assert_eq!(ids(&verdict, LATENCY_ABOVE_BASELINE), Vec::<String>::new());
}

#[test]
fn retry_rate_below_the_threshold_passes() {
    let mut fixture = estate();
    set_last(&mut fixture, "retry-rate", "slow", 0.008);
    assert_eq!(ids(&run(&fixture), RETRY_RATE), Vec::<String>::new());
    let verdict = testing::run::<Sla>(&estate(), &[("retry-rate", ParamValue::Float(0.05))]);
    assert_eq!(ids(&verdict, RETRY_RATE), Vec::<String>::new());
}

#[test]
fn undefined_sla_only_where_latency_is_measured_or_required() {
    let mut fixture = estate();
    integration(&mut fixture, "batch").sla = integration(&mut estate(), "slow").sla.clone();
    integration(&mut fixture, "batch").sla.as_mut().unwrap().measured_by = Some("processing-seconds-p99".into());
    assert_eq!(ids(&run(&fixture), UNDEFINED_SLA), Vec::<String>::new());
    // `retired` is deprecated and never required.
    let verdict = testing::run::<Sla>(&estate(), &[("require-sla", ParamValue::TextList(vec!["*".into()]))]);
    assert_eq!(ids(&verdict, UNDEFINED_SLA), ["batch", "quiet"]);
}

#[test]
fn measured_slas_pass() {
    let mut fixture = estate();
    integration(&mut fixture, "blind").sla.as_mut().unwrap().measured_by = Some("latency-p99-seconds".into());
    let latency =
        fixture.prometheus.as_mut().unwrap()[0].signals.iter_mut().find(|s| s.name == "latency-p99-seconds").unwrap();
    for id in ["blind", "typo"] {
        let mut series = latency.series[0].clone();
        series.labels = vec![("integration".into(), id.into())];
        latency.series.push(series);
    }
    assert_eq!(ids(&run(&fixture), UNMEASURED_SLA), Vec::<String>::new());
}

#[test]
fn without_prometheus_only_missing_measured_by_is_judged() {
    let verdict = run(&estate().without(Section::Prometheus));
    assert_eq!(ids(&verdict, UNMEASURED_SLA), ["blind"]);
    assert_eq!(verdict.status, Status::Fail);
}

#[test]
fn defined_slas_pass() {
    let mut fixture = estate();
    integration(&mut fixture, "blind").sla.as_mut().unwrap().definition = Some("produced → ERP ack".into());
    assert_eq!(ids(&run(&fixture), NO_DEFINITION), Vec::<String>::new());
}

#[test]
fn unavailable_registry_is_inconclusive_not_pass() {
    let mut fixture = estate().unavailable(Section::Registry, "registry: 503");
    fixture.prometheus = Some(Vec::new());
    let verdict = run(&fixture);
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Inconclusive);
    assert!(verdict.notes.iter().any(|n| n.contains("registry: 503")), "{:?}", verdict.notes);
}

#[test]
fn nothing_to_evaluate_is_skip() {
    let verdict = run(&Fixture::default());
    assert_eq!(verdict.status, Status::Skip);
    assert_eq!(verdict.evaluated, 0);
}
