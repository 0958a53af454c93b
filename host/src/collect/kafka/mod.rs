//! Kafka collector: owns the `[[sources.kafka]]` settings and reads one cluster into a
//! [`KafkaCluster`] record with rdkafka (librdkafka), read-only.
//!
//! What is read, and how:
//! - **metadata** (one `Metadata` request for all topics, on a *probe* consumer that has no
//!   `group.id`): cluster id, brokers (id, host, port), topics with their partitions, replicas and
//!   in-sync replicas → `partitions`, `replication-factor` (largest replica count of a partition),
//!   `under-replicated-partitions` (ISR smaller than the replica set). Internal topics (names
//!   starting with `__`, e.g. `__consumer_offsets`) and `skip-topics` are left out unless
//!   `include-internal-topics` is set.
//! - **configs** ([`configs`], `DescribeConfigs` through an admin client): per broker every config
//!   with a value (secret ones — sensitive, or named like a password/JAAS/secret — become
//!   `<redacted>`), plus `rack` from `broker.rack`; per topic the configs set explicitly on the
//!   topic (source `DYNAMIC_TOPIC_CONFIG`, or non-default when the broker does not say).
//!   Listeners come from the broker configs `listeners`, `advertised.listeners` and
//!   `listener.security.protocol.map`; when a broker does not give them, one listener per broker
//!   is recorded from its metadata host/port with the security protocol the collector itself
//!   connected with. TLS certificates of listeners are not read.
//! - **watermarks**: two batched `ListOffsets` requests per partition leader (`earliest` and
//!   `latest`, read-uncommitted) → `messages` = Σ (high − low) per topic.
//! - **consumer groups** ([`groups`]): `ListGroups` + `DescribeGroups` (state, members with
//!   client id, host and assignment, decoded from the consumer protocol's `MemberAssignment`),
//!   then per group the committed offsets of every partition of the topics read, with an
//!   `OffsetFetch` from a consumer whose `group.id` is that group. That consumer never
//!   subscribes, is never assigned anything, never polls and never commits (auto-commit and
//!   offset store are forced off), so it does not join the group. `lag` = high watermark −
//!   committed (never below 0); partitions without a committed offset are left out.
//! - **dead-letter topics**: a topic is flagged `dead-letter` when its name ends with one of
//!   `dead-letter-patterns` (case-insensitive; a pattern with `*` is matched as a glob against
//!   the whole name).
//!
//! librdkafka is blocking: every call runs on `tokio::task::spawn_blocking`, each bounded by
//! `request-timeout-seconds`; committed offsets are fetched for at most `parallelism` groups at
//! a time. librdkafka's logs go to `tracing` (target `librdkafka`, scrubbed of secrets), never to
//! stderr. The probe consumer's event queue is served (it has no group and no assignment, so
//! nothing can be fetched) only to read why a connection failed.
//!
//! Errors: the metadata request failing is the source failing — [`CollectError::Auth`] when
//! librdkafka reports a SASL/authentication failure, [`CollectError::Connect`] otherwise
//! (refused, unresolvable, TLS failure, no answer within the request timeout) with librdkafka's
//! last connection error as the reason. DescribeConfigs, group listing, a group's committed
//! offsets or the watermarks failing is a `problems` entry next to what was read. Every message is
//! scrubbed of the SASL password and of secret `properties` values.
//!
//! Not collected yet: a group's `history` (needs sampling across the observation window) and the
//! certificates of TLS listeners.

mod client;
mod configs;
mod groups;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use tracing::Instrument;

use super::{CollectError, Collected, expand_env};
use crate::contract::estate::{KafkaBroker, KafkaCluster, KafkaConsumerGroup, KafkaPartitionOffset, KafkaTopic};
use client::{Layout, Probe, Watermarks};

pub use super::settings::KafkaSource;
use super::settings::is_secret_key;

/// librdkafka properties the collector sets itself, after `properties`: they keep it read-only
/// and bounded. `group.id` is only ever set by [`groups`], per group.
const FORCED_CONSUMER: [(&str, &str); 5] = [
    ("enable.auto.commit", "false"),
    ("enable.auto.offset.store", "false"),
    ("enable.partition.eof", "false"),
    ("allow.auto.create.topics", "false"),
    ("isolation.level", "read_uncommitted"),
];

/// Validated settings shared by every client of one collection.
pub(super) struct Settings {
    /// The bootstrap servers: what messages name.
    target: String,
    protocol: String,
    timeout: Duration,
    parallelism: usize,
    /// Client properties common to the admin client and the consumers.
    common: ClientConfig,
    /// Text that must never appear in a message.
    secrets: Arc<[String]>,
}

