//! Kafka side of `acks`: consumer configurations that auto-commit offsets.
//!
//! A plain Kafka client config (`group.id` present) auto-commits unless `enable.auto.commit` is
//! `false` — the client default is `true`. Spring Boot (`spring.kafka.consumer.*`) defaults it to
//! `false` since Spring Kafka 2.3, so there only an explicit `true` counts.

use plumbline_sdk::prelude::*;

use crate::AUTO_COMMIT;

const SPRING_KEYS: [&str; 2] =
    ["spring.kafka.consumer.enable-auto-commit", "spring.kafka.consumer.properties.enable.auto.commit"];

pub fn audit_auto_commit(audit: &mut Audit<'_>, files: &[ConfigFile]) {
    let markers = audit.params().list("async-markers").to_vec();
    for file in files {
        let find = |key: &str| file.entries.iter().find(|e| e.key == key);
        let spring = file.entries.iter().any(|e| e.key.starts_with("spring.kafka.consumer."));
        let plain = find("group.id").is_some();
        if !spring && !plain {
            continue;
        }
        audit.evaluated(1);
        let (setting, unset_means_auto) =
            if spring { (SPRING_KEYS.iter().find_map(|k| find(k)), false) } else { (find("enable.auto.commit"), true) };
        let auto_commit = match setting {
            Some(entry) => entry.value.trim().eq_ignore_ascii_case("true"),
            None => unset_means_auto,
        };
        if !auto_commit {
            continue;
        }
        let asynchronous = file
            .entries
            .iter()
            .find(|e| markers.iter().any(|m| e.key.to_ascii_lowercase().contains(&m.to_ascii_lowercase())));
        let (key, value, line) = match setting {
            Some(entry) => (entry.key.clone(), entry.value.clone(), entry.line.to_string()),
            None => ("enable.auto.commit".to_string(), "unset (client default: true)".to_string(), String::new()),
        };
        let who = file.service.clone().unwrap_or_else(|| file.path.clone());
        let mut evidence = vec![("file", file.path.clone()), ("key", key.clone()), ("value", value)];
        if !line.is_empty() {
            evidence.push(("line", line));
        }
        let subject = Subject::new(&file.path, "config-key", &key);
        match asynchronous {
            Some(marker) => {
                evidence.push(("async_processing", format!("{} = {}", marker.key, marker.value)));
                audit.finding(
                    AUTO_COMMIT,
                    subject,
                    format!(
                        "`{who}` auto-commits Kafka offsets while processing asynchronously (`{}`): offsets are committed before records are processed, so a crash loses them.",
                        marker.key
                    ),
                    evidence,
                );
            }
            None => audit.finding_with_severity(
                AUTO_COMMIT,
                Severity::Medium,
                subject,
                format!(
                    "`{who}` auto-commits Kafka offsets: safe only if every record is fully processed before the next poll; any hand-off to another thread loses records on a crash."
                ),
                evidence,
            ),
        }
    }
}
