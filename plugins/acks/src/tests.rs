//! Unit tests for `acks` on a small fixture estate (fixtures/estate.json): one auto-ack consumer
//! on an at-least-once queue, one on a metrics queue, one manual; Spring `acknowledge-mode: none`;
//! Kafka auto-commit explicit (with an executor), implicit (plain client), and disabled; webhooks
//! answering before and after processing.

use plumbline_sdk::testing::{self, Fixture, rules_fired};
use plumbline_sdk::{ParamValue, Section, Severity, Status};

use crate::{AUTO_ACK, AUTO_COMMIT, Acks, WEBHOOK_EARLY};

fn estate() -> Fixture {
    Fixture::from_json(include_str!("../fixtures/estate.json")).expect("fixture parses")
}

fn subjects(verdict: &plumbline_sdk::Verdict, rule: &str) -> Vec<(String, Severity)> {
    verdict.findings.iter().filter(|f| f.rule == rule).map(|f| (f.subject.id.clone(), f.severity)).collect()
}

#[test]
fn fires_every_rule_on_the_leaky_fixture() {
    let verdict = testing::run::<Acks>(&estate(), &[]);
    assert_eq!(verdict.status, Status::Fail);
    assert_eq!(rules_fired(&verdict), [AUTO_COMMIT, AUTO_ACK, WEBHOOK_EARLY]);
    // 3 consumers + 2 spring ack-mode keys + 3 kafka consumer configs + 2 webhooks
    assert_eq!(verdict.evaluated, 10);
}

#[test]
fn auto_ack_is_critical_where_the_registry_promises_at_least_once() {
    let verdict = testing::run::<Acks>(&estate(), &[]);
    let found = subjects(&verdict, AUTO_ACK);
    assert!(found.contains(&("/orders/payments.in/amq.ctag-1".to_string(), Severity::Critical)), "{found:?}");
    assert!(found.contains(&("/orders/metrics.sample/amq.ctag-2".to_string(), Severity::High)), "{found:?}");
    assert!(found.contains(&("spring.rabbitmq.listener.simple.acknowledge-mode".to_string(), Severity::High)));
    assert!(!found.iter().any(|(id, _)| id.contains("warehouse")), "manual-ack consumer flagged: {found:?}");
}

#[test]
fn ignore_queues_parameter_exempts_a_queue() {
    let verdict = testing::run::<Acks>(&estate(), &[("ignore-queues", ParamValue::TextList(vec!["metrics.*".into()]))]);
    let found = subjects(&verdict, AUTO_ACK);
    assert!(!found.iter().any(|(id, _)| id.contains("metrics.sample")), "{found:?}");
    assert_eq!(verdict.evaluated, 9);
}

#[test]
fn kafka_auto_commit_severity_depends_on_async_processing() {
    let verdict = testing::run::<Acks>(&estate(), &[]);
    let found: Vec<_> = verdict.findings.iter().filter(|f| f.rule == AUTO_COMMIT).collect();
    assert_eq!(found.len(), 2, "{found:?}");
    let billing = found.iter().find(|f| f.subject.source == "billing/application.yml").expect("billing flagged");
    assert_eq!(billing.severity, Severity::High);
    assert!(billing.evidence.iter().any(|(k, v)| k == "async_processing" && v.contains("executor")));
    let shipping = found.iter().find(|f| f.subject.source == "shipping/consumer.properties").expect("shipping flagged");
    assert_eq!(shipping.severity, Severity::Medium);
    assert!(shipping.evidence.iter().any(|(k, v)| k == "value" && v.contains("client default")));
}

#[test]
fn the_first_promising_integration_in_registry_order_is_named_whichever_form_it_lists() {
    let mut fixture = estate();
    let registry = fixture.registry.as_mut().unwrap();
    // An earlier exactly-once integration listing the bare queue name, and a later
    // at-least-once one listing the vhost path; a best-effort one in between does not count.
    let mut bare = registry[0].clone();
    bare.id = "bare-name".into();
    bare.delivery = Some("exactly-once".into());
    bare.resources = vec!["queue:payments.in".into()];
    let mut best_effort = bare.clone();
    best_effort.id = "best-effort".into();
    best_effort.delivery = Some("at-most-once".into());
    registry.insert(0, best_effort);
    registry.insert(1, bare);
    let verdict = testing::run::<Acks>(&fixture, &[]);
    let payments = verdict
        .findings
        .iter()
        .find(|f| f.rule == AUTO_ACK && f.subject.id == "/orders/payments.in/amq.ctag-1")
        .expect("payments consumer flagged");
    assert_eq!(payments.severity, Severity::Critical);
    assert!(payments.evidence.contains(&("integration".to_string(), "bare-name".to_string())), "{payments:?}");

    // Without it, the integration listing the vhost path is the one.
    fixture.registry.as_mut().unwrap().remove(1);
    let verdict = testing::run::<Acks>(&fixture, &[]);
    let payments = verdict.findings.iter().find(|f| f.subject.id == "/orders/payments.in/amq.ctag-1").unwrap();
    assert!(payments.evidence.contains(&("integration".to_string(), "order-to-payment".to_string())));
}