impl Settings {
    fn new(source: &KafkaSource) -> Result<Settings, CollectError> {
        let setting = |name: &str| format!("sources.kafka.{name}");
        let servers = expand_env(&source.bootstrap_servers, &setting("bootstrap-servers"))?;
        if servers.trim().is_empty() {
            return Err(CollectError::Settings(format!("{}: empty", setting("bootstrap-servers"))));
        }
        let protocol = source.security_protocol.trim().to_ascii_uppercase();
        if !["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"].contains(&protocol.as_str()) {
            return Err(CollectError::Settings(format!(
                "{}: `{}` is not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL",
                setting("security-protocol"),
                source.security_protocol
            )));
        }
        if !(1..=300).contains(&source.request_timeout_seconds) {
            return Err(CollectError::Settings(format!(
                "{}: {} is outside 1–300",
                setting("request-timeout-seconds"),
                source.request_timeout_seconds
            )));
        }
        if !(1..=16).contains(&source.parallelism) {
            return Err(CollectError::Settings(format!(
                "{}: {} is outside 1–16",
                setting("parallelism"),
                source.parallelism
            )));
        }
        let timeout = Duration::from_secs(source.request_timeout_seconds);
        let timeout_ms = timeout.as_millis().to_string();

        let mut common = ClientConfig::new();
        let mut secrets = Vec::new();
        for (key, value) in &source.properties {
            if ["group.id", "group.instance.id"].contains(&key.as_str()) {
                return Err(CollectError::Settings(format!(
                    "{}: `{key}` cannot be set: the collector never joins a group",
                    setting("properties")
                )));
            }
            let value = expand_env(value, &format!("{} `{key}`", setting("properties")))?;
            if is_secret_key(key) && !value.is_empty() {
                secrets.push(value.clone());
            }
            common.set(key, value);
        }
        common.set("bootstrap.servers", &servers).set("client.id", "plumbline").set("security.protocol", &protocol);
        if protocol.starts_with("SASL") {
            let mechanism = source.sasl_mechanism.as_deref().unwrap_or("PLAIN");
            common.set("sasl.mechanism", mechanism);
        }
        if let Some(username) = &source.sasl_username {
            common.set("sasl.username", expand_env(username, &setting("sasl-username"))?);
        }
        if let Some(password) = &source.sasl_password {
            let password = expand_env(password, &setting("sasl-password"))?;
            if !password.is_empty() {
                secrets.push(password.clone());
            }
            common.set("sasl.password", password);
        }
        if let Some(ca) = &source.ssl_ca_location {
            common.set("ssl.ca.location", expand_env(ca, &setting("ssl-ca-location"))?);
        }
        common
            .set("socket.timeout.ms", &timeout_ms)
            .set("socket.connection.setup.timeout.ms", &timeout_ms)
            .set("api.version.request.timeout.ms", &timeout_ms)
            .set("reconnect.backoff.max.ms", "1000")
            .set("log.connection.close", "false");
        common.set_log_level(if tracing::enabled!(target: "librdkafka", tracing::Level::TRACE) {
            rdkafka::config::RDKafkaLogLevel::Debug
        } else {
            rdkafka::config::RDKafkaLogLevel::Warning
        });
        // Longest first, so that a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Ok(Settings {
            target: servers,
            protocol,
            timeout,
            parallelism: source.parallelism,
            common,
            secrets: secrets.into(),
        })
    }

    /// Properties of a consumer: the common ones plus the forced read-only settings.
    fn consumer_config(&self, group: Option<&str>) -> ClientConfig {
        let mut config = self.common.clone();
        for (key, value) in FORCED_CONSUMER {
            config.set(key, value);
        }
        match group {
            Some(group) => config.set("group.id", group),
            None => config.remove("group.id"),
        };
        config
    }

    fn scrub(&self, text: &str) -> String {
        crate::collect::secrets::scrub(text, &self.secrets)
    }
}

