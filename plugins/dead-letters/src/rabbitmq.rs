//! RabbitMQ side of `dead-letters`: queues without a dead-letter exchange, quorum queues without
//! a delivery limit, and dead-letter queues that hold messages.
//!
//! A queue counts as a dead-letter queue (DLQ) when its name matches `dlq-patterns`, when another
//! queue dead-letters to it through the default exchange (`x-dead-letter-routing-key`), or when
//! it is bound (directly or through exchange-to-exchange bindings) from an exchange that another
//! queue uses as its dead-letter exchange and it has no dead-letter exchange of its own.
//!
//! TTL retry loops are kept apart: a wait queue (bound from a work queue's DLX, with a TTL) that
//! dead-letters *back* to the work queue's exchange does not make that work exchange a DLX, and
//! the wait queue itself (it has a DLX) is no DLQ: its messages are retries in flight.

use std::collections::BTreeSet;

use plumbline_sdk::prelude::*;

use crate::{MESSAGES_IN_DLQ, RABBITMQ_NO_DLX, UNBOUNDED_REDELIVERY, is_dead_letter_name};

/// The major version from which quorum queues default to a delivery limit (20).
const DEFAULT_DELIVERY_LIMIT_SINCE: u32 = 4;

/// Audits every broker's queues; returns the dead-letter queues found, as `source vhost/name`.
pub fn audit(audit: &mut Audit<'_>, patterns: &[String]) -> Vec<String> {
    let max_dead = audit.params().i64("max-dead-letters");
    let mut found = Vec::new();
    for broker in audit.rabbitmq() {
        let dlqs = dead_letter_queues(&broker, patterns);
        for queue in &broker.queues {
            if queue.queue_type == "stream" || queue.name.starts_with("amq.") {
                continue;
            }
            audit.evaluated(1);
            let is_dlq = dlqs.contains(&(queue.vhost.clone(), queue.name.clone()));
            if is_dlq {
                found.push(format!("{} {}", broker.source, queue.path()));
                check_depth(audit, &broker, queue, max_dead);
            } else if queue.setting("x-dead-letter-exchange").is_none() {
                report_missing_dlx(audit, &broker, queue);
            }
            if queue.queue_type == "quorum" {
                check_delivery_limit(audit, &broker, queue);
            }
        }
    }
    found
}

/// `(vhost, name)` of every queue that is a dead-letter queue on this broker.
fn dead_letter_queues(broker: &RabbitmqBroker, patterns: &[String]) -> BTreeSet<(String, String)> {
    let mut dlqs: BTreeSet<(String, String)> = broker
        .queues
        .iter()
        .filter(|q| is_dead_letter_name(&q.name, patterns))
        .map(|q| (q.vhost.clone(), q.name.clone()))
        .collect();
    for queue in &broker.queues {
        let Some(dlx) = queue.setting("x-dead-letter-exchange") else {
            continue;
        };
        if dlx.is_empty() {
            // The default exchange routes by queue name: the routing key names the DLQ.
            if let Some(key) = queue.setting("x-dead-letter-routing-key").filter(|k| *k != queue.name) {
                dlqs.insert((queue.vhost.clone(), key.to_string()));
            }
            continue;
        }
        if returns_to_sender(broker, queue, dlx) {
            continue;
        }
        for target in routes(broker, &queue.vhost, dlx) {
            // A queue that dead-letters onward itself is a retry/wait queue, not a DLQ.
            if target.name != queue.name && target.setting("x-dead-letter-exchange").is_none() {
                dlqs.insert((target.vhost.clone(), target.name.clone()));
            }
        }
    }
    dlqs
}

/// Queues that exchange `exchange` routes to, following exchange-to-exchange bindings.
fn routes<'a>(broker: &'a RabbitmqBroker, vhost: &str, exchange: &str) -> Vec<&'a RabbitmqQueue> {
    let mut exchanges: BTreeSet<&str> = BTreeSet::from([exchange]);
    loop {
        let before = exchanges.len();
        for binding in &broker.bindings {
            if binding.vhost == vhost
                && binding.destination_kind == "exchange"
                && exchanges.contains(binding.source.as_str())
            {
                exchanges.insert(binding.destination.as_str());
            }
        }
        if exchanges.len() == before {
            break;
        }
    }
    let names: BTreeSet<&str> = broker
        .bindings
        .iter()
        .filter(|b| b.vhost == vhost && b.destination_kind == "queue" && exchanges.contains(b.source.as_str()))
        .map(|b| b.destination.as_str())
        .collect();
    broker.queues.iter().filter(|q| q.vhost == vhost && names.contains(q.name.as_str())).collect()
}

/// True when `queue` dead-letters back to a queue that dead-letters into `queue`: the wait queue
/// of a TTL retry loop, whose "dead-letter" exchange is really the work exchange.
fn returns_to_sender(broker: &RabbitmqBroker, queue: &RabbitmqQueue, dlx: &str) -> bool {
    routes(broker, &queue.vhost, dlx).into_iter().any(|sender| {
        sender.name != queue.name
            && sender
                .setting("x-dead-letter-exchange")
                .filter(|x| !x.is_empty())
                .is_some_and(|x| routes(broker, &sender.vhost, x).iter().any(|q| q.name == queue.name))
    })
}

