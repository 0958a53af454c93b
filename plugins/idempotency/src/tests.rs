//! Unit tests for `idempotency`.
//!
//! fixtures/estate.json: table `charges` stores `event_id` (billing-sync's key) with only a
//! primary key on `id`; `payments.psp_event_id` has only a partial unique index (psp-hook's dedup
//! store); `inbox` has a composite key (tenant_id, message_id), which counts; `audit_log` has a
//! conventional `delivery_id` without a key; `orders` has no event id at all. Registry:
//! billing-sync (key, no store), crm-sync (neither), stock-sync (store table missing), inbox-flow
//! (no store, but its table deduplicates), cache-flow (redis), a deprecated and an at-most-once
//! entry. Configs: a Spring producer with acks 1 and default retries, a plain one with
//! idempotence off, a safe one, acks 1 with retries 0, and a consumer.
//! The example estates are checked at the end against examples/README.md.

use plumbline_sdk::estate::{PostgresColumn, PostgresTable, PostgresUniqueKey};
use plumbline_sdk::testing::{self, Fixture, rules_fired};
use plumbline_sdk::{ParamValue, Section, Status, Verdict};

use crate::{Idempotency, NO_DEDUP_STORE, NO_UNIQUE_KEY, PARTIAL_KEY, PRODUCER};

fn estate() -> Fixture {
    Fixture::from_json(include_str!("../fixtures/estate.json")).expect("fixture parses")
}

fn ids(verdict: &Verdict, rule: &str) -> Vec<String> {
    let mut ids: Vec<String> =
        verdict.findings.iter().filter(|f| f.rule == rule).map(|f| f.subject.id.clone()).collect();
    ids.sort();
    ids
}

fn pairs(verdict: &Verdict) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        verdict.findings.iter().map(|f| (f.rule.clone(), f.subject.id.clone())).collect();
    pairs.sort();
    pairs
}

fn table_mut<'a>(fixture: &'a mut Fixture, name: &str) -> &'a mut PostgresTable {
    fixture.postgres.as_mut().unwrap()[0].tables.iter_mut().find(|t| t.name == name).expect("table in fixture")
}

#[test]
fn fires_every_rule_on_the_fixture() {
    let verdict = testing::run::<Idempotency>(&estate(), &[]);
    assert_eq!(verdict.status, Status::Fail);
    assert_eq!(rules_fired(&verdict), [NO_DEDUP_STORE, NO_UNIQUE_KEY, PRODUCER, PARTIAL_KEY]);
    // 4 event tables + 6 active integrations judged + 4 producer configs
    assert_eq!(verdict.evaluated, 14);
}

#[test]
fn event_id_without_unique_key_is_critical() {
    let verdict = testing::run::<Idempotency>(&estate(), &[]);
    assert_eq!(ids(&verdict, NO_UNIQUE_KEY), ["shop.public.audit_log", "shop.public.charges"]);
    let charges = verdict.findings.iter().find(|f| f.subject.id == "shop.public.charges").unwrap();
    assert_eq!(charges.severity, plumbline_sdk::Severity::Critical);
    assert_eq!(charges.subject.source, "pg-main");
    assert!(charges.evidence.iter().any(|(k, v)| k == "integrations" && v == "billing-sync"));
}

#[test]
fn unique_constraint_or_composite_key_guards_the_event_id() {
    let mut fixture = estate();
    table_mut(&mut fixture, "charges").unique_keys.push(PostgresUniqueKey {
        name: "charges_tenant_event_key".into(),
        kind: "unique-constraint".into(),
        columns: vec!["tenant_id".into(), "event_id".into()],
        partial: false,
    });
    let verdict = testing::run::<Idempotency>(&fixture, &[]);
    assert_eq!(ids(&verdict, NO_UNIQUE_KEY), ["shop.public.audit_log"]);
    // inbox's composite primary key (tenant_id, message_id) is never flagged.
    assert!(!verdict.findings.iter().any(|f| f.subject.id.contains("inbox")));
}

#[test]
fn partial_unique_index_is_flagged_and_a_full_one_is_not() {
    let verdict = testing::run::<Idempotency>(&estate(), &[]);
    assert_eq!(ids(&verdict, PARTIAL_KEY), ["shop.public.payments"]);
    let mut fixture = estate();
    table_mut(&mut fixture, "payments").unique_keys[1].partial = false;
    let verdict = testing::run::<Idempotency>(&fixture, &[]);
    assert_eq!(ids(&verdict, PARTIAL_KEY), Vec::<String>::new());
    assert!(!verdict.findings.iter().any(|f| f.subject.id.contains("payments")));
}

#[test]
fn event_id_columns_parameter_decides_which_tables_receive_events() {
    let verdict =
        testing::run::<Idempotency>(&estate(), &[("event-id-columns", ParamValue::TextList(vec!["event_id".into()]))]);
    assert_eq!(ids(&verdict, NO_UNIQUE_KEY), ["shop.public.charges"]);
    assert_eq!(verdict.evaluated, 13);
}

#[test]
fn integrations_without_dedup_store_or_with_a_missing_table() {
    let verdict = testing::run::<Idempotency>(&estate(), &[]);
    assert_eq!(ids(&verdict, NO_DEDUP_STORE), ["billing-sync", "crm-sync", "stock-sync"]);
    let stock = verdict.findings.iter().find(|f| f.subject.id == "stock-sync").unwrap();
    assert!(stock.message.contains("table:processed_events"), "{}", stock.message);
    assert!(verdict.notes.iter().any(|n| n.contains("inbox-flow")), "{:?}", verdict.notes);
}

