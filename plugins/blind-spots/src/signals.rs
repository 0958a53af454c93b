//! What the collected Prometheus signals already show for each integration: an error rate above
//! the seed's 1 % (`error-rate`), throughput more than 30 % off its baseline
//! (`throughput-deviation`), events produced but not consumed (`event-imbalance`), and broker
//! integrations whose event balance nobody measures (`event-balance-unmeasured`).
//!
//! Series are paired by their `integration` label (or their whole label set when they have
//! none), on the same server. Each comparison uses the newest sample.

use plumbline_sdk::index::SeriesIndex;
use plumbline_sdk::prelude::*;

use crate::{ERROR_RATE, EVENT_BALANCE_UNMEASURED, EVENT_IMBALANCE, THROUGHPUT_DEVIATION, num, pct, series_key};

pub fn audit(audit: &mut Audit<'_>, servers: &[PrometheusServer], registry: &[Integration]) {
    // Partner series are looked up by key (integration label) on the same server.
    let partners = SeriesIndex::new(servers, |s| series_key(s, &[]));
    error_rate(audit, servers);
    throughput(audit, servers, &partners);
    event_balance(audit, servers, &partners);
    balance_unmeasured(audit, servers, registry, &partners);
}

fn error_rate(audit: &mut Audit<'_>, servers: &[PrometheusServer]) {
    let limit = audit.params().f64("error-rate");
    for (server, series) in series(servers, "error-rate") {
        let Some(last) = series.last() else { continue };
        audit.evaluated(1);
        if last <= limit {
            continue;
        }
        let key = series_key(series, &[]);
        let max = series.max().unwrap_or(last);
        audit.finding(
            ERROR_RATE,
            Subject::new(&server.source, "integration", &key),
            format!(
                "`{key}` fails {} of its messages (newest sample; up to {} in the window), above the {} threshold: investigate before the failures become lost or dead-lettered events.",
                pct(last),
                pct(max),
                pct(limit)
            ),
            [
                ("signal", "error-rate".to_string()),
                ("labels", series.label_text()),
                ("last", num(last)),
                ("max", num(max)),
                ("threshold", num(limit)),
            ],
        );
    }
}

fn throughput(audit: &mut Audit<'_>, servers: &[PrometheusServer], partners: &SeriesIndex<'_>) {
    let limit = audit.params().f64("throughput-deviation");
    for (server, series) in series(servers, "throughput") {
        let key = series_key(series, &[]);
        let Some(baseline) = partners.on(server, "throughput-baseline", &key) else { continue };
        let (Some(now), Some(then)) = (series.last(), baseline.last()) else { continue };
        if then <= 0.0 {
            continue;
        }
        audit.evaluated(1);
        let deviation = (now - then) / then;
        if deviation.abs() <= limit {
            continue;
        }
        let direction = if deviation < 0.0 { "below" } else { "above" };
        audit.finding(
            THROUGHPUT_DEVIATION,
            Subject::new(&server.source, "integration", &key),
            format!(
                "Throughput of `{key}` is {} msg/s, {} {direction} its baseline of {} msg/s (threshold {}): messages are not flowing as usual.",
                num(now),
                pct(deviation.abs()),
                num(then),
                pct(limit)
            ),
            [
                ("signal", "throughput".to_string()),
                ("labels", series.label_text()),
                ("throughput", num(now)),
                ("baseline", num(then)),
                ("deviation", num(deviation)),
                ("threshold", num(limit)),
            ],
        );
    }
}

fn event_balance(audit: &mut Audit<'_>, servers: &[PrometheusServer], partners: &SeriesIndex<'_>) {
    let limit = audit.params().f64("event-balance");
    for (server, series) in series(servers, "events-produced") {
        let key = series_key(series, &[]);
        let Some(consumed_series) = partners.on(server, "events-consumed", &key) else { continue };
        let (Some(produced), Some(consumed)) = (series.last(), consumed_series.last()) else { continue };
        if produced <= 0.0 {
            continue;
        }
        audit.evaluated(1);
        let divergence = (produced - consumed) / produced;
        if divergence.abs() <= limit {
            continue;
        }
        let what = if divergence > 0.0 {
            format!("{} of the events produced were never consumed", pct(divergence))
        } else {
            format!("{} more events were consumed than produced (duplicates or a counter reset)", pct(-divergence))
        };
        audit.finding(
            EVENT_IMBALANCE,
            Subject::new(&server.source, "integration", &key),
            format!(
                "`{key}` produced {} events and consumed {}: {what}, above the {} the seed tolerates.",
                num(produced),
                num(consumed),
                pct(limit)
            ),
            [
                ("produced", num(produced)),
                ("consumed", num(consumed)),
                ("divergence", num(divergence)),
                ("threshold", num(limit)),
            ],
        );
    }
}

/// Active integrations on broker transports whose produced/consumed counts are not both
/// collected. By default (`balance-per-integration = true`) one finding per such integration;
/// with `balance-per-integration = false` one per Prometheus server, and only when no
/// integration has the pair at all (otherwise a note).
fn balance_unmeasured(
    audit: &mut Audit<'_>,
    servers: &[PrometheusServer],
    registry: &[Integration],
    partners: &SeriesIndex<'_>,
) {
    if servers.is_empty() {
        return;
    }
    let transports = audit.params().list("balance-transports").to_vec();
    let per_integration = audit.params().bool("balance-per-integration");
    // Both series on one server.
    let paired = |id: &str| {
        let consumed = partners.per_server("events-consumed", id);
        partners
            .per_server("events-produced", id)
            .iter()
            .any(|(server, _)| consumed.iter().any(|(other, _)| std::ptr::eq(*server, *other)))
    };
    let brokered: Vec<&Integration> = registry
        .iter()
        .filter(|i| i.is_active() && transports.iter().any(|t| t.eq_ignore_ascii_case(&i.transport)))
        .collect();
    audit.evaluated(brokered.len());
    let unmeasured: Vec<&Integration> = brokered.iter().copied().filter(|i| !paired(&i.id)).collect();
    if unmeasured.is_empty() {
        return;
    }
    if per_integration {
        for integration in unmeasured {
            audit.finding(
                EVENT_BALANCE_UNMEASURED,
                Subject::new("registry", "integration", &integration.id),
                format!(
                    "No `events-produced`/`events-consumed` pair is collected for `{}` ({}): events it loses between producer and consumer go unnoticed.",
                    integration.id, integration.transport
                ),
                [("integration", integration.id.clone()), ("transport", integration.transport.clone())],
            );
        }
        return;
    }
    if unmeasured.len() < brokered.len() {
        audit.note(format!(
            "event balance is measured for {} of {} broker integrations; set `balance-per-integration = true` to report the others",
            brokered.len() - unmeasured.len(),
            brokered.len()
        ));
        return;
    }
    let names: Vec<&str> = unmeasured.iter().map(|i| i.id.as_str()).collect();
    for server in servers {
        audit.finding(
            EVENT_BALANCE_UNMEASURED,
            Subject::new(&server.source, "signal", "events-produced/events-consumed"),
            format!(
                "`{}` collects no events produced vs consumed for any of the {} broker integrations: events lost between producer and consumer do not show up anywhere.",
                server.source,
                names.len()
            ),
            [("integrations", names.join(", ")), ("signals", "events-produced, events-consumed".to_string())],
        );
    }
}
