//! Unit tests for `dead-letters` on a small fixture estate (fixtures/estate.json):
//! - RabbitMQ 3.13.7, vhost `/app`: `orders.in` without DLX; quorum `payments.in` with a DLX by
//!   argument but no delivery limit; quorum `shipping.in` fully covered by policy; `parking`
//!   (a DLQ only by binding from `app.dlx`, 5 messages); the TTL retry pair `billing.in` →
//!   `app.retry` → `billing.wait` (a wait queue, not a DLQ); a stream, a server-named `amq.gen-*`
//!   queue and an empty `audit.dlq`.
//! - SQS: `jobs` without redrive; `invoices` (maxReceiveCount 25) → `invoices-dlq` (5 messages);
//!   `reports.fifo` → `reports-dlq.fifo` (recognised without `dead_letter_sources`).
//! - Kafka: `payments.DLT` (9 records) covers group `billing`; group `shipping` reads `orders`
//!   with no DLT (reported by default); `dlt-replayer` only reads the DLT.
//! - Prometheus: one alerting rule unrelated to DLQs, and a DLQ *recording* rule (does not count).
//! - Config: Spring `default-requeue-rejected: true`, retry `max-attempts: 0`, resilience4j
//!   `max-attempts: 15`, a producer `retries: 2147483647` (not a finding) and a placeholder.

use plumbline_sdk::estate::{PrometheusRule, RabbitmqBinding, RabbitmqQueue, RuleKind};
use plumbline_sdk::testing::{self, Fixture, rules_fired};
use plumbline_sdk::{ParamValue, Section, Status, Verdict};

use crate::kafka::covers;
use crate::rabbitmq::major_version;
use crate::*;

fn estate() -> Fixture {
    Fixture::from_json(include_str!("../fixtures/estate.json")).expect("fixture parses")
}

/// `(rule, source, subject id)` of every finding, sorted.
fn found(verdict: &Verdict) -> Vec<(String, String, String)> {
    let mut all: Vec<_> =
        verdict.findings.iter().map(|f| (f.rule.clone(), f.subject.source.clone(), f.subject.id.clone())).collect();
    all.sort();
    all
}

fn ids(verdict: &Verdict, rule: &str) -> Vec<String> {
    let mut ids: Vec<String> =
        verdict.findings.iter().filter(|f| f.rule == rule).map(|f| f.subject.id.clone()).collect();
    ids.sort();
    ids
}

fn owned(items: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = items.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    v.sort();
    v
}

fn queue_mut<'a>(fixture: &'a mut Fixture, name: &str) -> &'a mut plumbline_sdk::estate::RabbitmqQueue {
    fixture.rabbitmq.as_mut().unwrap()[0].queues.iter_mut().find(|q| q.name == name).unwrap()
}

fn sqs_mut<'a>(fixture: &'a mut Fixture, name: &str) -> &'a mut plumbline_sdk::estate::SqsQueue {
    fixture.sqs.as_mut().unwrap()[0].queues.iter_mut().find(|q| q.name == name).unwrap()
}

fn set_entry(fixture: &mut Fixture, key: &str, value: &str) {
    for file in fixture.config_files.as_mut().unwrap() {
        for entry in file.entries.iter_mut().filter(|e| e.key == key) {
            entry.value = value.into();
        }
    }
}

fn add_dlq_alert(fixture: &mut Fixture) {
    fixture.prometheus.as_mut().unwrap()[0].rule_groups[0].rules.push(PrometheusRule {
        kind: RuleKind::Alerting,
        name: "QueueNotEmpty".into(),
        expr: "rabbitmq_queue_messages{queue=~\".+[.]DLQ\"} > 0".into(),
        for_seconds: 60,
        labels: Vec::new(),
        health: "ok".into(),
    });
}

/// Adds an empty dead-letter topic `name` to the Kafka cluster (a copy of `payments.DLT`).
fn add_dlt(fixture: &mut Fixture, name: &str) {
    let topics = &mut fixture.kafka.as_mut().unwrap()[0].topics;
    let mut dlt = topics.iter().find(|t| t.name == "payments.DLT").unwrap().clone();
    dlt.name = name.into();
    dlt.messages = 0;
    topics.push(dlt);
}

