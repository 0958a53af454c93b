//! `security` against the example estates: the healthy one must pass with no finding, the leaky
//! one must fire exactly where examples/README.md ("Security (Q8, module 7)") says.

use plumbline_sdk::testing::{self, Fixture};
use plumbline_sdk::{Severity, Status};

use crate::*;

#[test]
fn healthy_example_estate_passes() {
    let fixture = Fixture::from_json(include_str!("../../../examples/healthy-estate/snapshot.json"))
        .expect("healthy estate parses");
    let verdict = testing::run::<Security>(&fixture, &[]);
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Pass);
}

#[test]
fn leaky_example_estate_fails_where_the_readme_says() {
    let fixture =
        Fixture::from_json(include_str!("../../../examples/leaky-estate/snapshot.json")).expect("leaky estate parses");
    let verdict = testing::run::<Security>(&fixture, &[]);
    assert_eq!(verdict.status, Status::Fail);

    const PAYMENT: &str = "/srv/payment-service/config/application.yml";
    const BILLING: &str = "/srv/billing-service/config/application.yml";
    let mut expected: Vec<(&str, &str, &str)> = vec![
        // Brokers 1-3 each have a PLAINTEXT listener on 9092.
        (KAFKA_LISTENER, "kafka-prod", "broker-1/PLAINTEXT"),
        (KAFKA_LISTENER, "kafka-prod", "broker-2/PLAINTEXT"),
        (KAFKA_LISTENER, "kafka-prod", "broker-3/PLAINTEXT"),
        // All four client configs use security.protocol PLAINTEXT.
        (KAFKA_CLIENT, PAYMENT, "spring.kafka.properties.security.protocol"),
        (KAFKA_CLIENT, BILLING, "spring.kafka.properties.security.protocol"),
        (KAFKA_CLIENT, "/srv/warehouse-sync/config/consumer.properties", "security.protocol"),
        (KAFKA_CLIENT, "/srv/wms-bridge/config/producer.properties", "security.protocol"),
        // amqp (5672) and http (15672) without TLS; amqp/ssl certificate expires in 30 days.
        (RABBIT_LISTENER, "rabbit-prod", "amqp"),
        (RABBIT_LISTENER, "rabbit-prod", "http"),
        (CERT_EXPIRY, "rabbit-prod", "amqp/ssl"),
        (RABBIT_GUEST, "rabbit-prod", "guest"),
        (RABBIT_BROAD, "rabbit-prod", "acme-app@/orders"),
        // invoices: AllowAll with Principal * and sqs:*; neither queue has SSE; no policy denies
        // insecure transport (invoices-dlq has no policy at all).
        (SQS_PUBLIC, "sqs-billing", "invoices"),
        (SQS_WILDCARD, "sqs-billing", "invoices"),
        (SQS_UNENCRYPTED, "sqs-billing", "invoices"),
        (SQS_UNENCRYPTED, "sqs-billing", "invoices-dlq"),
        (SQS_TRANSPORT, "sqs-billing", "invoices"),
        (SQS_TRANSPORT, "sqs-billing", "invoices-dlq"),
        // pg-payments ssl false; the JDBC URL carries sslmode=disable (line 35).
        (POSTGRES_TLS, "pg-payments", "pg-payments"),
        (POSTGRES_TLS, PAYMENT, "spring.datasource.url"),
        // application.yml:37 plaintext password.
        (PLAINTEXT_SECRET, PAYMENT, "spring.datasource.password"),
        // carrier-status-webhook: auth none over http://.
        (WEBHOOK_AUTH, "registry", "carrier-status-webhook"),
        (WEBHOOK_HTTP, "registry", "carrier-status-webhook"),
    ];
    expected.sort();
    let mut actual: Vec<(&str, &str, &str)> =
        verdict.findings.iter().map(|f| (f.rule.as_str(), f.subject.source.as_str(), f.subject.id.as_str())).collect();
    actual.sort();
    assert_eq!(actual, expected);

    let severity = |rule: &str, id: &str| {
        verdict.findings.iter().find(|f| f.rule == rule && f.subject.id == id).map(|f| f.severity)
    };
    assert_eq!(severity(RABBIT_LISTENER, "http"), Some(Severity::Medium));
    assert_eq!(severity(CERT_EXPIRY, "amqp/ssl"), Some(Severity::High));
    assert_eq!(severity(SQS_PUBLIC, "invoices"), Some(Severity::Critical));
    assert_eq!(severity(POSTGRES_TLS, "spring.datasource.url"), Some(Severity::Medium));
}
