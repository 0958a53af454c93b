//! PostgreSQL side of `idempotency`: tables that receive events and whether a unique key guards
//! the event id (`no-unique-event-key`, `partial-unique-key`). Also the table lookups the
//! registry side shares (`Tables`, `guard`).
//!
//! A table receives events when the registry says so (an integration lists it as `table:<name>`
//! or names it as `dedup_store`; its `idempotency_key` is then the column to guard), or, failing
//! that, when it has a column named in `event-id-columns`. A key guards a column when it is a
//! primary key, unique constraint or unique index, is not partial, and contains the column —
//! composite keys such as `(tenant_id, event_id)` count.

use plumbline_sdk::index::Index;
use plumbline_sdk::prelude::*;

use crate::{NO_UNIQUE_KEY, PARTIAL_KEY};

/// `database.schema.name`, the subject id of a table.
pub fn qualified(table: &PostgresTable) -> String {
    format!("{}.{}.{}", table.database, table.schema, table.name)
}

/// The names a registry reference can give `table`: `payments`, `public.payments` and
/// `acme.public.payments`.
fn names(table: &PostgresTable) -> [String; 3] {
    [table.name.clone(), format!("{}.{}", table.schema, table.name), qualified(table)]
}

/// The tables of all servers, by every name a registry reference can give them.
pub struct Tables<'a> {
    by_name: Index<String, (&'a PostgresServer, &'a PostgresTable)>,
}

impl<'a> Tables<'a> {
    pub fn new(servers: &'a [PostgresServer]) -> Self {
        let mut by_name = Index::new();
        for server in servers {
            for table in &server.tables {
                for name in names(table) {
                    by_name.insert(name, (server, table));
                }
            }
        }
        Tables { by_name }
    }

    /// The first table (servers in order, then their tables) that `reference` names, with its
    /// server.
    pub fn find(&self, reference: &str) -> Option<(&'a PostgresServer, &'a PostgresTable)> {
        self.by_name.first(reference.trim()).copied()
    }
}

/// The column of `table` called `name` (case-insensitive), with its spelling in the catalog.
pub fn column<'a>(table: &'a PostgresTable, name: &str) -> Option<&'a str> {
    table.columns.iter().find(|c| c.name.eq_ignore_ascii_case(name.trim())).map(|c| c.name.as_str())
}

/// How the unique keys of a table cover one column.
#[derive(Debug, Clone, PartialEq)]
pub enum Guard {
    /// A non-partial key contains the column (its name).
    Full(String),
    /// Only partial unique indexes contain it (their names).
    PartialOnly(Vec<String>),
    /// No unique key contains it.
    None,
}

pub fn guard(table: &PostgresTable, column: &str) -> Guard {
    let covering: Vec<&PostgresUniqueKey> =
        table.unique_keys.iter().filter(|k| k.columns.iter().any(|c| c.eq_ignore_ascii_case(column))).collect();
    if let Some(key) = covering.iter().find(|k| !k.partial) {
        return Guard::Full(key.name.clone());
    }
    if covering.is_empty() {
        Guard::None
    } else {
        Guard::PartialOnly(covering.iter().map(|k| k.name.clone()).collect())
    }
}

/// Registry integrations by the (trimmed) table references they say receive their events:
/// resources `table:<name>` and a `table:<name>` dedup store.
struct Users<'a> {
    registry: &'a [Integration],
    by_reference: Index<&'a str, usize>,
}

impl<'a> Users<'a> {
    fn new(registry: &'a [Integration]) -> Self {
        let mut by_reference = Index::new();
        for (at, integration) in registry.iter().enumerate() {
            let store = integration.dedup_store.as_deref().and_then(|s| s.strip_prefix("table:"));
            for reference in integration.resources_of("table").chain(store) {
                by_reference.insert(reference.trim(), at);
            }
        }
        Users { registry, by_reference }
    }

    /// Integrations that say `table` receives their events, in registry order.
    fn of(&self, table: &PostgresTable) -> Vec<&'a Integration> {
        let mut found: Vec<usize> =
            names(table).iter().flat_map(|n| self.by_reference.get(n.as_str())).copied().collect();
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|at| &self.registry[at]).collect()
    }
}

