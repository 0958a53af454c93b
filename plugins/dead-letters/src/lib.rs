//! `dead-letters` — seed question 4: "Do you have a real error-handling strategy, or are you just
//! logging exceptions?", with the maintenance module's DLQ rule (any message in a DLQ alerts).
//!
//! A message that cannot be processed must end somewhere a person will look: a dead-letter queue
//! or topic, with a bounded number of attempts before it gets there and an alert once it does.
//! This file declares the check (rules, parameters) and runs the per-source modules:
//! `rabbitmq.rs` (DLX, delivery limits, DLQ depth), `sqs.rs` (redrive policies, DLQ depth),
//! `kafka.rs` (dead-letter topics), `config.rs` (Spring requeue and retry settings) and
//! `alerts.rs` (Prometheus alerting rules on dead letters).

use plumbline_sdk::helpers::DEAD_LETTER_PATTERNS;
use plumbline_sdk::prelude::*;

mod alerts;
mod config;
mod kafka;
mod rabbitmq;
mod sqs;

pub struct DeadLetters;

pub const RABBITMQ_NO_DLX: &str = "dead-letters/rabbitmq-no-dead-letter";
pub const SQS_NO_REDRIVE: &str = "dead-letters/sqs-no-redrive";
pub const KAFKA_NO_DLT: &str = "dead-letters/kafka-no-dead-letter-topic";
pub const MESSAGES_IN_DLQ: &str = "dead-letters/messages-in-dead-letter-queue";
pub const NO_DLQ_ALERT: &str = "dead-letters/no-dead-letter-alert";
pub const UNBOUNDED_REDELIVERY: &str = "dead-letters/unbounded-redelivery";
pub const EXCESSIVE_RETRIES: &str = "dead-letters/excessive-retries";

