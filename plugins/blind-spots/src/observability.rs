//! Whether the monitoring itself can see: Prometheus scrape targets that are down
//! (`target-down`) and the absence of any distributed tracing (`no-tracing`), judged from the
//! servers' `tracing_detected` and tracing settings in the application config files.

use plumbline_sdk::prelude::*;

use crate::{NO_TRACING, TARGET_DOWN};

pub fn audit_targets(audit: &mut Audit<'_>, servers: &[PrometheusServer]) {
    for server in servers {
        for target in &server.targets {
            audit.evaluated(1);
            if !target.health.eq_ignore_ascii_case("down") {
                continue;
            }
            let mut evidence = vec![
                ("job", target.job.clone()),
                ("instance", target.instance.clone()),
                ("health", target.health.clone()),
            ];
            if let Some(error) = &target.last_error {
                evidence.push(("last_error", error.clone()));
            }
            audit.finding(
                TARGET_DOWN,
                Subject::new(&server.source, "target", format!("{}/{}", target.job, target.instance)),
                format!(
                    "Prometheus `{}` cannot scrape `{}` at `{}`{}. Its metrics are missing, so alerts on them stay silent instead of firing.",
                    server.source,
                    target.job,
                    target.instance,
                    target.last_error.as_deref().map(|e| format!(" (last error: {e})")).unwrap_or_default()
                ),
                evidence,
            );
        }
    }
}

/// One finding per Prometheus server when no server detected a tracing backend and no config
/// file configures tracing. Not judged when the config files could not be read.
pub fn audit_tracing(audit: &mut Audit<'_>, servers: &[PrometheusServer], files: &[ConfigFile]) {
    if servers.is_empty()
        || matches!(audit.section_state(Section::ConfigFiles), Some(Some(SectionError::Unavailable(_))))
    {
        return;
    }
    audit.evaluated(servers.len());
    if servers.iter().any(|s| s.tracing_detected) {
        return;
    }
    let patterns = audit.params().list("tracing-config-keys").to_vec();
    if let Some((file, entry)) = files
        .iter()
        .flat_map(|f| f.entries.iter().map(move |e| (f, e)))
        .find(|(_, e)| glob_any(&patterns, &e.key) && !switched_off(e))
    {
        audit.note(format!(
            "tracing: no Prometheus server detected a tracing backend, but {}:{} configures `{}`",
            file.path, entry.line, entry.key
        ));
        return;
    }
    for server in servers {
        audit.finding(
            NO_TRACING,
            Subject::new(&server.source, "tracing", "distributed-tracing"),
            format!(
                "No tracing backend was found by `{}` and none of the {} config files configures tracing: an event that stops somewhere between producer and consumer can only be seen in aggregates.",
                server.source,
                files.len()
            ),
            [
                ("tracing_detected", "false".to_string()),
                ("config_files_searched", files.len().to_string()),
                ("tracing_config_keys", patterns.join(", ")),
            ],
        );
    }
}

/// `...enabled: false` or a sampling probability of 0 configure tracing off, not on.
fn switched_off(entry: &ConfigEntry) -> bool {
    let key = entry.key.to_ascii_lowercase();
    (key.ends_with("enabled") && entry.as_bool() == Some(false))
        || ((key.ends_with("probability") || key.ends_with("sampler.arg") || key.ends_with("ratio"))
            && entry.as_f64() == Some(0.0))
}