/// The fixture with every problem fixed.
fn fixed() -> Fixture {
    let mut f = estate();
    queue_mut(&mut f, "orders.in").arguments.push(("x-dead-letter-exchange".into(), "app.dlx".into()));
    queue_mut(&mut f, "payments.in").effective_policy.push(("delivery-limit".into(), "5".into()));
    for name in ["parking", "audit.dlq"] {
        let q = queue_mut(&mut f, name);
        (q.messages_ready, q.messages_unacknowledged) = (0, 0);
    }
    sqs_mut(&mut f, "jobs").dead_letter_target_arn = Some("arn:aws:sqs:eu-west-1:111122223333:invoices-dlq".into());
    sqs_mut(&mut f, "jobs").max_receive_count = Some(5);
    sqs_mut(&mut f, "invoices").max_receive_count = Some(5);
    let dlq = sqs_mut(&mut f, "invoices-dlq");
    (dlq.messages_visible, dlq.messages_in_flight) = (0, 0);
    f.kafka.as_mut().unwrap()[0].topics.iter_mut().for_each(|t| {
        if t.dead_letter {
            t.messages = 0;
        }
    });
    add_dlt(&mut f, "orders.DLT"); // group `shipping` reads `orders`
    add_dlq_alert(&mut f);
    set_entry(&mut f, "spring.rabbitmq.listener.simple.default-requeue-rejected", "false");
    set_entry(&mut f, "spring.rabbitmq.listener.simple.retry.max-attempts", "3");
    set_entry(&mut f, "resilience4j.retry.instances.psp.max-attempts", "4");
    f
}

#[test]
fn fires_exactly_the_expected_findings_on_the_fixture() {
    let verdict = testing::run::<DeadLetters>(&estate(), &[]);
    assert_eq!(verdict.status, Status::Fail);
    assert_eq!(
        found(&verdict),
        owned(&[
            (RABBITMQ_NO_DLX, "rabbit-prod", "/app/orders.in"),
            (UNBOUNDED_REDELIVERY, "rabbit-prod", "/app/payments.in"),
            (
                UNBOUNDED_REDELIVERY,
                "/srv/orders/application.yml",
                "spring.rabbitmq.listener.simple.default-requeue-rejected"
            ),
            (UNBOUNDED_REDELIVERY, "/srv/orders/application.yml", "spring.rabbitmq.listener.simple.retry.max-attempts"),
            (MESSAGES_IN_DLQ, "rabbit-prod", "/app/parking"),
            (MESSAGES_IN_DLQ, "sqs-main", "invoices-dlq"),
            (MESSAGES_IN_DLQ, "kafka-main", "payments.DLT"),
            (SQS_NO_REDRIVE, "sqs-main", "jobs"),
            (EXCESSIVE_RETRIES, "sqs-main", "invoices"),
            (
                EXCESSIVE_RETRIES,
                "/srv/psp-client/application.properties",
                "resilience4j.retry.instances.psp.max-attempts"
            ),
            (NO_DLQ_ALERT, "prom-main", "dead-letter-queues"),
            (KAFKA_NO_DLT, "kafka-main", "shipping"),
        ])
    );
    // 7 queues (stream and amq.* skipped) + 5 SQS queues + 1 DLT + 2 consumer groups (`billing`,
    // `shipping`; `dlt-replayer` only drains the DLT) + 4 config keys + 1 Prometheus.
    assert_eq!(verdict.evaluated, 20);
}

#[test]
fn the_fixed_fixture_passes() {
    let verdict = testing::run::<DeadLetters>(&fixed(), &[]);
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Pass);
}

#[test]
fn rabbitmq_dead_letter_exchange_by_argument_or_policy_is_enough() {
    let mut fixture = estate();
    let q = queue_mut(&mut fixture, "orders.in");
    q.policy = Some("dlx-all".into());
    q.effective_policy.push(("dead-letter-exchange".into(), "app.dlx".into()));
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    assert_eq!(ids(&verdict, RABBITMQ_NO_DLX), Vec::<String>::new());
}

#[test]
fn dead_letter_queues_are_not_asked_for_their_own_dead_letter_exchange() {
    let verdict = testing::run::<DeadLetters>(&estate(), &[]);
    let missing = ids(&verdict, RABBITMQ_NO_DLX);
    for dlq in ["/app/parking", "/app/audit.dlq", "/app/events", "/app/amq.gen-Xk2"] {
        assert!(!missing.contains(&dlq.to_string()), "{dlq} flagged: {missing:?}");
    }
    // The retry wait queue is not a DLQ: its 3 waiting messages are not dead letters.
    assert!(!ids(&verdict, MESSAGES_IN_DLQ).contains(&"/app/billing.wait".to_string()));
}

