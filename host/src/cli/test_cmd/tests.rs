//! Unit tests for `plumbline test`: reading `expected.toml` (errors name the file, field and
//! line; contradictory expectations are refused) and comparing an outcome with it (status,
//! evaluated, findings as a multiset with precise differences).

use std::time::Duration;

use super::cases::{CaseError, Expected, read_expected};
use super::compare::{Problem, compare};
use crate::contract::types::{Finding, Severity, Status, Subject};
use crate::outcome::{CheckOutcome, PluginMeta};

fn expected(text: &str) -> Result<Expected, CaseError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("expected.toml");
    std::fs::write(&path, text).expect("write");
    read_expected(&path)
}

fn error(text: &str) -> String {
    expected(text).map(|_| ()).expect_err("expected an error").to_string()
}

fn finding(rule: &str, id: &str, severity: Severity, message: &str) -> Finding {
    Finding {
        rule: rule.into(),
        severity,
        subject: Subject { source: "rabbit-prod".into(), kind: "queue".into(), id: id.into() },
        message: message.into(),
        evidence: Vec::new(),
    }
}

fn outcome(status: Status, evaluated: u32, findings: Vec<Finding>) -> CheckOutcome {
    let meta = PluginMeta { origin: "x.wasm".into(), sha256: String::new(), size: 0, contract: None, cache: None };
    let mut outcome = CheckOutcome::failed(meta, String::new(), Duration::ZERO);
    outcome.status = status;
    outcome.error = None;
    outcome.evaluated = evaluated;
    outcome.findings = findings;
    outcome
}

const ONE: &str = r#"
status = "fail"
evaluated = 2

[[finding]]
rule = "q/backlog"
subject = "/orders/payments.in"
severity = "medium"
message-contains = "18420"
"#;

#[test]
fn a_full_expectation_parses() {
    let parsed = expected(ONE).expect("valid");
    assert_eq!(parsed.evaluated, Some(2));
    assert_eq!(parsed.findings.len(), 1);
    assert_eq!(parsed.findings[0].subject, "/orders/payments.in");
}

#[test]
fn errors_name_the_file_the_field_and_the_line() {
    let text = error("status = \"fial\"\n");
    assert!(text.contains("expected.toml") && text.contains("at `status` (line 1)"), "{text}");
    assert!(text.contains("unknown variant `fial`"), "{text}");

    let text = error(&ONE.replace("severity = \"medium\"", "severity = \"urgent\""));
    assert!(text.contains("at `finding[0].severity` (line 8)"), "{text}");

    let text = error("status = \"fail\"\n[[finding]]\nsubject = \"a\"\n");
    assert!(text.contains("finding[0]") && text.contains("missing field `rule`"), "{text}");

    let text = error("evaluated = 1\n");
    assert!(text.contains("missing field `status`"), "{text}");

    let text = error("status = \"pass\"\nstauts = \"x\"\n");
    assert!(text.contains("unknown field `stauts`") && text.contains("(line 2)"), "{text}");

    let text = error("status = \n");
    assert!(text.contains("expected.toml") && text.contains("(line 1)"), "{text}");
}

#[test]
fn contradictory_expectations_are_refused() {
    let text = error(&ONE.replace("status = \"fail\"", "status = \"pass\""));
    assert!(text.contains("findings always make a check `fail`"), "{text}");
    let text = error("status = \"fail\"\n");
    assert!(text.contains("needs at least one [[finding]]"), "{text}");
    expected("status = \"fail\"\nextra-findings = \"allow\"\n").expect("fail with any findings is fine");
}

#[test]
fn an_exact_answer_has_no_problems() {
    let answer = outcome(
        Status::Fail,
        2,
        vec![finding("q/backlog", "/orders/payments.in", Severity::Medium, "holds 18420 ready")],
    );
    assert!(compare(&expected(ONE).unwrap(), &answer).is_empty());
}

#[test]
fn each_difference_is_reported() {
    let answer = outcome(
        Status::Fail,
        3,
        vec![
            finding("q/backlog", "/orders/payments.in", Severity::High, "holds 99 ready"),
            finding("q/backlog", "/orders/orders.created", Severity::Medium, "holds 12 ready"),
        ],
    );
    let problems = compare(&expected(ONE).unwrap(), &answer);
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(matches!(problems[0], Problem::Evaluated { expected: 2, actual: 3 }));
    let Problem::FindingDiffers { differences, .. } = &problems[1] else { panic!("{problems:?}") };
    assert_eq!(differences[0], "severity: expected medium, got high");
    assert!(differences[1].starts_with("message does not contain \"18420\""), "{differences:?}");
    let Problem::UnexpectedFinding { actual } = &problems[2] else { panic!("{problems:?}") };
    assert_eq!(actual.subject, "/orders/orders.created");
}

#[test]
fn a_missing_finding_and_a_wrong_status_are_reported_with_the_hosts_reason() {
    let mut answer = outcome(Status::Error, 0, Vec::new());
    answer.error = Some("stopped: ran longer than the 10 s deadline".into());
    let problems = compare(&expected(ONE).unwrap(), &answer);
    let Problem::Status { expected, actual, error, .. } = &problems[0] else { panic!("{problems:?}") };
    assert_eq!((*expected, *actual), ("fail", "error"));
    assert!(error.as_deref().unwrap_or_default().contains("deadline"));
    assert!(matches!(&problems[2], Problem::MissingFinding { expected } if expected.subject == "/orders/payments.in"));
}

#[test]
fn findings_match_as_a_multiset_and_extras_can_be_allowed() {
    let twice = format!("{ONE}\n[[finding]]\nrule = \"q/backlog\"\nsubject = \"/orders/payments.in\"\n");
    let one = outcome(Status::Fail, 2, vec![finding("q/backlog", "/orders/payments.in", Severity::Medium, "18420")]);
    let problems = compare(&expected(&twice).unwrap(), &one);
    assert!(matches!(problems.as_slice(), [Problem::MissingFinding { .. }]), "{problems:?}");

    // The exact match is taken first, so the looser entry does not steal it.
    let both = outcome(
        Status::Fail,
        2,
        vec![
            finding("q/backlog", "/orders/payments.in", Severity::Low, "other"),
            finding("q/backlog", "/orders/payments.in", Severity::Medium, "18420"),
        ],
    );
    assert!(compare(&expected(&twice).unwrap(), &both).is_empty());

    let extra = outcome(
        Status::Fail,
        2,
        vec![
            finding("q/backlog", "/orders/payments.in", Severity::Medium, "18420"),
            finding("q/other", "x", Severity::Low, "m"),
        ],
    );
    assert_eq!(compare(&expected(ONE).unwrap(), &extra).len(), 1);
    let allowing = format!("extra-findings = \"allow\"\n{ONE}");
    assert!(compare(&expected(&allowing).unwrap(), &extra).is_empty());
}
