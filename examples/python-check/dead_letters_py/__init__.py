"""`dead-letters-py` — the bundled `dead-letters` check (plugins/dead-letters), ported to Python.

Same question, same rules, same parameters and the same logic as the Rust check, under its own
id so both can run in one audit and be compared finding by finding (the e2e test
`tests/e2e/python.rs` does exactly that on the bundled leaky example estate).

A message that cannot be processed must end somewhere a person will look: a dead-letter queue
or topic, with a bounded number of attempts before it gets there and an alert once it does.
This file declares the check (rules, parameters) and runs the per-source modules:
`rabbitmq.py` (DLX, delivery limits, DLQ depth), `sqs.py` (redrive policies, DLQ depth),
`kafka.py` (dead-letter topics), `config.py` (Spring requeue and retry settings) and
`alerts.py` (Prometheus alerting rules on dead letters).
"""

import plumbline_check
from plumbline_check import DEAD_LETTER_PATTERNS, Audit, Info, RuleSpec, Section, Severity, export

from . import alerts, config, kafka, rabbitmq, sqs
from .rules import (
    EXCESSIVE_RETRIES,
    KAFKA_NO_DLT,
    MESSAGES_IN_DLQ,
    NO_DLQ_ALERT,
    RABBITMQ_NO_DLX,
    SQS_NO_REDRIVE,
    UNBOUNDED_REDELIVERY,
)

VERSION = "0.1.0"