#[test]
fn a_queue_bound_from_a_dead_letter_exchange_is_a_dlq_even_with_an_ordinary_name() {
    let mut fixture = estate();
    let parking = queue_mut(&mut fixture, "parking");
    parking.name = "holding-pen".into();
    fixture.rabbitmq.as_mut().unwrap()[0].bindings.iter_mut().for_each(|b| {
        if b.destination == "parking" {
            b.destination = "holding-pen".into();
        }
    });
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    assert!(ids(&verdict, MESSAGES_IN_DLQ).contains(&"/app/holding-pen".to_string()));
    assert!(!ids(&verdict, RABBITMQ_NO_DLX).contains(&"/app/holding-pen".to_string()));
}

#[test]
fn dead_letter_routing_is_judged_per_vhost() {
    let mut fixture = estate();
    let broker = &mut fixture.rabbitmq.as_mut().unwrap()[0];
    // The same queues and bindings in a second vhost, except that nothing binds `app.dlx` to
    // `parking` there.
    let queues: Vec<_> = broker.queues.iter().map(|q| RabbitmqQueue { vhost: "/copy".into(), ..q.clone() }).collect();
    let bindings: Vec<_> = broker
        .bindings
        .iter()
        .filter(|b| b.destination != "parking")
        .map(|b| RabbitmqBinding { vhost: "/copy".into(), ..b.clone() })
        .collect();
    broker.queues.extend(queues);
    broker.bindings.extend(bindings);
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    let dlqs = ids(&verdict, MESSAGES_IN_DLQ);
    assert!(dlqs.contains(&"/app/parking".to_string()), "{dlqs:?}");
    assert!(!dlqs.contains(&"/copy/parking".to_string()), "{dlqs:?}");
    assert!(ids(&verdict, RABBITMQ_NO_DLX).contains(&"/copy/parking".to_string()));
    // The TTL retry pair is recognised in both vhosts: neither wait queue is a DLQ.
    assert!(!dlqs.iter().any(|id| id.ends_with("billing.wait")), "{dlqs:?}");
}

#[test]
fn a_dlq_reached_through_the_default_exchange_is_recognised() {
    let mut fixture = estate();
    fixture.rabbitmq.as_mut().unwrap()[0].bindings.retain(|b| b.destination != "parking");
    let q = queue_mut(&mut fixture, "orders.in");
    q.arguments.push(("x-dead-letter-exchange".into(), String::new()));
    q.arguments.push(("x-dead-letter-routing-key".into(), "parking".into()));
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    assert!(ids(&verdict, MESSAGES_IN_DLQ).contains(&"/app/parking".to_string()));
    assert_eq!(ids(&verdict, RABBITMQ_NO_DLX), Vec::<String>::new());
}

#[test]
fn quorum_queues_on_rabbitmq_4_get_a_default_delivery_limit() {
    let mut fixture = estate();
    fixture.rabbitmq.as_mut().unwrap()[0].version = Some("4.0.5".into());
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    assert!(!ids(&verdict, UNBOUNDED_REDELIVERY).contains(&"/app/payments.in".to_string()));

    // ... unless the limit is explicitly switched off.
    queue_mut(&mut fixture, "payments.in").arguments.push(("x-delivery-limit".into(), "-1".into()));
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    assert!(ids(&verdict, UNBOUNDED_REDELIVERY).contains(&"/app/payments.in".to_string()));
}

#[test]
fn an_unknown_broker_version_is_assumed_to_have_no_default_and_says_so() {
    let mut fixture = estate();
    fixture.rabbitmq.as_mut().unwrap()[0].version = None;
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    let finding = verdict
        .findings
        .iter()
        .find(|f| f.rule == UNBOUNDED_REDELIVERY && f.subject.id == "/app/payments.in")
        .expect("payments.in flagged");
    assert!(finding.message.contains("unknown version"), "{}", finding.message);
    assert!(finding.message.contains("`app.dlx`"), "{}", finding.message);
}

#[test]
fn spring_requeue_and_retry_settings_are_judged_by_value() {
    let mut fixture = estate();
    set_entry(&mut fixture, "spring.rabbitmq.listener.simple.default-requeue-rejected", "false");
    set_entry(&mut fixture, "spring.rabbitmq.listener.simple.retry.max-attempts", "3");
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    assert_eq!(ids(&verdict, UNBOUNDED_REDELIVERY), ["/app/payments.in"]);
    // The producer's `retries` never counts, whatever its value.
    assert!(!verdict.findings.iter().any(|f| f.subject.id.ends_with("producer.retries")));
}

