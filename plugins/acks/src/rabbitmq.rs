//! RabbitMQ side of `acks`: live consumers without manual acknowledgement, and Spring AMQP
//! listener containers configured with `acknowledge-mode: none`.

use plumbline_sdk::index::Index;
use plumbline_sdk::prelude::*;

use crate::{AUTO_ACK, matches_any};

/// Live consumers with `ack_required = false`. Critical when the registry says an integration on
/// that queue promises at-least-once (or exactly-once) delivery.
pub fn audit_consumers(audit: &mut Audit<'_>, registry: &[Integration]) {
    let ignored = audit.params().list("ignore-queues").to_vec();
    // Registry positions of the at-least-once (or exactly-once) integrations, by listed resource.
    let promises: Index<&str, usize> = registry
        .iter()
        .enumerate()
        .filter(|(_, i)| i.at_least_once())
        .flat_map(|(at, i)| i.resources.iter().map(move |r| (r.as_str(), at)))
        .collect();
    for broker in audit.rabbitmq() {
        for consumer in &broker.consumers {
            if matches_any(&consumer.queue, &ignored) {
                continue;
            }
            audit.evaluated(1);
            if consumer.ack_required {
                continue;
            }
            let resource = format!("queue:{}/{}", consumer.vhost.trim_end_matches('/'), consumer.queue);
            let by_name = format!("queue:{}", consumer.queue);
            // The first such integration in registry order, whichever form of the name it lists.
            let promise = [promises.first(resource.as_str()), promises.first(by_name.as_str())]
                .into_iter()
                .flatten()
                .min()
                .map(|&at| &registry[at]);
            let id = format!("{}/{}/{}", consumer.vhost, consumer.queue, consumer.consumer_tag);
            let subject = Subject::new(&broker.source, "consumer", id);
            let mut evidence = vec![
                ("vhost", consumer.vhost.clone()),
                ("queue", consumer.queue.clone()),
                ("consumer_tag", consumer.consumer_tag.clone()),
                ("client", consumer.client.clone()),
                ("ack_required", "false".to_string()),
            ];
            match promise {
                Some(integration) => {
                    evidence.push(("integration", integration.id.clone()));
                    evidence.push(("declared_delivery", integration.delivery.clone().unwrap_or_default()));
                    audit.finding_with_severity(
                        AUTO_ACK,
                        Severity::Critical,
                        subject,
                        format!(
                            "Consumer `{}` of queue `{}` uses auto-ack although integration `{}` promises {} delivery: a crash while processing loses the message.",
                            consumer.client,
                            consumer.queue,
                            integration.id,
                            integration.delivery.as_deref().unwrap_or("at-least-once")
                        ),
                        evidence,
                    );
                }
                None => audit.finding(
                    AUTO_ACK,
                    subject,
                    format!(
                        "Consumer `{}` of queue `{}` uses auto-ack: the broker drops each message as soon as it is sent, so a crash while processing loses it.",
                        consumer.client, consumer.queue
                    ),
                    evidence,
                ),
            }
        }
    }
}

/// Spring AMQP containers with `acknowledge-mode: none` (broker-side auto-ack).
pub fn audit_spring_ack_mode(audit: &mut Audit<'_>, files: &[ConfigFile]) {
    const KEYS: [&str; 3] = [
        "spring.rabbitmq.listener.simple.acknowledge-mode",
        "spring.rabbitmq.listener.direct.acknowledge-mode",
        "spring.rabbitmq.listener.stream.acknowledge-mode",
    ];
    for file in files {
        for entry in file.entries.iter().filter(|e| KEYS.contains(&e.key.as_str())) {
            audit.evaluated(1);
            if !entry.value.trim().eq_ignore_ascii_case("none") {
                continue;
            }
            audit.finding(
                AUTO_ACK,
                Subject::new(&file.path, "config-key", &entry.key),
                format!(
                    "{}:{} sets `{}: {}`, so Spring consumes with broker auto-ack and a failed listener loses the message.",
                    file.path, entry.line, entry.key, entry.value
                ),
                [
                    ("file", file.path.clone()),
                    ("line", entry.line.to_string()),
                    ("key", entry.key.clone()),
                    ("value", entry.value.clone()),
                ],
            );
        }
    }
}