class DeadLetters(plumbline_check.Check):
    @classmethod
    def info(cls) -> Info:
        return (
            Info(
                "dead-letters-py",
                "Dead letters and bounded retries (Python)",
                "Do you have a real error-handling strategy, or are you just logging exceptions?",
                version=VERSION,
            )
            .reads(Section.RABBITMQ, Section.SQS, Section.KAFKA, Section.PROMETHEUS, Section.CONFIG_FILES)
            .rule(
                RuleSpec(
                    RABBITMQ_NO_DLX,
                    Severity.HIGH,
                    "RabbitMQ queues have a dead-letter exchange",
                    description="Without a dead-letter exchange, a message that a consumer rejects without "
                    "requeue, that expires (TTL) or that overflows a length limit is deleted by the broker. "
                    "The only trace left is whatever the consumer logged, so a failure becomes silent data "
                    "loss instead of something that can be inspected and replayed.",
                    remediation="Give every work queue a dead-letter exchange, preferably by policy so no "
                    'queue is forgotten: `rabbitmqctl set_policy --apply-to queues DLX "^orders[.]" '
                    "'{\"dead-letter-exchange\":\"orders.dlx\"}'`, and bind a durable DLQ to that exchange. "
                    "With quorum queues also set `dead-letter-strategy: at-least-once`.",
                    references=[
                        "https://www.rabbitmq.com/docs/dlx",
                        "https://www.rabbitmq.com/docs/parameters#policies",
                    ],
                )
            )
            .rule(
                RuleSpec(
                    SQS_NO_REDRIVE,
                    Severity.HIGH,
                    "SQS queues have a redrive policy",
                    description="Without a redrive policy, a message that consumers keep failing on is "
                    "received again and again until its retention period ends, and is then deleted. It burns "
                    "consumer capacity the whole time and disappears without a trace.",
                    remediation="Create a dead-letter queue (same type: standard or FIFO) and set the source "
                    'queue\'s RedrivePolicy to `{"deadLetterTargetArn": "<dlq arn>", "maxReceiveCount": 5}`; '
                    "give the DLQ a longer retention than the source queue.",
                    references=[
                        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html",
                        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue.html",
                    ],
                )
            )
            .rule(
                RuleSpec(
                    KAFKA_NO_DLT,
                    Severity.MEDIUM,
                    "Kafka consumers have a dead-letter topic",
                    description="Kafka does not dead-letter anything by itself. A record that always fails "
                    "either blocks its partition (the consumer retries forever) or is skipped after the error "
                    "handler's retries with only a log line (Spring Kafka's DefaultErrorHandler logs and moves "
                    "on unless a recoverer is configured). Without a dead-letter topic the record cannot be "
                    "inspected or replayed. On by default: set `require-kafka-dead-letter-topics` to false "
                    "where only some topics are meant to dead-letter.",
                    remediation="Publish records that exhaust their retries to `<topic>.DLT` (Spring Kafka: "
                    "DefaultErrorHandler with a DeadLetterPublishingRecoverer, or @RetryableTopic; Kafka "
                    "Connect: errors.tolerance=all with errors.deadletterqueue.topic.name), create that topic "
                    "with the same partition count, and alert on its size.",
                    references=[
                        "https://docs.spring.io/spring-kafka/reference/kafka/annotation-error-handling.html",
                        "https://docs.spring.io/spring-kafka/reference/retrytopic.html",
                        "https://kafka.apache.org/documentation/#sinkconnectorconfigs_errors.deadletterqueue.topic.name",
                    ],
                )
            )
            .rule(
                RuleSpec(
                    MESSAGES_IN_DLQ,
                    Severity.HIGH,
                    "Dead-letter queues are empty",
                    description="Every message in a dead-letter queue or topic is a business event that was "
                    "not processed: an order not paid, an invoice not sent. The maintenance baseline is that "
                    "any message in a DLQ raises an alert and gets a root-cause fix and a replay; a DLQ that "
                    "fills up unnoticed is the same as losing the messages.",
                    remediation="Inspect the dead-lettered messages (RabbitMQ x-death header, SQS "
                    "ApproximateReceiveCount, Spring Kafka kafka_dlt-exception-* headers), fix the cause, then "
                    "replay them in batches (SQS: StartMessageMoveTask; RabbitMQ: shovel back to the work "
                    "exchange) and confirm they are processed.",
                    references=[
                        "https://www.rabbitmq.com/docs/dlx",
                        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html",
                        "https://docs.spring.io/spring-kafka/reference/kafka/annotation-error-handling.html",
                    ],
                )
            )
            .rule(
                RuleSpec(
                    NO_DLQ_ALERT,
                    Severity.MEDIUM,
                    "An alert fires when a dead-letter queue is not empty",
                    description='A dead-letter queue that is checked "periodically" is checked when a '
                    "customer complains. If no alerting rule looks at dead-letter depth, dead-lettered "
                    "messages accumulate silently, and the DLQ's retention eventually deletes them.",
                    remediation="Add a Prometheus alerting rule on DLQ depth, e.g. "
                    '`rabbitmq_queue_messages{queue=~".+[.]dlq"} > 0`, '
                    '`aws_sqs_approximate_number_of_messages_visible_average{queue_name=~".+-dlq"} > 0`, or '
                    "the DLT end offset minus the start offset, with a short `for:` and a route to the owning "
                    "team.",
                    references=[
                        "https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/",
                        "https://www.rabbitmq.com/docs/prometheus",
                        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html",
                    ],
                )
            )
            .rule(
                RuleSpec(
                    UNBOUNDED_REDELIVERY,
                    Severity.HIGH,
                    "Failed messages are retried a bounded number of times",
                    description="A message that fails every time and is requeued every time is a poison "
                    "message: it loops between broker and consumer forever, burns capacity, can block the "
                    "queue and never reaches the dead-letter queue. Quorum queues before RabbitMQ 4.0 have no "
                    "delivery limit unless one is set; Spring's default-requeue-rejected=true requeues every "
                    "rejected message; a retry setting with no positive maximum retries without end.",
                    remediation="Set a delivery limit on quorum queues (policy `delivery-limit: 5` or "
                    "argument `x-delivery-limit`) together with a dead-letter exchange; in Spring set "
                    "`spring.rabbitmq.listener.simple.default-requeue-rejected: false` (rejected messages then "
                    "go to the DLX) and give every retry a positive max-attempts.",
                    references=[
                        "https://www.rabbitmq.com/docs/quorum-queues#poison-message-handling",
                        "https://docs.spring.io/spring-amqp/reference/amqp/exception-handling.html",
                        "https://docs.spring.io/spring-boot/appendix/application-properties/index.html",
                    ],
                )
            )
            .rule(
                RuleSpec(
                    EXCESSIVE_RETRIES,
                    Severity.LOW,
                    "Retries stop early enough for failures to reach the DLQ",
                    description="A permanent failure (validation error, deleted record) does not get better "
                    "with more attempts. A high SQS maxReceiveCount or retry max-attempts keeps a poison "
                    "message cycling for a long time, delaying the dead-letter alert and wasting capacity; the "
                    "seed advises lowering maxReceiveCount so failures reach the DLQ fast.",
                    remediation="Lower SQS maxReceiveCount and retry max-attempts to a handful (3-5), use "
                    "exponential backoff with jitter for transient errors, and send non-retryable errors "
                    "straight to the dead-letter queue.",
                    references=[
                        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html",
                        "https://docs.spring.io/spring-amqp/reference/amqp/resilience-recovering-from-errors-and-broker-failures.html",
                    ],
                )
            )
            .param(
                "dlq-patterns",
                DEAD_LETTER_PATTERNS,
                "Name patterns (case-insensitive, `*` = anything) of dead-letter queues and topics.",
            )
            .param(
                "max-dead-letters",
                0,
                "Most messages a dead-letter queue or topic may hold before it is reported (seed: any message "
                "in a DLQ alerts).",
            )
            .param(
                "alert-patterns",
                ["dlq", "dead_letter", "deadletter", "dead-letter", "dlt"],
                "Substrings (case-insensitive) of an alerting rule's name or expression that show it watches "
                "dead letters.",
            )
            .param(
                "max-receive-count",
                10,
                "Highest SQS maxReceiveCount accepted before a failing message moves to the DLQ.",
            )
            .param(
                "max-retry-attempts",
                10,
                "Highest retry max-attempts / max-retries value accepted in configuration files.",
            )
            .param(
                "require-kafka-dead-letter-topics",
                True,
                "Report Kafka consumer groups whose consumed topics have no dead-letter topic (set false where "
                "only some topics are meant to dead-letter).",
            )
        )

    def run(self, audit: Audit) -> None:
        patterns = audit.params.list("dlq-patterns")
        dead_letter_queues = rabbitmq.audit(audit, patterns)
        dead_letter_queues += sqs.audit(audit, patterns)
        dead_letter_queues += kafka.audit(audit, patterns)
        config.audit(audit)
        alerts.audit(audit, dead_letter_queues)


# componentize-py implements the exported interface `check` with the app module's class `Check`.
Check = export(DeadLetters)
