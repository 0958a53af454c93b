//! Unit tests for `schema-drift` on a small fixture estate (fixtures/estate.json):
//! - config: `fail-on-unknown-properties: true` (Spring YAML) and its env-file spelling `TRUE`,
//!   the `FAIL_ON_UNKNOWN_PROPERTIES: false` spelling (fine); a Spring JsonDeserializer with no
//!   registry URL; a JSON Schema serializer with a registry URL and an Avro client (both fine).
//! - registry: `orders-in` (RabbitMQ, JSON, no registry, no contract tests); `payments`
//!   (compatibility `NONE`); `shipments` (all good); `psp-webhook` (HTTP, no registry: not a
//!   broker transport by default); `fax` (no schema); `old-feed` (deprecated, no schema: ignored);
//!   `refunds` (SQS, compatibility `none` in lower case, no contract tests).

use plumbline_sdk::testing::{self, Fixture};
use plumbline_sdk::{ParamValue, Section, Status, Verdict};

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

fn integration_mut<'a>(fixture: &'a mut Fixture, id: &str) -> &'a mut plumbline_sdk::estate::Integration {
    fixture.registry.as_mut().unwrap().iter_mut().find(|i| i.id == id).unwrap()
}

/// The fixture with every problem fixed.
fn fixed() -> Fixture {
    let mut f = estate();
    for file in f.config_files.as_mut().unwrap() {
        for entry in &mut file.entries {
            if entry.key.to_ascii_lowercase().replace('_', "-").ends_with("fail-on-unknown-properties") {
                entry.value = "false".into();
            }
        }
        if file.path == "/srv/orders/application.yml" {
            file.entries.push(plumbline_sdk::estate::ConfigEntry {
                key: "spring.kafka.properties.schema.registry.url".into(),
                value: "https://schema-registry.example.internal:8081".into(),
                line: 21,
                secret: None,
            });
        }
    }
    for integration in f.registry.as_mut().unwrap() {
        let schema = integration.schema.get_or_insert_with(|| plumbline_sdk::estate::SchemaContract {
            format: "avro".into(),
            registry: None,
            compatibility: None,
            contract_tests: false,
        });
        schema.registry.get_or_insert_with(|| "https://schema-registry.example.internal:8081".into());
        schema.compatibility = Some("BACKWARD".into());
        schema.contract_tests = true;
    }
    f
}

#[test]
fn fires_exactly_the_expected_findings_on_the_fixture() {
    let verdict = testing::run::<SchemaDrift>(&estate(), &[]);
    assert_eq!(verdict.status, Status::Fail);
    assert_eq!(
        found(&verdict),
        owned(&[
            (
                STRICT_DESERIALISATION,
                "/srv/orders/application.yml",
                "spring.jackson.deserialization.fail-on-unknown-properties"
            ),
            (STRICT_DESERIALISATION, "/srv/legacy/.env", "SPRING_JACKSON_DESERIALIZATION_FAIL_ON_UNKNOWN_PROPERTIES"),
            (NO_SCHEMA_REGISTRY, "/srv/orders/application.yml", "spring.kafka.consumer.value-deserializer"),
            (NO_SCHEMA_REGISTRY, "registry", "orders-in"),
            (COMPATIBILITY_NONE, "registry", "payments"),
            (COMPATIBILITY_NONE, "registry", "refunds"),
            (NO_CONTRACT_TESTS, "registry", "orders-in"),
            (NO_CONTRACT_TESTS, "registry", "refunds"),
            (UNDECLARED_CONTRACT, "registry", "fax"),
        ])
    );
    // 3 fail-on-unknown keys + 3 value serde keys + 6 active integrations.
    assert_eq!(verdict.evaluated, 12);
}

#[test]
fn the_fixed_fixture_passes() {
    let verdict = testing::run::<SchemaDrift>(&fixed(), &[]);
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Pass);
}

