//! Alert coverage for `blind-spots`: which of the seed's health and capacity metrics no Prometheus
//! alerting rule watches (`missing-health-alert`, `missing-capacity-alert`), and error-rate alerts
//! whose threshold is above the seed's 1 % (`lenient-error-alert`).
//!
//! Coverage is decided by case-insensitive substrings of an alert's name or expression, one
//! text-list parameter per metric. Rules Prometheus reports with health `err` do not count: they
//! fail to evaluate and so never fire.

use plumbline_sdk::prelude::*;

use crate::{LENIENT_ERROR_ALERT, MISSING_CAPACITY_ALERT, MISSING_HEALTH_ALERT, num, pct};

/// One metric an alerting rule should watch.
pub struct Coverage {
    /// Subject id (`alert-coverage` kind), e.g. `dlq-depth`.
    pub id: &'static str,
    /// The text-list parameter holding its patterns.
    pub param: &'static str,
    /// Default patterns.
    pub defaults: &'static [&'static str],
    /// What it is, for messages.
    pub what: &'static str,
    /// The seed's alert threshold, for messages and evidence.
    pub threshold: &'static str,
}

/// The health metrics of the maintenance module's table, plus the alerts seed question 5 asks for
/// (event balance, unacknowledged messages) and the retry rate of seed question 6.
pub const HEALTH: [Coverage; 9] = [
    Coverage {
        id: "heartbeat",
        param: "heartbeat-patterns",
        defaults: &["absent(", "absent_over_time", "heartbeat", "up == 0", "last_message_timestamp"],
        what: "integration heartbeat / absence of data",
        threshold: "no activity within the expected window",
    },
    Coverage {
        id: "throughput",
        param: "throughput-patterns",
        defaults: &["throughput"],
        what: "message throughput deviation",
        threshold: "> 30% deviation from baseline",
    },
    Coverage {
        id: "error-rate",
        param: "error-rate-patterns",
        defaults: &["error", "fail", "5xx"],
        what: "error rate",
        threshold: "> 1% of messages failing",
    },
    Coverage {
        id: "dlq-depth",
        param: "dlq-patterns",
        defaults: &["dlq", "dlt", "dead_letter", "deadletter", "dead-letter"],
        what: "dead-letter queue depth",
        threshold: "any message in a DLQ",
    },
    Coverage {
        id: "latency",
        param: "latency-patterns",
        defaults: &["latency", "duration", "histogram_quantile"],
        what: "processing latency",
        threshold: "> 2x baseline",
    },
    Coverage {
        id: "queue-growth",
        param: "queue-growth-patterns",
        defaults: &["deriv(", "delta(", "predict_linear", "queue_growth", "growing"],
        what: "queue depth growth",
        threshold: "sustained growth over 10 minutes",
    },
    Coverage {
        id: "event-balance",
        param: "event-balance-patterns",
        defaults: &["events_produced", "events_consumed", "event_balance", "eventbalance"],
        what: "events produced vs consumed",
        threshold: "> 1% divergence",
    },
    Coverage {
        id: "unacked-messages",
        param: "unacked-patterns",
        defaults: &["unacked", "unacknowledged"],
        what: "unacknowledged messages",
        threshold: "a static threshold on messages delivered but not acknowledged",
    },
    Coverage {
        id: "retry-rate",
        param: "retry-patterns",
        defaults: &["retry", "retries", "redeliver"],
        what: "retry rate",
        threshold: "> 1% of messages retried",
    },
];

/// The capacity metrics of the maintenance module's table.
pub const CAPACITY: [Coverage; 5] = [
    Coverage {
        id: "cpu",
        param: "cpu-patterns",
        defaults: &["cpu"],
        what: "CPU utilisation of integration services",
        threshold: "> 80% sustained",
    },
    Coverage {
        id: "memory",
        param: "memory-patterns",
        defaults: &["memory", "heap"],
        what: "memory utilisation",
        threshold: "> 85%",
    },
    Coverage {
        id: "db-pool",
        param: "db-pool-patterns",
        defaults: &["hikaricp", "db_pool", "dbpool", "connection_pool", "pg_stat_activity", "max_connections"],
        what: "database connection pool utilisation",
        threshold: "> 70%",
    },
    Coverage {
        id: "broker-disk",
        param: "broker-disk-patterns",
        defaults: &["disk", "filesystem"],
        what: "message broker disk usage",
        threshold: "> 70%",
    },
    Coverage {
        id: "network",
        param: "network-patterns",
        defaults: &["network", "bandwidth", "transmit_bytes", "receive_bytes"],
        what: "network bandwidth",
        threshold: "> 60% of provisioned capacity",
    },
];

/// An alerting rule that can fire, with its group.
struct Alert<'a> {
    group: &'a PrometheusRuleGroup,
    rule: &'a PrometheusRule,
    /// Lower-cased `name` + `expr`, for pattern matching.
    text: String,
}

