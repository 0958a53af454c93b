//! The registry against the live estate (the quarterly review's "are all live integrations
//! listed?"): live RabbitMQ queues, Kafka topics and consumer groups and SQS queues that no
//! integration lists (`unregistered-resource`), and registry resources that do not exist
//! (`orphaned-registry-entry`).
//!
//! Dead-letter queues and topics, broker-internal names (`amq.*`, `_*`) and Kafka groups in state
//! `Dead` are not required to be listed. Registry resources are matched as `queue:/vhost/name` or
//! `queue:name`, `topic:name`, `consumer-group:id` and `sqs-queue:name`.

use std::collections::HashSet;

use plumbline_sdk::index::{RegistryIndex, dead_letter_bound};
use plumbline_sdk::prelude::*;

use crate::{ORPHANED_REGISTRY_ENTRY, UNREGISTERED_RESOURCE, num};

pub fn audit_unregistered(
    audit: &mut Audit<'_>,
    registry: &[Integration],
    rabbit: &[RabbitmqBroker],
    kafka: &[KafkaCluster],
    sqs: &[SqsAccount],
) {
    if !audit.is_available(Section::Registry) {
        return;
    }
    let ignored = audit.params().list("ignore-resources").to_vec();
    let skip = |name: &str| glob_any(&ignored, name);
    let listed = RegistryIndex::new(registry);
    for broker in rabbit {
        // Queues of the broker that receive dead letters: bound from an exchange some queue uses
        // as its dead-letter exchange (or named like a DLQ, below).
        let dead_letter = dead_letter_bound(broker);
        for queue in &broker.queues {
            let path = queue.path();
            if queue.name.starts_with("amq.")
                || skip(&queue.name)
                || skip(&path)
                || looks_like_dead_letter(&queue.name)
                || dead_letter.contains(&(queue.vhost.as_str(), queue.name.as_str()))
            {
                continue;
            }
            audit.evaluated(1);
            if listed.lists("queue", &path) || listed.lists("queue", &queue.name) {
                continue;
            }
            let rate = queue.publish_rate.map(|r| format!(", {} msg/s published", num(r))).unwrap_or_default();
            report(
                audit,
                Subject::new(&broker.source, "queue", &path),
                format!(
                    "Queue `{path}` on `{}` is live ({} consumer{}{rate})",
                    broker.source,
                    queue.consumers,
                    if queue.consumers == 1 { "" } else { "s" }
                ),
                vec![
                    ("resource", format!("queue:{path}")),
                    ("consumers", queue.consumers.to_string()),
                    ("messages", queue.depth().to_string()),
                    ("publish_rate", queue.publish_rate.map(num).unwrap_or_else(|| "unknown".into())),
                ],
            );
        }
    }
    for cluster in kafka {
        for topic in &cluster.topics {
            if topic.name.starts_with('_')
                || topic.dead_letter
                || looks_like_dead_letter(&topic.name)
                || skip(&topic.name)
            {
                continue;
            }
            audit.evaluated(1);
            if listed.lists("topic", &topic.name) {
                continue;
            }
            report(
                audit,
                Subject::new(&cluster.source, "topic", &topic.name),
                format!("Topic `{}` on `{}` exists ({} messages)", topic.name, cluster.source, topic.messages),
                vec![("resource", format!("topic:{}", topic.name)), ("messages", topic.messages.to_string())],
            );
        }
        for group in &cluster.consumer_groups {
            if group.state.eq_ignore_ascii_case("dead") || group.group_id.starts_with('_') || skip(&group.group_id) {
                continue;
            }
            audit.evaluated(1);
            if listed.lists("consumer-group", &group.group_id) {
                continue;
            }
            let mut topics: Vec<&str> = group.offsets.iter().map(|o| o.topic.as_str()).collect();
            topics.sort_unstable();
            topics.dedup();
            report(
                audit,
                Subject::new(&cluster.source, "consumer-group", &group.group_id),
                format!(
                    "Consumer group `{}` on `{}` is {} with {} members",
                    group.group_id,
                    cluster.source,
                    group.state,
                    group.members.len()
                ),
                vec![
                    ("resource", format!("consumer-group:{}", group.group_id)),
                    ("state", group.state.clone()),
                    ("topics", topics.join(", ")),
                ],
            );
        }
    }
    for account in sqs {
        for queue in &account.queues {
            if !queue.dead_letter_sources.is_empty() || looks_like_dead_letter(&queue.name) || skip(&queue.name) {
                continue;
            }
            audit.evaluated(1);
            if listed.lists("sqs-queue", &queue.name) {
                continue;
            }
            report(
                audit,
                Subject::new(&account.source, "queue", &queue.name),
                format!(
                    "SQS queue `{}` in `{}` exists ({} visible messages)",
                    queue.name, account.source, queue.messages_visible
                ),
                vec![
                    ("resource", format!("sqs-queue:{}", queue.name)),
                    ("arn", queue.arn.clone()),
                    ("messages_visible", queue.messages_visible.to_string()),
                ],
            );
        }
    }
}

