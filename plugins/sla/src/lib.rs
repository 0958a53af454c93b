//! `sla` — seed question 6: "Are your SLAs realistic, and can you actually measure them?"
//!
//! Four concerns, one file each:
//! - `metrics.rs`: whether tail latency can be measured at all — latency exposed only as
//!   summaries or means (`average-only-latency`) and no percentile rule (`no-percentile-rules`).
//! - `latency.rs`: what the measurements say — p99 above the SLA target (`p99-above-target`),
//!   latency above twice its baseline (`latency-above-baseline`), retries above 1 % (`retry-rate`).
//! - `registry.rs`: whether SLAs are written down and wired to a measurement (`undefined-sla`,
//!   `unmeasured-sla`, `no-definition`).
//!
//! This file holds the check's description, rule ids and small formatting helpers.

use plumbline_sdk::index::SeriesIndex;
use plumbline_sdk::prelude::*;

mod latency;
mod metrics;
mod registry;

pub struct Sla;

pub const AVERAGE_ONLY_LATENCY: &str = "sla/average-only-latency";
pub const NO_PERCENTILE_RULES: &str = "sla/no-percentile-rules";
pub const P99_ABOVE_TARGET: &str = "sla/p99-above-target";
pub const LATENCY_ABOVE_BASELINE: &str = "sla/latency-above-baseline";
pub const RETRY_RATE: &str = "sla/retry-rate";
pub const UNDEFINED_SLA: &str = "sla/undefined-sla";
pub const UNMEASURED_SLA: &str = "sla/unmeasured-sla";
pub const NO_DEFINITION: &str = "sla/no-definition";

const HISTOGRAMS: &str = "https://prometheus.io/docs/practices/histograms/";
const METRIC_TYPES: &str = "https://prometheus.io/docs/concepts/metric_types/";
const SRE_SLO: &str = "https://sre.google/sre-book/service-level-objectives/";

