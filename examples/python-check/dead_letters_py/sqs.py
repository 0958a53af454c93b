"""SQS side of `dead-letters-py`: queues without a redrive policy, dead-letter queues holding
messages, and redrive policies that let a failing message be received too many times.

A queue is a dead-letter queue when another queue's `RedrivePolicy` targets it
(`dead_letter_sources`, or a `dead_letter_target_arn` naming its ARN) or when its name, without a
`.fifo` suffix, matches `dlq-patterns`.
"""

from __future__ import annotations

from plumbline_check import Audit, SqsAccount, SqsQueue, glob_any, subject

from .rules import EXCESSIVE_RETRIES, MESSAGES_IN_DLQ, SQS_NO_REDRIVE


def audit(audit: Audit, patterns: list[str]) -> list[str]:
    """Audits every account's queues; returns the dead-letter queues found, as `source name`."""
    max_dead = audit.params.i64("max-dead-letters")
    max_receive = audit.params.i64("max-receive-count")
    found: list[str] = []
    for account in audit.sqs():
        for queue in account.queues:
            audit.evaluated(1)
            if is_dead_letter_queue(account, queue, patterns):
                found.append(f"{account.source} {queue.name}")
                check_depth(audit, account, queue, max_dead)
                continue
            target, count = queue.dead_letter_target_arn, queue.max_receive_count
            if target is None:
                report_no_redrive(audit, account, queue)
            elif count is not None and count > max_receive:
                report_receive_count(audit, account, queue, target, count, max_receive)
    return found


def is_dead_letter_queue(account: SqsAccount, queue: SqsQueue, patterns: list[str]) -> bool:
    base = queue.name.removesuffix(".fifo")
    return (
        bool(queue.dead_letter_sources)
        or glob_any(patterns, base)
        or any(q.dead_letter_target_arn == queue.arn for q in account.queues)
    )


def report_no_redrive(audit: Audit, account: SqsAccount, queue: SqsQueue) -> None:
    audit.finding(
        SQS_NO_REDRIVE,
        subject(account.source, "queue", queue.name),
        f"SQS queue `{queue.name}` has no redrive policy: a message consumers keep failing on is received "
        f"again until its retention ({queue.message_retention_seconds} s) runs out and is then deleted "
        "without a trace.",
        [
            ("queue", queue.name),
            ("arn", queue.arn),
            ("region", account.region),
            ("dead_letter_target_arn", "none"),
            ("message_retention_seconds", queue.message_retention_seconds),
        ],
    )


def report_receive_count(
    audit: Audit, account: SqsAccount, queue: SqsQueue, target: str, count: int, max_receive: int
) -> None:
    audit.finding(
        EXCESSIVE_RETRIES,
        subject(account.source, "queue", queue.name),
        f"SQS queue `{queue.name}` moves a failing message to its DLQ only after {count} receives (more than "
        f"{max_receive}): a poison message cycles for {count} visibility timeouts "
        f"({queue.visibility_timeout_seconds} s each) before anyone can see it.",
        [
            ("queue", queue.name),
            ("max_receive_count", count),
            ("threshold", max_receive),
            ("visibility_timeout_seconds", queue.visibility_timeout_seconds),
            ("dead_letter_target_arn", target),
        ],
    )


def check_depth(audit: Audit, account: SqsAccount, queue: SqsQueue, max_dead: int) -> None:
    held = queue.messages_visible + queue.messages_in_flight
    if held <= max_dead:
        return
    sources = ", ".join(queue.dead_letter_sources) if queue.dead_letter_sources else "unknown"
    audit.finding(
        MESSAGES_IN_DLQ,
        subject(account.source, "queue", queue.name),
        f"SQS dead-letter queue `{queue.name}` holds {held} message(s) ({queue.messages_visible} visible, "
        f"{queue.messages_in_flight} in flight; threshold {max_dead}): failed messages are waiting for a fix "
        "and a redrive.",
        [
            ("queue", queue.name),
            ("messages_visible", queue.messages_visible),
            ("messages_in_flight", queue.messages_in_flight),
            ("messages_delayed", queue.messages_delayed),
            ("max_dead_letters", max_dead),
            ("dead_letter_sources", sources),
        ],
    )
