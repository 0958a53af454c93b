"""Rule ids of `dead-letters-py`: the Rust check's rules under this check's own id."""

RABBITMQ_NO_DLX = "dead-letters-py/rabbitmq-no-dead-letter"
SQS_NO_REDRIVE = "dead-letters-py/sqs-no-redrive"
KAFKA_NO_DLT = "dead-letters-py/kafka-no-dead-letter-topic"
MESSAGES_IN_DLQ = "dead-letters-py/messages-in-dead-letter-queue"
NO_DLQ_ALERT = "dead-letters-py/no-dead-letter-alert"
UNBOUNDED_REDELIVERY = "dead-letters-py/unbounded-redelivery"
EXCESSIVE_RETRIES = "dead-letters-py/excessive-retries"