impl Check for DeadLetters {
    fn info() -> Info {
        Info::new(
            "dead-letters",
            "Dead letters and bounded retries",
            "Do you have a real error-handling strategy, or are you just logging exceptions?",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .reads(Section::Rabbitmq)
        .reads(Section::Sqs)
        .reads(Section::Kafka)
        .reads(Section::Prometheus)
        .reads(Section::ConfigFiles)
        .rule(
            RuleSpec::new(RABBITMQ_NO_DLX, Severity::High, "RabbitMQ queues have a dead-letter exchange")
                .description(
                    "Without a dead-letter exchange, a message that a consumer rejects without \
                     requeue, that expires (TTL) or that overflows a length limit is deleted by the \
                     broker. The only trace left is whatever the consumer logged, so a failure \
                     becomes silent data loss instead of something that can be inspected and replayed.",
                )
                .remediation(
                    "Give every work queue a dead-letter exchange, preferably by policy so no queue \
                     is forgotten: `rabbitmqctl set_policy --apply-to queues DLX \"^orders[.]\" \
                     '{\"dead-letter-exchange\":\"orders.dlx\"}'`, and bind a durable DLQ to that \
                     exchange. With quorum queues also set `dead-letter-strategy: at-least-once`.",
                )
                .reference("https://www.rabbitmq.com/docs/dlx")
                .reference("https://www.rabbitmq.com/docs/parameters#policies"),
        )
        .rule(
            RuleSpec::new(SQS_NO_REDRIVE, Severity::High, "SQS queues have a redrive policy")
                .description(
                    "Without a redrive policy, a message that consumers keep failing on is received \
                     again and again until its retention period ends, and is then deleted. It burns \
                     consumer capacity the whole time and disappears without a trace.",
                )
                .remediation(
                    "Create a dead-letter queue (same type: standard or FIFO) and set the source \
                     queue's RedrivePolicy to `{\"deadLetterTargetArn\": \"<dlq arn>\", \
                     \"maxReceiveCount\": 5}`; give the DLQ a longer retention than the source queue.",
                )
                .reference("https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html")
                .reference("https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue.html"),
        )
        .rule(
            RuleSpec::new(KAFKA_NO_DLT, Severity::Medium, "Kafka consumers have a dead-letter topic")
                .description(
                    "Kafka does not dead-letter anything by itself. A record that always fails either \
                     blocks its partition (the consumer retries forever) or is skipped after the \
                     error handler's retries with only a log line (Spring Kafka's DefaultErrorHandler \
                     logs and moves on unless a recoverer is configured). Without a dead-letter topic \
                     the record cannot be inspected or replayed. On by default: set \
                     `require-kafka-dead-letter-topics` to false where only some topics are meant \
                     to dead-letter.",
                )
                .remediation(
                    "Publish records that exhaust their retries to `<topic>.DLT` (Spring Kafka: \
                     DefaultErrorHandler with a DeadLetterPublishingRecoverer, or @RetryableTopic; \
                     Kafka Connect: errors.tolerance=all with errors.deadletterqueue.topic.name), \
                     create that topic with the same partition count, and alert on its size.",
                )
                .reference("https://docs.spring.io/spring-kafka/reference/kafka/annotation-error-handling.html")
                .reference("https://docs.spring.io/spring-kafka/reference/retrytopic.html")
                .reference("https://kafka.apache.org/documentation/#sinkconnectorconfigs_errors.deadletterqueue.topic.name"),
        )
        .rule(
            RuleSpec::new(MESSAGES_IN_DLQ, Severity::High, "Dead-letter queues are empty")
                .description(
                    "Every message in a dead-letter queue or topic is a business event that was not \
                     processed: an order not paid, an invoice not sent. The maintenance baseline is \
                     that any message in a DLQ raises an alert and gets a root-cause fix and a replay; \
                     a DLQ that fills up unnoticed is the same as losing the messages.",
                )
                .remediation(
                    "Inspect the dead-lettered messages (RabbitMQ x-death header, SQS \
                     ApproximateReceiveCount, Spring Kafka kafka_dlt-exception-* headers), fix the \
                     cause, then replay them in batches (SQS: StartMessageMoveTask; RabbitMQ: shovel \
                     back to the work exchange) and confirm they are processed.",
                )
                .reference("https://www.rabbitmq.com/docs/dlx")
                .reference("https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html")
                .reference("https://docs.spring.io/spring-kafka/reference/kafka/annotation-error-handling.html"),
        )
        .rule(
            RuleSpec::new(NO_DLQ_ALERT, Severity::Medium, "An alert fires when a dead-letter queue is not empty")
                .description(
                    "A dead-letter queue that is checked \"periodically\" is checked when a customer \
                     complains. If no alerting rule looks at dead-letter depth, dead-lettered \
                     messages accumulate silently, and the DLQ's retention eventually deletes them.",
                )
                .remediation(
                    "Add a Prometheus alerting rule on DLQ depth, e.g. \
                     `rabbitmq_queue_messages{queue=~\".+[.]dlq\"} > 0`, \
                     `aws_sqs_approximate_number_of_messages_visible_average{queue_name=~\".+-dlq\"} > 0`, \
                     or the DLT end offset minus the start offset, with a short `for:` and a route to \
                     the owning team.",
                )
                .reference("https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/")
                .reference("https://www.rabbitmq.com/docs/prometheus")
                .reference("https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html"),
        )
        .rule(
            RuleSpec::new(UNBOUNDED_REDELIVERY, Severity::High, "Failed messages are retried a bounded number of times")
                .description(
                    "A message that fails every time and is requeued every time is a poison message: \
                     it loops between broker and consumer forever, burns capacity, can block the \
                     queue and never reaches the dead-letter queue. Quorum queues before RabbitMQ 4.0 \
                     have no delivery limit unless one is set; Spring's default-requeue-rejected=true \
                     requeues every rejected message; a retry setting with no positive maximum \
                     retries without end.",
                )
                .remediation(
                    "Set a delivery limit on quorum queues (policy `delivery-limit: 5` or argument \
                     `x-delivery-limit`) together with a dead-letter exchange; in Spring set \
                     `spring.rabbitmq.listener.simple.default-requeue-rejected: false` (rejected \
                     messages then go to the DLX) and give every retry a positive max-attempts.",
                )
                .reference("https://www.rabbitmq.com/docs/quorum-queues#poison-message-handling")
                .reference("https://docs.spring.io/spring-amqp/reference/amqp/exception-handling.html")
                .reference("https://docs.spring.io/spring-boot/appendix/application-properties/index.html"),
        )
        .rule(
            RuleSpec::new(EXCESSIVE_RETRIES, Severity::Low, "Retries stop early enough for failures to reach the DLQ")
                .description(
                    "A permanent failure (validation error, deleted record) does not get better with \
                     more attempts. A high SQS maxReceiveCount or retry max-attempts keeps a poison \
                     message cycling for a long time, delaying the dead-letter alert and wasting \
                     capacity; the seed advises lowering maxReceiveCount so failures reach the DLQ fast.",
                )
                .remediation(
                    "Lower SQS maxReceiveCount and retry max-attempts to a handful (3-5), use \
                     exponential backoff with jitter for transient errors, and send non-retryable \
                     errors straight to the dead-letter queue.",
                )
                .reference("https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html")
                .reference("https://docs.spring.io/spring-amqp/reference/amqp/resilience-recovering-from-errors-and-broker-failures.html"),
        )
        .param(
            "dlq-patterns",
            DEAD_LETTER_PATTERNS,
            "Name patterns (case-insensitive, `*` = anything) of dead-letter queues and topics.",
        )
        .param(
            "max-dead-letters",
            0_i64,
            "Most messages a dead-letter queue or topic may hold before it is reported (seed: any message in a DLQ alerts).",
        )
        .param(
            "alert-patterns",
            ["dlq", "dead_letter", "deadletter", "dead-letter", "dlt"],
            "Substrings (case-insensitive) of an alerting rule's name or expression that show it watches dead letters.",
        )
        .param(
            "max-receive-count",
            10_i64,
            "Highest SQS maxReceiveCount accepted before a failing message moves to the DLQ.",
        )
        .param(
            "max-retry-attempts",
            10_i64,
            "Highest retry max-attempts / max-retries value accepted in configuration files.",
        )
        .param(
            "require-kafka-dead-letter-topics",
            true,
            "Report Kafka consumer groups whose consumed topics have no dead-letter topic (set false where only some topics are meant to dead-letter).",
        )
    }

    fn run(audit: &mut Audit<'_>) {
        let patterns = audit.params().list("dlq-patterns").to_vec();
        let mut dead_letter_queues = rabbitmq::audit(audit, &patterns);
        dead_letter_queues.extend(sqs::audit(audit, &patterns));
        dead_letter_queues.extend(kafka::audit(audit, &patterns));
        config::audit(audit);
        alerts::audit(audit, &dead_letter_queues);
    }
}

plumbline_sdk::export_check!(DeadLetters);

/// `name` matches one of the dead-letter name patterns.
pub(crate) fn is_dead_letter_name(name: &str, patterns: &[String]) -> bool {
    glob_any(patterns, name)
}

#[cfg(test)]
mod tests;
