"""RabbitMQ side of `dead-letters-py`: queues without a dead-letter exchange, quorum queues
without a delivery limit, and dead-letter queues that hold messages.

A queue counts as a dead-letter queue (DLQ) when its name matches `dlq-patterns`, when another
queue dead-letters to it through the default exchange (`x-dead-letter-routing-key`), or when it
is bound (directly or through exchange-to-exchange bindings) from an exchange that another queue
uses as its dead-letter exchange and it has no dead-letter exchange of its own.

TTL retry loops are kept apart: a wait queue (bound from a work queue's DLX, with a TTL) that
dead-letters *back* to the work queue's exchange does not make that work exchange a DLX, and the
wait queue itself (it has a DLX) is no DLQ: its messages are retries in flight.
"""

from __future__ import annotations

import re

from plumbline_check import (
    Audit,
    RabbitmqBroker,
    RabbitmqQueue,
    glob_any,
    queue_depth,
    queue_path,
    queue_setting,
    subject,
    text,
)

from .rules import MESSAGES_IN_DLQ, RABBITMQ_NO_DLX, UNBOUNDED_REDELIVERY

# The major version from which quorum queues default to a delivery limit (20).
DEFAULT_DELIVERY_LIMIT_SINCE = 4

NO_LIMIT = "has no delivery limit (no `x-delivery-limit` argument, no `delivery-limit` policy)"


def audit(audit: Audit, patterns: list[str]) -> list[str]:
    """Audits every broker's queues; returns the dead-letter queues found, as `source vhost/name`."""
    max_dead = audit.params.i64("max-dead-letters")
    found: list[str] = []
    for broker in audit.rabbitmq():
        dlqs = dead_letter_queues(broker, patterns)
        for queue in broker.queues:
            if queue.queue_type == "stream" or queue.name.startswith("amq."):
                continue
            audit.evaluated(1)
            if (queue.vhost, queue.name) in dlqs:
                found.append(f"{broker.source} {queue_path(queue)}")
                check_depth(audit, broker, queue, max_dead)
            elif queue_setting(queue, "x-dead-letter-exchange") is None:
                report_missing_dlx(audit, broker, queue)
            if queue.queue_type == "quorum":
                check_delivery_limit(audit, broker, queue)
    return found


def dead_letter_queues(broker: RabbitmqBroker, patterns: list[str]) -> set[tuple[str, str]]:
    """`(vhost, name)` of every queue that is a dead-letter queue on this broker."""
    dlqs = {(q.vhost, q.name) for q in broker.queues if glob_any(patterns, q.name)}
    for queue in broker.queues:
        dlx = queue_setting(queue, "x-dead-letter-exchange")
        if dlx is None:
            continue
        if dlx == "":
            # The default exchange routes by queue name: the routing key names the DLQ.
            key = queue_setting(queue, "x-dead-letter-routing-key")
            if key is not None and key != queue.name:
                dlqs.add((queue.vhost, key))
            continue
        if returns_to_sender(broker, queue, dlx):
            continue
        for target in routes(broker, queue.vhost, dlx):
            # A queue that dead-letters onward itself is a retry/wait queue, not a DLQ.
            if target.name != queue.name and queue_setting(target, "x-dead-letter-exchange") is None:
                dlqs.add((target.vhost, target.name))
    return dlqs


def routes(broker: RabbitmqBroker, vhost: str, exchange: str) -> list[RabbitmqQueue]:
    """Queues that `exchange` routes to, following exchange-to-exchange bindings."""
    exchanges = {exchange}
    while True:
        before = len(exchanges)
        for binding in broker.bindings:
            if binding.vhost == vhost and binding.destination_kind == "exchange" and binding.source in exchanges:
                exchanges.add(binding.destination)
        if len(exchanges) == before:
            break
    names = {
        b.destination
        for b in broker.bindings
        if b.vhost == vhost and b.destination_kind == "queue" and b.source in exchanges
    }
    return [q for q in broker.queues if q.vhost == vhost and q.name in names]


def returns_to_sender(broker: RabbitmqBroker, queue: RabbitmqQueue, dlx: str) -> bool:
    """True when `queue` dead-letters back to a queue that dead-letters into `queue`: the wait
    queue of a TTL retry loop, whose "dead-letter" exchange is really the work exchange."""
    for sender in routes(broker, queue.vhost, dlx):
        if sender.name == queue.name:
            continue
        onward = queue_setting(sender, "x-dead-letter-exchange")
        if onward and any(q.name == queue.name for q in routes(broker, sender.vhost, onward)):
            return True
    return False


