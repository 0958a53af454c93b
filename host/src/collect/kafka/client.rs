//! librdkafka clients: the context that routes their logs to `tracing`, the probe consumer
//! (metadata, watermarks, group listing; no `group.id`) and the mapping of a failed connection to
//! [`CollectError`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::Settings;
use crate::collect::CollectError;
use crate::collect::secrets::scrub;

/// How many librdkafka failure lines a client keeps to explain a failed connection.
const KEPT_FAILURES: usize = 16;

/// Receives a client's librdkafka logs and errors: sends them to `tracing` (scrubbed; failures at
/// debug level, the rest at trace — the collector reports failures itself) and keeps the last
/// failures to explain a connection that did not work.
pub(super) struct Ctx {
    secrets: Arc<[String]>,
    failures: Mutex<Vec<String>>,
}

impl Ctx {
    pub(super) fn new(settings: &Settings) -> Ctx {
        Ctx { secrets: settings.secrets.clone(), failures: Mutex::new(Vec::new()) }
    }

    fn record(&self, line: String) {
        if let Ok(mut failures) = self.failures.lock() {
            if failures.len() == KEPT_FAILURES {
                failures.remove(0);
            }
            failures.push(line);
        }
    }

    fn failures(&self) -> Vec<String> {
        self.failures.lock().map(|f| f.clone()).unwrap_or_default()
    }
}

impl ClientContext for Ctx {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        // `[thrd:127.0.0.1:9092/bootstrap]: 127.0.0.1:9092/bootstrap: Connect to …`: the thread
        // name repeats the broker.
        let message = match message.strip_prefix("[thrd:").and_then(|rest| rest.split_once("]: ")) {
            Some((_, rest)) => rest,
            None => message,
        };
        let message = scrub(message, &self.secrets);
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error
            | RDKafkaLogLevel::Warning => {
                tracing::debug!(target: "librdkafka", facility, "{message}");
                self.record(message);
            }
            _ => tracing::trace!(target: "librdkafka", facility, "{message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        let line = scrub(&format!("{error}: {reason}"), &self.secrets);
        tracing::debug!(target: "librdkafka", "{line}");
        self.record(line);
    }
}

impl ConsumerContext for Ctx {}

/// `(topic, partition)` → `(low, high)` watermark.
pub(super) type Watermarks = HashMap<(String, i32), (i64, i64)>;

/// A broker as the metadata lists it.
pub(super) struct BrokerLayout {
    pub id: i32,
    pub host: String,
    pub port: u16,
}

/// A partition as the metadata lists it: replica and in-sync replica counts.
pub(super) struct PartitionLayout {
    pub id: i32,
    pub replicas: usize,
    pub isr: usize,
}

pub(super) struct TopicLayout {
    pub name: String,
    pub partitions: Vec<PartitionLayout>,
}

/// What the metadata says about the cluster.
pub(super) struct Layout {
    pub cluster_id: Option<String>,
    pub brokers: Vec<BrokerLayout>,
    pub topics: Vec<TopicLayout>,
    /// Topics the metadata reported an error for (left out).
    pub problems: Vec<String>,
}

impl Layout {
    /// The layout without the topics `skip` says to leave out.
    pub(super) fn without_topics(mut self, skip: impl Fn(&str) -> bool) -> Layout {
        self.topics.retain(|t| !skip(&t.name));
        self
    }

    /// Every partition of every topic, as a list librdkafka takes.
    pub(super) fn partition_list(&self) -> TopicPartitionList {
        let mut tpl = TopicPartitionList::with_capacity(self.topics.iter().map(|t| t.partitions.len()).sum());
        for topic in &self.topics {
            for partition in &topic.partitions {
                tpl.add_partition(&topic.name, partition.id);
            }
        }
        tpl
    }
}

/// A consumer without `group.id`: it reads metadata, watermarks and the group list. It is never
/// subscribed or assigned anything.
pub(super) struct Probe {
    pub(super) consumer: BaseConsumer<Ctx>,
}

impl Probe {
    /// Creates the probe and reads the metadata; failing here fails the source.
    pub(super) fn connect(settings: &Settings) -> Result<(Probe, Layout), CollectError> {
        let consumer: BaseConsumer<Ctx> =
            settings.consumer_config(None).create_with_context(Ctx::new(settings)).map_err(|err| {
                CollectError::Settings(
                    settings.scrub(&format!("sources.kafka: librdkafka refused the settings: {err}")),
                )
            })?;
        let probe = Probe { consumer };
        let started = Instant::now();
        let metadata = match probe.consumer.fetch_metadata(None, settings.timeout) {
            Ok(metadata) => metadata,
            Err(err) => return Err(probe.connect_error(settings, &err, started.elapsed())),
        };
        let mut layout = Layout { cluster_id: None, brokers: Vec::new(), topics: Vec::new(), problems: Vec::new() };
        for broker in metadata.brokers() {
            layout.brokers.push(BrokerLayout {
                id: broker.id(),
                host: broker.host().to_string(),
                port: u16::try_from(broker.port()).unwrap_or(0),
            });
        }
        layout.brokers.sort_by_key(|b| b.id);
        for topic in metadata.topics() {
            if let Some(error) = topic.error() {
                let code = RDKafkaErrorCode::from(error);
                layout.problems.push(format!("metadata of topic `{}`: {code}", topic.name()));
                continue;
            }
            let mut partitions: Vec<PartitionLayout> = topic
                .partitions()
                .iter()
                .map(|p| PartitionLayout { id: p.id(), replicas: p.replicas().len(), isr: p.isr().len() })
                .collect();
            partitions.sort_by_key(|p| p.id);
            layout.topics.push(TopicLayout { name: topic.name().to_string(), partitions });
        }
        layout.topics.sort_by(|a, b| a.name.cmp(&b.name));
        // The cluster id is in the metadata answer librdkafka caches: no new request when known.
        layout.cluster_id = probe.consumer.client().fetch_cluster_id(Duration::from_millis(100));
        Ok((probe, layout))
    }

