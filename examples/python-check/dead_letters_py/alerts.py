"""Prometheus side of `dead-letters-py`: when the estate has dead-letter queues or topics, some
alerting rule on every Prometheus server must watch them.

An alerting rule watches dead letters when its name or expression contains one of
`alert-patterns` (case-insensitive). Recording rules do not count: they page nobody. Prometheus
is only read when dead-letter queues exist, so a missing or failed Prometheus does not make an
estate without DLQs inconclusive.
"""

from __future__ import annotations

from plumbline_check import (
    NOT_COLLECTED,
    Audit,
    RuleKind,
    Section,
    ascii_lower,
    label_text,
    series_last,
    signal,
    subject,
    text,
)

from .rules import NO_DLQ_ALERT


def audit(audit: Audit, dead_letter_queues: list[str]) -> None:
    if not dead_letter_queues:
        return
    patterns = [ascii_lower(p) for p in audit.params.list("alert-patterns")]
    servers = audit.prometheus()
    listed = ", ".join(dead_letter_queues)
    if audit.section_state(Section.PROMETHEUS) == NOT_COLLECTED:
        audit.note(
            f"No Prometheus was collected, so nothing shows whether the {len(dead_letter_queues)} dead-letter "
            f"queue(s) ({listed}) are alerted on."
        )
        return
    for server in servers:
        audit.evaluated(1)
        alerting = [r for g in server.rule_groups for r in g.rules if r.kind == RuleKind.ALERTING]
        if any(
            p in ascii_lower(rule.name) or p in ascii_lower(rule.expr) for rule in alerting for p in patterns
        ):
            continue
        evidence = [
            ("dead_letter_queues", listed),
            ("alerting_rules", len(alerting)),
            ("alert_patterns", ", ".join(patterns)),
        ]
        depth = signal(server, "dlq-depth")
        if depth is not None:
            depths = [
                f"{{{label_text(s)}}} {text(series_last(s))}" for s in depth.series if series_last(s) is not None
            ]
            if depths:
                evidence.append(("dlq_depth_signal", "; ".join(depths)))
        audit.finding(
            NO_DLQ_ALERT,
            subject(server.source, "alert-coverage", "dead-letter-queues"),
            f"None of the {len(alerting)} alerting rule(s) on `{server.source}` watches dead letters, although "
            f"the estate has {len(dead_letter_queues)} dead-letter queue(s) ({listed}): messages can pile up "
            "there unnoticed.",
            evidence,
        )
