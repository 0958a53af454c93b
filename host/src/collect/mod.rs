//! Live collection: reads every configured source — concurrently, read-only, each under its own
//! timeout — and assembles a [`Snapshot`]. A source that fails is recorded in
//! `info.sources` with its reason (so checks that need it say `inconclusive`); the others go on.
//!
//! One module per source kind, each exposing a `…Source` settings struct (a `[[sources.<kind>]]`
//! table of `plumbline.toml`) and `async fn collect(&source) -> Result<Collected<Record>, CollectError>`.
//! Collectors only read: no consuming, acking, committing, declaring or changing anything.

pub mod config_files;
pub mod postgres;
pub mod rabbitmq;

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde::Deserialize;
use tracing::Instrument;

use crate::contract::estate::{Integration, SnapshotInfo, SourceStatus};
use crate::contract::types::Section;
use crate::snapshot::{FORMAT, Snapshot, redact, strip_url_credentials};

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
    pub rabbitmq: Vec<rabbitmq::RabbitmqSource>,
    #[serde(default)]
    pub postgres: Vec<postgres::PostgresSource>,
    #[serde(default)]
    pub config_files: Vec<config_files::ConfigFilesSource>,
}

impl Sources {
    pub fn is_empty(&self) -> bool {
        self.rabbitmq.is_empty() && self.postgres.is_empty() && self.config_files.is_empty()
    }

    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
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

/// Text safe to show for a URL: credentials removed.
pub fn display_url(url: &str) -> String {
    strip_url_credentials(url).unwrap_or_else(|| url.to_string())
}

/// Runs `future` under the source timeout.
async fn timed<T>(
    timeout: Duration,
    future: impl std::future::Future<Output = Result<Collected<T>, CollectError>>,
) -> Result<Collected<T>, CollectError> {
    match tokio::time::timeout(timeout, future).await {
        Ok(result) => result,
        Err(_) => Err(CollectError::Timeout(timeout.as_secs())),
    }
}

/// Collects every source concurrently and assembles the snapshot (redacted).
pub async fn collect_all(
    sources: &Sources,
    registry: Option<Vec<Integration>>,
    settings: &CollectSettings,
) -> Snapshot {
    let timeout = Duration::from_secs(settings.timeout_seconds);
    let started = Instant::now();

    let span = |kind: &'static str, name: &str| tracing::info_span!("source", kind, name = %name);
    let rabbit = join_all(sources.rabbitmq.iter().map(|s| {
        async move { (s.name.clone(), timed(timeout, rabbitmq::collect(s)).await) }
            .instrument(span("rabbitmq", &s.name))
    }));
    let pg = join_all(sources.postgres.iter().map(|s| {
        async move { (s.name.clone(), timed(timeout, postgres::collect(s)).await) }
            .instrument(span("postgres", &s.name))
    }));
    let files = join_all(sources.config_files.iter().map(|s| {
        async move { (s.name.clone(), timed(timeout, config_files::collect(s)).await) }
            .instrument(span("config-files", &s.name))
    }));
    let (rabbit, pg, files) = tokio::join!(rabbit, pg, files);

    let mut statuses = Vec::new();
    let rabbitmq = gather(Section::Rabbitmq, rabbit, &mut statuses, |c| vec![c]);
    let postgres = gather(Section::Postgres, pg, &mut statuses, |c| vec![c]);
    let config_files = gather(Section::ConfigFiles, files, &mut statuses, |c| c);
    if registry.is_some() {
        statuses.push(SourceStatus { name: "registry".into(), kind: Section::Registry, ok: true, reason: None });
    }
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "collection finished");

    let mut snapshot = Snapshot {
        format: FORMAT.to_string(),
        info: SnapshotInfo {
            collected_at: now_unix(),
            window_seconds: settings.window_hours.saturating_mul(3600),
            collector_version: env!("CARGO_PKG_VERSION").to_string(),
            sources: statuses,
        },
        kafka: None,
        rabbitmq,
        sqs: None,
        postgres,
        prometheus: None,
        config_files,
        registry,
    };
    redact(&mut snapshot);
    snapshot
}

/// Records each source's status; keeps data only from sources that produced some.
fn gather<T, R>(
    section: Section,
    results: Vec<(String, Result<Collected<T>, CollectError>)>,
    statuses: &mut Vec<SourceStatus>,
    into_records: impl Fn(T) -> Vec<R>,
) -> Option<Vec<R>> {
    if results.is_empty() {
        return None;
    }
    let mut records = Vec::new();
    for (name, result) in results {
        match result {
            Ok(collected) => {
                let ok = collected.problems.is_empty();
                let reason = (!ok).then(|| format!("read in part: {}", collected.problems.join("; ")));
                if let Some(reason) = &reason {
                    tracing::warn!(source = %name, "{reason}");
                }
                statuses.push(SourceStatus { name, kind: section, ok, reason });
                records.extend(into_records(collected.data));
            }
            Err(err) => {
                tracing::warn!(source = %name, "unavailable: {err}");
                statuses.push(SourceStatus { name, kind: section, ok: false, reason: Some(err.to_string()) });
            }
        }
    }
    Some(records)
}

fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