pub fn audit_tables(audit: &mut Audit<'_>, servers: &[PostgresServer], registry: &[Integration]) {
    let defaults = audit.params().list("event-id-columns").to_vec();
    let on = Users::new(registry);
    for server in servers {
        for table in &server.tables {
            let users = on.of(table);
            // Columns the registry declares as this table's idempotency key.
            let mut declared: Vec<&str> = Vec::new();
            for integration in &users {
                let Some(key) = integration.idempotency_key.as_deref() else {
                    continue;
                };
                match column(table, key) {
                    Some(col) if !declared.contains(&col) => declared.push(col),
                    Some(_) => {}
                    None => audit.note(format!(
                        "integration `{}` names `{key}` as idempotency key for table `{}`, which has no such column",
                        integration.id,
                        qualified(table)
                    )),
                }
            }
            let by_convention: Vec<&str> = table
                .columns
                .iter()
                .filter(|c| defaults.iter().any(|d| d.eq_ignore_ascii_case(&c.name)))
                .map(|c| c.name.as_str())
                .collect();
            // Declared keys must each be guarded; by convention, one guarded id column suffices.
            let failing: Vec<(&str, Guard)> = if !declared.is_empty() {
                declared.iter().map(|c| (*c, guard(table, c))).filter(|(_, g)| !matches!(g, Guard::Full(_))).collect()
            } else if !by_convention.is_empty() {
                let guards: Vec<(&str, Guard)> = by_convention.iter().map(|c| (*c, guard(table, c))).collect();
                if guards.iter().any(|(_, g)| matches!(g, Guard::Full(_))) { Vec::new() } else { guards }
            } else {
                continue;
            };
            audit.evaluated(1);
            let uncovered: Vec<&str> = failing.iter().filter(|(_, g)| *g == Guard::None).map(|(c, _)| *c).collect();
            let partial: Vec<(&str, &Vec<String>)> = failing
                .iter()
                .filter_map(|(c, g)| match g {
                    Guard::PartialOnly(keys) => Some((*c, keys)),
                    _ => None,
                })
                .collect();
            if !uncovered.is_empty() {
                report_uncovered(audit, server, table, &uncovered, &users);
            }
            if !partial.is_empty() {
                report_partial(audit, server, table, &partial, &users);
            }
        }
    }
}

fn key_list(table: &PostgresTable) -> String {
    if table.unique_keys.is_empty() {
        return "none".to_string();
    }
    table
        .unique_keys
        .iter()
        .map(|k| {
            let partial = if k.partial { ", partial" } else { "" };
            format!("{} {}({}{partial})", k.name, k.kind, k.columns.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn common_evidence(table: &PostgresTable, columns: &[&str], users: &[&Integration]) -> Vec<(String, String)> {
    let mut evidence = vec![
        ("table".to_string(), qualified(table)),
        ("event_id_columns".to_string(), columns.join(", ")),
        ("unique_keys".to_string(), key_list(table)),
    ];
    if let Some(rows) = table.estimated_rows {
        evidence.push(("estimated_rows".to_string(), rows.to_string()));
    }
    if !users.is_empty() {
        let ids: Vec<&str> = users.iter().map(|i| i.id.as_str()).collect();
        evidence.push(("integrations".to_string(), ids.join(", ")));
    }
    evidence
}

fn report_uncovered(
    audit: &mut Audit<'_>,
    server: &PostgresServer,
    table: &PostgresTable,
    columns: &[&str],
    users: &[&Integration],
) {
    let cols = columns.join("`, `");
    let fed_by = match users.first() {
        Some(i) => format!(" (fed by `{}`)", i.id),
        None => String::new(),
    };
    audit.finding(
        NO_UNIQUE_KEY,
        Subject::new(&server.source, "table", qualified(table)),
        format!(
            "Table `{}`{fed_by} stores events by `{cols}` but no primary key, unique constraint or unique index contains it: every redelivered event inserts another row. Add UNIQUE (`{cols}`) and insert with ON CONFLICT DO NOTHING.",
            qualified(table)
        ),
        common_evidence(table, columns, users),
    );
}

fn report_partial(
    audit: &mut Audit<'_>,
    server: &PostgresServer,
    table: &PostgresTable,
    partial: &[(&str, &Vec<String>)],
    users: &[&Integration],
) {
    let columns: Vec<&str> = partial.iter().map(|(c, _)| *c).collect();
    let indexes: Vec<String> = partial.iter().flat_map(|(_, k)| k.iter().cloned()).collect();
    let mut evidence = common_evidence(table, &columns, users);
    evidence.push(("partial_indexes".to_string(), indexes.join(", ")));
    audit.finding(
        PARTIAL_KEY,
        Subject::new(&server.source, "table", qualified(table)),
        format!(
            "Table `{}` guards `{}` only with partial unique index `{}`: rows outside its WHERE clause can hold the same event twice, and ON CONFLICT on the column only uses the index when the statement repeats that clause. Replace it with a full unique constraint.",
            qualified(table),
            columns.join("`, `"),
            indexes.join("`, `")
        ),
        evidence,
    );
}