#[test]
fn tolerant_deserialisation_passes() {
    let mut fixture = estate();
    for file in fixture.config_files.as_mut().unwrap() {
        file.entries.iter_mut().filter(|e| e.value.eq_ignore_ascii_case("true")).for_each(|e| e.value = "false".into());
    }
    let verdict = testing::run::<SchemaDrift>(&fixture, &[]);
    assert_eq!(ids(&verdict, STRICT_DESERIALISATION), Vec::<String>::new());
}

#[test]
fn strict_deserialisation_names_file_line_and_key() {
    let verdict = testing::run::<SchemaDrift>(&estate(), &[]);
    let finding = verdict
        .findings
        .iter()
        .find(|f| f.rule == STRICT_DESERIALISATION && f.subject.source.ends_with(".yml"))
        .unwrap();
    assert!(finding.message.starts_with("/srv/orders/application.yml:12 sets"), "{}", finding.message);
    assert!(finding.evidence.contains(&("line".into(), "12".into())));
}

#[test]
fn json_serde_with_a_registry_url_in_the_same_file_passes() {
    let mut fixture = estate();
    fixture.config_files.as_mut().unwrap()[0].entries.push(plumbline_sdk::estate::ConfigEntry {
        key: "spring.kafka.consumer.properties.schema.registry.url".into(),
        value: "https://schema-registry.example.internal:8081".into(),
        line: 22,
        secret: None,
    });
    let verdict = testing::run::<SchemaDrift>(&fixture, &[]);
    assert_eq!(ids(&verdict, NO_SCHEMA_REGISTRY), ["orders-in"]);
}

#[test]
fn integration_with_a_registry_passes_and_an_empty_registry_does_not() {
    let mut fixture = estate();
    integration_mut(&mut fixture, "orders-in").schema.as_mut().unwrap().registry = Some("https://sr:8081".into());
    let verdict = testing::run::<SchemaDrift>(&fixture, &[]);
    assert!(!ids(&verdict, NO_SCHEMA_REGISTRY).contains(&"orders-in".to_string()));

    integration_mut(&mut fixture, "orders-in").schema.as_mut().unwrap().registry = Some("  ".into());
    let verdict = testing::run::<SchemaDrift>(&fixture, &[]);
    assert!(ids(&verdict, NO_SCHEMA_REGISTRY).contains(&"orders-in".to_string()));
}

#[test]
fn broker_transports_parameter_decides_which_integrations_need_a_registry() {
    let with_webhooks =
        ParamValue::TextList(vec!["kafka".into(), "rabbitmq".into(), "sqs".into(), "http-webhook".into()]);
    let verdict = testing::run::<SchemaDrift>(&estate(), &[("broker-transports", with_webhooks)]);
    assert!(ids(&verdict, NO_SCHEMA_REGISTRY).contains(&"psp-webhook".to_string()));

    let verdict = testing::run::<SchemaDrift>(&estate(), &[("broker-transports", ParamValue::TextList(Vec::new()))]);
    assert!(!ids(&verdict, NO_SCHEMA_REGISTRY).contains(&"orders-in".to_string()));
}

#[test]
fn compatibility_backward_passes() {
    let mut fixture = estate();
    integration_mut(&mut fixture, "payments").schema.as_mut().unwrap().compatibility =
        Some("BACKWARD_TRANSITIVE".into());
    integration_mut(&mut fixture, "refunds").schema.as_mut().unwrap().compatibility = None;
    let verdict = testing::run::<SchemaDrift>(&fixture, &[]);
    assert_eq!(ids(&verdict, COMPATIBILITY_NONE), Vec::<String>::new());
}

#[test]
fn contract_tests_pass_when_declared() {
    let mut fixture = estate();
    for id in ["orders-in", "refunds"] {
        integration_mut(&mut fixture, id).schema.as_mut().unwrap().contract_tests = true;
    }
    let verdict = testing::run::<SchemaDrift>(&fixture, &[]);
    assert_eq!(ids(&verdict, NO_CONTRACT_TESTS), Vec::<String>::new());
}

