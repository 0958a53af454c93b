//! `acks` — seed question 1: "Are you actually receiving acknowledgments from every downstream
//! system?"
//!
//! Looks for the shortcuts that let a broker forget a message before the application has
//! processed it: RabbitMQ auto-ack consumers (live, or configured via Spring's
//! `acknowledge-mode: none`), Kafka consumers that auto-commit offsets, and webhooks that answer
//! 2xx before processing.

use plumbline_sdk::prelude::*;

mod kafka;
mod rabbitmq;
mod webhooks;

pub struct Acks;

pub const AUTO_ACK: &str = "acks/rabbitmq-auto-ack";
pub const AUTO_COMMIT: &str = "acks/kafka-auto-commit";
pub const WEBHOOK_EARLY: &str = "acks/webhook-ack-before-processing";

impl Check for Acks {
    fn info() -> Info {
        Info::new(
            "acks",
            "Application-level acknowledgements",
            "Are you actually receiving acknowledgments from every downstream system?",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .reads(Section::Rabbitmq)
        .reads(Section::ConfigFiles)
        .reads(Section::Registry)
        .rule(
            RuleSpec::new(AUTO_ACK, Severity::High, "RabbitMQ consumers acknowledge manually")
                .description(
                    "With automatic acknowledgement (basic.consume no-ack, Spring acknowledge-mode \
                     NONE) the broker deletes a message the moment it is written to the socket. If \
                     the consumer crashes, restarts or throws while processing, the message is gone \
                     with no retry and no dead-letter trail.",
                )
                .remediation(
                    "Consume with manual acknowledgement and call basicAck (multiple=false) only \
                     after the message has been processed and its effects persisted; reject or nack \
                     without requeue on permanent errors so a dead-letter exchange can catch it. In \
                     Spring AMQP use acknowledge-mode AUTO or MANUAL, never NONE.",
                )
                .reference("https://www.rabbitmq.com/docs/confirms#acknowledgement-modes")
                .reference("https://docs.spring.io/spring-amqp/reference/amqp/containerAttributes.html"),
        )
        .rule(
            RuleSpec::new(AUTO_COMMIT, Severity::High, "Kafka consumers commit offsets after processing")
                .description(
                    "enable.auto.commit=true (the Kafka client default) commits offsets on a timer, \
                     whether or not the records were processed. A consumer that hands records to \
                     another thread or crashes mid-batch loses them: on restart the group resumes \
                     after the committed offset.",
                )
                .remediation(
                    "Set enable.auto.commit=false and commit (commitSync/commitAsync, or Spring \
                     ack-mode RECORD/MANUAL) only after the record's effects are persisted.",
                )
                .reference("https://kafka.apache.org/documentation/#consumerconfigs_enable.auto.commit")
                .reference("https://docs.spring.io/spring-kafka/reference/kafka/receiving-messages/message-listener-container.html"),
        )
        .rule(
            RuleSpec::new(WEBHOOK_EARLY, Severity::High, "Webhooks answer 2xx only after processing")
                .description(
                    "A webhook endpoint that returns 2xx on receipt tells the sender the event is \
                     safe. If processing then fails, the sender will not retry and the event is lost.",
                )
                .remediation(
                    "Return 2xx only after the event is processed or durably queued (persist first, \
                     e.g. into an inbox table or a broker with manual acks); return 5xx on failure so \
                     the sender retries.",
                )
                .reference("https://docs.github.com/en/webhooks/using-webhooks/best-practices-for-using-webhooks")
                .reference("https://docs.stripe.com/webhooks#acknowledge-events-immediately"),
        )
        .param(
            "ignore-queues",
            [] as [&str; 0],
            "RabbitMQ queue names where at-most-once delivery is intended (exact names, or a prefix ending in `*`).",
        )
        .param(
            "async-markers",
            ["async", "executor", "worker-pool", "thread-pool"],
            "Substrings of config keys showing that a Kafka consumer hands records to other threads; auto-commit is then high severity, otherwise medium.",
        )
    }

    fn run(audit: &mut Audit<'_>) {
        let registry = audit.registry();
        rabbitmq::audit_consumers(audit, &registry);
        let files = audit.config_files();
        rabbitmq::audit_spring_ack_mode(audit, &files);
        kafka::audit_auto_commit(audit, &files);
        webhooks::audit(audit, &registry);
    }
}

plumbline_sdk::export_check!(Acks);

/// True when `name` matches one of `patterns` (exact, or prefix when the pattern ends in `*`).
pub(crate) fn matches_any(name: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == p,
    })
}

#[cfg(test)]
mod tests;