fn alerts(server: &PrometheusServer) -> Vec<Alert<'_>> {
    server
        .rule_groups
        .iter()
        .flat_map(|group| group.rules.iter().map(move |rule| (group, rule)))
        .filter(|(_, rule)| rule.kind == RuleKind::Alerting && !rule.health.eq_ignore_ascii_case("err"))
        .map(|(group, rule)| Alert { group, rule, text: format!("{}\n{}", rule.name, rule.expr).to_ascii_lowercase() })
        .collect()
}

/// `lowered`: the patterns, lower-cased.
fn covers(alert: &Alert<'_>, lowered: &[String]) -> bool {
    lowered.iter().any(|p| !p.is_empty() && alert.text.contains(p.as_str()))
}

fn lowered(patterns: &[String]) -> Vec<String> {
    patterns.iter().map(|p| p.to_ascii_lowercase()).collect()
}

pub fn audit(audit: &mut Audit<'_>, servers: &[PrometheusServer]) {
    for server in servers {
        let alerts = alerts(server);
        coverage(audit, server, &alerts, &HEALTH, MISSING_HEALTH_ALERT);
        coverage(audit, server, &alerts, &CAPACITY, MISSING_CAPACITY_ALERT);
        lenient_error_alerts(audit, server, &alerts);
    }
}

/// One finding per metric no alert covers. An empty pattern list turns the requirement off.
fn coverage(audit: &mut Audit<'_>, server: &PrometheusServer, alerts: &[Alert<'_>], table: &[Coverage], rule: &str) {
    for metric in table {
        let patterns = audit.params().list(metric.param).to_vec();
        if patterns.iter().all(String::is_empty) {
            continue;
        }
        audit.evaluated(1);
        let lowered = lowered(&patterns);
        if alerts.iter().any(|a| covers(a, &lowered)) {
            continue;
        }
        audit.finding(
            rule,
            Subject::new(&server.source, "alert-coverage", metric.id),
            format!(
                "No alerting rule on `{}` watches {} (seed threshold: {}); it can go wrong without anyone being paged.",
                server.source, metric.what, metric.threshold
            ),
            [
                ("metric", metric.id.to_string()),
                ("seed_threshold", metric.threshold.to_string()),
                ("alerting_rules", alerts.len().to_string()),
                ("patterns", patterns.join(", ")),
                ("parameter", metric.param.to_string()),
            ],
        );
    }
}

/// Error-rate alerts whose threshold is above `error-rate`, when no error-rate alert on the same
/// server is strict enough (a 1 % warning next to a 5 % page is fine).
fn lenient_error_alerts(audit: &mut Audit<'_>, server: &PrometheusServer, alerts: &[Alert<'_>]) {
    let patterns = lowered(audit.params().list("error-rate-patterns"));
    let limit = audit.params().f64("error-rate");
    let judged: Vec<(&Alert<'_>, f64)> = alerts
        .iter()
        .filter(|a| covers(a, &patterns))
        .filter_map(|a| comparison_threshold(&a.rule.expr).map(|t| (a, t)))
        .collect();
    audit.evaluated(judged.len());
    if judged.iter().any(|(_, threshold)| *threshold <= limit) {
        return;
    }
    for (alert, threshold) in judged {
        audit.finding(
            LENIENT_ERROR_ALERT,
            Subject::new(&server.source, "alert-rule", format!("{}/{}", alert.group.name, alert.rule.name)),
            format!(
                "Alert `{}` fires only above a {} error rate, but the seed threshold is {}: an integration can lose {} of its messages without paging anyone.",
                alert.rule.name,
                pct(threshold),
                pct(limit),
                pct(threshold)
            ),
            [
                ("alert", alert.rule.name.clone()),
                ("group", alert.group.name.clone()),
                ("file", alert.group.file.clone()),
                ("expr", alert.rule.expr.clone()),
                ("threshold", num(threshold)),
                ("max_threshold", num(limit)),
            ],
        );
    }
}

/// The number after the first `>` or `>=` outside quotes, as a ratio: values of 1 or more are read
/// as percentages (`> 5` → 0.05), since an error ratio cannot exceed 1. `None` when the expression has no such comparison.
pub fn comparison_threshold(expr: &str) -> Option<f64> {
    let bytes = expr.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match quote {
            Some(q) if c == b'\\' && q != b'`' => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, b'"' | b'\'' | b'`') => quote = Some(c),
            None if c == b'>' => {
                let mut rest = &expr[i + 1..];
                rest = rest.strip_prefix('=').unwrap_or(rest).trim_start();
                if let Some(after) = rest.strip_prefix("bool") {
                    rest = after.trim_start();
                }
                if let Some(value) = leading_number(rest) {
                    return Some(if value >= 1.0 { value / 100.0 } else { value });
                }
            }
            None => {}
        }
        i += 1;
    }
    None
}

fn leading_number(text: &str) -> Option<f64> {
    let end = text
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == 'e'
                || c == 'E'
                || ((c == '+' || c == '-') && i > 0 && matches!(text.as_bytes()[i - 1], b'e' | b'E')))
        })
        .map_or(text.len(), |(i, _)| i);
    text[..end].parse().ok()
}
