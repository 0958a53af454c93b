//! RabbitMQ side of `backpressure/unbounded-prefetch`: live manual-ack consumers with
//! `prefetch_count = 0` (unlimited), and Spring listener containers configured with
//! `prefetch: 0`.
//!
//! Auto-ack consumers (and Spring containers in `acknowledge-mode: none`) are left out: the broker
//! ignores prefetch for them, and `acks` owns them.

use plumbline_sdk::index::Index;
use plumbline_sdk::prelude::*;

use crate::UNBOUNDED_PREFETCH;

/// Spring Boot keys that set the listener container's prefetch.
const SPRING_PREFETCH_KEYS: [&str; 2] =
    ["spring.rabbitmq.listener.simple.prefetch", "spring.rabbitmq.listener.direct.prefetch"];

pub fn audit_prefetch(audit: &mut Audit<'_>, brokers: &[RabbitmqBroker], files: &[ConfigFile]) {
    for broker in brokers {
        let depths: Index<(&str, &str), u64> =
            broker.queues.iter().map(|q| ((q.vhost.as_str(), q.name.as_str()), q.depth())).collect();
        for consumer in &broker.consumers {
            audit.evaluated(1);
            if !consumer.ack_required || consumer.prefetch_count != 0 {
                continue;
            }
            let depth = depths.first(&(consumer.vhost.as_str(), consumer.queue.as_str())).copied();
            let id = format!("{}/{}/{}", consumer.vhost, consumer.queue, consumer.consumer_tag);
            let mut evidence = vec![
                ("vhost", consumer.vhost.clone()),
                ("queue", consumer.queue.clone()),
                ("consumer_tag", consumer.consumer_tag.clone()),
                ("client", consumer.client.clone()),
                ("ack_required", "true".to_string()),
                ("prefetch_count", "0 (unlimited)".to_string()),
            ];
            let backlog = match depth {
                Some(depth) => {
                    evidence.push(("queue_depth", depth.to_string()));
                    format!(" (the queue holds {depth} messages now)")
                }
                None => String::new(),
            };
            audit.finding(
                UNBOUNDED_PREFETCH,
                Subject::new(&broker.source, "consumer", id),
                format!(
                    "Consumer `{}` of queue `{}` acks manually with prefetch 0, so the broker pushes it every ready message{backlog}; set basic.qos to a bounded prefetch.",
                    consumer.client, consumer.queue
                ),
                evidence,
            );
        }
    }
    for file in files {
        for entry in file.entries.iter().filter(|e| SPRING_PREFETCH_KEYS.contains(&e.key.as_str())) {
            audit.evaluated(1);
            if entry.as_f64() != Some(0.0) {
                continue;
            }
            // The same container in acknowledge-mode none is auto-ack: prefetch does not apply,
            // and `acks` reports it.
            let mode_key = entry.key.replace(".prefetch", ".acknowledge-mode");
            if file.get(&mode_key).is_some_and(|m| m.value.trim().eq_ignore_ascii_case("none")) {
                continue;
            }
            audit.finding(
                UNBOUNDED_PREFETCH,
                Subject::new(&file.path, "config-key", &entry.key),
                format!(
                    "{}:{} sets `{}: {}`: `{}`'s listener containers take every ready message at once; set a bounded prefetch (e.g. 20-50).",
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
