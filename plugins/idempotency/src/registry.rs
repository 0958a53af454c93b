//! Registry side of `idempotency` (`no-dedup-store`): active at-least-once (or exactly-once)
//! integrations that record no processed event ids, and dedup stores that point to a PostgreSQL
//! table that does not exist.
//!
//! An integration without a `dedup_store` is still fine when it names an `idempotency_key` and
//! lists a `table:<name>` whose non-partial unique key contains that column: inserting with
//! ON CONFLICT DO NOTHING into that table is the deduplication. That, and the existence of a
//! dedup table, are only judged when the PostgreSQL section was read.

use plumbline_sdk::prelude::*;

use crate::NO_DEDUP_STORE;
use crate::postgres::{Guard, Tables, column, guard, qualified};

/// `servers` is `Some` only when the PostgreSQL section was read successfully.
pub fn audit_dedup_stores(audit: &mut Audit<'_>, registry: &[Integration], servers: Option<&[PostgresServer]>) {
    let tables = servers.map(Tables::new);
    for integration in registry.iter().filter(|i| i.is_active()) {
        let store = integration.dedup_store.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let key = integration.idempotency_key.as_deref().map(str::trim).filter(|s| !s.is_empty());
        match store {
            None if integration.at_least_once() => {
                audit.evaluated(1);
                if let (Some(key), Some(tables)) = (key, &tables)
                    && let Some(table) = guarding_table(integration, key, tables)
                {
                    audit.note(format!(
                        "integration `{}` has no dedup_store, but table `{table}` has a unique key on `{key}`, which deduplicates",
                        integration.id
                    ));
                    continue;
                }
                report_missing(audit, integration, key);
            }
            None => {}
            Some(store) => {
                let table_ref = store.strip_prefix("table:").map(str::trim);
                let judged = table_ref.is_some() && servers.is_some_and(|s| !s.is_empty());
                if !judged && !integration.at_least_once() {
                    continue;
                }
                audit.evaluated(1);
                if let (Some(reference), Some(servers), Some(tables)) = (table_ref, servers, &tables)
                    && !servers.is_empty()
                    && tables.find(reference).is_none()
                {
                    report_missing_table(audit, integration, store, reference, servers);
                }
            }
        }
    }
}

/// A listed table whose full unique key contains `key`, as `database.schema.name`.
fn guarding_table(integration: &Integration, key: &str, tables: &Tables<'_>) -> Option<String> {
    integration.resources_of("table").find_map(|reference| {
        let (_, table) = tables.find(reference)?;
        let col = column(table, key)?;
        matches!(guard(table, col), Guard::Full(_)).then(|| qualified(table))
    })
}

fn report_missing(audit: &mut Audit<'_>, integration: &Integration, key: Option<&str>) {
    let delivery = integration.delivery.clone().unwrap_or_default();
    let message = match key {
        Some(key) => format!(
            "Integration `{}` ({delivery}, {} → {}) names idempotency key `{key}` but no dedup store: nothing records which events were already processed, so a redelivered event is applied again.",
            integration.id, integration.source_system, integration.target_system
        ),
        None => format!(
            "Integration `{}` ({delivery}, {} → {}) declares neither an idempotency key nor a dedup store: duplicates from redelivery cannot even be recognised.",
            integration.id, integration.source_system, integration.target_system
        ),
    };
    audit.finding(
        NO_DEDUP_STORE,
        Subject::new("registry", "integration", &integration.id),
        message,
        [
            ("integration", integration.id.clone()),
            ("transport", integration.transport.clone()),
            ("delivery", delivery.clone()),
            ("idempotency_key", key.unwrap_or("none").to_string()),
            ("dedup_store", "none".to_string()),
        ],
    );
}

fn report_missing_table(
    audit: &mut Audit<'_>,
    integration: &Integration,
    store: &str,
    reference: &str,
    servers: &[PostgresServer],
) {
    let sources: Vec<&str> = servers.iter().map(|s| s.source.as_str()).collect();
    audit.finding(
        NO_DEDUP_STORE,
        Subject::new("registry", "integration", &integration.id),
        format!(
            "Integration `{}` names `{store}` as its dedup store, but no table `{reference}` exists on the collected PostgreSQL servers ({}): processed event ids are not recorded where the registry says.",
            integration.id,
            sources.join(", ")
        ),
        [
            ("integration", integration.id.clone()),
            ("dedup_store", store.to_string()),
            ("postgres_sources", sources.join(", ")),
            (
                "idempotency_key",
                integration.idempotency_key.clone().unwrap_or_else(|| "none".into()),
            ),
        ],
    );
}
