//! Renders the results of `plumbline test`: one line per case (`ok` or `FAILED` with its
//! problems) and a summary, or the same as JSON (`plumbline-test/1`).

use std::fmt::Write;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use super::cases::ExpectedFinding;
use super::compare::{ActualFinding, Problem};

pub const SCHEMA: &str = "plumbline-test/1";

/// The whole run, as the JSON format writes it.
#[derive(Debug, Serialize)]
pub struct TestReport {
    pub schema: &'static str,
    pub check: CheckRef,
    /// The directory the cases were read from.
    pub fixtures: String,
    pub cases: Vec<CaseResult>,
    pub summary: Summary,
}

#[derive(Debug, Serialize)]
pub struct CheckRef {
    pub id: String,
    pub version: String,
    /// The component file.
    pub plugin: String,
    pub sha256: String,
}

#[derive(Debug, Serialize)]
pub struct CaseResult {
    pub name: String,
    pub ok: bool,
    /// What the check answered.
    pub status: &'static str,
    pub evaluated: u32,
    pub findings: usize,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub cases: usize,
    pub passed: usize,
    pub failed: usize,
}

impl TestReport {
    pub fn new(check: CheckRef, fixtures: String, cases: Vec<CaseResult>) -> Self {
        let passed = cases.iter().filter(|c| c.ok).count();
        let summary = Summary { cases: cases.len(), passed, failed: cases.len() - passed };
        TestReport { schema: SCHEMA, check, fixtures, cases, summary }
    }

    pub fn exit_code(&self) -> i32 {
        if self.summary.failed == 0 { 0 } else { 1 }
    }
}

pub fn json(report: &TestReport) -> String {
    // Plain data with string keys: serialisation cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

pub fn text(report: &TestReport) -> String {
    let mut out = String::new();
    let bold = Style::new().bold();
    let ok = Style::new().fg_color(Some(AnsiColor::Green.into()));
    let failed = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
    let _ = writeln!(
        out,
        "{bold}plumbline test{bold:#} · {} {} · {} · {} case(s) in {}",
        report.check.id,
        report.check.version,
        report.check.plugin,
        report.cases.len(),
        report.fixtures
    );
    let width = report.cases.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for case in &report.cases {
        let answer = match case.findings {
            0 => case.status.to_string(),
            1 => format!("{}, 1 finding", case.status),
            n => format!("{}, {n} findings", case.status),
        };
        if case.ok {
            let _ = writeln!(out, "{ok}ok{ok:#}      {:width$}  ({answer})", case.name);
            continue;
        }
        let _ = writeln!(out, "{failed}FAILED{failed:#}  {:width$}  ({answer})", case.name);
        for problem in &case.problems {
            for line in describe(problem) {
                let _ = writeln!(out, "        {line}");
            }
        }
    }
    let Summary { cases, passed, failed: failures } = report.summary;
    let verdict =
        if failures == 0 { format!("{ok}all passed{ok:#}") } else { format!("{failed}{failures} FAILED{failed:#}") };
    let _ = writeln!(out, "\n{cases} case(s): {passed} ok, {verdict}");
    out
}

/// The lines that explain one problem.
fn describe(problem: &Problem) -> Vec<String> {
    match problem {
        Problem::Status { expected, actual, error, notes } => {
            let mut lines = vec![format!("status: expected {expected}, got {actual}")];
            if let Some(error) = error {
                lines.push(format!("  host: {error}"));
            }
            lines.extend(notes.iter().map(|n| format!("  note: {n}")));
            lines
        }
        Problem::Evaluated { expected, actual } => vec![format!("evaluated: expected {expected}, got {actual}")],
        Problem::MissingFinding { expected } => vec![format!("missing finding: {}", wanted(expected))],
        Problem::UnexpectedFinding { actual } => {
            vec![format!("unexpected finding: {}", found(actual)), format!("  message: {}", actual.message)]
        }
        Problem::FindingDiffers { expected, differences, .. } => {
            let mut lines = vec![format!("finding {} on `{}` differs:", expected.rule, expected.subject)];
            lines.extend(differences.iter().map(|d| format!("  {d}")));
            lines
        }
    }
}

fn wanted(finding: &ExpectedFinding) -> String {
    let mut text = format!("{} on `{}`", finding.rule, finding.subject);
    if let Some(severity) = finding.severity {
        text.push_str(&format!(" [{}]", severity.name()));
    }
    if let Some(part) = &finding.message_contains {
        text.push_str(&format!(", message containing {part:?}"));
    }
    text
}

fn found(finding: &ActualFinding) -> String {
    format!(
        "{} on `{}` [{}] (source {}, kind {})",
        finding.rule, finding.subject, finding.severity, finding.source, finding.kind
    )
}
