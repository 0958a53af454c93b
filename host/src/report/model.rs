//! The report document, versioned as `plumbline-report/1` (docs/report.schema.json), and the gate.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::suppress::{SuppressionRef, SuppressionReport};
use crate::contract::types::{Finding, Severity, Status};
use crate::outcome::ReadState;
use crate::outcome::{CheckOutcome, PluginMeta};
use crate::runtime::status_name;
use crate::snapshot::Loaded;

pub const SCHEMA: &str = "plumbline-report/1";

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub plumbline_version: &'static str,
    pub contract_version: &'static str,
    pub snapshot: SnapshotRef,
    pub summary: Summary,
    pub checks: Vec<CheckReport>,
    /// Every configured suppression and what it did (report::suppress); omitted when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<SuppressionReport>,
    /// The packs the checks came from (the built-in `plumbline-core`, installed packs); set by
    /// the CLI after `build`, omitted when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub packs: Vec<PackRef>,
}

/// A pack whose checks ran: identity, manifest hash and who signed it.
#[derive(Debug, Clone, Serialize)]
pub struct PackRef {
    pub name: String,
    pub version: String,
    pub vendor: String,
    /// sha256 of the pack's `pack.toml` (for `plumbline-core`, of the manifest generated at build).
    pub manifest_sha256: String,
    /// `built-in`, `signed` (by a trusted key) or `unsigned` (installed with --allow-unsigned).
    pub trust: &'static str,
    pub signer: Option<SignerRef>,
    /// Check ids the pack's manifest lists.
    pub checks: Vec<String>,
}

/// The trusted key a pack was signed with.
#[derive(Debug, Clone, Serialize)]
pub struct SignerRef {
    pub key_id: String,
    /// The name the key is trusted under.
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct SnapshotRef {
    pub origin: String,
    pub sha256: String,
    pub collected_at: i64,
    pub sources: Vec<SourceRef>,
}

#[derive(Debug, Serialize)]
pub struct SourceRef {
    pub name: String,
    pub kind: &'static str,
    pub ok: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub checks: usize,
    pub findings: usize,
    pub by_severity: SeverityCounts,
    pub by_status: StatusCounts,
    pub gate: Gate,
    /// Findings left out of the counts above by a suppression; omitted when none is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<usize>,
}

#[derive(Debug, Default, Serialize)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

#[derive(Debug, Default, Serialize)]
pub struct StatusCounts {
    pub pass: usize,
    pub fail: usize,
    pub inconclusive: usize,
    pub error: usize,
    pub skip: usize,
}

/// The pass/fail decision of a run and the exit code it maps to.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    /// Lowest severity that fails the run (`none` = findings never fail it).
    pub fail_on: String,
    /// Whether an inconclusive check fails the run (default: yes — missing data is never green).
    pub fail_on_inconclusive: bool,
    pub passed: bool,
    /// 0 passed; 1 findings at/above `fail_on` or inconclusive checks; 3 a check errored.
    pub exit_code: i32,
    /// One sentence: why the run passed or failed.
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub id: String,
    pub title: Option<String>,
    pub question: Option<String>,
    pub version: Option<String>,
    pub status: &'static str,
    pub evaluated: u32,
    pub duration_ms: f64,
    pub plugin: PluginMeta,
    pub sections_read: Vec<SectionRead>,
    pub error: Option<String>,
    pub notes: Vec<String>,
    pub findings: Vec<FindingReport>,
}

/// The reads of one section that went one way, and how many read calls that was.
#[derive(Debug, Serialize)]
pub struct SectionRead {
    pub section: &'static str,
    #[serde(flatten)]
    pub state: ReadState,
    pub reads: u64,
}

#[derive(Debug, Serialize)]
pub struct FindingReport {
    pub rule: String,
    pub severity: &'static str,
    pub subject: SubjectReport,
    pub message: String,
    pub evidence: Vec<Evidence>,
    /// Stable across runs: sha256 of rule, source, kind and id (first 16 hex digits).
    pub fingerprint: String,
    /// From the rule's metadata, so a reader needs nothing else to act.
    pub remediation: Option<String>,
    /// The check's severity when a severity override changed it; omitted otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_severity: Option<&'static str>,
    /// Set when a suppression applies: the finding is not counted by the summary or the gate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<SuppressionRef>,
}

#[derive(Debug, Serialize)]
pub struct SubjectReport {
    pub source: String,
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Serialize)]
pub struct Evidence {
    pub key: String,
    pub value: String,
}

