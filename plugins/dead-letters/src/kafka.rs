//! Kafka side of `dead-letters`: dead-letter topics that hold records, and (unless
//! `require-kafka-dead-letter-topics` is set to false) consumer groups whose topics have no
//! dead-letter topic. With the parameter false, the uncovered topics are listed in a note.
//!
//! A topic is a dead-letter topic (DLT) when the collector marked it `dead_letter` or its name
//! matches `dlq-patterns`. A DLT covers topic `T` when its name is `T`, a separator (`.`, `-`,
//! `_`) and a dead-letter suffix: `T.DLT`, `T-dlt`, `T.dlq`, `T-dead-letter`, `T.error`, ...
//! Spring retry topics (`T-retry`, `T-retry-0`) are covered by the DLT of `T`.

use std::collections::{BTreeSet, HashSet};

use plumbline_sdk::prelude::*;

use crate::{KAFKA_NO_DLT, MESSAGES_IN_DLQ, is_dead_letter_name};

/// Audits every cluster; returns the dead-letter topics found, as `source topic`.
pub fn audit(audit: &mut Audit<'_>, patterns: &[String]) -> Vec<String> {
    let max_dead = audit.params().i64("max-dead-letters");
    let require = audit.params().bool("require-kafka-dead-letter-topics");
    let mut found = Vec::new();
    let mut uncovered_when_off: BTreeSet<String> = BTreeSet::new();
    for cluster in audit.kafka() {
        let dlts: Vec<&KafkaTopic> = cluster.topics.iter().filter(|t| is_dlt(t, patterns)).collect();
        let dlt_names: HashSet<&str> = dlts.iter().map(|d| d.name.as_str()).collect();
        let covering = Covering::new(dlts.iter().map(|d| d.name.as_str()));
        for topic in &dlts {
            audit.evaluated(1);
            found.push(format!("{} {}", cluster.source, topic.name));
            if i128::from(topic.messages) > i128::from(max_dead) {
                report_dlt_messages(audit, &cluster, topic, max_dead);
            }
        }
        for group in &cluster.consumer_groups {
            let consumed: BTreeSet<&str> = consumed_topics(group)
                .into_iter()
                .filter(|t| !t.starts_with("__"))
                .filter(|t| !dlt_names.contains(t) && !is_dead_letter_name(t, patterns))
                .collect();
            if consumed.is_empty() {
                continue; // nothing consumed, or a group that only drains dead-letter topics
            }
            let missing: Vec<&str> = consumed.into_iter().filter(|t| !covering.covers(t)).collect();
            if !require {
                uncovered_when_off.extend(missing.iter().map(|t| format!("{}/{t}", cluster.source)));
                continue;
            }
            audit.evaluated(1);
            if !missing.is_empty() {
                report_group(audit, &cluster, group, &missing);
            }
        }
    }
    if !uncovered_when_off.is_empty() {
        audit.note(format!(
            "Kafka: {} consumed topic(s) have no dead-letter topic ({}); not reported because \
             `require-kafka-dead-letter-topics` is off.",
            uncovered_when_off.len(),
            uncovered_when_off.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    found
}

fn is_dlt(topic: &KafkaTopic, patterns: &[String]) -> bool {
    topic.dead_letter || is_dead_letter_name(&topic.name, patterns)
}

/// Topics a group has committed offsets for or is assigned, in name order.
fn consumed_topics(group: &KafkaConsumerGroup) -> BTreeSet<&str> {
    let committed = group.offsets.iter().map(|o| o.topic.as_str());
    let assigned = group
        .members
        .iter()
        .flat_map(|m| m.assignments.iter())
        .map(|a| a.rsplit_once(':').map_or(a.as_str(), |(topic, _)| topic));
    committed.chain(assigned).collect()
}

/// What follows `<topic>` and a separator in the name of its dead-letter topic (lowercase).
const DLT_SUFFIXES: [&str; 8] =
    ["dlt", "dlq", "dead-letter", "dead_letter", "deadletter", "dead-letters", "dead", "error"];

/// True when dead-letter topic `dlt` is the dead-letter topic of `topic`.
#[cfg(test)]
pub(crate) fn covers(dlt: &str, topic: &str) -> bool {
    Covering::new([dlt]).covers(topic)
}

/// The dead-letter topics of a cluster, by lowercase name, to find a topic's DLT by its possible
/// names instead of comparing it with every DLT.
struct Covering {
    lowercase: HashSet<String>,
}

impl Covering {
    fn new<'a>(dlts: impl IntoIterator<Item = &'a str>) -> Self {
        Covering { lowercase: dlts.into_iter().map(str::to_ascii_lowercase).collect() }
    }

    /// True when one of the DLTs is `<topic>` (without a retry suffix), a separator (`.`, `-`,
    /// `_`) and a dead-letter suffix, ignoring ASCII case.
    fn covers(&self, topic: &str) -> bool {
        let base = strip_retry_suffix(topic).to_ascii_lowercase();
        ['.', '-', '_']
            .iter()
            .any(|sep| DLT_SUFFIXES.iter().any(|suffix| self.lowercase.contains(&format!("{base}{sep}{suffix}"))))
    }
}

/// `orders-retry-0` → `orders` (Spring @RetryableTopic retry topics share the main topic's DLT).
fn strip_retry_suffix(topic: &str) -> &str {
    let lower = topic.to_ascii_lowercase();
    for marker in ["-retry", ".retry", "_retry"] {
        if let Some(at) = lower.rfind(marker) {
            let tail = &lower[at + marker.len()..];
            if tail.is_empty() || tail.trim_start_matches(['-', '.', '_']).chars().all(|c| c.is_ascii_digit()) {
                return &topic[..at];
            }
        }
    }
    topic
}

fn report_dlt_messages(audit: &mut Audit<'_>, cluster: &KafkaCluster, topic: &KafkaTopic, max_dead: i64) {
    audit.finding(
        MESSAGES_IN_DLQ,
        Subject::new(&cluster.source, "topic", &topic.name),
        format!(
            "Dead-letter topic `{}` holds {} record(s) (threshold {max_dead}): records that failed \
             processing are waiting for a fix and a replay before retention ({}) deletes them.",
            topic.name,
            topic.messages,
            pair(&topic.configs, "retention.ms")
                .map_or_else(|| "broker default".to_string(), |ms| format!("retention.ms={ms}"))
        ),
        [
            ("topic", topic.name.clone()),
            ("messages", topic.messages.to_string()),
            ("max_dead_letters", max_dead.to_string()),
            ("partitions", topic.partitions.to_string()),
            ("dead_letter_flag", topic.dead_letter.to_string()),
        ],
    );
}

fn report_group(audit: &mut Audit<'_>, cluster: &KafkaCluster, group: &KafkaConsumerGroup, missing: &[&str]) {
    let list = missing.join(", ");
    audit.finding(
        KAFKA_NO_DLT,
        Subject::new(&cluster.source, "consumer-group", &group.group_id),
        format!(
            "Consumer group `{}` reads {} with no dead-letter topic (e.g. `{}.DLT`): a record that \
             always fails either blocks its partition or is skipped with only a log line.",
            group.group_id,
            missing.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "),
            missing[0]
        ),
        [("group_id", group.group_id.clone()), ("topics_without_dlt", list), ("state", group.state.clone())],
    );
}
