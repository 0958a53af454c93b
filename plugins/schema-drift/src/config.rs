//! Configuration side of `schema-drift`: Jackson set to fail on unknown properties, and Kafka
//! clients that (de)serialise JSON with no schema registry configured in the same file.
//!
//! Keys are compared after normalising case and separators, so
//! `spring.jackson.deserialization.fail-on-unknown-properties`,
//! `spring.jackson.deserialization.FAIL_ON_UNKNOWN_PROPERTIES`,
//! `SPRING_JACKSON_DESERIALIZATION_FAIL_ON_UNKNOWN_PROPERTIES` (env files) and any key ending in
//! `fail.on.unknown.properties` all count.

use plumbline_sdk::prelude::*;

use crate::{NO_SCHEMA_REGISTRY, STRICT_DESERIALISATION};

/// Keys naming a Kafka value (de)serialiser class.
const SERDE_KEYS: [&str; 6] = [
    "value.deserializer",
    "value.serializer",
    "spring.kafka.consumer.value-deserializer",
    "spring.kafka.producer.value-serializer",
    "spring.kafka.consumer.properties.value.deserializer",
    "spring.kafka.producer.properties.value.serializer",
];

/// `key` lowercased with `.` and `_` turned into `-`.
fn normalise(key: &str) -> String {
    key.to_ascii_lowercase().replace(['.', '_'], "-")
}

pub fn audit_strict_deserialisation(audit: &mut Audit<'_>, files: &[ConfigFile]) {
    for file in files {
        for entry in file.entries.iter().filter(|e| normalise(&e.key).ends_with("fail-on-unknown-properties")) {
            audit.evaluated(1);
            if entry.as_bool() != Some(true) {
                continue;
            }
            audit.finding(
                STRICT_DESERIALISATION,
                Subject::new(&file.path, "config-key", &entry.key),
                format!(
                    "{}:{} sets `{}: {}`: `{}` rejects every message that carries a field it does not \
                     know, so a producer adding a field stops this consumer.",
                    file.path,
                    entry.line,
                    entry.key,
                    entry.value,
                    file.owner()
                ),
                entry.evidence(file),
            );
        }
    }
}

pub fn audit_json_serdes(audit: &mut Audit<'_>, files: &[ConfigFile]) {
    for file in files {
        let registry = file.entries.iter().find(|e| normalise(&e.key).ends_with("schema-registry-url"));
        for entry in file.entries.iter().filter(|e| SERDE_KEYS.contains(&e.key.as_str())) {
            audit.evaluated(1);
            if !entry.value.contains("Json") || registry.is_some() {
                continue;
            }
            let mut evidence = entry.evidence(file);
            evidence.push(("schema.registry.url".into(), "not set in this file".into()));
            audit.finding(
                NO_SCHEMA_REGISTRY,
                Subject::new(&file.path, "config-key", &entry.key),
                format!(
                    "{}:{} (`{}`) uses the JSON serde `{}` with no `schema.registry.url` in the same \
                     file: the payload shape is checked by nothing but the consumer's parser.",
                    file.path,
                    entry.line,
                    file.owner(),
                    entry.value
                ),
                evidence,
            );
        }
    }
}
