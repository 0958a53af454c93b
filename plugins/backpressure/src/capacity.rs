//! Capacity thresholds of the maintenance module (module 7): CPU, memory, DB pool, broker disk and
//! network from their signals (per series, last sample; CPU must hold for the last
//! `sustain-samples` samples), broker disk from RabbitMQ node data where no signal series covers a
//! node, and PostgreSQL connections in use against `max_connections`.

use plumbline_sdk::prelude::*;

use crate::{
    BROKER_DISK, BROKER_DISK_SIGNAL, CPU_SATURATION, DB_CONNECTIONS, DB_POOL_EXHAUSTION, MEMORY_PRESSURE,
    NETWORK_SATURATION, num, series_id,
};

/// One capacity rule on a signal.
struct Capacity {
    rule: &'static str,
    signal: &'static str,
    param: &'static str,
    what: &'static str,
    sustained: bool,
}

const CAPACITY: [Capacity; 5] = [
    Capacity {
        rule: CPU_SATURATION,
        signal: "cpu-utilisation",
        param: "max-cpu-utilisation",
        what: "CPU",
        sustained: true,
    },
    Capacity {
        rule: MEMORY_PRESSURE,
        signal: "memory-utilisation",
        param: "max-memory-utilisation",
        what: "memory",
        sustained: false,
    },
    Capacity {
        rule: DB_POOL_EXHAUSTION,
        signal: "db-pool-utilisation",
        param: "max-db-pool-utilisation",
        what: "DB connection pool",
        sustained: false,
    },
    Capacity {
        rule: BROKER_DISK,
        signal: BROKER_DISK_SIGNAL,
        param: "max-broker-disk-utilisation",
        what: "broker disk",
        sustained: false,
    },
    Capacity {
        rule: NETWORK_SATURATION,
        signal: "network-utilisation",
        param: "max-network-utilisation",
        what: "network bandwidth",
        sustained: false,
    },
];

fn percent(ratio: f64) -> String {
    format!("{} %", num(ratio * 100.0))
}

pub fn audit_signals(audit: &mut Audit<'_>, servers: &[PrometheusServer]) {
    let sustain = audit.params().i64("sustain-samples").max(1) as usize;
    for cap in &CAPACITY {
        let limit = audit.params().f64(cap.param);
        for (server, s) in series(servers, cap.signal) {
            audit.evaluated(1);
            let Some(last) = s.last() else { continue };
            let considered = if cap.sustained { sustain.min(s.samples.len()) } else { 1 };
            let tail = &s.samples[s.samples.len() - considered..];
            if !tail.iter().all(|x| x.value > limit) {
                continue;
            }
            let who = s
                .label("service")
                .or_else(|| s.label("instance"))
                .or_else(|| s.label("integration"))
                .map_or_else(|| s.label_text(), str::to_string);
            let mut evidence = vec![
                ("signal", cap.signal.to_string()),
                ("labels", s.label_text()),
                ("value_last", num(last)),
                ("threshold", num(limit)),
            ];
            let held = if cap.sustained {
                let values: Vec<String> = tail.iter().map(|x| num(x.value)).collect();
                evidence.push(("samples_considered", considered.to_string()));
                evidence.push(("values", values.join(", ")));
                format!(" over the last {considered} sample(s)")
            } else {
                String::new()
            };
            audit.finding(
                cap.rule,
                Subject::new(&server.source, "series", series_id(cap.signal, s)),
                format!(
                    "`{who}` runs its {} at {}{held}, above the {} threshold: little headroom is left for the next spike.",
                    cap.what,
                    percent(last),
                    percent(limit)
                ),
                evidence,
            );
        }
    }
}

/// Host part of a `node` name (`rabbit@rmq-1` → `rmq-1`) or an `instance` label
/// (`rmq-1.acme.internal:9100` → `rmq-1.acme.internal`).
fn host_of(text: &str) -> &str {
    let host = text.rsplit_once('@').map_or(text, |(_, h)| h);
    host.split_once(':').map_or(host, |(h, _)| h)
}

