//! `idempotency` — seed question 7: "Is your integration idempotent, or can duplicate events
//! cause data corruption?"
//!
//! Duplicates are a fact of life under at-least-once delivery: a redelivered message, a producer
//! retry or a rebalanced consumer hands the same event to the application twice. This check looks
//! for the places where the second copy would do damage:
//!
//! - PostgreSQL tables that store events by id without a unique key on that id (or with only a
//!   partial one) — `postgres.rs`;
//! - at-least-once integrations in the registry with no dedup store, or a dedup table that does
//!   not exist — `registry.rs`;
//! - Kafka producers that can write a record twice on retry — `producers.rs`.

use plumbline_sdk::prelude::*;

mod postgres;
mod producers;
mod registry;

pub struct Idempotency;

pub const NO_UNIQUE_KEY: &str = "idempotency/no-unique-event-key";
pub const PARTIAL_KEY: &str = "idempotency/partial-unique-key";
pub const NO_DEDUP_STORE: &str = "idempotency/no-dedup-store";
pub const PRODUCER: &str = "idempotency/non-idempotent-producer";

/// Default names of columns that identify an event.
pub const EVENT_ID_COLUMNS: [&str; 6] =
    ["event_id", "message_id", "idempotency_key", "dedup_key", "delivery_id", "external_event_id"];

impl Check for Idempotency {
    fn info() -> Info {
        Info::new(
            "idempotency",
            "Idempotent consumers and producers",
            "Is your integration idempotent, or can duplicate events cause data corruption?",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .reads(Section::Postgres)
        .reads(Section::Registry)
        .reads(Section::ConfigFiles)
        .rule(
            RuleSpec::new(NO_UNIQUE_KEY, Severity::Critical, "Event tables have a unique key on the event id")
                .description(
                    "A table that stores events by their id but has no primary key, unique \
                     constraint or unique index containing that id accepts the same event twice. \
                     Every redelivery, consumer restart or producer retry then writes another row: \
                     double charges, duplicate orders, totals that no longer add up.",
                )
                .remediation(
                    "Add a unique constraint on the event id (or on (tenant_id, event_id) when ids \
                     are only unique per tenant): ALTER TABLE ... ADD CONSTRAINT ... UNIQUE \
                     (event_id), after removing existing duplicates. Write with INSERT ... ON \
                     CONFLICT (event_id) DO NOTHING so a duplicate is skipped instead of failing.",
                )
                .reference("https://www.postgresql.org/docs/current/ddl-constraints.html#DDL-CONSTRAINTS-UNIQUE-CONSTRAINTS")
                .reference("https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT"),
        )
        .rule(
            RuleSpec::new(PARTIAL_KEY, Severity::High, "Event ids are guarded by a full, not a partial, unique index")
                .description(
                    "A partial unique index (CREATE UNIQUE INDEX ... WHERE ...) only refuses \
                     duplicates among the rows matching its predicate. An event stored in any other \
                     state is not guarded, and INSERT ... ON CONFLICT (column) cannot infer the \
                     index unless the statement repeats the predicate, so deduplication silently \
                     stops working.",
                )
                .remediation(
                    "Replace the partial index with a unique constraint over the whole table on the \
                     event id (or a composite key that contains it). If some rows legitimately have \
                     no id, keep the column nullable: NULLs never conflict in a unique constraint.",
                )
                .reference("https://www.postgresql.org/docs/current/indexes-partial.html")
                .reference("https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT"),
        )
        .rule(
            RuleSpec::new(NO_DEDUP_STORE, Severity::High, "At-least-once integrations record processed event ids")
                .description(
                    "At-least-once delivery means the consumer will see some events more than once. \
                     Unless it records which event ids it has already processed (an inbox table with \
                     a unique key, or a cache such as Redis with a TTL covering the retry window), a \
                     redelivered event is applied again. A dedup store that points to a table which \
                     does not exist protects nothing.",
                )
                .remediation(
                    "Declare an idempotency key for every at-least-once integration and record \
                     processed keys in a dedup store, in the same transaction as the effect: e.g. \
                     INSERT INTO processed_events(event_id) ... ON CONFLICT DO NOTHING and skip the \
                     event when no row was inserted. Record the store in the registry \
                     (dedup_store: table:processed_events or redis).",
                )
                .reference("https://kafka.apache.org/documentation/#semantics")
                .reference("https://www.rabbitmq.com/docs/reliability")
                .reference("https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues-at-least-once-delivery.html"),
        )
        .rule(
            RuleSpec::new(PRODUCER, Severity::High, "Kafka producers are idempotent")
                .description(
                    "A producer that retries a send whose acknowledgement was lost writes the \
                     record again. With enable.idempotence=false, or acks other than all (which \
                     turns idempotence off), those retries put duplicates into the topic, and \
                     every consumer downstream has to cope with them.",
                )
                .remediation(
                    "Set acks=all and enable.idempotence=true (the Kafka client defaults since 3.0) \
                     and keep max.in.flight.requests.per.connection at 5 or less. In Spring Boot: \
                     spring.kafka.producer.acks=all and \
                     spring.kafka.producer.properties.enable.idempotence=true.",
                )
                .reference("https://kafka.apache.org/documentation/#producerconfigs_enable.idempotence")
                .reference("https://kafka.apache.org/documentation/#producerconfigs_acks")
                .reference("https://docs.spring.io/spring-boot/appendix/application-properties/index.html#application-properties.integration.spring.kafka.producer.acks"),
        )
        .param(
            "event-id-columns",
            EVENT_ID_COLUMNS,
            "Column names (case-insensitive) that identify an event; a table with one of them is treated as receiving events.",
        )
    }

    fn run(audit: &mut Audit<'_>) {
        let registry = audit.registry();
        let servers = audit.postgres();
        let postgres_read = audit.is_available(Section::Postgres);
        postgres::audit_tables(audit, &servers, &registry);
        registry::audit_dedup_stores(audit, &registry, postgres_read.then_some(servers.as_slice()));
        let files = audit.config_files();
        producers::audit(audit, &files);
    }
}

plumbline_sdk::export_check!(Idempotency);

#[cfg(test)]
mod tests;
