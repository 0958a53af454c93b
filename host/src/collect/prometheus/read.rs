//! Turns the `data` of Prometheus HTTP API answers into contract records. Lenient: a field that
//! is missing or of an unexpected type takes a neutral value (a rule without `duration` has
//! `for-seconds` 0, a target without `health` is `unknown`) rather than failing the endpoint.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::contract::estate::{
    MetricType, PrometheusMetric, PrometheusRule, PrometheusRuleGroup, PrometheusTarget, RuleKind, Sample, Series,
};

/// Metric-name prefixes that only tracing pipelines expose: the OpenTelemetry Collector
/// (`otelcol_`), OpenTelemetry SDK/exporters (`otel_`), Jaeger, Zipkin, Grafana Tempo, and the
/// span-metrics connectors/processors (`traces_spanmetrics_`, `traces_span_metrics_`).
const TRACING_METRIC_PREFIXES: [&str; 7] =
    ["otelcol_", "otel_", "jaeger_", "zipkin_", "tempo_", "traces_spanmetrics_", "traces_span_metrics_"];
/// Words that, as a whole word of a scrape job's name (split at anything not a letter or digit),
/// name a tracing backend or exporter: `otel-collector`, `jaeger-agent`, `grafana-tempo`.
const TRACING_JOB_WORDS: [&str; 6] = ["otel", "otelcol", "opentelemetry", "jaeger", "zipkin", "tempo"];

/// `version` from `/api/v1/status/buildinfo`.
pub(super) fn version(data: &Value) -> Option<String> {
    text(data, "version").filter(|v| !v.is_empty())
}

/// Rule groups from `/api/v1/rules`, in the server's order; rules keep their order in the group.
pub(super) fn rule_groups(data: &Value) -> Vec<PrometheusRuleGroup> {
    array(data, "groups")
        .iter()
        .map(|group| PrometheusRuleGroup {
            name: text(group, "name").unwrap_or_default(),
            file: text(group, "file").unwrap_or_default(),
            rules: array(group, "rules").iter().filter_map(rule).collect(),
        })
        .collect()
}

fn rule(item: &Value) -> Option<PrometheusRule> {
    let kind = match text(item, "type").as_deref() {
        Some("alerting") => RuleKind::Alerting,
        Some("recording") => RuleKind::Recording,
        other => {
            tracing::debug!(kind = ?other, "rule of unknown type skipped");
            return None;
        }
    };
    let seconds = item.get("duration").and_then(Value::as_f64).filter(|d| d.is_finite() && *d > 0.0).unwrap_or(0.0);
    Some(PrometheusRule {
        kind,
        name: text(item, "name").unwrap_or_default(),
        expr: text(item, "query").unwrap_or_default(),
        for_seconds: seconds.round().min(f64::from(u32::MAX)) as u32,
        labels: labels(item.get("labels"), false),
        health: text(item, "health").map(|h| h.to_ascii_lowercase()).unwrap_or_else(|| "unknown".into()),
    })
}

/// Metric metadata from `/api/v1/metadata` (`{name: [{type, help, unit}, ...]}`), sorted by name.
/// When targets disagree about a metric, the first entry with a known type wins.
pub(super) fn metrics(data: &Value) -> Vec<PrometheusMetric> {
    let Some(map) = data.as_object() else { return Vec::new() };
    let mut metrics: Vec<PrometheusMetric> = map
        .iter()
        .map(|(name, entries)| {
            let entries = entries.as_array().map_or(&[][..], Vec::as_slice);
            let chosen = entries
                .iter()
                .find(|e| metric_type(text(e, "type").as_deref()) != MetricType::Unknown)
                .or_else(|| entries.first());
            PrometheusMetric {
                name: name.clone(),
                metric_type: metric_type(chosen.and_then(|e| text(e, "type")).as_deref()),
                help: chosen.and_then(|e| text(e, "help")).unwrap_or_default(),
            }
        })
        .collect();
    metrics.sort_by(|a, b| a.name.cmp(&b.name));
    metrics
}

fn metric_type(name: Option<&str>) -> MetricType {
    match name.map(str::to_ascii_lowercase).as_deref() {
        Some("counter") => MetricType::Counter,
        Some("gauge") => MetricType::Gauge,
        Some("histogram") => MetricType::Histogram,
        Some("gaugehistogram") => MetricType::Gaugehistogram,
        Some("summary") => MetricType::Summary,
        Some("info") => MetricType::Info,
        Some("stateset") => MetricType::Stateset,
        _ => MetricType::Unknown,
    }
}

