//! Config side of `idempotency` (`non-idempotent-producer`): Kafka producer configurations that
//! can write a record twice when a send is retried.
//!
//! A file configures a producer when it is a plain Kafka client file with an `acks` or
//! `enable.idempotence` key (or `producer` in its path and a Kafka client key), or a Spring Boot
//! file with `spring.kafka.producer.*` keys. It is flagged when idempotence is explicitly off, or
//! when `acks` is neither `all` nor `-1` while retries are enabled — an unset `retries` is the
//! client default, which retries. Unset `acks` and `enable.idempotence` are the Kafka ≥ 3.0
//! defaults (`all`, `true`), which are safe.

use plumbline_sdk::prelude::*;

use crate::PRODUCER;

/// The keys a producer's settings are read from, by flavour.
struct Keys {
    acks: &'static [&'static str],
    idempotence: &'static [&'static str],
    retries: &'static [&'static str],
}

const PLAIN: Keys = Keys { acks: &["acks"], idempotence: &["enable.idempotence"], retries: &["retries"] };

const SPRING: Keys = Keys {
    acks: &["spring.kafka.producer.acks", "spring.kafka.producer.properties.acks"],
    idempotence: &["spring.kafka.producer.properties.enable.idempotence", "spring.kafka.properties.enable.idempotence"],
    retries: &[
        "spring.kafka.producer.retries",
        "spring.kafka.producer.properties.retries",
        "spring.kafka.properties.retries",
    ],
};

/// Which flavour of producer configuration `file` is, if any.
fn flavour(file: &ConfigFile) -> Option<&'static Keys> {
    if file.has_prefix("spring.kafka.producer.") {
        return Some(&SPRING);
    }
    if file.has_prefix("spring.") {
        return None;
    }
    let explicit = file.get_any(&["acks", "enable.idempotence"]).is_some();
    let by_path = file.path.to_ascii_lowercase().contains("producer")
        && file
            .entries
            .iter()
            .any(|e| e.key == "bootstrap.servers" || e.key == "key.serializer" || e.key == "value.serializer");
    (explicit || by_path).then_some(&PLAIN)
}

pub fn audit(audit: &mut Audit<'_>, files: &[ConfigFile]) {
    for file in files {
        let Some(keys) = flavour(file) else {
            continue;
        };
        audit.evaluated(1);
        let acks = file.get_any(keys.acks);
        let idempotence = file.get_any(keys.idempotence);
        let retries = file.get_any(keys.retries);

        let idempotence_off = idempotence.is_some_and(|e| e.as_bool() == Some(false));
        let weak_acks = acks.is_some_and(|e| {
            let v = e.value.trim().to_ascii_lowercase();
            v != "all" && v != "-1"
        });
        let retrying = match retries {
            Some(e) => e.as_f64().is_none_or(|n| n > 0.0),
            None => true,
        };
        let weak_and_retrying = weak_acks && retrying;
        if !idempotence_off && !weak_and_retrying {
            continue;
        }

        let show = |entry: Option<&ConfigEntry>, key: &str, default: &str| match entry {
            Some(e) => (e.key.clone(), format!("{} (line {})", e.value, e.line)),
            None => (key.to_string(), format!("unset (client default: {default})")),
        };
        let evidence = vec![
            ("file".to_string(), file.path.clone()),
            show(acks, keys.acks[0], "all"),
            show(idempotence, keys.idempotence[0], "true since Kafka 3.0"),
            show(retries, keys.retries[0], "2147483647"),
        ];
        let mut reasons = Vec::new();
        if let Some(e) = idempotence.filter(|_| idempotence_off) {
            reasons.push(format!("`{}: {}` (line {})", e.key, e.value, e.line));
        }
        if let Some(e) = acks.filter(|_| weak_and_retrying) {
            let retry_text = match retries {
                Some(r) => format!("`{}: {}`", r.key, r.value),
                None => "default retries".to_string(),
            };
            reasons.push(format!("`{}: {}` (line {}) with {retry_text}", e.key, e.value, e.line));
        }
        audit.finding(
            PRODUCER,
            Subject::new(&file.path, "config-file", &file.path),
            format!(
                "Kafka producer of `{}` is not idempotent: {}. A retried send after a lost acknowledgement writes the record twice; set acks=all and enable.idempotence=true.",
                file.owner(),
                reasons.join(" and ")
            ),
            evidence,
        );
    }
}
