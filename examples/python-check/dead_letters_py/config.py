"""Configuration side of `dead-letters-py`: Spring AMQP containers that requeue rejected
messages, and retry settings whose maximum is missing (≤ 0) or too high.

Retry keys are recognised by their ending (`max-attempts`, `max.attempts`, `maxattempts`,
`max-retries`, `max.retries`, and the `_` spellings of environment files). A Kafka producer's
`retries` is deliberately not one of them: the producer bounds it with `delivery.timeout.ms`, and
idempotent producers set it to `Integer.MAX_VALUE` on purpose.
"""

from __future__ import annotations

from plumbline_check import (
    Audit,
    ConfigEntry,
    ConfigFile,
    ascii_lower,
    entry_bool,
    entry_evidence,
    entry_number,
    file_owner,
    subject,
)

from .rules import EXCESSIVE_RETRIES, UNBOUNDED_REDELIVERY

REQUEUE_KEYS = (
    "spring.rabbitmq.listener.simple.default-requeue-rejected",
    "spring.rabbitmq.listener.direct.default-requeue-rejected",
)

RETRY_SUFFIXES = ("max-attempts", "max.attempts", "maxattempts", "max_attempts", "max-retries", "max.retries", "max_retries")


def audit(audit: Audit) -> None:
    max_attempts = audit.params.i64("max-retry-attempts")
    for file in audit.config_files():
        for entry in file.entries:
            if entry.secret is not None:
                continue
            if entry.key in REQUEUE_KEYS:
                audit.evaluated(1)
                if entry_bool(entry) is True:
                    report_requeue(audit, file, entry)
            elif is_retry_key(entry.key):
                value = entry_number(entry)
                if value is None:
                    continue  # a placeholder such as ${RETRIES}: nothing to judge
                audit.evaluated(1)
                if value <= 0:
                    report_unbounded_retry(audit, file, entry)
                elif value > max_attempts:
                    report_excessive_retry(audit, file, entry, max_attempts)


def is_retry_key(key: str) -> bool:
    return ascii_lower(key).endswith(RETRY_SUFFIXES)


def who(file: ConfigFile) -> str:
    return f"`{file_owner(file)}`"


def report_requeue(audit: Audit, file: ConfigFile, entry: ConfigEntry) -> None:
    audit.finding(
        UNBOUNDED_REDELIVERY,
        subject(file.path, "config-key", entry.key),
        f"{file.path}:{entry.line} sets `{entry.key}: {entry.value}`: {who(file)} requeues every message its "
        "listener rejects, so a poison message is redelivered in a loop and never reaches the dead-letter "
        "exchange.",
        entry_evidence(file, entry),
    )


def report_unbounded_retry(audit: Audit, file: ConfigFile, entry: ConfigEntry) -> None:
    audit.finding(
        UNBOUNDED_REDELIVERY,
        subject(file.path, "config-key", entry.key),
        f"{file.path}:{entry.line} sets `{entry.key}: {entry.value}`: a retry maximum of zero or less sets no "
        f"usable limit, so {who(file)} either retries a failing message without end or never retries at all.",
        entry_evidence(file, entry),
    )


def report_excessive_retry(audit: Audit, file: ConfigFile, entry: ConfigEntry, max_attempts: int) -> None:
    audit.finding(
        EXCESSIVE_RETRIES,
        subject(file.path, "config-key", entry.key),
        f"{file.path}:{entry.line} sets `{entry.key}: {entry.value}` (more than {max_attempts}): a permanent "
        "failure is retried that many times before it is dead-lettered, delaying the alert and wasting capacity.",
        entry_evidence(file, entry) + [("threshold", str(max_attempts))],
    )
