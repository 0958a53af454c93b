//! Comparing two recorded runs by finding fingerprint (rule + subject, stable across runs).
//!
//! A fingerprint reported (and not suppressed) only by the later run is *new*; only by the earlier
//! run, *resolved* — unless the check that reported it did not conclude (pass or fail) in the later
//! run, in which case it is *unverified*: missing data is never counted as a fix. Fingerprints in
//! both runs are *unchanged* (with their severity changes listed); a finding that became suppressed
//! or stopped being suppressed is listed as such. Check statuses that differ are listed too.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::{FindingRecord, Run, RunInfo};
use crate::contract::types::Severity;

/// Version of `plumbline diff --format json`.
pub const DIFF_SCHEMA: &str = "plumbline-diff/1";

#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub schema: &'static str,
    pub from: RunInfo,
    pub to: RunInfo,
    pub counts: DiffCounts,
    pub new: Vec<FindingRecord>,
    pub resolved: Vec<FindingRecord>,
    /// No longer reported, but its check did not conclude in the later run.
    pub unverified: Vec<FindingRecord>,
    /// As reported by the later run.
    pub unchanged: Vec<FindingRecord>,
    /// Reported by both runs, suppressed only in the later one.
    pub suppressed: Vec<FindingRecord>,
    /// Suppressed in the earlier run, counted again in the later one (suppression expired or removed).
    pub unsuppressed: Vec<FindingRecord>,
    pub severity_changes: Vec<SeverityChange>,
    pub check_changes: Vec<CheckChange>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiffCounts {
    pub new: usize,
    pub resolved: usize,
    pub unverified: usize,
    pub unchanged: usize,
    pub suppressed: usize,
    pub unsuppressed: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeverityChange {
    pub fingerprint: String,
    pub rule: String,
    pub subject: String,
    pub from: String,
    pub to: String,
}

/// A check whose status differs; `None` = the check was not part of that run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckChange {
    pub check: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Diff {
    /// True when nothing a reviewer would act on changed.
    pub fn is_empty(&self) -> bool {
        let c = &self.counts;
        c.new + c.resolved + c.unverified + c.suppressed + c.unsuppressed == 0
            && self.severity_changes.is_empty()
            && self.check_changes.is_empty()
    }
}

/// What changed from run `from` to run `to`.
pub fn diff(from: &Run, to: &Run) -> Diff {
    let before = by_fingerprint(from);
    let after = by_fingerprint(to);
    let concluded = |check: &str| to.checks.iter().any(|c| c.id == check && (c.status == "pass" || c.status == "fail"));

    let (mut new, mut resolved, mut unverified, mut unchanged) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut suppressed, mut unsuppressed, mut severity_changes) = (Vec::new(), Vec::new(), Vec::new());
    for (fingerprint, a) in &before {
        match after.get(fingerprint) {
            None if a.suppressed => {}
            None if concluded(&a.check) => resolved.push((*a).clone()),
            None => unverified.push((*a).clone()),
            Some(b) => match (a.suppressed, b.suppressed) {
                (false, false) => {
                    if a.severity != b.severity {
                        severity_changes.push(SeverityChange {
                            fingerprint: b.fingerprint.clone(),
                            rule: b.rule.clone(),
                            subject: b.subject_text(),
                            from: a.severity.clone(),
                            to: b.severity.clone(),
                        });
                    }
                    unchanged.push((*b).clone());
                }
                (false, true) => suppressed.push((*b).clone()),
                (true, false) => unsuppressed.push((*b).clone()),
                (true, true) => {}
            },
        }
    }
    for (fingerprint, b) in &after {
        if !before.contains_key(fingerprint) && !b.suppressed {
            new.push((*b).clone());
        }
    }
    for list in [&mut new, &mut resolved, &mut unverified, &mut unchanged, &mut suppressed, &mut unsuppressed] {
        list.sort_by(|x, y| (rank(&x.severity), &x.rule, &x.subject).cmp(&(rank(&y.severity), &y.rule, &y.subject)));
    }

    let status = |run: &Run, id: &str| run.checks.iter().find(|c| c.id == id).map(|c| c.status.clone());
    let mut ids: Vec<&str> = to.checks.iter().map(|c| c.id.as_str()).collect();
    ids.extend(from.checks.iter().map(|c| c.id.as_str()).filter(|id| !to.checks.iter().any(|c| c.id == *id)));
    let check_changes = ids
        .into_iter()
        .filter_map(|id| {
            let (a, b) = (status(from, id), status(to, id));
            (a != b).then(|| CheckChange { check: id.to_string(), from: a, to: b })
        })
        .collect();

    Diff {
        schema: DIFF_SCHEMA,
        from: from.info.clone(),
        to: to.info.clone(),
        counts: DiffCounts {
            new: new.len(),
            resolved: resolved.len(),
            unverified: unverified.len(),
            unchanged: unchanged.len(),
            suppressed: suppressed.len(),
            unsuppressed: unsuppressed.len(),
        },
        new,
        resolved,
        unverified,
        unchanged,
        suppressed,
        unsuppressed,
        severity_changes,
        check_changes,
    }
}