/// True when two host names are the same machine (equal, or one is the other's first labels).
fn same_host(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    a == b
        || a.strip_prefix(&b).is_some_and(|r| r.starts_with('.'))
        || b.strip_prefix(&a).is_some_and(|r| r.starts_with('.'))
}

/// Broker disk from RabbitMQ node data, for nodes no `broker-disk-utilisation` series covers.
pub fn audit_broker_nodes(audit: &mut Audit<'_>, brokers: &[RabbitmqBroker], servers: &[PrometheusServer]) {
    let limit = audit.params().f64("max-broker-disk-utilisation");
    let covered: Vec<&str> = series(servers, BROKER_DISK_SIGNAL)
        .filter_map(|(_, s)| s.label("instance").or_else(|| s.label("node")).map(host_of))
        .collect();
    let mut unknown = Vec::new();
    for broker in brokers {
        for node in &broker.nodes {
            let host = host_of(&node.name);
            if covered.iter().any(|c| same_host(c, host)) {
                continue;
            }
            audit.evaluated(1);
            let Some(total) = node.disk_total_bytes.filter(|t| *t > 0) else {
                unknown.push(format!("`{}`", node.name));
                continue;
            };
            let used = total.saturating_sub(node.disk_free_bytes) as f64 / total as f64;
            if used <= limit {
                continue;
            }
            const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
            audit.finding(
                BROKER_DISK,
                Subject::new(&broker.source, "node", &node.name),
                format!(
                    "RabbitMQ node `{}` has used {} of its disk ({} GiB free of {} GiB), above the {} threshold.",
                    node.name,
                    percent(used),
                    num((node.disk_free_bytes as f64 / GIB).round()),
                    num((total as f64 / GIB).round()),
                    percent(limit)
                ),
                [
                    ("disk_total_bytes", total.to_string()),
                    ("disk_free_bytes", node.disk_free_bytes.to_string()),
                    ("disk_free_limit_bytes", node.disk_free_limit_bytes.to_string()),
                    ("utilisation", num(used)),
                    ("threshold", num(limit)),
                    ("source", "rabbitmq node data (no broker-disk-utilisation series for this node)".to_string()),
                ],
            );
        }
    }
    if !unknown.is_empty() {
        audit.note(format!(
            "broker-disk: no `{BROKER_DISK_SIGNAL}` series and no total disk size for RabbitMQ node(s) {}; not judged.",
            unknown.join(", ")
        ));
    }
}

/// PostgreSQL connections in use (sum over databases and users) against `max_connections`.
pub fn audit_postgres(audit: &mut Audit<'_>, servers: &[PostgresServer]) {
    let limit = audit.params().f64("max-db-connections-utilisation");
    for server in servers {
        audit.evaluated(1);
        if server.max_connections == 0 {
            audit.note(format!("db-connections: `{}` reports max_connections 0; not judged.", server.source));
            continue;
        }
        let used: u64 = server.connections.iter().map(|c| u64::from(c.count)).sum();
        let ratio = used as f64 / f64::from(server.max_connections);
        if ratio <= limit {
            continue;
        }
        let mut by_user: Vec<String> =
            server.connections.iter().map(|c| format!("{}@{}={}", c.user, c.database, c.count)).collect();
        by_user.truncate(10);
        audit.finding(
            DB_CONNECTIONS,
            Subject::new(&server.source, "server", &server.source),
            format!(
                "PostgreSQL `{}` has {used} of {} connections in use ({}), above the {} threshold: the next pool to grow will be refused.",
                server.source,
                server.max_connections,
                percent(ratio),
                percent(limit)
            ),
            [
                ("connections_in_use", used.to_string()),
                ("max_connections", server.max_connections.to_string()),
                ("utilisation", num(ratio)),
                ("threshold", num(limit)),
                ("by_user", by_user.join(", ")),
            ],
        );
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn node_and_instance_hosts_match() {
        assert!(same_host(host_of("rmq-prod-1.acme.internal:9100"), host_of("rabbit@rmq-prod-1")));
        assert!(same_host(host_of("rabbit@mq-a.example"), host_of("mq-a.example")));
        assert!(!same_host(host_of("rmq-prod-10.acme.internal"), host_of("rabbit@rmq-prod-1")));
    }
}