fn report_missing_dlx(audit: &mut Audit<'_>, broker: &RabbitmqBroker, queue: &RabbitmqQueue) {
    let path = queue.path();
    audit.finding(
        RABBITMQ_NO_DLX,
        Subject::new(&broker.source, "queue", &path),
        format!(
            "Queue `{path}` has no dead-letter exchange (no `x-dead-letter-exchange` argument, no \
             `dead-letter-exchange` in {}): a message rejected without requeue, expired or \
             overflowing is deleted, leaving only a log line.",
            match &queue.policy {
                Some(policy) => format!("its policy `{policy}`"),
                None => "any policy".to_string(),
            }
        ),
        [
            ("vhost", queue.vhost.clone()),
            ("queue", queue.name.clone()),
            ("queue_type", queue.queue_type.clone()),
            ("policy", queue.policy.clone().unwrap_or_else(|| "none".into())),
            ("consumers", queue.consumers.to_string()),
            ("depth", queue.depth().to_string()),
        ],
    );
}

fn check_depth(audit: &mut Audit<'_>, broker: &RabbitmqBroker, queue: &RabbitmqQueue, max_dead: i64) {
    let depth = queue.depth();
    if i128::from(depth) <= i128::from(max_dead) {
        return;
    }
    let path = queue.path();
    let mut evidence = vec![
        ("messages_ready", queue.messages_ready.to_string()),
        ("messages_unacknowledged", queue.messages_unacknowledged.to_string()),
        ("depth", depth.to_string()),
        ("max_dead_letters", max_dead.to_string()),
    ];
    let mut trend = String::new();
    if let Some(first) = queue.depth_history.first().filter(|_| queue.depth_history.len() > 1) {
        evidence.push(("depth_at_window_start", format_count(first.value)));
        if first.value < depth as f64 {
            trend = format!(", up from {} at the start of the window", format_count(first.value));
        }
    }
    audit.finding(
        MESSAGES_IN_DLQ,
        Subject::new(&broker.source, "queue", &path),
        format!(
            "Dead-letter queue `{path}` holds {depth} message(s) ({} ready, {} unacked; threshold \
             {max_dead}){trend}: failed messages are waiting for a fix and a replay.",
            queue.messages_ready, queue.messages_unacknowledged
        ),
        evidence,
    );
}

fn check_delivery_limit(audit: &mut Audit<'_>, broker: &RabbitmqBroker, queue: &RabbitmqQueue) {
    let limit = queue.setting("x-delivery-limit");
    let parsed = limit.and_then(|v| v.trim().parse::<i64>().ok());
    let major = broker.version.as_deref().and_then(major_version);
    let (problem, version_text) = match (limit, parsed) {
        // An explicit negative limit means unlimited (RabbitMQ 4.x: -1).
        (Some(_), Some(n)) if n < 0 => (format!("sets delivery limit {n} (unlimited)"), version_label(broker)),
        (Some(_), _) => return,
        (None, _) => match major {
            Some(m) if m >= DEFAULT_DELIVERY_LIMIT_SINCE => return,
            Some(_) => (
                "has no delivery limit (no `x-delivery-limit` argument, no `delivery-limit` policy)".to_string(),
                format!("RabbitMQ {}, which sets no default before 4.0", broker.version.as_deref().unwrap_or_default()),
            ),
            None => (
                "has no delivery limit (no `x-delivery-limit` argument, no `delivery-limit` policy)".to_string(),
                "a broker of unknown version, assumed older than 4.0 (which sets no default)".to_string(),
            ),
        },
    };
    let path = queue.path();
    let dlx = queue.setting("x-dead-letter-exchange");
    let consequence = match dlx {
        Some(x) => format!("never reaches its dead-letter exchange `{x}`"),
        None => "is never dead-lettered".to_string(),
    };
    audit.finding(
        UNBOUNDED_REDELIVERY,
        Subject::new(&broker.source, "queue", &path),
        format!(
            "Quorum queue `{path}` {problem} on {version_text}: a message that keeps failing is \
             redelivered forever and {consequence}."
        ),
        [
            ("vhost", queue.vhost.clone()),
            ("queue", queue.name.clone()),
            ("queue_type", queue.queue_type.clone()),
            ("delivery_limit", limit.unwrap_or("unset").to_string()),
            ("broker_version", broker.version.clone().unwrap_or_else(|| "unknown".into())),
            ("redeliver_rate", queue.redeliver_rate.map_or_else(|| "unknown".into(), |r| format!("{r}/s"))),
        ],
    );
}

fn version_label(broker: &RabbitmqBroker) -> String {
    match &broker.version {
        Some(v) => format!("RabbitMQ {v}"),
        None => "a broker of unknown version".to_string(),
    }
}

/// Leading major number of a version string such as `3.13.7` or `4.1.0-rc.1`.
pub(crate) fn major_version(version: &str) -> Option<u32> {
    let digits: String =
        version.trim().trim_start_matches(['v', 'V']).chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn format_count(value: f64) -> String {
    if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value}") }
}
