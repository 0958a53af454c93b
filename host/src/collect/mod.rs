//! Live collection: reads every configured source — concurrently, read-only, each under its own
//! timeout — and assembles a [`Snapshot`]. A source that fails is recorded in
//! `info.sources` with its reason (so checks that need it say `inconclusive`); the others go on.
//!
//! One module per source kind, each exposing a `…Source` settings struct (a `[[sources.<kind>]]`
//! table of `plumbline.toml`) and `async fn collect(&source) -> Result<Collected<Record>, CollectError>`.
//! Collectors only read: no consuming, acking, committing, declaring or changing anything.

pub mod config_files;
pub mod kafka;
pub mod postgres;
mod progress;
pub mod prometheus;
pub mod rabbitmq;
mod secrets;
pub mod sqs;

pub use progress::Progress;

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde::Deserialize;
use tracing::Instrument;

use crate::contract::estate::{Integration, SnapshotInfo, SourceStatus};
use crate::contract::types::Section;
use crate::snapshot::{CollectionRecord, FORMAT, Snapshot, SourceTiming, redact};

/// What a collector read, plus what it could not read (which makes its section unavailable).
#[derive(Debug, Clone)]
pub struct Collected<T> {
    pub data: T,
    /// Endpoints or queries that failed while the rest was read (e.g. "GET /api/permissions: 403").
    pub problems: Vec<String>,
}

impl<T> Collected<T> {
    pub fn complete(data: T) -> Self {
        Collected { data, problems: Vec::new() }
    }
}

/// Why a source could not be read at all. Messages never contain credentials.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("authentication refused by {target}: {reason}")]
    Auth { target: String, reason: String },
    #[error("{0}")]
    Read(String),
    #[error("invalid source settings: {0}")]
    Settings(String),
    #[error("timed out after {0} s")]
    Timeout(u64),
}

/// The `[[sources.*]]` tables of `plumbline.toml`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Sources {
    #[serde(default)]
    pub kafka: Vec<kafka::KafkaSource>,
    #[serde(default)]
    pub sqs: Vec<sqs::SqsSource>,
    #[serde(default)]
    pub prometheus: Vec<prometheus::PrometheusSource>,
    #[serde(default)]
    pub rabbitmq: Vec<rabbitmq::RabbitmqSource>,
    #[serde(default)]
    pub postgres: Vec<postgres::PostgresSource>,
    #[serde(default)]
    pub config_files: Vec<config_files::ConfigFilesSource>,
}

impl Sources {
    pub fn is_empty(&self) -> bool {
        self.kafka.is_empty()
            && self.rabbitmq.is_empty()
            && self.sqs.is_empty()
            && self.postgres.is_empty()
            && self.prometheus.is_empty()
            && self.config_files.is_empty()
    }

    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        names.extend(self.kafka.iter().map(|s| s.name.as_str()));
        names.extend(self.sqs.iter().map(|s| s.name.as_str()));
        names.extend(self.prometheus.iter().map(|s| s.name.as_str()));
        names.extend(self.rabbitmq.iter().map(|s| s.name.as_str()));
        names.extend(self.postgres.iter().map(|s| s.name.as_str()));
        names.extend(self.config_files.iter().map(|s| s.name.as_str()));
        names
    }

    /// Source names must be unique: findings name their source.
    pub fn validate(&self) -> Result<(), String> {
        let names = self.names();
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                return Err("a source has an empty `name`".into());
            }
            if names[..i].contains(name) {
                return Err(format!("two sources are named `{name}`; names must be unique"));
            }
        }
        Ok(())
    }
}

/// Collection settings (`[collect]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CollectSettings {
    /// Per-source time limit.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// Observation window for time series and histories.
    #[serde(default = "default_window")]
    pub window_hours: u32,
}

fn default_timeout() -> u64 {
    30
}
fn default_window() -> u32 {
    24
}

impl Default for CollectSettings {
    fn default() -> Self {
        CollectSettings { timeout_seconds: default_timeout(), window_hours: default_window() }
    }
}

/// Expands `${VAR}` references in a setting from the environment. A missing variable is an
/// error naming the setting, never an empty password.
pub fn expand_env(value: &str, setting: &str) -> Result<String, CollectError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end =
            after.find('}').ok_or_else(|| CollectError::Settings(format!("{setting}: unterminated `${{` in value")))?;
        let var = &after[..end];
        let resolved = std::env::var(var)
            .map_err(|_| CollectError::Settings(format!("{setting}: environment variable `{var}` is not set")))?;
        out.push_str(&resolved);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Makes ring rustls' process-wide crypto provider unless one is set already. Needed before any
/// TLS client that relies on the process default (lapin's); harmless to call repeatedly.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Text safe to show for a URL: credentials removed (`user:pass@` and password parameters).
pub fn display_url(url: &str) -> String {
    crate::snapshot::strip_url_secrets(url).unwrap_or_else(|| url.to_string())
}

/// One source's result with its name and wall time.
type SourceResult<T> = (SourceTiming, Result<Collected<T>, CollectError>);