#[test]
fn webhook_answering_after_processing_passes() {
    let verdict = testing::run::<Acks>(&estate(), &[]);
    let found = subjects(&verdict, WEBHOOK_EARLY);
    assert_eq!(found, [("psp-callbacks".to_string(), Severity::High)]);
}

#[test]
fn healthy_estate_passes() {
    let mut fixture = estate();
    for broker in fixture.rabbitmq.as_mut().unwrap() {
        for consumer in &mut broker.consumers {
            consumer.ack_required = true;
        }
    }
    for file in fixture.config_files.as_mut().unwrap() {
        for entry in &mut file.entries {
            if entry.key.ends_with("acknowledge-mode") {
                entry.value = "auto".into();
            }
            if entry.key.ends_with("enable-auto-commit") {
                entry.value = "false".into();
            }
        }
        if file.format == "kafka-properties" {
            file.entries.push(plumbline_sdk::estate::ConfigEntry {
                key: "enable.auto.commit".into(),
                value: "false".into(),
                line: 3,
                secret: None,
            });
        }
    }
    for integration in fixture.registry.as_mut().unwrap() {
        if let Some(webhook) = &mut integration.webhook {
            webhook.responds = "after-processing".into();
        }
    }
    let verdict = testing::run::<Acks>(&fixture, &[]);
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Pass);
}

#[test]
fn unavailable_rabbitmq_is_inconclusive_not_pass() {
    let mut fixture = estate().unavailable(Section::Rabbitmq, "rabbit-prod: connection refused");
    fixture.config_files = Some(Vec::new());
    fixture.registry = Some(Vec::new());
    let verdict = testing::run::<Acks>(&fixture, &[]);
    assert_eq!(verdict.status, Status::Inconclusive);
    assert!(verdict.notes.iter().any(|n| n.contains("connection refused")), "{:?}", verdict.notes);
}

#[test]
fn findings_elsewhere_still_fail_when_one_section_is_unavailable() {
    let fixture = estate().unavailable(Section::Rabbitmq, "rabbit-prod: timeout");
    let verdict = testing::run::<Acks>(&fixture, &[]);
    assert_eq!(verdict.status, Status::Fail);
    assert!(verdict.notes.iter().any(|n| n.contains("rabbitmq: unavailable")));
}

#[test]
fn nothing_to_evaluate_is_skip() {
    let fixture = Fixture::default();
    let verdict = testing::run::<Acks>(&fixture, &[]);
    assert_eq!(verdict.status, Status::Skip);
    assert_eq!(verdict.evaluated, 0);
}

#[test]
fn sources_marked_failed_in_the_snapshot_make_the_section_unavailable() {
    let mut fixture = estate();
    fixture.config_files = Some(Vec::new());
    fixture.registry = Some(Vec::new());
    for broker in fixture.rabbitmq.as_mut().unwrap() {
        broker.consumers.retain(|c| c.ack_required);
    }
    let info = fixture.info.as_mut().unwrap();
    info.sources[0].ok = false;
    info.sources[0].reason = Some("401 Unauthorized".into());
    let verdict = testing::run::<Acks>(&fixture, &[]);
    assert_eq!(verdict.status, Status::Inconclusive);
}

fn example(text: &str) -> Fixture {
    Fixture::from_json(text).expect("example parses")
}

#[test]
fn the_healthy_example_estate_passes() {
    let verdict = testing::run::<Acks>(&example(include_str!("../../../examples/healthy-estate/snapshot.json")), &[]);
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Pass);
}

#[test]
fn the_leaky_example_estate_gives_exactly_the_expected_findings() {
    let verdict = testing::run::<Acks>(&example(include_str!("../../../examples/leaky-estate/snapshot.json")), &[]);
    let mut found: Vec<(String, String)> =
        verdict.findings.iter().map(|f| (f.rule.clone(), f.subject.id.clone())).collect();
    found.sort();
    // From examples/README.md, "Acknowledgements (Q1)".
    let expected = [
        (AUTO_COMMIT, "enable.auto.commit"),
        (AUTO_COMMIT, "spring.kafka.consumer.enable-auto-commit"),
        (AUTO_ACK, "/orders/orders.created/amq.ctag-Jx3Qm1bWq0s7yVt8lK2a9A"),
        (AUTO_ACK, "spring.rabbitmq.listener.simple.acknowledge-mode"),
        (WEBHOOK_EARLY, "paygate-webhook"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(r, s)| (r.to_string(), s.to_string())).collect();
    assert_eq!(found, expected);
    assert_eq!(verdict.status, Status::Fail);
}
