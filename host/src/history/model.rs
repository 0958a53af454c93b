//! What a recorded run holds: the run's facts ([`RunInfo`]), each check's status and each finding,
//! read from the report's serialised form (`plumbline-report/1`), so the history depends on the
//! report's documented fields only.

use serde::{Deserialize, Serialize, Serializer};

use super::HistoryError;
use crate::report::Report;

/// One recorded audit, as listed by `plumbline history`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunInfo {
    /// Assigned by the store (0 before the run is recorded).
    pub id: i64,
    /// When the audit started and when it was recorded (Unix ms, UTC; RFC 3339 in JSON).
    #[serde(serialize_with = "rfc3339")]
    pub started_at: i64,
    #[serde(serialize_with = "rfc3339")]
    pub finished_at: i64,
    pub plumbline_version: String,
    pub report_schema: String,
    pub snapshot: SnapshotInfo,
    pub gate: GateInfo,
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotInfo {
    pub origin: String,
    pub sha256: String,
    /// Unix seconds, as in the snapshot.
    pub collected_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateInfo {
    pub fail_on: String,
    pub passed: bool,
    pub exit_code: i64,
    pub reason: String,
}

/// The report summary's counts (suppressed findings are not counted, as in the report).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub checks: i64,
    pub findings: i64,
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    pub info: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckRecord {
    pub id: String,
    pub title: Option<String>,
    pub version: Option<String>,
    /// pass, fail, inconclusive, error or skip.
    pub status: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingRecord {
    pub check: String,
    /// The report's stable fingerprint (rule + subject): the identity `diff` compares by.
    pub fingerprint: String,
    pub rule: String,
    pub severity: String,
    pub source: String,
    pub kind: String,
    pub subject: String,
    pub message: String,
    pub suppressed: bool,
}

/// A run's facts and how many of its checks did not pass, as listed by [`Store::recent`] for the
/// HTML report's trend.
///
/// [`Store::recent`]: super::Store::recent
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunStatus {
    pub info: RunInfo,
    /// Checks that ended `fail`, `inconclusive` and `error`.
    pub failing: i64,
    pub inconclusive: i64,
    pub errored: i64,
}

/// A run with its checks and findings, in report order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub info: RunInfo,
    pub checks: Vec<CheckRecord>,
    pub findings: Vec<FindingRecord>,
}

impl FindingRecord {
    /// `source kind id`, the way the text report names a subject.
    pub fn subject_text(&self) -> String {
        format!("{} {} {}", self.source, self.kind, self.subject)
    }
}

// The report fields the history keeps, read back from the report's JSON form.
#[derive(Deserialize)]
struct ReportDoc {
    schema: String,
    plumbline_version: String,
    snapshot: SnapshotDoc,
    summary: SummaryDoc,
    checks: Vec<CheckDoc>,
}

#[derive(Deserialize)]
struct SnapshotDoc {
    origin: String,
    sha256: String,
    collected_at: i64,
}

#[derive(Deserialize)]
struct SummaryDoc {
    checks: i64,
    findings: i64,
    by_severity: SeverityDoc,
    gate: GateDoc,
}

#[derive(Deserialize)]
struct SeverityDoc {
    critical: i64,
    high: i64,
    medium: i64,
    low: i64,
    info: i64,
}

#[derive(Deserialize)]
struct GateDoc {
    fail_on: String,
    passed: bool,
    exit_code: i64,
    reason: String,
}

#[derive(Deserialize)]
struct CheckDoc {
    id: String,
    title: Option<String>,
    version: Option<String>,
    status: String,
    error: Option<String>,
    findings: Vec<FindingDoc>,
}

#[derive(Deserialize)]
struct FindingDoc {
    rule: String,
    severity: String,
    subject: SubjectDoc,
    message: String,
    fingerprint: String,
    #[serde(default)]
    suppression: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct SubjectDoc {
    source: String,
    kind: String,
    id: String,
}

impl Run {
    /// The run to record for `report`; times are Unix milliseconds.
    pub fn from_report(report: &Report, started_at: i64, finished_at: i64) -> Result<Run, HistoryError> {
        let value = serde_json::to_value(report).map_err(|e| HistoryError::Report(e.to_string()))?;
        Run::from_report_json(value, started_at, finished_at)
    }

    /// As [`Run::from_report`], from a `plumbline-report/1` JSON document.
    pub fn from_report_json(value: serde_json::Value, started_at: i64, finished_at: i64) -> Result<Run, HistoryError> {
        let doc: ReportDoc = serde_json::from_value(value).map_err(|e| HistoryError::Report(e.to_string()))?;
        let mut findings = Vec::new();
        let mut checks = Vec::with_capacity(doc.checks.len());
        for check in doc.checks {
            for f in check.findings {
                findings.push(FindingRecord {
                    check: check.id.clone(),
                    fingerprint: f.fingerprint,
                    rule: f.rule,
                    severity: f.severity,
                    source: f.subject.source,
                    kind: f.subject.kind,
                    subject: f.subject.id,
                    message: f.message,
                    suppressed: f.suppression.is_some_and(|s| !s.is_null()),
                });
            }
            checks.push(CheckRecord {
                id: check.id,
                title: check.title,
                version: check.version,
                status: check.status,
                error: check.error,
            });
        }
        let s = doc.summary;
        Ok(Run {
            info: RunInfo {
                id: 0,
                started_at,
                finished_at,
                plumbline_version: doc.plumbline_version,
                report_schema: doc.schema,
                snapshot: SnapshotInfo {
                    origin: doc.snapshot.origin,
                    sha256: doc.snapshot.sha256,
                    collected_at: doc.snapshot.collected_at,
                },
                gate: GateInfo {
                    fail_on: s.gate.fail_on,
                    passed: s.gate.passed,
                    exit_code: s.gate.exit_code,
                    reason: s.gate.reason,
                },
                counts: Counts {
                    checks: s.checks,
                    findings: s.findings,
                    critical: s.by_severity.critical,
                    high: s.by_severity.high,
                    medium: s.by_severity.medium,
                    low: s.by_severity.low,
                    info: s.by_severity.info,
                },
            },
            checks,
            findings,
        })
    }
}

fn rfc3339<S: Serializer>(ms: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_time(*ms))
}

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn format_time(ms: i64) -> String {
    let c = crate::time::Civil::from_unix(ms.div_euclid(1000));
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, c.hour, c.minute, c.second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_as_utc() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(format_time(1_767_225_599_999), "2025-12-31T23:59:59Z");
    }

    #[test]
    fn a_report_document_becomes_a_run() {
        let doc = serde_json::json!({
            "schema": "plumbline-report/1", "plumbline_version": "0.1.0", "contract_version": "0.1.0",
            "snapshot": {"origin": "estate.json", "sha256": "ab", "collected_at": 5, "sources": []},
            "summary": {"checks": 1, "findings": 1,
                "by_severity": {"critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0},
                "by_status": {"pass": 0, "fail": 1, "inconclusive": 0, "error": 0, "skip": 0},
                "gate": {"fail_on": "high", "fail_on_inconclusive": true, "passed": false, "exit_code": 1,
                         "reason": "1 finding(s) at or above high"}},
            "checks": [{"id": "acks", "title": "Acks", "question": "?", "version": "1.0.0", "status": "fail",
                "evaluated": 3, "duration_ms": 1.0, "plugin": {}, "sections_read": [], "error": null, "notes": [],
                "findings": [
                    {"rule": "acks/a", "severity": "high", "subject": {"source": "s", "kind": "queue", "id": "q"},
                     "message": "m", "evidence": [], "fingerprint": "f1", "remediation": null},
                    {"rule": "acks/b", "severity": "low", "subject": {"source": "s", "kind": "queue", "id": "q"},
                     "message": "m", "evidence": [], "fingerprint": "f2", "remediation": null,
                     "suppression": {"reason": "known"}}]}]
        });
        let run = Run::from_report_json(doc, 1000, 2000).unwrap();
        assert_eq!(run.info.counts.high, 1);
        assert!(!run.info.gate.passed);
        assert_eq!(run.checks[0].status, "fail");
        assert_eq!(run.findings.len(), 2);
        assert_eq!(run.findings[0].subject_text(), "s queue q");
        assert!(!run.findings[0].suppressed && run.findings[1].suppressed);
        let err = Run::from_report_json(serde_json::json!({"schema": 1}), 0, 0).unwrap_err();
        assert!(err.to_string().contains("cannot read the report"), "{err}");
    }
}