    /// The source-level error for a failed metadata request: `Auth` when librdkafka saw an
    /// authentication failure, else `Connect` with its last connection error.
    fn connect_error(&self, settings: &Settings, err: &KafkaError, waited: Duration) -> CollectError {
        let codes = self.drain();
        let failures = self.consumer.context().failures();
        let target = settings.target.clone();
        let code = err.rdkafka_error_code();
        // Not `sasl` in any case: broker names read `sasl_ssl://host:port/id`.
        let auth = |line: &String| line.contains("SASL ") || line.to_ascii_lowercase().contains("authentication");
        if codes
            .iter()
            .chain(code.iter())
            .any(|c| matches!(c, RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SaslAuthenticationFailed))
            || failures.iter().any(auth)
        {
            let reason = failures.iter().rev().find(|l| auth(l)).cloned().unwrap_or_else(|| err.to_string());
            return CollectError::Auth { target, reason: settings.scrub(&reason) };
        }
        // librdkafka waits out the whole timeout while it retries, whatever the cause.
        let timed_out = waited + Duration::from_millis(100) >= settings.timeout
            || matches!(code, Some(RDKafkaErrorCode::OperationTimedOut | RDKafkaErrorCode::RequestTimedOut));
        let within = format!("no metadata answer within {} s", settings.timeout.as_secs());
        let unanswered = failures.last().is_some_and(|l| l.contains("ApiVersionRequest failed: Local: Timed out"));
        let reason = match (failures.last(), timed_out) {
            (Some(_), true) if unanswered => format!("{within}: the broker accepted the connection but did not answer"),
            (Some(last), true) => format!("{last} ({within})"),
            (Some(last), false) => last.clone(),
            (None, true) => format!("{within}: connections were accepted (or are pending) but not answered"),
            (None, false) => code.map_or_else(|| err.to_string(), |c| c.to_string()),
        };
        CollectError::Connect { target, reason: settings.scrub(&reason) }
    }

    /// Serves the probe's event queue so that librdkafka's queued logs and errors reach the
    /// context; returns the error codes seen. The probe has no group and no assignment: nothing
    /// can be fetched.
    pub(super) fn drain(&self) -> Vec<RDKafkaErrorCode> {
        let mut codes = Vec::new();
        for _ in 0..10_000 {
            match self.consumer.poll(Duration::ZERO) {
                Some(Err(e)) => codes.extend(e.rdkafka_error_code()),
                Some(Ok(_)) | None => break,
            }
        }
        codes
    }

    /// Low and high watermark of every partition of `layout`: two batched `ListOffsets` requests
    /// per leader (earliest, latest). Partitions the broker gave an error for are left out, with
    /// a problem saying how many.
    pub(super) fn watermarks(&self, layout: &Layout, timeout: Duration) -> (Watermarks, Option<String>) {
        match self.try_watermarks(layout, timeout) {
            Ok(found) => {
                let wanted: usize = layout.topics.iter().map(|t| t.partitions.len()).sum();
                let problem = (found.len() < wanted).then(|| {
                    format!(
                        "{} of {wanted} partitions unanswered; messages and lag leave them out",
                        wanted - found.len()
                    )
                });
                (found, problem)
            }
            Err(e) => (Watermarks::new(), Some(e)),
        }
    }

    fn try_watermarks(&self, layout: &Layout, timeout: Duration) -> Result<Watermarks, String> {
        let mut found = Watermarks::new();
        if layout.topics.is_empty() {
            return Ok(found);
        }
        let query = |offset: Offset| -> Result<HashMap<(String, i32), i64>, String> {
            let mut tpl = layout.partition_list();
            tpl.set_all_offsets(offset).map_err(|e| e.to_string())?;
            let answered = self.consumer.offsets_for_times(tpl, timeout).map_err(|e| e.to_string())?;
            Ok(answered
                .elements()
                .iter()
                .filter(|e| e.error().is_ok())
                .filter_map(|e| {
                    e.offset().to_raw().filter(|o| *o >= 0).map(|o| ((e.topic().to_string(), e.partition()), o))
                })
                .collect())
        };
        let low = query(Offset::Beginning)?;
        let high = query(Offset::End)?;
        for (key, high) in high {
            let low = low.get(&key).copied().unwrap_or(high).min(high);
            found.insert(key, (low, high));
        }
        Ok(found)
    }
}