#[test]
fn sqs_queue_with_a_redrive_policy_passes() {
    let mut fixture = estate();
    sqs_mut(&mut fixture, "jobs").dead_letter_target_arn =
        Some("arn:aws:sqs:eu-west-1:111122223333:invoices-dlq".into());
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    assert_eq!(ids(&verdict, SQS_NO_REDRIVE), Vec::<String>::new());
    // The FIFO DLQ has no dead_letter_sources but is still recognised (name and target ARN).
    assert!(!ids(&verdict, SQS_NO_REDRIVE).contains(&"reports-dlq.fifo".to_string()));
}

#[test]
fn receive_count_and_retry_thresholds_are_parameters() {
    let verdict = testing::run::<DeadLetters>(
        &estate(),
        &[("max-receive-count", ParamValue::Integer(25)), ("max-retry-attempts", ParamValue::Integer(15))],
    );
    assert_eq!(ids(&verdict, EXCESSIVE_RETRIES), Vec::<String>::new());
    let verdict = testing::run::<DeadLetters>(&estate(), &[("max-receive-count", ParamValue::Integer(2))]);
    assert!(ids(&verdict, EXCESSIVE_RETRIES).contains(&"reports.fifo".to_string()));
}

#[test]
fn max_dead_letters_parameter_tolerates_a_few_messages() {
    let verdict = testing::run::<DeadLetters>(&estate(), &[("max-dead-letters", ParamValue::Integer(9))]);
    assert_eq!(ids(&verdict, MESSAGES_IN_DLQ), Vec::<String>::new());
    let verdict = testing::run::<DeadLetters>(&estate(), &[("max-dead-letters", ParamValue::Integer(8))]);
    assert_eq!(ids(&verdict, MESSAGES_IN_DLQ), ["payments.DLT"]);
}

#[test]
fn rabbitmq_dlq_message_reports_the_trend() {
    let verdict = testing::run::<DeadLetters>(&estate(), &[]);
    let finding = verdict.findings.iter().find(|f| f.subject.id == "/app/parking").unwrap();
    assert!(
        finding.message.contains("5 message(s) (4 ready, 1 unacked; threshold 0), up from 2"),
        "{}",
        finding.message
    );
}

#[test]
fn kafka_dead_letter_topics_are_required_by_default_and_not_when_the_parameter_is_false() {
    let verdict = testing::run::<DeadLetters>(&estate(), &[]);
    // `billing` is covered by payments.DLT; `dlt-replayer` only drains the DLT; `__consumer_offsets` is internal.
    assert_eq!(ids(&verdict, KAFKA_NO_DLT), ["shipping"]);
    let finding = verdict.findings.iter().find(|f| f.rule == KAFKA_NO_DLT).unwrap();
    assert_eq!(finding.severity, Severity::Medium);
    assert!(finding.evidence.contains(&("topics_without_dlt".into(), "orders".into())));
    assert!(finding.message.contains("`orders.DLT`"), "{}", finding.message);
    assert!(!verdict.notes.iter().any(|n| n.contains("require-kafka-dead-letter-topics")), "{:?}", verdict.notes);

    let off = [("require-kafka-dead-letter-topics", ParamValue::Boolean(false))];
    let verdict = testing::run::<DeadLetters>(&estate(), &off);
    assert!(!rules_fired(&verdict).contains(&KAFKA_NO_DLT.to_string()));
    // Nothing is hidden: the uncovered topic is listed in a note instead.
    assert!(verdict.notes.iter().any(|n| n.contains("kafka-main/orders")), "{:?}", verdict.notes);
    // The consumer groups are not evaluated either (18 instead of 20).
    assert_eq!(verdict.evaluated, 18);

    let mut fixture = estate();
    add_dlt(&mut fixture, "orders-dlt");
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    assert_eq!(ids(&verdict, KAFKA_NO_DLT), Vec::<String>::new());
    assert!(!verdict.notes.iter().any(|n| n.contains("kafka-main/orders")), "{:?}", verdict.notes);
}

#[test]
fn dead_letter_topic_naming() {
    assert!(covers("payments.DLT", "payments"));
    assert!(covers("orders-dlt", "orders-retry-0"));
    assert!(covers("orders.dead-letter", "orders"));
    assert!(!covers("payments.DLT", "pay"));
    assert!(!covers("payments-archive.DLT", "payments"));
    assert_eq!(major_version("3.13.7"), Some(3));
    assert_eq!(major_version("4.1.0-rc.1"), Some(4));
    assert_eq!(major_version("unknown"), None);
}

#[test]
fn an_alerting_rule_on_dead_letters_is_enough() {
    let mut fixture = estate();
    add_dlq_alert(&mut fixture);
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    assert_eq!(ids(&verdict, NO_DLQ_ALERT), Vec::<String>::new());
}

