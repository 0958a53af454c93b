"""Kafka side of `dead-letters-py`: dead-letter topics that hold records, and (unless
`require-kafka-dead-letter-topics` is false) consumer groups whose topics have no dead-letter
topic. With the parameter false, the uncovered topics are listed in a note.

A topic is a dead-letter topic (DLT) when the collector marked it `dead_letter` or its name
matches `dlq-patterns`. A DLT covers topic `T` when its name is `T`, a separator (`.`, `-`, `_`)
and a dead-letter suffix: `T.DLT`, `T-dlt`, `T.dlq`, `T-dead-letter`, `T.error`, ... Spring retry
topics (`T-retry`, `T-retry-0`) are covered by the DLT of `T`.
"""

from __future__ import annotations

from plumbline_check import Audit, KafkaCluster, KafkaConsumerGroup, KafkaTopic, ascii_lower, glob_any, pair, subject

from .rules import KAFKA_NO_DLT, MESSAGES_IN_DLQ

# What follows `<topic>` and a separator in the name of its dead-letter topic (lowercase).
DLT_SUFFIXES = ("dlt", "dlq", "dead-letter", "dead_letter", "deadletter", "dead-letters", "dead", "error")


def audit(audit: Audit, patterns: list[str]) -> list[str]:
    """Audits every cluster; returns the dead-letter topics found, as `source topic`."""
    max_dead = audit.params.i64("max-dead-letters")
    require = audit.params.bool("require-kafka-dead-letter-topics")
    found: list[str] = []
    uncovered_when_off: set[str] = set()
    for cluster in audit.kafka():
        dlts = [t for t in cluster.topics if is_dlt(t, patterns)]
        dlt_names = {d.name for d in dlts}
        for topic in dlts:
            audit.evaluated(1)
            found.append(f"{cluster.source} {topic.name}")
            if topic.messages > max_dead:
                report_dlt_messages(audit, cluster, topic, max_dead)
        for group in cluster.consumer_groups:
            consumed = [
                t
                for t in consumed_topics(group)
                if not t.startswith("__") and t not in dlt_names and not glob_any(patterns, t)
            ]
            if not consumed:
                continue  # nothing consumed, or a group that only drains dead-letter topics
            missing = [t for t in consumed if not any(covers(d.name, t) for d in dlts)]
            if not require:
                uncovered_when_off.update(f"{cluster.source}/{t}" for t in missing)
                continue
            audit.evaluated(1)
            if missing:
                report_group(audit, cluster, group, missing)
    if uncovered_when_off:
        audit.note(
            f"Kafka: {len(uncovered_when_off)} consumed topic(s) have no dead-letter topic "
            f"({', '.join(sorted(uncovered_when_off))}); not reported because "
            "`require-kafka-dead-letter-topics` is off."
        )
    return found


def is_dlt(topic: KafkaTopic, patterns: list[str]) -> bool:
    return topic.dead_letter or glob_any(patterns, topic.name)


def consumed_topics(group: KafkaConsumerGroup) -> list[str]:
    """Topics a group has committed offsets for or is assigned, in name order."""
    committed = {o.topic for o in group.offsets}
    assigned = {a.rsplit(":", 1)[0] for m in group.members for a in m.assignments}
    return sorted(committed | assigned)


def covers(dlt: str, topic: str) -> bool:
    """True when dead-letter topic `dlt` is the dead-letter topic of `topic`."""
    dlt, base = ascii_lower(dlt), ascii_lower(strip_retry_suffix(topic))
    if not dlt.startswith(base):
        return False
    rest = dlt[len(base) :]
    return rest[:1] in (".", "-", "_") and rest[1:] in DLT_SUFFIXES


def strip_retry_suffix(topic: str) -> str:
    """`orders-retry-0` → `orders` (Spring @RetryableTopic retry topics share the main topic's DLT)."""
    lower = ascii_lower(topic)
    for marker in ("-retry", ".retry", "_retry"):
        at = lower.rfind(marker)
        if at >= 0:
            tail = lower[at + len(marker) :].lstrip("-._")
            if all("0" <= c <= "9" for c in tail):
                return topic[:at]
    return topic


def report_dlt_messages(audit: Audit, cluster: KafkaCluster, topic: KafkaTopic, max_dead: int) -> None:
    retention = pair(topic.configs, "retention.ms")
    kept = f"retention.ms={retention}" if retention is not None else "broker default"
    audit.finding(
        MESSAGES_IN_DLQ,
        subject(cluster.source, "topic", topic.name),
        f"Dead-letter topic `{topic.name}` holds {topic.messages} record(s) (threshold {max_dead}): records "
        f"that failed processing are waiting for a fix and a replay before retention ({kept}) deletes them.",
        [
            ("topic", topic.name),
            ("messages", topic.messages),
            ("max_dead_letters", max_dead),
            ("partitions", topic.partitions),
            ("dead_letter_flag", topic.dead_letter),
        ],
    )


def report_group(audit: Audit, cluster: KafkaCluster, group: KafkaConsumerGroup, missing: list[str]) -> None:
    audit.finding(
        KAFKA_NO_DLT,
        subject(cluster.source, "consumer-group", group.group_id),
        f"Consumer group `{group.group_id}` reads {', '.join(f'`{t}`' for t in missing)} with no dead-letter "
        f"topic (e.g. `{missing[0]}.DLT`): a record that always fails either blocks its partition or is skipped "
        "with only a log line.",
        [("group_id", group.group_id), ("topics_without_dlt", ", ".join(missing)), ("state", group.state)],
    )
