//! The collection run: every configured source read concurrently, each under the `[collect]`
//! timeout, inside its own `tracing` span and progress line, then assembled into one redacted
//! [`Snapshot`] with each source's status and timing (see the parent module for the rules).

use std::time::{Duration, Instant};

use futures::future::join_all;
use tracing::Instrument;

use super::{
    CollectError, CollectSettings, Collected, Progress, Sources, config_files, kafka, postgres, prometheus, rabbitmq,
    sqs,
};
use crate::contract::estate::{Integration, SnapshotInfo, SourceStatus};
use crate::contract::types::Section;
use crate::snapshot::{CollectionRecord, FORMAT, Snapshot, SourceTiming, redact};

/// Makes ring rustls' process-wide crypto provider unless one is set already. Needed before any
/// TLS client that relies on the process default (lapin's); harmless to call repeatedly.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
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