fn report(audit: &mut Audit<'_>, subject: Subject, what: String, evidence: Vec<(&str, String)>) {
    audit.finding(
        UNREGISTERED_RESOURCE,
        subject,
        format!("{what} but no registry integration lists it: nobody owns it, monitors it or will think of it in an incident."),
        evidence,
    );
}

/// Registry resources whose kind's section was read and which it does not hold. One finding per
/// integration, listing every missing resource.
pub fn audit_orphaned(
    audit: &mut Audit<'_>,
    registry: &[Integration],
    rabbit: &[RabbitmqBroker],
    kafka: &[KafkaCluster],
    sqs: &[SqsAccount],
) {
    let judged = |kind: &str| match kind {
        "queue" => Some(Section::Rabbitmq),
        "topic" | "consumer-group" => Some(Section::Kafka),
        "sqs-queue" => Some(Section::Sqs),
        _ => None,
    };
    // The names each kind of resource can be listed by, across the estate.
    let queues: HashSet<String> =
        rabbit.iter().flat_map(|b| &b.queues).flat_map(|q| [q.path(), q.name.clone()]).collect();
    let topics: HashSet<&str> = kafka.iter().flat_map(|c| &c.topics).map(|t| t.name.as_str()).collect();
    let groups: HashSet<&str> = kafka.iter().flat_map(|c| &c.consumer_groups).map(|g| g.group_id.as_str()).collect();
    let sqs_queues: HashSet<&str> =
        sqs.iter().flat_map(|a| &a.queues).flat_map(|q| [q.name.as_str(), q.url.as_str(), q.arn.as_str()]).collect();
    let exists = |kind: &str, name: &str| match kind {
        "queue" => queues.contains(name),
        "topic" => topics.contains(name),
        "consumer-group" => groups.contains(name),
        "sqs-queue" => sqs_queues.contains(name),
        _ => true,
    };
    for integration in registry {
        let checkable: Vec<(&str, &str)> = integration
            .resources
            .iter()
            .filter_map(|r| r.split_once(':'))
            .filter(|(kind, _)| judged(kind).is_some_and(|s| audit.is_available(s)))
            .collect();
        if checkable.is_empty() {
            continue;
        }
        audit.evaluated(1);
        let missing: Vec<String> = checkable
            .iter()
            .filter(|(kind, name)| !exists(kind, name))
            .map(|(kind, name)| format!("{kind}:{name}"))
            .collect();
        if missing.is_empty() {
            continue;
        }
        audit.finding(
            ORPHANED_REGISTRY_ENTRY,
            Subject::new("registry", "integration", &integration.id),
            format!(
                "Integration `{}` lists {} that {} not exist in the collected estate: the entry is stale or points at the wrong broker.",
                integration.id,
                missing.join(", "),
                if missing.len() == 1 { "does" } else { "do" }
            ),
            [
                ("integration", integration.id.clone()),
                ("missing", missing.join(", ")),
                ("lifecycle", integration.lifecycle.clone()),
            ],
        );
    }
}
