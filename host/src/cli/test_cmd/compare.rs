//! Compares what a check answered for one case with the case's `expected.toml`: status,
//! `evaluated`, and findings matched as a multiset on (rule, subject id). The result is a list of
//! precise problems; an empty list means the case passed.

use serde::Serialize;

use super::cases::{Expected, ExpectedFinding, ExtraFindings};
use crate::contract::types::Finding;
use crate::outcome::CheckOutcome;
use crate::runtime::status_name;

/// A finding as the check returned it, in the report's terms.
#[derive(Debug, Clone, Serialize)]
pub struct ActualFinding {
    pub rule: String,
    /// The subject's `id` (what `expected.toml` matches on).
    pub subject: String,
    pub source: String,
    pub kind: String,
    pub severity: &'static str,
    pub message: String,
}

/// One way the answer differs from the expectation.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum Problem {
    /// The status differs; `error` is the host's explanation, if any, and `notes` the check's.
    Status {
        expected: &'static str,
        actual: &'static str,
        error: Option<String>,
        notes: Vec<String>,
    },
    Evaluated {
        expected: u32,
        actual: u32,
    },
    /// An expected finding has no finding with its rule and subject.
    MissingFinding {
        expected: ExpectedFinding,
    },
    /// A finding no `[[finding]]` asked for (and `extra-findings` is not `allow`).
    UnexpectedFinding {
        actual: ActualFinding,
    },
    /// Rule and subject match, but severity or message do not.
    FindingDiffers {
        expected: ExpectedFinding,
        actual: ActualFinding,
        differences: Vec<String>,
    },
}

impl ActualFinding {
    fn from(finding: &Finding) -> Self {
        ActualFinding {
            rule: finding.rule.clone(),
            subject: finding.subject.id.clone(),
            source: finding.subject.source.clone(),
            kind: finding.subject.kind.clone(),
            severity: finding.severity.name(),
            message: finding.message.clone(),
        }
    }
}

/// Every difference between `outcome` and `expected`, status first.
pub fn compare(expected: &Expected, outcome: &CheckOutcome) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !expected.status.matches(outcome.status) {
        problems.push(Problem::Status {
            expected: expected.status.name(),
            actual: status_name(outcome.status),
            error: outcome.error.clone(),
            notes: outcome.notes.clone(),
        });
    }
    if let Some(count) = expected.evaluated
        && count != outcome.evaluated
    {
        problems.push(Problem::Evaluated { expected: count, actual: outcome.evaluated });
    }
    problems.extend(compare_findings(expected, &outcome.findings));
    problems
}

fn compare_findings(expected: &Expected, findings: &[Finding]) -> Vec<Problem> {
    let actual: Vec<ActualFinding> = findings.iter().map(ActualFinding::from).collect();
    let mut taken = vec![false; actual.len()];
    let mut pending: Vec<&ExpectedFinding> = Vec::new();
    // First pass: exact matches, so a near miss never steals the finding another entry matches.
    for want in &expected.findings {
        match (0..actual.len())
            .find(|&i| !taken[i] && same_target(want, &actual[i]) && differences(want, &actual[i]).is_empty())
        {
            Some(i) => taken[i] = true,
            None => pending.push(want),
        }
    }
    let mut problems = Vec::new();
    for want in pending {
        match (0..actual.len()).find(|&i| !taken[i] && same_target(want, &actual[i])) {
            Some(i) => {
                taken[i] = true;
                problems.push(Problem::FindingDiffers {
                    expected: want.clone(),
                    actual: actual[i].clone(),
                    differences: differences(want, &actual[i]),
                });
            }
            None => problems.push(Problem::MissingFinding { expected: want.clone() }),
        }
    }
    if expected.extra_findings == ExtraFindings::Deny {
        for (finding, _) in actual.into_iter().zip(taken).filter(|(_, taken)| !taken) {
            problems.push(Problem::UnexpectedFinding { actual: finding });
        }
    }
    problems
}

fn same_target(want: &ExpectedFinding, actual: &ActualFinding) -> bool {
    want.rule == actual.rule && want.subject == actual.subject
}

/// What differs between a finding and the entry with its rule and subject (empty: it matches).
fn differences(want: &ExpectedFinding, actual: &ActualFinding) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(severity) = want.severity
        && severity.name() != actual.severity
    {
        out.push(format!("severity: expected {}, got {}", severity.name(), actual.severity));
    }
    if let Some(text) = &want.message_contains
        && !actual.message.contains(text.as_str())
    {
        out.push(format!("message does not contain {text:?}: {:?}", actual.message));
    }
    out
}
