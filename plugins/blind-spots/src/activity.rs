//! Integration heartbeats, from the `last-activity` signal (Unix seconds of the last message an
//! integration handled): integrations idle for longer than `unused-days` (`unused-integration`,
//! the quarterly review's "no messages in 90 days") and active registry integrations with no
//! `last-activity` series at all (`heartbeat-unmeasured`).

use std::collections::HashSet;

use plumbline_sdk::index::Index;
use plumbline_sdk::prelude::*;

use crate::{HEARTBEAT_UNMEASURED, UNUSED_INTEGRATION, num, series_key};

const SIGNAL: &str = "last-activity";

pub fn audit(audit: &mut Audit<'_>, servers: &[PrometheusServer], registry: &[Integration]) {
    unused(audit, servers, registry);
    unmeasured(audit, servers, registry);
}

fn unused(audit: &mut Audit<'_>, servers: &[PrometheusServer], registry: &[Integration]) {
    let now = audit.snapshot().collected_at;
    let days = audit.params().f64("unused-days");
    let by_id: Index<&str, &Integration> = registry.iter().map(|i| (i.id.as_str(), i)).collect();
    for (server, series) in series(servers, SIGNAL) {
        let Some(last) = series.max() else { continue };
        audit.evaluated(1);
        let age_days = (now as f64 - last) / 86_400.0;
        if age_days <= days {
            continue;
        }
        let key = series_key(series, &[]);
        let entry = by_id.first(key.as_str()).copied();
        let subject = match entry {
            Some(_) => Subject::new("registry", "integration", &key),
            None => Subject::new(&server.source, "integration", &key),
        };
        let mut evidence = vec![
            ("last_activity", format!("{last:.0}")),
            ("age_days", format!("{age_days:.0}")),
            ("max_idle_days", num(days)),
        ];
        let status = match entry {
            Some(i) => {
                evidence.push(("lifecycle", i.lifecycle.clone()));
                evidence.push(("owner", i.owner.clone().unwrap_or_else(|| "none".to_string())));
                format!(
                    "; the registry still lists it as `{}` with owner {}",
                    i.lifecycle,
                    i.owner.as_deref().map(|o| format!("`{o}`")).unwrap_or_else(|| "none".to_string())
                )
            }
            None => String::new(),
        };
        audit.finding(
            UNUSED_INTEGRATION,
            subject,
            format!(
                "`{key}` last handled a message {age_days:.0} days before collection (more than {} days){status}: retire it or confirm it is still needed.",
                num(days)
            ),
            evidence,
        );
    }
}

/// Only judged when some server collects `last-activity`; otherwise a note says heartbeats are not
/// collected at all.
fn unmeasured(audit: &mut Audit<'_>, servers: &[PrometheusServer], registry: &[Integration]) {
    if servers.is_empty() || registry.is_empty() {
        return;
    }
    if servers.iter().all(|s| s.signal(SIGNAL).is_none()) {
        audit.note(
            "heartbeat-unmeasured: no `last-activity` signal is collected, so integration heartbeats were not judged",
        );
        return;
    }
    let measured: HashSet<String> = series(servers, SIGNAL).map(|(_, s)| series_key(s, &[])).collect();
    for integration in registry.iter().filter(|i| i.is_active()) {
        audit.evaluated(1);
        if measured.contains(&integration.id) {
            continue;
        }
        audit.finding(
            HEARTBEAT_UNMEASURED,
            Subject::new("registry", "integration", &integration.id),
            format!(
                "Active integration `{}` has no `last-activity` series: nobody would notice if it stopped running.",
                integration.id
            ),
            [
                ("integration", integration.id.clone()),
                ("transport", integration.transport.clone()),
                ("signal", SIGNAL.to_string()),
            ],
        );
    }
}