/// Reads one source under the timeout, inside its `tracing` span, with its progress line.
async fn run_source<T>(
    progress: &Progress,
    kind: Section,
    name: &str,
    timeout: Duration,
    future: impl std::future::Future<Output = Result<Collected<T>, CollectError>>,
) -> SourceResult<T> {
    let kind_name = kind.name();
    let line = progress.source(kind_name, name);
    let started = Instant::now();
    let result = async {
        match tokio::time::timeout(timeout, future).await {
            Ok(result) => result,
            Err(_) => Err(CollectError::Timeout(timeout.as_secs())),
        }
    }
    .instrument(tracing::info_span!("source", kind = kind_name, name = %name))
    .await;
    let elapsed = started.elapsed();
    let outcome = match &result {
        Ok(collected) if collected.problems.is_empty() => "ok".to_string(),
        Ok(collected) => format!("partial: {}", collected.problems.join("; ")),
        Err(err) => format!("unavailable: {err}"),
    };
    let elapsed_ms = elapsed.as_millis() as u64;
    if result.as_ref().is_ok_and(|c| c.problems.is_empty()) {
        tracing::info!(kind = kind_name, source = %name, elapsed_ms, "{outcome}");
    } else {
        tracing::warn!(kind = kind_name, source = %name, elapsed_ms, "{outcome}");
    }
    line.finish(&outcome, elapsed);
    let timing = SourceTiming {
        name: name.to_string(),
        kind: kind_name.to_string(),
        elapsed_ms,
        outcome: outcome.split(':').next().unwrap_or_default().to_string(),
    };
    (timing, result)
}

/// Collects every source concurrently and assembles the snapshot (redacted).
pub async fn collect_all(
    sources: &Sources,
    registry: Option<Vec<Integration>>,
    settings: &CollectSettings,
    progress: &Progress,
) -> Snapshot {
    install_crypto_provider();
    let timeout = Duration::from_secs(settings.timeout_seconds);
    let window = Duration::from_secs(u64::from(settings.window_hours) * 3600);
    let started_at = now_unix();
    let started = Instant::now();

    let kafka = join_all(
        sources.kafka.iter().map(|s| run_source(progress, Section::Kafka, &s.name, timeout, kafka::collect(s))),
    );
    let rabbit = join_all(
        sources
            .rabbitmq
            .iter()
            .map(|s| run_source(progress, Section::Rabbitmq, &s.name, timeout, rabbitmq::collect(s))),
    );
    let sqs =
        join_all(sources.sqs.iter().map(|s| run_source(progress, Section::Sqs, &s.name, timeout, sqs::collect(s))));
    let pg = join_all(
        sources
            .postgres
            .iter()
            .map(|s| run_source(progress, Section::Postgres, &s.name, timeout, postgres::collect(s))),
    );
    let prom = join_all(
        sources
            .prometheus
            .iter()
            .map(|s| run_source(progress, Section::Prometheus, &s.name, timeout, prometheus::collect(s, window))),
    );
    let files = join_all(
        sources
            .config_files
            .iter()
            .map(|s| run_source(progress, Section::ConfigFiles, &s.name, timeout, config_files::collect(s))),
    );
    let (kafka, rabbit, sqs, pg, prom, files) = tokio::join!(kafka, rabbit, sqs, pg, prom, files);

    let mut statuses = Vec::new();
    let mut timings = Vec::new();
    let kafka = gather(Section::Kafka, kafka, &mut statuses, &mut timings, |c| vec![c]);
    let rabbitmq = gather(Section::Rabbitmq, rabbit, &mut statuses, &mut timings, |c| vec![c]);
    let sqs = gather(Section::Sqs, sqs, &mut statuses, &mut timings, |c| vec![c]);
    let postgres = gather(Section::Postgres, pg, &mut statuses, &mut timings, |c| vec![c]);
    let prometheus = gather(Section::Prometheus, prom, &mut statuses, &mut timings, |c| vec![c]);
    let config_files = gather(Section::ConfigFiles, files, &mut statuses, &mut timings, |c| c);
    if registry.is_some() {
        statuses.push(SourceStatus { name: "registry".into(), kind: Section::Registry, ok: true, reason: None });
    }
    let elapsed_ms = started.elapsed().as_millis() as u64;
    tracing::info!(elapsed_ms, "collection finished");

    let mut snapshot = Snapshot {
        format: FORMAT.to_string(),
        info: SnapshotInfo {
            collected_at: now_unix(),
            window_seconds: settings.window_hours.saturating_mul(3600),
            collector_version: env!("CARGO_PKG_VERSION").to_string(),
            sources: statuses,
        },
        kafka,
        rabbitmq,
        sqs,
        postgres,
        prometheus,
        config_files,
        registry,
        collection: Some(CollectionRecord { started_at, elapsed_ms, sources: timings }),
    };
    redact(&mut snapshot);
    snapshot
}

/// Records each source's status; keeps data only from sources that produced some.
fn gather<T, R>(
    section: Section,
    results: Vec<SourceResult<T>>,
    statuses: &mut Vec<SourceStatus>,
    timings: &mut Vec<SourceTiming>,
    into_records: impl Fn(T) -> Vec<R>,
) -> Option<Vec<R>> {
    if results.is_empty() {
        return None;
    }
    let mut records = Vec::new();
    for (timing, result) in results {
        let name = timing.name.clone();
        timings.push(timing);
        match result {
            Ok(collected) => {
                let ok = collected.problems.is_empty();
                let reason = (!ok).then(|| format!("read in part: {}", collected.problems.join("; ")));
                statuses.push(SourceStatus { name, kind: section, ok, reason });
                records.extend(into_records(collected.data));
            }
            Err(err) => {
                statuses.push(SourceStatus { name, kind: section, ok: false, reason: Some(err.to_string()) });
            }
        }
    }
    Some(records)
}

fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests;
