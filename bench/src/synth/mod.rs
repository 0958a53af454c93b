//! The synthetic estate generator: a valid `plumbline-snapshot/1` estate of about N resources
//! built from "integration units" (one service with its queue, consumer, topic and dead-letter
//! topic, consumer group, SQS queue, table, alert rule, series, config file and registry entry),
//! sharded over brokers, clusters, accounts and servers the way a large estate is. A chosen share
//! of the units carries exactly one problem, deterministically from the seed; the problems that
//! `acks` and `dead-letters` must find are returned in a manifest.
//!
//! What counts as a resource: queues, consumers, topics, partitions, consumer groups, SQS queues,
//! tables, Prometheus rules, series, config files and registry integrations (see
//! [`count_resources`]).

mod units;

use plumbline::contract::estate::*;
use plumbline::contract::types::Section;
use plumbline::snapshot::{FORMAT, Snapshot};

pub use units::Problem;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Target number of resources (the result is within one unit of it).
    pub resources: usize,
    /// Share of units that carry one problem, 0.0..=1.0.
    pub problem_rate: f64,
    pub seed: u64,
}

/// A problem the generator put in on purpose: the finding a check must report for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Injected {
    pub rule: &'static str,
    pub source: String,
    pub kind: &'static str,
    pub id: String,
}

/// A generated estate with what was put into it.
pub struct Generated {
    pub snapshot: Snapshot,
    pub units: usize,
    pub problem_units: usize,
    pub injected: Vec<Injected>,
}

/// Resources per unit: two topics of 2..=6 partitions each (4 on average), a group, a queue, a
/// consumer, an SQS queue, a table, a rule, four series, a config file and an integration.
const RESOURCES_PER_UNIT: f64 = 22.0;

/// Generates the estate described by `spec`.
pub fn generate(spec: Spec) -> Generated {
    let units = ((spec.resources as f64 / RESOURCES_PER_UNIT).round() as usize).max(1);
    let mut rng = fastrand::Rng::with_seed(spec.seed);
    let problem_units = ((units as f64) * spec.problem_rate.clamp(0.0, 1.0)).round() as usize;
    // Exactly `problem_units` distinct units, chosen by a seeded shuffle.
    let mut order: Vec<usize> = (0..units).collect();
    rng.shuffle(&mut order);
    let mut problems: Vec<Option<Problem>> = vec![None; units];
    for &unit in &order[..problem_units] {
        let choices = Problem::applicable(unit);
        problems[unit] = Some(choices[rng.usize(..choices.len())]);
    }
    let mut estate = units::Estate::new(units);
    for (unit, problem) in problems.iter().enumerate() {
        estate.add_unit(unit, *problem, &mut rng);
    }
    let (mut snapshot, mut injected) = estate.finish();
    injected.sort();
    snapshot.format = FORMAT.to_string();
    // Collectors redact at the source; do the same so the file loads unchanged (the host's
    // redaction is idempotent) and native runs see exactly what the host serves.
    plumbline::snapshot::redact(&mut snapshot);
    Generated { snapshot, units, problem_units, injected }
}

/// The info block of a generated estate: one source per section, all read.
pub(crate) fn info(collected_at: i64, sources: Vec<(String, Section)>) -> SnapshotInfo {
    SnapshotInfo {
        collected_at,
        window_seconds: 86_400,
        collector_version: "plumbline-bench".into(),
        sources: sources.into_iter().map(|(name, kind)| SourceStatus { name, kind, ok: true, reason: None }).collect(),
    }
}

/// Resources in `snapshot`, as this generator counts them.
pub fn count_resources(snapshot: &Snapshot) -> usize {
    fn sum<T>(v: &Option<Vec<T>>, f: impl Fn(&T) -> usize) -> usize {
        v.as_ref().map_or(0, |v| v.iter().map(f).sum())
    }
    sum(&snapshot.kafka, |c| {
        c.topics.iter().map(|t| 1 + t.partitions as usize).sum::<usize>() + c.consumer_groups.len()
    }) + sum(&snapshot.rabbitmq, |b| b.queues.len() + b.consumers.len())
        + sum(&snapshot.sqs, |a| a.queues.len())
        + sum(&snapshot.postgres, |p| p.tables.len())
        + sum(&snapshot.prometheus, |p| {
            p.rule_groups.iter().map(|g| g.rules.len()).sum::<usize>()
                + p.signals.iter().map(|s| s.series.len()).sum::<usize>()
        })
        + sum(&snapshot.config_files, |_| 1)
        + sum(&snapshot.registry, |_| 1)
}

/// Writes `snapshot` as JSON to `path`, streaming.
pub fn write(snapshot: &Snapshot, path: &std::path::Path) -> anyhow::Result<u64> {
    use std::io::Write;
    let file = std::fs::File::create(path)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    serde_json::to_writer(&mut out, snapshot)?;
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

#[cfg(test)]
mod tests;
