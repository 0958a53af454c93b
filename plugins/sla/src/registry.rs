//! SLAs as the registry declares them: active integrations whose latency is measured (or which
//! `require-sla` names) but which agree no target (`undefined-sla`), SLAs with no measurement
//! behind them (`unmeasured-sla`), and SLAs that do not say what their latency spans
//! (`no-definition`).

use plumbline_sdk::index::SeriesIndex;
use plumbline_sdk::prelude::*;

use crate::{NO_DEFINITION, UNDEFINED_SLA, UNMEASURED_SLA};

/// `index`: every signal's series by [`crate::series_key`] ([`crate::series_index`]).
pub fn audit(audit: &mut Audit<'_>, servers: &[PrometheusServer], index: &SeriesIndex<'_>, registry: &[Integration]) {
    let required = audit.params().list("require-sla").to_vec();
    let latency_signals = audit.params().list("latency-signals").to_vec();
    let prometheus = audit.is_available(Section::Prometheus);
    for integration in registry {
        audit.evaluated(1);
        let subject = || Subject::new("registry", "integration", &integration.id);
        let Some(sla) = &integration.sla else {
            let measured = latency_signals.iter().find(|s| index.first(s, &integration.id).is_some());
            let reason = match (measured, glob_any(&required, &integration.id)) {
                (Some(signal), _) => format!("its latency is measured by `{signal}`"),
                (None, true) => "`require-sla` names it".to_string(),
                (None, false) => continue,
            };
            audit.finding(
                UNDEFINED_SLA,
                subject(),
                format!(
                    "Active integration `{}` has no SLA although {reason}: nobody has agreed what latency is acceptable, so a slowdown breaks no known promise.",
                    integration.id
                ),
                [("integration", integration.id.clone()), ("reason", reason.clone())],
            );
            continue;
        };
        if sla.definition.as_deref().is_none_or(|d| d.trim().is_empty()) {
            audit.finding(
                NO_DEFINITION,
                subject(),
                format!(
                    "The SLA of `{}` ({} ms at p{}) does not say what the latency spans (producer send → last ack, or queue entry → consumer done?).",
                    integration.id, sla.latency_target_ms, sla.percentile
                ),
                [("integration", integration.id.clone()), ("target_ms", sla.latency_target_ms.to_string())],
            );
        }
        let problem = match sla.measured_by.as_deref() {
            None => "names no signal that measures it (`measured_by` is empty)".to_string(),
            Some(signal) if prometheus && index.first(signal, &integration.id).is_none() => {
                if servers.iter().any(|s| s.signal(signal).is_some()) {
                    format!("is measured by `{signal}`, which has no series for it")
                } else {
                    format!("is measured by `{signal}`, which is not collected")
                }
            }
            Some(_) => continue,
        };
        audit.finding(
            UNMEASURED_SLA,
            subject(),
            format!(
                "The SLA of `{}` ({} ms at p{}) {problem}: a breach would go unnoticed until someone complains.",
                integration.id, sla.latency_target_ms, sla.percentile
            ),
            [
                ("integration", integration.id.clone()),
                ("target_ms", sla.latency_target_ms.to_string()),
                ("measured_by", sla.measured_by.clone().unwrap_or_else(|| "none".to_string())),
            ],
        );
    }
}