#[test]
fn dedup_stores_that_exist_pass() {
    let mut fixture = estate();
    for integration in fixture.registry.as_mut().unwrap() {
        if integration.dedup_store.is_none() {
            integration.dedup_store = Some("redis".into());
        }
    }
    fixture.postgres.as_mut().unwrap()[0].tables.push(PostgresTable {
        database: "shop".into(),
        schema: "public".into(),
        name: "processed_events".into(),
        columns: vec![PostgresColumn { name: "event_id".into(), data_type: "uuid".into(), nullable: false }],
        unique_keys: vec![PostgresUniqueKey {
            name: "processed_events_pkey".into(),
            kind: "primary-key".into(),
            columns: vec!["event_id".into()],
            partial: false,
        }],
        estimated_rows: None,
    });
    let verdict = testing::run::<Idempotency>(&fixture, &[]);
    assert_eq!(ids(&verdict, NO_DEDUP_STORE), Vec::<String>::new());
}

#[test]
fn missing_dedup_table_is_not_judged_without_postgres() {
    let mut fixture = estate().without(Section::Postgres);
    fixture.config_files = Some(Vec::new());
    let verdict = testing::run::<Idempotency>(&fixture, &[]);
    // inbox-flow can no longer be shown to deduplicate through its table.
    assert_eq!(ids(&verdict, NO_DEDUP_STORE), ["billing-sync", "crm-sync", "inbox-flow"]);
}

#[test]
fn non_idempotent_producers_are_flagged_once_per_file() {
    let verdict = testing::run::<Idempotency>(&estate(), &[]);
    assert_eq!(ids(&verdict, PRODUCER), ["bridge/producer.properties", "shop/application.yml"]);
    let shop = verdict.findings.iter().find(|f| f.subject.id == "shop/application.yml").unwrap();
    assert!(shop.evidence.contains(&("spring.kafka.producer.acks".to_string(), "1 (line 5)".to_string())));
    assert!(shop.evidence.iter().any(|(k, v)| k == "spring.kafka.producer.retries" && v.starts_with("unset")));
}

#[test]
fn idempotent_producers_pass() {
    let mut fixture = estate();
    for file in fixture.config_files.as_mut().unwrap() {
        for entry in &mut file.entries {
            match entry.key.as_str() {
                "spring.kafka.producer.acks" => entry.value = "all".into(),
                "enable.idempotence" => entry.value = "true".into(),
                _ => {}
            }
        }
    }
    let verdict = testing::run::<Idempotency>(&fixture, &[]);
    assert_eq!(ids(&verdict, PRODUCER), Vec::<String>::new());
}

#[test]
fn unavailable_postgres_is_inconclusive() {
    let mut fixture = estate().unavailable(Section::Postgres, "pg-main: password authentication failed");
    fixture.registry = Some(Vec::new());
    fixture.config_files = Some(Vec::new());
    let verdict = testing::run::<Idempotency>(&fixture, &[]);
    assert_eq!(verdict.status, Status::Inconclusive);
    assert!(verdict.notes.iter().any(|n| n.contains("authentication failed")));
}

#[test]
fn nothing_to_evaluate_is_skip() {
    let verdict = testing::run::<Idempotency>(&Fixture::default(), &[]);
    assert_eq!(verdict.status, Status::Skip);
    assert_eq!(verdict.evaluated, 0);
}

#[test]
fn healthy_example_estate_passes() {
    let fixture = Fixture::from_json(include_str!("../../../examples/healthy-estate/snapshot.json"))
        .expect("healthy estate parses");
    let verdict = testing::run::<Idempotency>(&fixture, &[]);
    assert_eq!(verdict.findings, []);
    assert_eq!(verdict.status, Status::Pass);
}

#[test]
fn leaky_example_estate_fails_where_the_readme_says() {
    let fixture =
        Fixture::from_json(include_str!("../../../examples/leaky-estate/snapshot.json")).expect("leaky estate parses");
    let verdict = testing::run::<Idempotency>(&fixture, &[]);
    assert_eq!(verdict.status, Status::Fail);
    let mut expected: Vec<(String, String)> = [
        // charges.event_id has no unique key; payments.psp_event_id only a partial one.
        (NO_UNIQUE_KEY, "acme.public.charges"),
        (PARTIAL_KEY, "acme.public.payments"),
        // Producers: payment-service (acks 1, idempotence false) and wms-bridge.
        (PRODUCER, "/srv/payment-service/config/application.yml"),
        (PRODUCER, "/srv/wms-bridge/config/producer.properties"),
        // Every at-least-once integration but warehouse-dispatch, warehouse-shipments (redis)
        // and paygate-webhook (table:payments) has dedup_store null; legacy-fax-orders is
        // at-most-once.
        (NO_DEDUP_STORE, "order-to-payment"),
        (NO_DEDUP_STORE, "order-events"),
        (NO_DEDUP_STORE, "payment-to-billing"),
        (NO_DEDUP_STORE, "payment-to-warehouse"),
        (NO_DEDUP_STORE, "billing-to-invoicing"),
        (NO_DEDUP_STORE, "carrier-status-webhook"),
        (NO_DEDUP_STORE, "returns-to-refund"),
    ]
    .iter()
    .map(|(r, id)| (r.to_string(), id.to_string()))
    .collect();
    expected.sort();
    assert_eq!(pairs(&verdict), expected);
}
