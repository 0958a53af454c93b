//! What the latency and retry signals say: the measured p99 against each integration's SLA target
//! (`p99-above-target`, using the window's maximum — an SLA broken in any part of the window is
//! broken), the newest p99 against twice its baseline (`latency-above-baseline`), and the newest
//! retry ratio against 1 % (`retry-rate`).

use plumbline_sdk::index::SeriesIndex;
use plumbline_sdk::prelude::*;

use crate::{LATENCY_ABOVE_BASELINE, P99_ABOVE_TARGET, RETRY_RATE, num, series_key, with_sla};

/// `index`: every signal's series by [`series_key`] ([`crate::series_index`]).
pub fn audit(audit: &mut Audit<'_>, servers: &[PrometheusServer], index: &SeriesIndex<'_>, registry: &[Integration]) {
    above_target(audit, index, registry);
    above_baseline(audit, servers, index);
    retries(audit, servers);
}

fn above_target(audit: &mut Audit<'_>, index: &SeriesIndex<'_>, registry: &[Integration]) {
    for integration in with_sla(registry) {
        let Some(sla) = &integration.sla else { continue };
        let Some(signal) = sla.measured_by.as_deref() else { continue };
        let Some((server, series)) = index.first(signal, &integration.id) else { continue };
        let (Some(max), Some(last)) = (series.max(), series.last()) else { continue };
        audit.evaluated(1);
        let target = sla.latency_target_ms as f64 / 1000.0;
        if max <= target {
            continue;
        }
        let mut evidence = vec![
            ("signal", signal.to_string()),
            ("source", server.source.clone()),
            ("max_seconds", num(max)),
            ("last_seconds", num(last)),
            ("target_ms", sla.latency_target_ms.to_string()),
            ("percentile", num(sla.percentile)),
        ];
        if let Some(definition) = &sla.definition {
            evidence.push(("definition", definition.clone()));
        }
        audit.finding(
            P99_ABOVE_TARGET,
            Subject::new("registry", "integration", &integration.id),
            format!(
                "`{}` promises p{} within {} ms, but `{signal}` reached {} s in the window (newest {} s): the SLA is being broken.",
                integration.id,
                num(sla.percentile),
                sla.latency_target_ms,
                num(max),
                num(last)
            ),
            evidence,
        );
    }
}

fn above_baseline(audit: &mut Audit<'_>, servers: &[PrometheusServer], index: &SeriesIndex<'_>) {
    let factor = audit.params().f64("baseline-factor");
    for (server, series) in series(servers, "latency-p99-seconds") {
        let key = series_key(series);
        let Some(baseline) = index.on(server, "latency-baseline-seconds", &key) else {
            continue;
        };
        let (Some(now), Some(usual)) = (series.last(), baseline.last()) else { continue };
        if usual <= 0.0 {
            continue;
        }
        audit.evaluated(1);
        if now <= factor * usual {
            continue;
        }
        audit.finding(
            LATENCY_ABOVE_BASELINE,
            Subject::new(&server.source, "integration", &key),
            format!(
                "p99 latency of `{key}` is {} s, {:.1}x its baseline of {} s (threshold {}x): the integration is slowing down.",
                num(now),
                now / usual,
                num(usual),
                num(factor)
            ),
            [
                ("p99_seconds", num(now)),
                ("baseline_seconds", num(usual)),
                ("ratio", num(now / usual)),
                ("max_factor", num(factor)),
            ],
        );
    }
}

fn retries(audit: &mut Audit<'_>, servers: &[PrometheusServer]) {
    let limit = audit.params().f64("retry-rate");
    for (server, series) in series(servers, "retry-rate") {
        let Some(last) = series.last() else { continue };
        audit.evaluated(1);
        if last <= limit {
            continue;
        }
        let key = series_key(series);
        audit.finding(
            RETRY_RATE,
            Subject::new(&server.source, "integration", &key),
            format!(
                "`{key}` retries {:.1}% of its messages (newest sample), above the {:.1}% the seed says to investigate: find what the first attempts fail on, and keep retried events out of the SLA figures.",
                last * 100.0,
                limit * 100.0
            ),
            [
                ("signal", "retry-rate".to_string()),
                ("last", num(last)),
                ("max", num(series.max().unwrap_or(last))),
                ("threshold", num(limit)),
            ],
        );
    }
}