#[test]
fn deprecated_integrations_are_ignored_and_a_declared_contract_passes() {
    let verdict = testing::run::<SchemaDrift>(&estate(), &[]);
    assert!(!verdict.findings.iter().any(|f| f.subject.id == "old-feed"));

    let mut fixture = estate();
    integration_mut(&mut fixture, "fax").schema = integration_mut(&mut fixture, "shipments").schema.clone();
    let verdict = testing::run::<SchemaDrift>(&fixture, &[]);
    assert_eq!(ids(&verdict, UNDECLARED_CONTRACT), Vec::<String>::new());
}

#[test]
fn unavailable_registry_is_inconclusive_not_pass() {
    let fixture = fixed().unavailable(Section::Registry, "registry: file not found");
    let verdict = testing::run::<SchemaDrift>(&fixture, &[]);
    assert_eq!(verdict.status, Status::Inconclusive);
    assert!(verdict.notes.iter().any(|n| n.contains("file not found")), "{:?}", verdict.notes);
}

#[test]
fn findings_in_config_still_fail_when_the_registry_is_unavailable() {
    let fixture = estate().unavailable(Section::Registry, "registry: timeout");
    assert_eq!(testing::run::<SchemaDrift>(&fixture, &[]).status, Status::Fail);
}

#[test]
fn nothing_to_evaluate_is_skip() {
    let verdict = testing::run::<SchemaDrift>(&Fixture::default(), &[]);
    assert_eq!(verdict.status, Status::Skip);
    assert_eq!(verdict.evaluated, 0);
}

#[test]
fn healthy_example_estate_passes() {
    let fixture = Fixture::from_json(include_str!("../../../examples/healthy-estate/snapshot.json")).unwrap();
    let verdict = testing::run::<SchemaDrift>(&fixture, &[]);
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Pass);
}

#[test]
fn leaky_example_estate_fails_with_the_documented_problems() {
    let fixture = Fixture::from_json(include_str!("../../../examples/leaky-estate/snapshot.json")).unwrap();
    let verdict = testing::run::<SchemaDrift>(&fixture, &[]);
    assert_eq!(verdict.status, Status::Fail);
    let mut pairs: Vec<(String, String)> = found(&verdict).into_iter().map(|(rule, _, id)| (rule, id)).collect();
    pairs.sort();
    // examples/README.md, "Schema drift (Q3)". The two webhooks also lack a registry, but HTTP is
    // not a broker transport by default (`broker-transports`).
    let mut expected: Vec<(String, String)> = [
        (STRICT_DESERIALISATION, "spring.jackson.deserialization.fail-on-unknown-properties"),
        (NO_SCHEMA_REGISTRY, "order-to-payment"),
        (NO_SCHEMA_REGISTRY, "warehouse-dispatch"),
        (NO_SCHEMA_REGISTRY, "billing-to-invoicing"),
        (NO_SCHEMA_REGISTRY, "returns-to-refund"),
        (COMPATIBILITY_NONE, "payment-to-billing"),
        // contract_tests is false everywhere except warehouse-dispatch and warehouse-shipments
        // (legacy-fax-orders has no schema at all).
        (NO_CONTRACT_TESTS, "order-to-payment"),
        (NO_CONTRACT_TESTS, "order-events"),
        (NO_CONTRACT_TESTS, "payment-to-billing"),
        (NO_CONTRACT_TESTS, "payment-to-warehouse"),
        (NO_CONTRACT_TESTS, "billing-to-invoicing"),
        (NO_CONTRACT_TESTS, "paygate-webhook"),
        (NO_CONTRACT_TESTS, "carrier-status-webhook"),
        (NO_CONTRACT_TESTS, "returns-to-refund"),
        (UNDECLARED_CONTRACT, "legacy-fax-orders"),
    ]
    .iter()
    .map(|(r, id)| (r.to_string(), id.to_string()))
    .collect();
    expected.sort();
    assert_eq!(pairs, expected);
    let strict = verdict.findings.iter().find(|f| f.rule == STRICT_DESERIALISATION).unwrap();
    assert_eq!(strict.subject.source, "/srv/payment-service/config/application.yml");
    assert!(strict.evidence.contains(&("line".into(), "32".into())));
}