impl Check for Sla {
    fn info() -> Info {
        Info::new("sla", "Measurable SLAs", "Are your SLAs realistic, and can you actually measure them?")
            .version(env!("CARGO_PKG_VERSION"))
            .reads(Section::Prometheus)
            .reads(Section::Registry)
            .rule(
                RuleSpec::new(AVERAGE_ONLY_LATENCY, Severity::Medium, "Latency is not exposed only as averages")
                    .description(
                        "A mean hides the tail: p50 can be 100 ms while 1 % of events take 30 s. A \
                         Summary's quantiles are computed per instance and cannot be aggregated across \
                         replicas, and `rate(x_sum) / rate(x_count)` is a mean. An SLA stated at p99 \
                         cannot be checked from either.",
                    )
                    .remediation(
                        "Expose processing latency as a Histogram (Micrometer/Spring: \
                         `management.metrics.distribution.percentiles-histogram.<name>=true`, with \
                         buckets around the SLA target) and compute p95/p99/p99.9 with \
                         `histogram_quantile` in recording rules; retire the mean-based rules.",
                    )
                    .reference(HISTOGRAMS)
                    .reference(METRIC_TYPES)
                    .reference("https://docs.spring.io/spring-boot/reference/actuator/metrics.html"),
            )
            .rule(
                RuleSpec::new(NO_PERCENTILE_RULES, Severity::Medium, "Percentiles are tracked for SLA latency")
                    .description(
                        "SLAs are declared, but no recording or alerting rule computes a percentile \
                         (`histogram_quantile`). Without p95/p99/p99.9 series there is no history of \
                         SLA compliance and nothing to alert on when the tail breaches the target.",
                    )
                    .remediation(
                        "Add recording rules such as `histogram_quantile(0.99, sum by (integration, \
                         le) (rate(<metric>_bucket[5m])))` for 0.95, 0.99 and 0.999, and an alert \
                         when p99 exceeds the SLA target.",
                    )
                    .reference("https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile")
                    .reference("https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/")
                    .reference(HISTOGRAMS),
            )
            .rule(
                RuleSpec::new(P99_ABOVE_TARGET, Severity::High, "Measured p99 latency meets the SLA target")
                    .description(
                        "The integration's measured p99 latency exceeded its agreed target during \
                         the window: the SLA is being broken now, whatever the average says.",
                    )
                    .remediation(
                        "Find where the time goes (queue backlog, slow downstream call, GC pauses, \
                         retries) with traces of the slowest events; fix the bottleneck or, if the \
                         target is unrealistic, renegotiate it. Alert on p99 above target.",
                    )
                    .reference(SRE_SLO)
                    .reference(HISTOGRAMS),
            )
            .rule(
                RuleSpec::new(LATENCY_ABOVE_BASELINE, Severity::High, "Latency stays within twice its baseline")
                    .description(
                        "Processing latency more than twice its usual level (the maintenance \
                         module's threshold) means the integration is slowing down: backlog, a \
                         degraded dependency or resource saturation, usually before it fails.",
                    )
                    .remediation(
                        "Compare with queue depth, error and retry rates and capacity of the same \
                         integration to find the cause; alert on p99 > 2 x baseline.",
                    )
                    .reference("https://prometheus.io/docs/practices/alerting/")
                    .reference(HISTOGRAMS),
            )
            .rule(
                RuleSpec::new(RETRY_RATE, Severity::Medium, "Retry rate stays below 1 %")
                    .description(
                        "Retried events inflate latency and hide a failing dependency or bad data. \
                         The seed says to investigate when retries exceed 1 % instead of folding \
                         them into the SLA figures.",
                    )
                    .remediation(
                        "Find what the retried attempts fail on (timeouts, 429/503, validation) and \
                         fix it; measure SLA latency on successful first attempts and track retries \
                         as their own metric with an alert.",
                    )
                    .reference("https://docs.aws.amazon.com/prescriptive-guidance/latest/cloud-design-patterns/retry-backoff.html")
                    .reference("https://prometheus.io/docs/practices/alerting/"),
            )
            .rule(
                RuleSpec::new(UNDEFINED_SLA, Severity::Low, "Measured integrations have an agreed SLA")
                    .description(
                        "The integration's latency is measured but no target is agreed in the \
                         registry, so nobody can say whether the figure is good or bad, and a \
                         slowdown breaks no promise anyone knows of.",
                    )
                    .remediation(
                        "Agree a latency target with the business (e.g. 99 % within 5 s), write it \
                         into the registry entry with its percentile, definition and the signal that \
                         measures it.",
                    )
                    .reference(SRE_SLO),
            )
            .rule(
                RuleSpec::new(UNMEASURED_SLA, Severity::Medium, "Every SLA is measured")
                    .description(
                        "An SLA with no measurement behind it is a promise nobody checks: it is \
                         discovered broken in a monthly report or a customer complaint, not when it \
                         happens.",
                    )
                    .remediation(
                        "Name the signal that measures the SLA in the registry (`measured_by`, e.g. \
                         `latency-p99-seconds`) and make sure it returns a series for the \
                         integration (an `integration` label on the latency histogram).",
                    )
                    .reference(SRE_SLO)
                    .reference(HISTOGRAMS),
            )
            .rule(
                RuleSpec::new(NO_DEFINITION, Severity::Low, "Every SLA says what its latency spans")
                    .description(
                        "\"Processing time\" from producer send to last downstream ack and from queue \
                         entry to consumer done can differ by orders of magnitude under backlog. An \
                         SLA without a written definition is measured differently by every team.",
                    )
                    .remediation(
                        "Write the exact span into the registry entry's `sla.definition` (e.g. \
                         \"order published → payment authorised\") and agree it with every team.",
                    )
                    .reference(SRE_SLO),
            )
            .param(
                "latency-name-patterns",
                ["*_seconds*", "*latency*", "*duration*", "*_milliseconds*", "*_ms"],
                "Metric names (globs, `*` = anything) that measure latency.",
            )
            .param(
                "percentile-functions",
                ["histogram_quantile"],
                "Functions whose use in a recording or alerting rule counts as percentile tracking.",
            )
            .param("baseline-factor", 2.0, "Latency above this multiple of its baseline is reported.")
            .param("retry-rate", 0.01, "Highest acceptable retry ratio (0..1).")
            .param(
                "latency-signals",
                ["latency-p99-seconds", "processing-seconds-p99"],
                "Signals whose series show that an integration's latency is measured.",
            )
            .param(
                "require-sla",
                [] as [&str; 0],
                "Integration ids (globs) that must declare an SLA even when their latency is not measured; `*` for all.",
            )
    }

    fn run(audit: &mut Audit<'_>) {
        let servers = audit.prometheus();
        let registry: Vec<Integration> = audit.registry().into_iter().filter(Integration::is_active).collect();
        let index = series_index(&servers);
        metrics::audit(audit, &servers, &registry);
        latency::audit(audit, &servers, &index, &registry);
        registry::audit(audit, &servers, &index, &registry);
    }
}

plumbline_sdk::export_check!(Sla);

/// A number for messages and evidence: up to three decimals, trailing zeros dropped.
pub(crate) fn num(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_string() } else { text.to_string() }
}

/// The `integration` label of a series, or all its labels.
pub(crate) fn series_key(series: &Series) -> String {
    series.label("integration").map(str::to_string).unwrap_or_else(|| series.label_text())
}

/// Every signal's series by [`series_key`]: `first(signal, id)` is the series of `signal` (on any
/// server) for integration `id`, with its server.
pub(crate) fn series_index(servers: &[PrometheusServer]) -> SeriesIndex<'_> {
    SeriesIndex::new(servers, series_key)
}

/// Active integrations that declare an SLA.
pub(crate) fn with_sla(registry: &[Integration]) -> Vec<&Integration> {
    registry.iter().filter(|i| i.sla.is_some()).collect()
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_examples;