def report_missing_dlx(audit: Audit, broker: RabbitmqBroker, queue: RabbitmqQueue) -> None:
    path = queue_path(queue)
    where = f"its policy `{queue.policy}`" if queue.policy is not None else "any policy"
    audit.finding(
        RABBITMQ_NO_DLX,
        subject(broker.source, "queue", path),
        f"Queue `{path}` has no dead-letter exchange (no `x-dead-letter-exchange` argument, no "
        f"`dead-letter-exchange` in {where}): a message rejected without requeue, expired or "
        "overflowing is deleted, leaving only a log line.",
        [
            ("vhost", queue.vhost),
            ("queue", queue.name),
            ("queue_type", queue.queue_type),
            ("policy", queue.policy if queue.policy is not None else "none"),
            ("consumers", queue.consumers),
            ("depth", queue_depth(queue)),
        ],
    )


def check_depth(audit: Audit, broker: RabbitmqBroker, queue: RabbitmqQueue, max_dead: int) -> None:
    depth = queue_depth(queue)
    if depth <= max_dead:
        return
    path = queue_path(queue)
    evidence = [
        ("messages_ready", queue.messages_ready),
        ("messages_unacknowledged", queue.messages_unacknowledged),
        ("depth", depth),
        ("max_dead_letters", max_dead),
    ]
    trend = ""
    if len(queue.depth_history) > 1:
        first = queue.depth_history[0].value
        evidence.append(("depth_at_window_start", format_count(first)))
        if first < depth:
            trend = f", up from {format_count(first)} at the start of the window"
    audit.finding(
        MESSAGES_IN_DLQ,
        subject(broker.source, "queue", path),
        f"Dead-letter queue `{path}` holds {depth} message(s) ({queue.messages_ready} ready, "
        f"{queue.messages_unacknowledged} unacked; threshold {max_dead}){trend}: failed messages are waiting "
        "for a fix and a replay.",
        evidence,
    )


def check_delivery_limit(audit: Audit, broker: RabbitmqBroker, queue: RabbitmqQueue) -> None:
    limit = queue_setting(queue, "x-delivery-limit")
    if limit is not None:
        parsed = parse_i64(limit)
        # An explicit negative limit means unlimited (RabbitMQ 4.x: -1); any other value is a limit.
        if parsed is None or parsed >= 0:
            return
        problem, version_text = f"sets delivery limit {parsed} (unlimited)", version_label(broker)
    else:
        major = major_version(broker.version) if broker.version is not None else None
        if major is not None and major >= DEFAULT_DELIVERY_LIMIT_SINCE:
            return
        if major is not None:
            problem, version_text = NO_LIMIT, f"RabbitMQ {broker.version}, which sets no default before 4.0"
        else:
            problem, version_text = NO_LIMIT, "a broker of unknown version, assumed older than 4.0 (which sets no default)"
    path = queue_path(queue)
    dlx = queue_setting(queue, "x-dead-letter-exchange")
    consequence = f"never reaches its dead-letter exchange `{dlx}`" if dlx is not None else "is never dead-lettered"
    audit.finding(
        UNBOUNDED_REDELIVERY,
        subject(broker.source, "queue", path),
        f"Quorum queue `{path}` {problem} on {version_text}: a message that keeps failing is redelivered "
        f"forever and {consequence}.",
        [
            ("vhost", queue.vhost),
            ("queue", queue.name),
            ("queue_type", queue.queue_type),
            ("delivery_limit", limit if limit is not None else "unset"),
            ("broker_version", broker.version if broker.version is not None else "unknown"),
            ("redeliver_rate", f"{text(queue.redeliver_rate)}/s" if queue.redeliver_rate is not None else "unknown"),
        ],
    )


def version_label(broker: RabbitmqBroker) -> str:
    return f"RabbitMQ {broker.version}" if broker.version is not None else "a broker of unknown version"


_INTEGER = re.compile(r"[+-]?[0-9]+")


def parse_i64(value: str) -> int | None:
    """The value as a 64-bit integer, with Rust's `str::parse::<i64>` rules (no `_`, no spaces)."""
    raw = value.strip()
    if not _INTEGER.fullmatch(raw):
        return None
    number = int(raw)
    return number if -(2**63) <= number < 2**63 else None


def major_version(version: str) -> int | None:
    """Leading major number of a version string such as `3.13.7` or `4.1.0-rc.1`."""
    match = re.match(r"[0-9]*", version.strip().lstrip("vV"))
    digits = match.group(0) if match else ""
    if not digits or int(digits) >= 2**32:
        return None
    return int(digits)


def format_count(value: float) -> str:
    return text(value)