#[test]
fn missing_alert_names_the_dead_letter_queues_and_the_signal() {
    let verdict = testing::run::<DeadLetters>(&estate(), &[]);
    let finding = verdict.findings.iter().find(|f| f.rule == NO_DLQ_ALERT).unwrap();
    assert_eq!(finding.subject.kind, "alert-coverage");
    assert!(finding.message.contains("rabbit-prod /app/parking"), "{}", finding.message);
    assert!(finding.evidence.iter().any(|(k, v)| k == "dlq_depth_signal" && v.contains("queue=parking")));
}

#[test]
fn prometheus_not_collected_is_noted() {
    let fixture = estate().without(Section::Prometheus);
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    assert!(!rules_fired(&verdict).contains(&NO_DLQ_ALERT.to_string()));
    assert!(verdict.notes.iter().any(|n| n.contains("No Prometheus was collected")), "{:?}", verdict.notes);
}

#[test]
fn unavailable_prometheus_makes_an_otherwise_clean_estate_inconclusive() {
    let fixture = fixed().unavailable(Section::Prometheus, "prom-main: 503 Service Unavailable");
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Inconclusive);
}

#[test]
fn unavailable_broker_is_inconclusive_and_findings_elsewhere_still_fail() {
    let fixture = fixed().unavailable(Section::Rabbitmq, "rabbit-prod: connection refused");
    assert_eq!(testing::run::<DeadLetters>(&fixture, &[]).status, Status::Inconclusive);
    let fixture = estate().unavailable(Section::Sqs, "sqs-main: AccessDenied");
    assert_eq!(testing::run::<DeadLetters>(&fixture, &[]).status, Status::Fail);
}

#[test]
fn nothing_to_evaluate_is_skip() {
    let verdict = testing::run::<DeadLetters>(&Fixture::default(), &[]);
    assert_eq!(verdict.status, Status::Skip);
    assert_eq!(verdict.evaluated, 0);
}

#[test]
fn healthy_example_estate_passes() {
    let fixture = Fixture::from_json(include_str!("../../../examples/healthy-estate/snapshot.json")).unwrap();
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Pass);
}

#[test]
fn leaky_example_estate_fails_with_the_documented_problems() {
    let fixture = Fixture::from_json(include_str!("../../../examples/leaky-estate/snapshot.json")).unwrap();
    let verdict = testing::run::<DeadLetters>(&fixture, &[]);
    assert_eq!(verdict.status, Status::Fail);
    let mut pairs: Vec<(String, String)> = found(&verdict).into_iter().map(|(rule, _, id)| (rule, id)).collect();
    pairs.sort();
    let mut expected: Vec<(String, String)> = [
        // examples/README.md, "Errors and dead letters (Q4)".
        (RABBITMQ_NO_DLX, "/orders/orders.created"),
        (RABBITMQ_NO_DLX, "/orders/crm.order-export"),
        (UNBOUNDED_REDELIVERY, "/orders/payments.in"), // quorum, no delivery limit, RabbitMQ 3.13.7
        (MESSAGES_IN_DLQ, "/orders/orders.dlq"),
        (MESSAGES_IN_DLQ, "invoices-dlq"),
        (MESSAGES_IN_DLQ, "payments.DLT"),
        (NO_DLQ_ALERT, "dead-letter-queues"), // prom-main
        // "Backpressure (Q2)": invoices max_receive_count 25.
        (EXCESSIVE_RETRIES, "invoices"),
        // billing-events has no RedrivePolicy and is nobody's DLQ.
        (SQS_NO_REDRIVE, "billing-events"),
        // kafka-prod has only one DLT, payments.DLT: `billing` (payments) is covered,
        // `warehouse-sync` (orders, payments) is not for `orders`, `shop-shipments` (shipments) is not.
        (KAFKA_NO_DLT, "warehouse-sync"),
        (KAFKA_NO_DLT, "shop-shipments"),
    ]
    .iter()
    .map(|(r, id)| (r.to_string(), id.to_string()))
    .collect();
    expected.sort();
    assert_eq!(pairs, expected);
    let uncovered = |group: &str| {
        let finding = verdict.findings.iter().find(|f| f.rule == KAFKA_NO_DLT && f.subject.id == group).unwrap();
        finding.evidence.iter().find(|(k, _)| k == "topics_without_dlt").map(|(_, v)| v.clone()).unwrap()
    };
    assert_eq!(uncovered("warehouse-sync"), "orders");
    assert_eq!(uncovered("shop-shipments"), "shipments");
}
