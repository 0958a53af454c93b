//! Whether tail latency can be measured at all, judged from Prometheus metric metadata and rules
//! when the registry declares SLAs: latency metrics typed Summary and rules computing a mean as
//! `rate(x_sum) / rate(x_count)` (`average-only-latency`), and no rule computing a percentile
//! (`no-percentile-rules`).
//!
//! Both are judged across all servers: when any server has a percentile rule (e.g. a dedicated
//! SLO Prometheus), tail latency is tracked somewhere and neither rule fires.

use plumbline_sdk::prelude::*;

use crate::{AVERAGE_ONLY_LATENCY, NO_PERCENTILE_RULES, with_sla};

fn rules(server: &PrometheusServer) -> impl Iterator<Item = (&PrometheusRuleGroup, &PrometheusRule)> {
    server.rule_groups.iter().flat_map(|g| g.rules.iter().map(move |r| (g, r)))
}

pub fn audit(audit: &mut Audit<'_>, servers: &[PrometheusServer], registry: &[Integration]) {
    let slas: Vec<String> = with_sla(registry).iter().map(|i| i.id.clone()).collect();
    if slas.is_empty() || servers.is_empty() {
        return;
    }
    let functions: Vec<String> =
        audit.params().list("percentile-functions").iter().map(|f| f.to_ascii_lowercase()).collect();
    let names = audit.params().list("latency-name-patterns").to_vec();
    let percentile_rule = |rule: &PrometheusRule| {
        let expr = rule.expr.to_ascii_lowercase();
        functions.iter().any(|f| expr.contains(f.as_str()))
    };
    let tracked = servers.iter().any(|s| rules(s).any(|(_, r)| percentile_rule(r)));
    audit.evaluated(servers.len());
    if tracked {
        return;
    }
    // Named, not all listed: an estate can declare thousands of SLAs.
    let declared = sample(&slas, 20);
    for server in servers {
        let rule_count = rules(server).count();
        audit.finding(
            NO_PERCENTILE_RULES,
            Subject::new(&server.source, "server", &server.source),
            format!(
                "None of the {rule_count} rules on `{}` computes a percentile ({}), although {} declare latency SLAs: p95/p99/p99.9 compliance is not tracked.",
                server.source,
                functions.join(", "),
                declared
            ),
            [
                ("rules", rule_count.to_string()),
                ("percentile_functions", functions.join(", ")),
                ("sla_integrations", declared.clone()),
            ],
        );
        for metric in &server.metrics {
            if !glob_any(&names, &metric.name) {
                continue;
            }
            audit.evaluated(1);
            if metric.metric_type != MetricType::Summary {
                continue;
            }
            audit.finding(
                AVERAGE_ONLY_LATENCY,
                Subject::new(&server.source, "metric", &metric.name),
                format!(
                    "Latency metric `{}` is a Summary: its quantiles are per instance and cannot be aggregated, and only its mean can be combined across replicas, so the SLAs of {} cannot be checked at a percentile.",
                    metric.name, declared
                ),
                [
                    ("metric", metric.name.clone()),
                    ("type", "summary".to_string()),
                    ("help", metric.help.clone()),
                    ("sla_integrations", declared.clone()),
                ],
            );
        }
        for (group, rule) in rules(server) {
            audit.evaluated(1);
            let Some(base) = mean_of(&rule.expr, &names) else { continue };
            let kind = match rule.kind {
                RuleKind::Recording => "recording-rule",
                RuleKind::Alerting => "alert-rule",
            };
            audit.finding(
                AVERAGE_ONLY_LATENCY,
                Subject::new(&server.source, kind, format!("{}/{}", group.name, rule.name)),
                format!(
                    "Rule `{}` computes the mean of `{base}` (`rate({base}_sum) / rate({base}_count)`): a mean hides the tail the SLAs of {} are about.",
                    rule.name, declared
                ),
                [
                    ("rule", rule.name.clone()),
                    ("group", group.name.clone()),
                    ("file", group.file.clone()),
                    ("expr", rule.expr.clone()),
                    ("metric", base),
                ],
            );
        }
    }
}

/// The latency metric whose mean `expr` computes (`x_sum` divided by `x_count` of the same `x`),
/// if any.
pub fn mean_of(expr: &str, names: &[String]) -> Option<String> {
    if !expr.contains('/') {
        return None;
    }
    identifiers(expr)
        .filter_map(|id| id.strip_suffix("_sum"))
        .find(|base| glob_any(names, base) && identifiers(expr).any(|id| id.strip_suffix("_count") == Some(*base)))
        .map(str::to_string)
}

/// Metric-name-like words of a PromQL expression.
fn identifiers(expr: &str) -> impl Iterator<Item = &str> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).filter(|w| !w.is_empty())
}
