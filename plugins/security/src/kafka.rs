//! Kafka side of `security`: broker listeners without TLS (`kafka-plaintext-listener`), their
//! certificates (`certificate-expiry`, via `certs.rs`), and client configurations that connect in
//! clear (`kafka-client-plaintext`).
//!
//! A config file is a Kafka client when it has `bootstrap.servers` or a Spring
//! `spring.kafka[.<client>].bootstrap-servers`. Its protocol comes from `security.protocol`, or in
//! Spring from `spring.kafka.properties.security.protocol` / `spring.kafka.security.protocol`,
//! overridden per client (`spring.kafka.{consumer,producer,admin,streams}.[properties.]security.protocol`).
//! Unset means the client default, PLAINTEXT.

use plumbline_sdk::prelude::*;

use crate::{KAFKA_CLIENT, KAFKA_LISTENER, certs};

pub fn audit_brokers(audit: &mut Audit<'_>, clusters: &[KafkaCluster], now: i64, min_days: i64) {
    for cluster in clusters {
        for broker in &cluster.brokers {
            let inter_broker = pair(&broker.configs, "inter.broker.listener.name");
            for listener in &broker.listeners {
                audit.evaluated(1);
                let id = format!("broker-{}/{}", broker.id, listener.name);
                let what = format!("Kafka broker {} listener `{}`", broker.id, listener.name);
                certs::check(audit, Subject::new(&cluster.source, "listener", &id), &what, listener, now, min_days);
                let protocol = listener.protocol.to_ascii_uppercase();
                if listener.tls || protocol == "SSL" || protocol == "SASL_SSL" {
                    continue;
                }
                let replication = inter_broker == Some(listener.name.as_str());
                let mut evidence = vec![
                    ("broker", broker.id.to_string()),
                    ("listener", listener.name.clone()),
                    ("protocol", listener.protocol.clone()),
                    ("endpoint", format!("{}:{}", listener.host, listener.port)),
                    ("tls", "false".to_string()),
                ];
                if replication {
                    evidence.push(("inter.broker.listener.name", listener.name.clone()));
                }
                let also = if replication {
                    " It is also the inter-broker listener, so replication traffic is unencrypted too."
                } else {
                    ""
                };
                audit.finding(
                    KAFKA_LISTENER,
                    Subject::new(&cluster.source, "listener", id),
                    format!(
                        "{what} on {}:{} speaks {} without TLS: records{} cross the network in clear text.{also}",
                        listener.host,
                        listener.port,
                        listener.protocol,
                        if protocol == "SASL_PLAINTEXT" { " and SASL credentials" } else { "" }
                    ),
                    evidence,
                );
            }
        }
    }
}

const SPRING_GLOBAL: [&str; 2] = ["spring.kafka.properties.security.protocol", "spring.kafka.security.protocol"];
const SPRING_CLIENTS: [&str; 4] = ["consumer", "producer", "admin", "streams"];

fn is_plaintext(value: &str) -> bool {
    matches!(value.trim().to_ascii_uppercase().as_str(), "PLAINTEXT" | "SASL_PLAINTEXT")
}

/// The protocol settings that decide `file`'s connections: `(scope, entry or None when unset)`.
fn protocols(file: &ConfigFile) -> Option<Vec<(String, Option<&ConfigEntry>)>> {
    let spring =
        file.entries.iter().any(|e| e.key.starts_with("spring.kafka.") && e.key.ends_with("bootstrap-servers"));
    if !spring {
        return file.get("bootstrap.servers").map(|_| vec![("client".to_string(), file.get("security.protocol"))]);
    }
    let global = file.get_any(&SPRING_GLOBAL);
    let mut scopes: Vec<(String, Option<&ConfigEntry>)> = SPRING_CLIENTS
        .iter()
        .filter(|c| file.has_prefix(&format!("spring.kafka.{c}.")))
        .map(|c| {
            let own = file.get_any(&[
                &format!("spring.kafka.{c}.properties.security.protocol"),
                &format!("spring.kafka.{c}.security.protocol"),
            ]);
            (c.to_string(), own.or(global))
        })
        .collect();
    if scopes.is_empty() {
        scopes.push(("client".to_string(), global));
    }
    Some(scopes)
}

pub fn audit_clients(audit: &mut Audit<'_>, files: &[ConfigFile]) {
    for file in files {
        let Some(scopes) = protocols(file) else {
            continue;
        };
        audit.evaluated(1);
        let plain: Vec<&(String, Option<&ConfigEntry>)> =
            scopes.iter().filter(|(_, e)| e.is_none_or(|e| is_plaintext(&e.value))).collect();
        let Some((_, entry)) = plain.first() else {
            continue;
        };
        let spring = file.has_prefix("spring.kafka.");
        let (key, value, line) = match entry {
            Some(e) => (e.key.clone(), e.value.clone(), Some(e.line)),
            None => (
                if spring { SPRING_GLOBAL[1] } else { "security.protocol" }.to_string(),
                "unset (client default: PLAINTEXT)".to_string(),
                None,
            ),
        };
        let servers = file
            .entries
            .iter()
            .find(|e| e.key == "bootstrap.servers" || e.key.ends_with("bootstrap-servers"))
            .map(|e| e.value.clone())
            .unwrap_or_default();
        let mut evidence = vec![("file", file.path.clone()), ("key", key.clone()), ("value", value.clone())];
        if let Some(line) = line {
            evidence.push(("line", line.to_string()));
        }
        evidence.push(("bootstrap_servers", servers));
        let clients: Vec<&str> = plain.iter().map(|(s, _)| s.as_str()).collect();
        if spring {
            evidence.push(("clients", clients.join(", ")));
        }
        let at = line.map(|l| format!(":{l}")).unwrap_or_default();
        audit.finding(
            KAFKA_CLIENT,
            Subject::new(&file.path, "config-key", &key),
            format!(
                "`{}` connects to Kafka without TLS ({}{at}: `{key}` = {value}): events (and any SASL credentials) travel in clear text. Use SSL or SASL_SSL.",
                file.owner(),
                file.path
            ),
            evidence,
        );
    }
}
