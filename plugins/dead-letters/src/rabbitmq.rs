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

use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use plumbline_sdk::index::Index;
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
    let mut routes = Routes::new(broker);
    // The queues that dead-letter through each (vhost, exchange), by name.
    let mut senders: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
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
        if routes.returns_to_sender(queue, dlx) {
            continue;
        }
        senders.entry((queue.vhost.as_str(), dlx)).or_default().push(queue.name.as_str());
    }
    // The result is a set, so the order the exchanges are visited in does not matter.
    for ((vhost, dlx), names) in senders {
        for target in routes.of(vhost, dlx).iter() {
            // A queue that dead-letters onward itself is a retry/wait queue, not a DLQ; nor is a
            // queue the DLQ of itself alone.
            if target.setting("x-dead-letter-exchange").is_none() && names.iter().any(|n| *n != target.name) {
                dlqs.insert((target.vhost.clone(), target.name.clone()));
            }
        }
    }
    dlqs
}

/// Where a broker's exchanges route, each (vhost, exchange) worked out once.
struct Routes<'a> {
    /// Exchange-to-exchange bindings: (vhost, source) → destination exchanges.
    to_exchanges: Index<(&'a str, &'a str), &'a str>,
    /// Exchange-to-queue bindings: (vhost, source) → destination queue names.
    to_queues: Index<(&'a str, &'a str), &'a str>,
    /// Queues by (vhost, name).
    queues: Index<(&'a str, &'a str), &'a RabbitmqQueue>,
    /// [`Routes::of`], by (vhost, exchange).
    routed: HashMap<(&'a str, &'a str), Rc<[&'a RabbitmqQueue]>>,
    /// [`Routes::returning`], by (vhost, exchange).
    returning: HashMap<(&'a str, &'a str), Rc<HashSet<&'a str>>>,
}

impl<'a> Routes<'a> {
    fn new(broker: &'a RabbitmqBroker) -> Self {
        let mut to_exchanges = Index::new();
        let mut to_queues = Index::new();
        for binding in &broker.bindings {
            let key = (binding.vhost.as_str(), binding.source.as_str());
            match binding.destination_kind.as_str() {
                "exchange" => to_exchanges.insert(key, binding.destination.as_str()),
                "queue" => to_queues.insert(key, binding.destination.as_str()),
                _ => {}
            }
        }
        let queues = broker.queues.iter().map(|q| ((q.vhost.as_str(), q.name.as_str()), q)).collect();
        Routes { to_exchanges, to_queues, queues, routed: HashMap::new(), returning: HashMap::new() }
    }

    /// Queues that exchange `exchange` routes to, following exchange-to-exchange bindings.
    fn of(&mut self, vhost: &'a str, exchange: &'a str) -> Rc<[&'a RabbitmqQueue]> {
        if let Some(found) = self.routed.get(&(vhost, exchange)) {
            return found.clone();
        }
        let mut exchanges: HashSet<&str> = HashSet::from([exchange]);
        let mut todo = vec![exchange];
        while let Some(source) = todo.pop() {
            for &next in self.to_exchanges.get(&(vhost, source)) {
                if exchanges.insert(next) {
                    todo.push(next);
                }
            }
        }
        let names: BTreeSet<&str> = exchanges.iter().flat_map(|e| self.to_queues.get(&(vhost, *e))).copied().collect();
        let found: Rc<[&RabbitmqQueue]> = names.iter().flat_map(|n| self.queues.get(&(vhost, *n))).copied().collect();
        self.routed.insert((vhost, exchange), found.clone());
        found
    }

    /// Names of the queues that some other queue `exchange` routes to dead-letters back to.
    fn returning(&mut self, vhost: &'a str, exchange: &'a str) -> Rc<HashSet<&'a str>> {
        if let Some(found) = self.returning.get(&(vhost, exchange)) {
            return found.clone();
        }
        // The queues `exchange` routes to that dead-letter onward, by that onward exchange: the
        // first two distinct names are all it takes to know whether one is not the queue itself.
        let mut senders: HashMap<&str, [Option<&str>; 2]> = HashMap::new();
        for sender in self.of(vhost, exchange).iter() {
            let Some(onward) = sender.setting("x-dead-letter-exchange").filter(|x| !x.is_empty()) else {
                continue;
            };
            let names = senders.entry(onward).or_default();
            match names {
                [None, _] => names[0] = Some(&sender.name),
                [Some(first), None] if *first != sender.name => names[1] = Some(&sender.name),
                _ => {}
            }
        }
        // Visiting the onward exchanges in any order builds the same set.
        let mut found = HashSet::new();
        for (onward, names) in senders {
            for back in self.of(vhost, onward).iter() {
                if names.iter().flatten().any(|n| *n != back.name) {
                    found.insert(back.name.as_str());
                }
            }
        }
        let found = Rc::new(found);
        self.returning.insert((vhost, exchange), found.clone());
        found
    }

    /// True when `queue` dead-letters back to a queue that dead-letters into `queue`: the wait
    /// queue of a TTL retry loop, whose "dead-letter" exchange is really the work exchange.
    fn returns_to_sender(&mut self, queue: &'a RabbitmqQueue, dlx: &'a str) -> bool {
        self.returning(&queue.vhost, dlx).contains(queue.name.as_str())
    }
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