/// Active scrape targets from `/api/v1/targets`, sorted by job and instance. The job is the
/// target's `job` label (its scrape pool when the label was relabelled away).
pub(super) fn targets(data: &Value) -> Vec<PrometheusTarget> {
    let mut targets: Vec<PrometheusTarget> = array(data, "activeTargets")
        .iter()
        .map(|item| {
            let label = |key: &str| item.get("labels").and_then(|l| text(l, key)).filter(|v| !v.is_empty());
            PrometheusTarget {
                job: label("job").or_else(|| text(item, "scrapePool")).unwrap_or_default(),
                instance: label("instance").or_else(|| text(item, "scrapeUrl")).unwrap_or_default(),
                health: text(item, "health")
                    .map(|h| h.to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .unwrap_or_else(|| "unknown".into()),
                last_error: text(item, "lastError").filter(|e| !e.is_empty()),
            }
        })
        .collect();
    targets.sort_by(|a, b| (&a.job, &a.instance).cmp(&(&b.job, &b.instance)));
    targets
}

/// The series of a query answer (`vector`, `matrix` or `scalar`), label sets sorted and without
/// `__name__`, samples oldest first, series ordered by label set. Samples that are not finite
/// numbers (NaN, ±Inf, native histograms) are dropped, and a series left without samples with
/// them; the second value counts the samples dropped.
pub(super) fn series(data: &Value) -> Result<(Vec<Series>, usize), String> {
    let result = data.get("result").unwrap_or(&Value::Null);
    let mut dropped = 0;
    let mut out = Vec::new();
    match text(data, "resultType").as_deref() {
        Some("scalar") => {
            let samples = samples(std::slice::from_ref(result), &mut dropped);
            if !samples.is_empty() {
                out.push(Series { labels: Vec::new(), samples });
            }
        }
        Some(kind @ ("vector" | "matrix")) => {
            let Some(items) = result.as_array() else {
                return Err(format!("{kind} result is not a list"));
            };
            for item in items {
                let samples = if kind == "vector" {
                    match item.get("value") {
                        Some(value) => samples(std::slice::from_ref(value), &mut dropped),
                        None => {
                            dropped += 1; // a native histogram sample (`histogram`)
                            Vec::new()
                        }
                    }
                } else {
                    dropped += array(item, "histograms").len();
                    samples(array(item, "values"), &mut dropped)
                };
                if !samples.is_empty() {
                    out.push(Series { labels: labels(item.get("metric"), true), samples });
                }
            }
        }
        Some(other) => return Err(format!("result of type `{other}`, not a number or series")),
        None => return Err("answer without `resultType`".into()),
    }
    out.sort_by(|a, b| a.labels.cmp(&b.labels));
    Ok((out, dropped))
}

/// `[[unix_seconds, "value"], ...]` → finite samples, oldest first.
fn samples(pairs: &[Value], dropped: &mut usize) -> Vec<Sample> {
    let mut samples: Vec<Sample> = pairs
        .iter()
        .filter_map(|pair| {
            let sample = pair.as_array().filter(|p| p.len() == 2).and_then(|p| {
                let at = p[0].as_f64().filter(|t| t.is_finite())?;
                let value = p[1].as_str()?.parse::<f64>().ok().filter(|v| v.is_finite())?;
                Some(Sample { at: at.floor() as i64, value })
            });
            if sample.is_none() {
                *dropped += 1;
            }
            sample
        })
        .collect();
    samples.sort_by_key(|s| s.at);
    samples
}

/// A label object as sorted `(key, value)` pairs, optionally without `__name__`.
fn labels(value: Option<&Value>, drop_name: bool) -> Vec<(String, String)> {
    let Some(map) = value.and_then(Value::as_object) else { return Vec::new() };
    let sorted: BTreeMap<&str, String> = map
        .iter()
        .filter(|(k, _)| !(drop_name && k.as_str() == "__name__"))
        .map(|(k, v)| (k.as_str(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
        .collect();
    sorted.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// True when a metric name or a scrape job names a tracing backend or exporter (see
/// [`TRACING_METRIC_PREFIXES`] and [`TRACING_JOB_WORDS`]).
pub(super) fn tracing_detected(metrics: &[PrometheusMetric], targets: &[PrometheusTarget]) -> bool {
    let metric = |name: &str| {
        let name = name.to_ascii_lowercase();
        TRACING_METRIC_PREFIXES.iter().any(|p| name.starts_with(p))
    };
    let job = |job: &str| {
        job.to_ascii_lowercase().split(|c: char| !c.is_ascii_alphanumeric()).any(|w| TRACING_JOB_WORDS.contains(&w))
    };
    metrics.iter().any(|m| metric(&m.name)) || targets.iter().any(|t| job(&t.job))
}

fn text(item: &Value, key: &str) -> Option<String> {
    item.get(key).and_then(Value::as_str).map(str::to_string)
}

fn array<'a>(item: &'a Value, key: &str) -> &'a [Value] {
    item.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rules_with_durations_labels_and_health() {
        let data = json!({"groups": [{"name": "g", "file": "/etc/r.yml", "rules": [
            {"type": "alerting", "name": "QueueBacklog", "query": "x > 1", "duration": 90.4,
             "labels": {"team": "a", "severity": "warning"}, "health": "OK"},
            {"type": "recording", "name": "job:x:sum", "query": "sum(x)", "health": "err"},
            {"type": "something-new", "name": "skipped"}
        ]}]});
        let groups = rule_groups(&data);
        assert_eq!((groups[0].name.as_str(), groups[0].file.as_str()), ("g", "/etc/r.yml"));
        let rules = &groups[0].rules;
        assert_eq!(rules.len(), 2);
        assert_eq!((rules[0].kind, rules[0].for_seconds, rules[0].health.as_str()), (RuleKind::Alerting, 90, "ok"));
        assert_eq!(rules[0].labels, [("severity".into(), "warning".into()), ("team".into(), "a".into())]);
        assert_eq!((rules[1].kind, rules[1].for_seconds, rules[1].expr.as_str()), (RuleKind::Recording, 0, "sum(x)"));
        assert!(rules[1].labels.is_empty());
    }

    #[test]
    fn metadata_types_map_to_the_contract() {
        let data = json!({
            "b_total": [{"type": "counter", "help": "B.", "unit": ""}],
            "a_seconds": [{"type": "unknown", "help": ""}, {"type": "histogram", "help": "A."}],
            "c": [{"type": "untyped", "help": "C."}],
            "d": [{"type": "gaugehistogram"}]
        });
        let metrics = metrics(&data);
        let names: Vec<_> = metrics.iter().map(|m| (m.name.as_str(), m.metric_type, m.help.as_str())).collect();
        assert_eq!(
            names,
            [
                ("a_seconds", MetricType::Histogram, "A."),
                ("b_total", MetricType::Counter, "B."),
                ("c", MetricType::Unknown, "C."),
                ("d", MetricType::Gaugehistogram, ""),
            ]
        );
    }

    #[test]
    fn targets_with_job_instance_health_and_error() {
        let data = json!({"activeTargets": [
            {"labels": {"job": "rabbitmq", "instance": "rmq:15692"}, "health": "down", "lastError": "refused"},
            {"labels": {"instance": "app:8080"}, "scrapePool": "apps", "health": "up", "lastError": ""}
        ], "droppedTargets": []});
        let targets = targets(&data);
        assert_eq!((targets[0].job.as_str(), targets[0].instance.as_str()), ("apps", "app:8080"));
        assert_eq!((targets[0].health.as_str(), targets[0].last_error.as_deref()), ("up", None));
        assert_eq!((targets[1].health.as_str(), targets[1].last_error.as_deref()), ("down", Some("refused")));
    }

    #[test]
    fn matrix_series_sorted_and_non_finite_samples_dropped() {
        let data = json!({"resultType": "matrix", "result": [
            {"metric": {"__name__": "q", "queue": "b", "vhost": "/"}, "values": [[20, "2"], [10, "1"], [30, "NaN"]]},
            {"metric": {"queue": "a"}, "values": [[10, "+Inf"]]},
            {"metric": {"queue": "0"}, "values": [[10.9, "5e-1"]]}
        ]});
        let (series, dropped) = series(&data).unwrap();
        assert_eq!(dropped, 2);
        assert_eq!(series.len(), 2, "the series with only +Inf is gone");
        assert_eq!(series[0].labels, [("queue".into(), "0".into())]);
        assert_eq!((series[0].samples[0].at, series[0].samples[0].value), (10, 0.5));
        assert_eq!(series[1].labels, [("queue".into(), "b".into()), ("vhost".into(), "/".into())]);
        let points: Vec<_> = series[1].samples.iter().map(|s| (s.at, s.value)).collect();
        assert_eq!(points, [(10, 1.0), (20, 2.0)]);
    }

    #[test]
    fn vector_and_scalar_answers() {
        let vector = json!({"resultType": "vector", "result": [
            {"metric": {"job": "x"}, "value": [100.5, "3"]},
            {"metric": {"job": "h"}, "histogram": [100.5, {"count": "1"}]}
        ]});
        let (series, dropped) = series(&vector).unwrap();
        assert_eq!((series.len(), dropped), (1, 1));
        assert_eq!((series[0].samples.len(), series[0].samples[0].value), (1, 3.0));
        let (scalar, _) = super::series(&json!({"resultType": "scalar", "result": [7, "1"]})).unwrap();
        assert!(scalar[0].labels.is_empty());
        let (nan, dropped) = super::series(&json!({"resultType": "scalar", "result": [7, "NaN"]})).unwrap();
        assert_eq!((nan.len(), dropped), (0, 1));
        assert!(super::series(&json!({"resultType": "string", "result": [7, "abc"]})).is_err());
    }

    #[test]
    fn tracing_from_metric_names_or_job_words() {
        let metric =
            |name: &str| PrometheusMetric { name: name.into(), metric_type: MetricType::Counter, help: "".into() };
        let target = |job: &str| PrometheusTarget {
            job: job.into(),
            instance: "h:1".into(),
            health: "up".into(),
            last_error: None,
        };
        assert!(tracing_detected(&[metric("otelcol_exporter_sent_spans")], &[]));
        assert!(tracing_detected(&[metric("jaeger_collector_spans_received_total")], &[]));
        assert!(tracing_detected(&[], &[target("otel-collector")]));
        assert!(tracing_detected(&[], &[target("Grafana_Tempo")]));
        assert!(!tracing_detected(&[metric("prometheus_http_requests_total")], &[target("contemporary-app")]));
        assert!(!tracing_detected(&[metric("hotel_bookings_total")], &[target("rabbitmq")]));
    }
}
