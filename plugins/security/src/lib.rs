//! `security` — seed question 8: "Are your security configurations leaving the door open for data
//! leaks?", plus the maintenance module's review item "are all certificates valid for the next 90
//! days?".
//!
//! Looks for unencrypted transport (Kafka, RabbitMQ, PostgreSQL, webhooks, SQS over HTTP), open
//! or over-broad access (SQS policies, RabbitMQ `guest` and `.*` permissions, webhooks without
//! authentication), unencrypted SQS queues, certificates about to expire and secrets written in
//! clear in configuration files. One module per source: `kafka.rs`, `rabbitmq.rs`, `sqs.rs`,
//! `postgres.rs`, `webhooks.rs`, `secrets.rs`; `certs.rs` judges certificates for both brokers.
//! The rule catalogue lives in `rules.rs`.

use plumbline_sdk::prelude::*;

mod certs;
mod kafka;
mod postgres;
mod rabbitmq;
mod rules;
mod secrets;
mod sqs;
mod webhooks;

pub struct Security;

pub const KAFKA_LISTENER: &str = "security/kafka-plaintext-listener";
pub const KAFKA_CLIENT: &str = "security/kafka-client-plaintext";
pub const RABBIT_LISTENER: &str = "security/rabbitmq-plaintext-listener";
pub const RABBIT_GUEST: &str = "security/rabbitmq-guest-user";
pub const RABBIT_BROAD: &str = "security/rabbitmq-broad-permissions";
pub const SQS_PUBLIC: &str = "security/sqs-public-policy";
pub const SQS_WILDCARD: &str = "security/sqs-wildcard-action";
pub const SQS_UNENCRYPTED: &str = "security/sqs-unencrypted";
pub const SQS_TRANSPORT: &str = "security/sqs-insecure-transport";
pub const POSTGRES_TLS: &str = "security/postgres-no-tls";
pub const CERT_EXPIRY: &str = "security/certificate-expiry";
pub const WEBHOOK_AUTH: &str = "security/webhook-unauthenticated";
pub const WEBHOOK_HTTP: &str = "security/webhook-plain-http";
pub const PLAINTEXT_SECRET: &str = "security/plaintext-secret";

impl Check for Security {
    fn info() -> Info {
        let info = Info::new(
            "security",
            "Transport security, access and secrets",
            "Are your security configurations leaving the door open for data leaks?",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .reads(Section::Kafka)
        .reads(Section::Rabbitmq)
        .reads(Section::Sqs)
        .reads(Section::Postgres)
        .reads(Section::ConfigFiles)
        .reads(Section::Registry)
        .param(
            "cert-min-days",
            90_i64,
            "A listener certificate must stay valid at least this many days after collection; fewer is high, already expired is critical.",
        );
        rules::all().into_iter().fold(info, |info, rule| info.rule(rule))
    }

    fn run(audit: &mut Audit<'_>) {
        let now = audit.snapshot().collected_at;
        let min_days = audit.params().i64("cert-min-days");
        let clusters = audit.kafka();
        kafka::audit_brokers(audit, &clusters, now, min_days);
        let brokers = audit.rabbitmq();
        rabbitmq::audit(audit, &brokers, now, min_days);
        let accounts = audit.sqs();
        sqs::audit(audit, &accounts);
        let servers = audit.postgres();
        postgres::audit_servers(audit, &servers);
        let files = audit.config_files();
        kafka::audit_clients(audit, &files);
        postgres::audit_configs(audit, &files);
        secrets::audit(audit, &files);
        let registry = audit.registry();
        webhooks::audit(audit, &registry);
    }
}

plumbline_sdk::export_check!(Security);

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_examples;