/// A run's findings by fingerprint (the first one wins should a check report a subject twice).
fn by_fingerprint(run: &Run) -> BTreeMap<&str, &FindingRecord> {
    let mut map = BTreeMap::new();
    for finding in &run.findings {
        map.entry(finding.fingerprint.as_str()).or_insert(finding);
    }
    map
}

fn rank(severity: &str) -> u8 {
    Severity::parse(severity).map_or(9, |s| s.rank())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::model::{CheckRecord, Counts, GateInfo, SnapshotInfo};

    fn run(id: i64, checks: &[(&str, &str)], findings: &[(&str, &str, &str, bool)]) -> Run {
        Run {
            info: RunInfo {
                id,
                started_at: 0,
                finished_at: 0,
                plumbline_version: "0.1.0".into(),
                report_schema: "plumbline-report/1".into(),
                snapshot: SnapshotInfo { origin: "s.json".into(), sha256: "ab".into(), collected_at: 0 },
                gate: GateInfo { fail_on: "high".into(), passed: false, exit_code: 1, reason: "r".into() },
                counts: Counts::default(),
            },
            checks: checks
                .iter()
                .map(|(id, status)| CheckRecord {
                    id: id.to_string(),
                    title: None,
                    version: None,
                    status: status.to_string(),
                    error: None,
                })
                .collect(),
            findings: findings
                .iter()
                .map(|(check, fingerprint, severity, suppressed)| FindingRecord {
                    check: check.to_string(),
                    fingerprint: fingerprint.to_string(),
                    rule: format!("{check}/rule"),
                    severity: severity.to_string(),
                    source: "src".into(),
                    kind: "queue".into(),
                    subject: fingerprint.to_string(),
                    message: "m".into(),
                    suppressed: *suppressed,
                })
                .collect(),
        }
    }

    fn fingerprints(list: &[FindingRecord]) -> Vec<&str> {
        list.iter().map(|f| f.fingerprint.as_str()).collect()
    }

    #[test]
    fn new_resolved_and_unchanged_by_fingerprint() {
        let a = run(1, &[("acks", "fail")], &[("acks", "f1", "high", false), ("acks", "f2", "low", false)]);
        let b = run(2, &[("acks", "fail")], &[("acks", "f2", "low", false), ("acks", "f3", "critical", false)]);
        let d = diff(&a, &b);
        assert_eq!(fingerprints(&d.new), ["f3"]);
        assert_eq!(fingerprints(&d.resolved), ["f1"]);
        assert_eq!(fingerprints(&d.unchanged), ["f2"]);
        assert_eq!(d.counts, DiffCounts { new: 1, resolved: 1, unchanged: 1, ..DiffCounts::default() });
        assert!(d.check_changes.is_empty() && !d.is_empty());
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn check_status_changes_include_added_and_removed_checks() {
        let a = run(1, &[("acks", "fail"), ("sla", "pass"), ("old", "pass")], &[]);
        let b = run(2, &[("acks", "pass"), ("sla", "fail"), ("security", "pass")], &[]);
        let changes: Vec<(String, Option<String>, Option<String>)> =
            diff(&a, &b).check_changes.into_iter().map(|c| (c.check, c.from, c.to)).collect();
        let s = |t: &str| Some(t.to_string());
        assert_eq!(
            changes,
            vec![
                ("acks".into(), s("fail"), s("pass")),
                ("sla".into(), s("pass"), s("fail")),
                ("security".into(), None, s("pass")),
                ("old".into(), s("pass"), None),
            ]
        );
    }

    #[test]
    fn findings_of_a_check_that_did_not_conclude_are_unverified_not_resolved() {
        let a = run(
            1,
            &[("acks", "fail"), ("sla", "fail")],
            &[("acks", "f1", "high", false), ("sla", "f2", "high", false)],
        );
        let b = run(2, &[("acks", "inconclusive"), ("sla", "pass")], &[]);
        let d = diff(&a, &b);
        assert_eq!(fingerprints(&d.unverified), ["f1"]);
        assert_eq!(fingerprints(&d.resolved), ["f2"]);
    }

    #[test]
    fn suppression_and_severity_changes_are_told_apart() {
        let a = run(
            1,
            &[("acks", "fail")],
            &[("acks", "f1", "high", false), ("acks", "f2", "high", true), ("acks", "f3", "medium", false)],
        );
        let b = run(
            2,
            &[("acks", "fail")],
            &[("acks", "f1", "high", true), ("acks", "f2", "high", false), ("acks", "f3", "critical", false)],
        );
        let d = diff(&a, &b);
        assert_eq!(fingerprints(&d.suppressed), ["f1"]);
        assert_eq!(fingerprints(&d.unsuppressed), ["f2"]);
        assert!(d.new.is_empty() && d.resolved.is_empty());
        assert_eq!(d.severity_changes.len(), 1);
        assert_eq!((d.severity_changes[0].from.as_str(), d.severity_changes[0].to.as_str()), ("medium", "critical"));
    }

    #[test]
    fn lists_are_ordered_by_severity_and_duplicates_count_once() {
        let a = run(1, &[("acks", "pass")], &[]);
        let b = run(
            2,
            &[("acks", "fail")],
            &[("acks", "low1", "low", false), ("acks", "crit", "critical", false), ("acks", "crit", "critical", false)],
        );
        assert_eq!(fingerprints(&diff(&a, &b).new), ["crit", "low1"]);
    }
}