/// Reads one cluster. See the module documentation for what is read and how failures count.
pub async fn collect(source: &KafkaSource) -> Result<Collected<KafkaCluster>, CollectError> {
    let settings = Arc::new(Settings::new(source)?);
    let started = Instant::now();
    tracing::debug!(servers = %settings.target, protocol = %settings.protocol, "reading metadata");
    let (probe, layout) = blocking({
        let settings = settings.clone();
        move || Probe::connect(&settings)
    })
    .instrument(tracing::debug_span!("metadata"))
    .await
    .map_err(|join| CollectError::Read(format!("metadata: {join}")))??;
    let probe = Arc::new(probe);
    let layout = Arc::new(layout.without_topics(|name| !included(source, name)));
    tracing::debug!(
        brokers = layout.brokers.len(),
        topics = layout.topics.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "metadata read"
    );

    let configs = configs::describe(&settings, &layout).instrument(tracing::debug_span!("configs"));
    let watermarks = {
        let (probe, layout, settings) = (probe.clone(), layout.clone(), settings.clone());
        async move {
            blocking(move || probe.watermarks(&layout, settings.timeout))
                .await
                .unwrap_or_else(|join| (Watermarks::new(), Some(join.to_string())))
        }
        .instrument(tracing::debug_span!("watermarks"))
    };
    let groups = groups::read(&settings, probe.clone(), layout.clone()).instrument(tracing::debug_span!("groups"));
    let (configs, watermarks, groups) = tokio::join!(configs, watermarks, groups);
    tokio::task::spawn_blocking(move || {
        probe.drain(); // librdkafka's queued logs, to `tracing`
        drop(probe);
    });

    let mut problems = configs.problems;
    let (watermarks, watermark_problem) = watermarks;
    problems.extend(watermark_problem.map(|e| format!("watermarks (ListOffsets): {e}")));
    problems.extend(groups.problems);
    problems.extend(layout.problems.iter().cloned());
    let cluster = assemble(source, &settings, &layout, configs.brokers, configs.topics, &watermarks, groups.groups);
    let problems: Vec<String> = problems.iter().map(|p| settings.scrub(p)).collect();
    for problem in &problems {
        // The runner reports the source as read in part (at warn level) with every problem.
        tracing::debug!(servers = %settings.target, "{problem}");
    }
    tracing::info!(
        brokers = cluster.brokers.len(),
        topics = cluster.topics.len(),
        consumer_groups = cluster.consumer_groups.len(),
        problems = problems.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "kafka read"
    );
    Ok(Collected { data: cluster, problems })
}

/// Runs blocking librdkafka work off the async threads, inside the current span.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, tokio::task::JoinError> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work)).await
}

/// Whether a topic is read: internal ones only on request, `skip-topics` never.
fn included(source: &KafkaSource, name: &str) -> bool {
    if name.starts_with("__") && !source.include_internal_topics {
        return false;
    }
    !source.skip_topics.iter().any(|pattern| match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == pattern,
    })
}

/// True when `name` ends with one of `patterns` (case-insensitive), or matches a pattern
/// containing `*` as a whole-name glob.
pub(super) fn is_dead_letter(name: &str, patterns: &[String]) -> bool {
    let name = name.to_ascii_lowercase();
    patterns.iter().any(|pattern| {
        let pattern = pattern.to_ascii_lowercase();
        if pattern.contains('*') { glob(pattern.as_bytes(), name.as_bytes()) } else { name.ends_with(&pattern) }
    })
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| glob(rest, &text[skip..])),
        Some((c, rest)) => text.split_first().is_some_and(|(t, more)| t == c && glob(rest, more)),
    }
}

/// Builds the record from what was read.
fn assemble(
    source: &KafkaSource,
    settings: &Settings,
    layout: &Layout,
    mut broker_configs: HashMap<i32, Vec<(String, String)>>,
    mut topic_configs: HashMap<String, Vec<(String, String)>>,
    watermarks: &Watermarks,
    groups: Vec<groups::Group>,
) -> KafkaCluster {
    let brokers = layout
        .brokers
        .iter()
        .map(|b| {
            let configs = broker_configs.remove(&b.id).unwrap_or_default();
            let listeners = configs::listeners(&configs, &b.host, b.port, &settings.protocol);
            let rack =
                configs.iter().find(|(k, _)| k == "broker.rack").map(|(_, v)| v.clone()).filter(|r| !r.is_empty());
            KafkaBroker { id: b.id, host: b.host.clone(), port: b.port, rack, listeners, configs }
        })
        .collect();
    let topics = layout
        .topics
        .iter()
        .map(|t| {
            let messages = t
                .partitions
                .iter()
                .filter_map(|p| watermarks.get(&(t.name.clone(), p.id)))
                .map(|(low, high)| u64::try_from(high - low).unwrap_or(0))
                .sum();
            KafkaTopic {
                name: t.name.clone(),
                partitions: t.partitions.len() as u32,
                replication_factor: t.partitions.iter().map(|p| p.replicas).max().unwrap_or(0) as u32,
                under_replicated_partitions: t.partitions.iter().filter(|p| p.isr < p.replicas).count() as u32,
                configs: topic_configs.remove(&t.name).unwrap_or_default(),
                messages,
                dead_letter: is_dead_letter(&t.name, &source.dead_letter_patterns),
            }
        })
        .collect();
    let consumer_groups = groups
        .into_iter()
        .map(|g| {
            let offsets = g
                .committed
                .into_iter()
                .map(|(topic, partition, committed)| {
                    let high = watermarks.get(&(topic.clone(), partition)).map_or(-1, |w| w.1);
                    let lag = if high < 0 { 0 } else { (high - committed).max(0) };
                    KafkaPartitionOffset { topic, partition: partition as u32, committed, high_watermark: high, lag }
                })
                .collect();
            KafkaConsumerGroup { group_id: g.id, state: g.state, members: g.members, offsets, history: Vec::new() }
        })
        .collect();
    KafkaCluster {
        source: source.name.clone(),
        cluster_id: layout.cluster_id.clone(),
        brokers,
        topics,
        consumer_groups,
    }
}

#[cfg(test)]
mod tests;
