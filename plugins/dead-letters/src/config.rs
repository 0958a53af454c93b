//! Configuration side of `dead-letters`: Spring AMQP containers that requeue rejected messages,
//! and retry settings whose maximum is missing (≤ 0) or too high.
//!
//! Retry keys are recognised by their ending (`max-attempts`, `max.attempts`, `maxattempts`,
//! `max-retries`, `max.retries`, and the `_` spellings of environment files). A Kafka producer's
//! `retries` is deliberately not one of them: the producer bounds it with `delivery.timeout.ms`,
//! and idempotent producers set it to `Integer.MAX_VALUE` on purpose.

use plumbline_sdk::prelude::*;

use crate::{EXCESSIVE_RETRIES, UNBOUNDED_REDELIVERY};

const REQUEUE_KEYS: [&str; 2] = [
    "spring.rabbitmq.listener.simple.default-requeue-rejected",
    "spring.rabbitmq.listener.direct.default-requeue-rejected",
];

const RETRY_SUFFIXES: [&str; 7] =
    ["max-attempts", "max.attempts", "maxattempts", "max_attempts", "max-retries", "max.retries", "max_retries"];

pub fn audit(audit: &mut Audit<'_>) {
    let max_attempts = audit.params().i64("max-retry-attempts");
    for file in audit.config_files() {
        for entry in &file.entries {
            if entry.secret.is_some() {
                continue;
            }
            if REQUEUE_KEYS.contains(&entry.key.as_str()) {
                audit.evaluated(1);
                if entry.as_bool() == Some(true) {
                    report_requeue(audit, &file, entry);
                }
            } else if is_retry_key(&entry.key) {
                let Some(value) = entry.as_f64() else {
                    continue; // a placeholder such as ${RETRIES}: nothing to judge
                };
                audit.evaluated(1);
                if value <= 0.0 {
                    report_unbounded_retry(audit, &file, entry);
                } else if value > max_attempts as f64 {
                    report_excessive_retry(audit, &file, entry, max_attempts);
                }
            }
        }
    }
}

fn is_retry_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    RETRY_SUFFIXES.iter().any(|s| key.ends_with(s))
}

fn who(file: &ConfigFile) -> String {
    format!("`{}`", file.owner())
}

fn report_requeue(audit: &mut Audit<'_>, file: &ConfigFile, entry: &ConfigEntry) {
    audit.finding(
        UNBOUNDED_REDELIVERY,
        Subject::new(&file.path, "config-key", &entry.key),
        format!(
            "{}:{} sets `{}: {}`: {} requeues every message its listener rejects, so a poison \
             message is redelivered in a loop and never reaches the dead-letter exchange.",
            file.path,
            entry.line,
            entry.key,
            entry.value,
            who(file)
        ),
        entry.evidence(file),
    );
}

fn report_unbounded_retry(audit: &mut Audit<'_>, file: &ConfigFile, entry: &ConfigEntry) {
    audit.finding(
        UNBOUNDED_REDELIVERY,
        Subject::new(&file.path, "config-key", &entry.key),
        format!(
            "{}:{} sets `{}: {}`: a retry maximum of zero or less sets no usable limit, so {} \
             either retries a failing message without end or never retries at all.",
            file.path,
            entry.line,
            entry.key,
            entry.value,
            who(file)
        ),
        entry.evidence(file),
    );
}

fn report_excessive_retry(audit: &mut Audit<'_>, file: &ConfigFile, entry: &ConfigEntry, max_attempts: i64) {
    let mut evidence = entry.evidence(file);
    evidence.push(("threshold".into(), max_attempts.to_string()));
    audit.finding(
        EXCESSIVE_RETRIES,
        Subject::new(&file.path, "config-key", &entry.key),
        format!(
            "{}:{} sets `{}: {}` (more than {max_attempts}): a permanent failure is retried that \
             many times before it is dead-lettered, delaying the alert and wasting capacity.",
            file.path, entry.line, entry.key, entry.value
        ),
        evidence,
    );
}
