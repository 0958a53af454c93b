//! The estate snapshot: the serde model (the contract's records, see [`crate::contract`]), the
//! versioned file format, loading with errors that name the file and field, and the per-section
//! availability every check read is answered from.
//!
//! File format `plumbline-snapshot/1` (JSON):
//! `{ "format", "info": snapshot-info, "kafka": [...], "rabbitmq": [...], "sqs": [...],
//!   "postgres": [...], "prometheus": [...], "config_files": [...], "registry": [...],
//!   "collection": {...} }` (`collection`: timings of a live collection, never shown to checks).
//! A missing or `null` section was not collected; a source listed in `info.sources` with
//! `ok: false` makes its section unavailable.

mod redact;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contract::estate::{
    ConfigFile, Integration, KafkaCluster, PostgresServer, PrometheusServer, RabbitmqBroker, SnapshotInfo, SqsAccount,
};
use crate::contract::types::Section;

pub use redact::{REDACTED, redact, strip_url_credentials, strip_url_secrets};

/// The only file format this version reads and writes.
pub const FORMAT: &str = "plumbline-snapshot/1";

/// A whole estate snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub format: String,
    pub info: SnapshotInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka: Option<Vec<KafkaCluster>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rabbitmq: Option<Vec<RabbitmqBroker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqs: Option<Vec<SqsAccount>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<Vec<PostgresServer>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<Vec<PrometheusServer>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_files: Option<Vec<ConfigFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<Vec<Integration>>,
    /// How a live collection went; absent in hand-written snapshots. Not passed to checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<CollectionRecord>,
}

/// Timing of a live collection, for people and tools reading the snapshot file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CollectionRecord {
    /// Unix seconds when collection started.
    pub started_at: i64,
    /// Wall time of the whole collection.
    pub elapsed_ms: u64,
    pub sources: Vec<SourceTiming>,
}

/// One source's wall time and outcome.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceTiming {
    pub name: String,
    /// The section it feeds (`kafka`, `rabbitmq`, ...).
    pub kind: String,
    pub elapsed_ms: u64,
    /// `ok`, `partial` or `unavailable`.
    pub outcome: String,
}

/// Why a snapshot could not be loaded. Each variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read snapshot {path}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "invalid snapshot {path}: at `{field}` (line {line}, column {column}): {message}\n  \
         hint: the snapshot format is documented in docs/snapshot-format.md"
    )]
    Invalid { path: PathBuf, field: String, line: usize, column: usize, message: String },
    #[error(
        "unsupported snapshot {path}: format is `{found}`, this plumbline reads `{FORMAT}`\n  \
         hint: re-create the snapshot with this version of plumbline"
    )]
    Format { path: PathBuf, found: String },
}

/// How much of a section can be read (see [`Snapshot::availability`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Full,
    Partial(String),
    Unavailable(String),
    NotCollected,
}

/// A loaded snapshot with the digest of the bytes it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Shared with the runtime's check threads without a copy (an estate can be gigabytes).
    pub snapshot: Arc<Snapshot>,
    /// Hex sha256 of the file as read.
    pub sha256: String,
    /// Where it came from (a path, or `bundled:<name>`).
    pub origin: String,
}

/// Reads and validates a snapshot file, then redacts any secret it still carries.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io { path: path.to_owned(), source })?;
    parse(&bytes, path)
}

/// Parses snapshot bytes; `path` is only used in error messages.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Loaded, LoadError> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut snapshot: Snapshot = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        // A file of another format version usually fails on some field first; say what it is.
        if let Some(found) = declared_format(bytes).filter(|f| f != FORMAT) {
            return LoadError::Format { path: path.to_owned(), found };
        }
        let field = err.path().to_string();
        let inner = err.into_inner();
        LoadError::Invalid {
            path: path.to_owned(),
            field: if field == "." { "(top level)".into() } else { field },
            line: inner.line(),
            column: inner.column(),
            message: inner.to_string().split(" at line ").next().unwrap_or_default().to_string(),
        }
    })?;
    if snapshot.format != FORMAT {
        return Err(LoadError::Format { path: path.to_owned(), found: snapshot.format });
    }
    redact(&mut snapshot);
    Ok(Loaded { snapshot: Arc::new(snapshot), sha256, origin: path.display().to_string() })
}

/// The `format` a document declares, if it is a JSON object with one.
fn declared_format(bytes: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Head {
        format: String,
    }
    serde_json::from_slice::<Head>(bytes).ok().map(|h| h.format)
}

impl Snapshot {
    /// A snapshot with no sections (nothing collected).
    pub fn empty() -> Snapshot {
        Snapshot {
            format: FORMAT.to_string(),
            info: SnapshotInfo {
                collected_at: 0,
                window_seconds: 86_400,
                collector_version: env!("CARGO_PKG_VERSION").to_string(),
                sources: Vec::new(),
            },
            kafka: None,
            rabbitmq: None,
            sqs: None,
            postgres: None,
            prometheus: None,
            config_files: None,
            registry: None,
            collection: None,
        }
    }

    /// How readable `section` is: every source of its kind read → `Full`; some failed but the
    /// others left data → `Partial` (served, but no check may pass on it); all failed →
    /// `Unavailable`; no source of its kind and no data → `NotCollected`.
    pub fn availability(&self, section: Section) -> Availability {
        let failures: Vec<String> = self
            .info
            .sources
            .iter()
            .filter(|s| s.kind == section && !s.ok)
            .map(|s| format!("{}: {}", s.name, s.reason.as_deref().unwrap_or("not read")))
            .collect();
        let len = match section {
            Section::Kafka => self.kafka.as_ref().map(Vec::len),
            Section::Rabbitmq => self.rabbitmq.as_ref().map(Vec::len),
            Section::Sqs => self.sqs.as_ref().map(Vec::len),
            Section::Postgres => self.postgres.as_ref().map(Vec::len),
            Section::Prometheus => self.prometheus.as_ref().map(Vec::len),
            Section::ConfigFiles => self.config_files.as_ref().map(Vec::len),
            Section::Registry => self.registry.as_ref().map(Vec::len),
        };
        match (failures.is_empty(), len) {
            (true, Some(_)) => Availability::Full,
            (true, None) => Availability::NotCollected,
            (false, Some(n)) if n > 0 => Availability::Partial(failures.join("; ")),
            (false, _) => Availability::Unavailable(failures.join("; ")),
        }
    }

    /// Number of resources of each section, for the report header.
    pub fn resource_count(&self) -> usize {
        fn n<T>(v: &Option<Vec<T>>, f: impl Fn(&T) -> usize) -> usize {
            v.as_ref().map(|v| v.iter().map(&f).sum()).unwrap_or(0)
        }
        n(&self.kafka, |c| c.topics.len() + c.consumer_groups.len() + c.brokers.len())
            + n(&self.rabbitmq, |b| b.queues.len() + b.consumers.len() + b.users.len())
            + n(&self.sqs, |a| a.queues.len())
            + n(&self.postgres, |p| p.tables.len())
            + n(&self.prometheus, |p| p.rule_groups.len() + p.targets.len() + p.signals.len())
            + n(&self.config_files, |f| f.entries.len())
            + n(&self.registry, |_| 1)
    }
}

#[cfg(test)]
mod tests;