impl Report {
    /// Builds the report; `fail_on` is the gate's severity threshold (`None` = never on findings).
    pub fn build(
        snapshot: &Loaded,
        outcomes: Vec<CheckOutcome>,
        fail_on: Option<Severity>,
        fail_on_inconclusive: bool,
    ) -> Report {
        let mut by_severity = SeverityCounts::default();
        let mut by_status = StatusCounts::default();
        let mut checks = Vec::with_capacity(outcomes.len());
        let mut at_or_above = 0;
        for outcome in outcomes {
            match outcome.status {
                Status::Pass => by_status.pass += 1,
                Status::Fail => by_status.fail += 1,
                Status::Inconclusive => by_status.inconclusive += 1,
                Status::Error => by_status.error += 1,
                Status::Skip => by_status.skip += 1,
            }
            for finding in &outcome.findings {
                *by_severity.slot(finding.severity) += 1;
                if fail_on.is_some_and(|t| finding.severity.rank() <= t.rank()) {
                    at_or_above += 1;
                }
            }
            checks.push(CheckReport::from_outcome(outcome));
        }
        let findings = checks.iter().map(|c| c.findings.len()).sum();
        let gate = Gate::decide(fail_on, fail_on_inconclusive, at_or_above, &by_status);
        let info = &snapshot.snapshot.info;
        Report {
            schema: SCHEMA,
            plumbline_version: env!("CARGO_PKG_VERSION"),
            contract_version: crate::contract::VERSION,
            snapshot: SnapshotRef {
                origin: snapshot.origin.clone(),
                sha256: snapshot.sha256.clone(),
                collected_at: info.collected_at,
                sources: info
                    .sources
                    .iter()
                    .map(|s| SourceRef {
                        name: s.name.clone(),
                        kind: s.kind.name(),
                        ok: s.ok,
                        reason: s.reason.clone(),
                    })
                    .collect(),
            },
            summary: Summary { checks: checks.len(), findings, by_severity, by_status, gate, suppressed: None },
            checks,
            suppressions: Vec::new(),
            packs: Vec::new(),
        }
    }
}

impl SeverityCounts {
    pub(super) fn slot(&mut self, severity: Severity) -> &mut usize {
        match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }
}

impl Gate {
    pub(super) fn decide(
        fail_on: Option<Severity>,
        fail_on_inconclusive: bool,
        at_or_above: usize,
        status: &StatusCounts,
    ) -> Gate {
        let threshold = fail_on.map_or("none", |s| s.name()).to_string();
        let mut reasons = Vec::new();
        if status.error > 0 {
            reasons.push(format!("{} check(s) ended in error", status.error));
        }
        if at_or_above > 0 {
            reasons.push(format!("{at_or_above} finding(s) at or above {threshold}"));
        }
        if fail_on_inconclusive && status.inconclusive > 0 {
            reasons.push(format!("{} check(s) inconclusive (data missing)", status.inconclusive));
        }
        let exit_code = if status.error > 0 {
            3
        } else if !reasons.is_empty() {
            1
        } else {
            0
        };
        let reason = if reasons.is_empty() {
            match fail_on {
                Some(_) => format!("no finding at or above {threshold}"),
                None => "findings do not fail the run (--fail-on none)".to_string(),
            }
        } else {
            reasons.join("; ")
        };
        Gate { fail_on: threshold, fail_on_inconclusive, passed: exit_code == 0, exit_code, reason }
    }
}

impl CheckReport {
    fn from_outcome(outcome: CheckOutcome) -> CheckReport {
        let id = outcome.id();
        let info = outcome.info;
        let remediation_of = |rule: &str| {
            info.as_ref()
                .and_then(|i| i.rules.iter().find(|r| r.id == rule))
                .map(|r| r.remediation.clone())
                .filter(|r| !r.is_empty())
        };
        let mut findings: Vec<FindingReport> = outcome
            .findings
            .into_iter()
            .map(|f| {
                let remediation = remediation_of(&f.rule);
                FindingReport::new(f, remediation)
            })
            .collect();
        findings.sort_by(|a, b| {
            (severity_rank(a.severity), &a.rule, &a.subject.id).cmp(&(
                severity_rank(b.severity),
                &b.rule,
                &b.subject.id,
            ))
        });
        CheckReport {
            id,
            title: info.as_ref().map(|i| i.title.clone()),
            question: info.as_ref().map(|i| i.question.clone()),
            version: info.as_ref().map(|i| i.version.clone()),
            status: status_name(outcome.status),
            evaluated: outcome.evaluated,
            duration_ms: (outcome.duration.as_secs_f64() * 1e6).round() / 1e3,
            plugin: outcome.plugin,
            sections_read: outcome
                .reads
                .into_iter()
                .map(|r| SectionRead { section: r.section.name(), state: r.state, reads: r.count })
                .collect(),
            error: outcome.error,
            notes: outcome.notes,
            findings,
        }
    }
}

fn severity_rank(name: &str) -> u8 {
    Severity::parse(name).map_or(9, |s| s.rank())
}

impl FindingReport {
    fn new(f: Finding, remediation: Option<String>) -> FindingReport {
        let key = format!("{}\0{}\0{}\0{}", f.rule, f.subject.source, f.subject.kind, f.subject.id);
        let fingerprint = hex::encode(&Sha256::digest(key.as_bytes())[..8]);
        FindingReport {
            rule: f.rule,
            severity: f.severity.name(),
            subject: SubjectReport { source: f.subject.source, kind: f.subject.kind, id: f.subject.id },
            message: f.message,
            evidence: f.evidence.into_iter().map(|(key, value)| Evidence { key, value }).collect(),
            fingerprint,
            remediation,
            original_severity: None,
            suppression: None,
        }
    }
}
