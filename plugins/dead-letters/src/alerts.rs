//! Prometheus side of `dead-letters`: when the estate has dead-letter queues or topics, some
//! alerting rule on every Prometheus server must watch them.
//!
//! An alerting rule watches dead letters when its name or expression contains one of
//! `alert-patterns` (case-insensitive). Recording rules do not count: they page nobody.
//! Prometheus is only read when dead-letter queues exist, so a missing or failed Prometheus does
//! not make an estate without DLQs inconclusive.

use plumbline_sdk::prelude::*;

use crate::NO_DLQ_ALERT;

/// How many dead-letter queues a message names, and the evidence lists (an estate can have
/// tens of thousands; the rest are counted).
const SHOWN: usize = 10;
const EVIDENCE: usize = 100;

pub fn audit(audit: &mut Audit<'_>, dead_letter_queues: &[String]) {
    if dead_letter_queues.is_empty() {
        return;
    }
    let patterns: Vec<String> = audit.params().list("alert-patterns").iter().map(|p| p.to_ascii_lowercase()).collect();
    let servers = audit.prometheus();
    if matches!(audit.section_state(Section::Prometheus), Some(Some(SectionError::NotCollected))) {
        audit.note(format!(
            "No Prometheus was collected, so nothing shows whether the {} dead-letter queue(s) ({}) are alerted on.",
            dead_letter_queues.len(),
            sample(dead_letter_queues, SHOWN)
        ));
        return;
    }
    for server in &servers {
        audit.evaluated(1);
        let alerting: Vec<&PrometheusRule> =
            server.rule_groups.iter().flat_map(|g| g.rules.iter()).filter(|r| r.kind == RuleKind::Alerting).collect();
        let watches = alerting.iter().any(|rule| {
            let (name, expr) = (rule.name.to_ascii_lowercase(), rule.expr.to_ascii_lowercase());
            patterns.iter().any(|p| name.contains(p.as_str()) || expr.contains(p.as_str()))
        });
        if watches {
            continue;
        }
        let mut evidence = vec![
            ("dead_letter_queues", sample(dead_letter_queues, EVIDENCE)),
            ("alerting_rules", alerting.len().to_string()),
            ("alert_patterns", patterns.join(", ")),
        ];
        if let Some(signal) = server.signal("dlq-depth") {
            let depths: Vec<String> =
                signal.series.iter().filter_map(|s| s.last().map(|v| format!("{{{}}} {v}", s.label_text()))).collect();
            if !depths.is_empty() {
                evidence.push(("dlq_depth_signal", depths.join("; ")));
            }
        }
        audit.finding(
            NO_DLQ_ALERT,
            Subject::new(&server.source, "alert-coverage", "dead-letter-queues"),
            format!(
                "None of the {} alerting rule(s) on `{}` watches dead letters, although the estate \
                 has {} dead-letter queue(s) ({}): messages can pile up there unnoticed.",
                alerting.len(),
                server.source,
                dead_letter_queues.len(),
                sample(dead_letter_queues, SHOWN)
            ),
            evidence,
        );
    }
}
