//! The contract's rules and the output limits on returned verdicts.

use super::*;
use crate::contract::types::{ParamSpec, Rule, Severity, Subject};

fn info() -> CheckInfo {
    CheckInfo {
        id: "demo".into(),
        version: "1.0.0".into(),
        title: "t".into(),
        question: "q?".into(),
        sections: vec![Section::Rabbitmq],
        rules: vec![Rule {
            id: "demo/rule".into(),
            title: "t".into(),
            default_severity: Severity::High,
            description: String::new(),
            remediation: String::new(),
            references: Vec::new(),
        }],
        params: vec![ParamSpec { name: "limit".into(), description: String::new(), default: ParamValue::Float(0.7) }],
    }
}

fn verdict(status: Status, evaluated: u32, findings: Vec<Finding>) -> Verdict {
    Verdict { status, evaluated, findings, notes: Vec::new() }
}

fn finding(rule: &str) -> Finding {
    Finding {
        rule: rule.into(),
        severity: Severity::High,
        subject: Subject { source: "s".into(), kind: "queue".into(), id: "q".into() },
        message: "m".into(),
        evidence: Vec::new(),
    }
}

fn outcome(v: Verdict, reads: Vec<(Section, ReadState)>) -> Settled {
    settle(&info(), v, &reads, &Limits::default())
}

#[test]
fn a_pass_on_unavailable_data_becomes_inconclusive() {
    let reads = vec![(Section::Rabbitmq, ReadState::Unavailable("timeout".into()))];
    let o = outcome(verdict(Status::Pass, 3, vec![]), reads.clone());
    assert_eq!(o.status, Status::Inconclusive);
    assert!(o.error.unwrap().contains("rabbitmq (timeout)"));
    let o = outcome(verdict(Status::Skip, 0, vec![]), reads);
    assert_eq!(o.status, Status::Inconclusive);
}

#[test]
fn a_pass_on_partial_data_becomes_inconclusive() {
    let reads = vec![(Section::Rabbitmq, ReadState::Partial("rabbit-b: refused".into()))];
    let o = outcome(verdict(Status::Pass, 3, vec![]), reads);
    assert_eq!(o.status, Status::Inconclusive);
    assert!(o.error.unwrap().contains("rabbit-b: refused"));
}

#[test]
fn findings_mean_fail_whatever_the_check_claims() {
    let o = outcome(verdict(Status::Pass, 1, vec![finding("demo/rule")]), vec![]);
    assert_eq!(o.status, Status::Fail);
}

#[test]
fn a_pass_with_nothing_evaluated_is_a_skip() {
    let o = outcome(verdict(Status::Pass, 0, vec![]), vec![(Section::Rabbitmq, ReadState::Available)]);
    assert_eq!(o.status, Status::Skip);
}

#[test]
fn undeclared_rules_and_sections_are_errors_and_drop_findings() {
    let o = outcome(verdict(Status::Fail, 1, vec![finding("other/rule")]), vec![]);
    assert_eq!(o.status, Status::Error);
    assert!(o.findings.is_empty());
    let o =
        outcome(verdict(Status::Fail, 1, vec![finding("demo/rule")]), vec![(Section::Kafka, ReadState::NotDeclared)]);
    assert_eq!(o.status, Status::Error);
    assert!(o.error.unwrap().contains("kafka"));
}

#[test]
fn a_check_claiming_error_still_loses_findings_that_break_the_contract() {
    // Regression (fuzz/verdict): findings were kept when the check itself said `error`.
    let o = outcome(verdict(Status::Error, 1, vec![finding("other/rule")]), vec![]);
    assert_eq!(o.status, Status::Error);
    assert!(o.findings.is_empty() && o.error.unwrap().contains("undeclared rule"));
    let o =
        outcome(verdict(Status::Error, 1, vec![finding("demo/rule")]), vec![(Section::Sqs, ReadState::NotDeclared)]);
    assert!(o.findings.is_empty());
    // A check's own `error` with findings under its declared rules keeps them.
    let o = outcome(verdict(Status::Error, 1, vec![finding("demo/rule")]), vec![]);
    assert_eq!((o.status, o.findings.len()), (Status::Error, 1));
}

#[test]
fn fail_without_findings_is_an_error() {
    let o = outcome(verdict(Status::Fail, 1, vec![]), vec![]);
    assert_eq!(o.status, Status::Error);
}

#[test]
fn an_honest_pass_stays_a_pass() {
    let o = outcome(verdict(Status::Pass, 4, vec![]), vec![(Section::Rabbitmq, ReadState::Available)]);
    assert_eq!((o.status, o.error), (Status::Pass, None));
}

fn small() -> Limits {
    Limits { max_findings: 3, max_notes: 2, max_string_bytes: 16, ..Limits::default() }
}

#[test]
fn more_findings_than_the_limit_is_an_error_naming_the_key_never_a_shorter_list() {
    let v = verdict(Status::Pass, 9, (0..4).map(|_| finding("demo/rule")).collect());
    let o = settle(&info(), v, &[], &small());
    assert_eq!(o.status, Status::Error);
    assert!(o.findings.is_empty());
    let error = o.error.unwrap();
    assert!(error.contains("returned 4 findings, more than the limit of 3"), "{error}");
    assert!(error.contains("`max-findings`") && error.contains("[limits.checks.demo]"), "{error}");
    // At the limit exactly, nothing changes.
    let v = verdict(Status::Fail, 9, (0..3).map(|_| finding("demo/rule")).collect());
    assert_eq!(settle(&info(), v, &[], &small()).findings.len(), 3);
}

#[test]
fn long_free_text_is_cut_on_a_character_boundary_and_said_so() {
    let mut f = finding("demo/rule");
    f.message = "é".repeat(100);
    f.evidence = vec![("value".into(), "x".repeat(100))];
    let v = Verdict { status: Status::Fail, evaluated: 1, findings: vec![f], notes: vec!["n".repeat(40)] };
    let o = settle(&info(), v, &[], &small());
    assert_eq!(o.status, Status::Fail);
    let message = &o.findings[0].message;
    assert!(message.starts_with(&"é".repeat(8)) && message.contains("cut by plumbline: 200 bytes"), "{message}");
    assert!(o.findings[0].evidence[0].1.contains("cut by plumbline: 100 bytes"));
    assert!(o.notes[0].starts_with(&"n".repeat(16)) && o.notes[0].contains("40 bytes"));
    assert!(
        o.notes.iter().any(|n| n.contains("cut 2 finding text(s)") && n.contains("max-string-kib")),
        "{:?}",
        o.notes
    );
    assert!(o.notes.iter().any(|n| n.contains("cut 1 note(s)")), "{:?}", o.notes);
}

#[test]
fn an_over_long_identifier_is_an_error() {
    let mut f = finding("demo/rule");
    f.subject.id = "q".repeat(17);
    let o = settle(&info(), verdict(Status::Fail, 1, vec![f]), &[], &small());
    assert_eq!(o.status, Status::Error);
    assert!(o.error.unwrap().contains("finding 1 has a subject.id of 17 bytes"));
}

#[test]
fn notes_beyond_the_limit_are_dropped_and_counted() {
    let v = Verdict { status: Status::Pass, evaluated: 1, findings: vec![], notes: vec!["a".into(); 5] };
    let o = settle(&info(), v, &[], &small());
    assert_eq!(o.status, Status::Pass);
    assert_eq!(o.notes.len(), 3);
    assert!(o.notes[2].contains("dropped 3 note(s) beyond the limit of 2") && o.notes[2].contains("max-notes"));
}

#[test]
fn check_ids_rule_prefixes_and_metadata_sizes_are_validated() {
    let limits = Limits::default();
    let mut bad = info();
    bad.id = "Bad Id".into();
    assert!(validate_info(&bad, &limits).is_err());
    let mut bad = info();
    bad.rules[0].id = "other/rule".into();
    assert!(validate_info(&bad, &limits).unwrap_err().contains("demo/"));
    let mut bad = info();
    bad.rules[0].remediation = "r".repeat(17);
    let err = validate_info(&bad, &small()).unwrap_err();
    assert!(err.contains("rule remediation of 17 bytes") && err.contains("max-string-kib"), "{err}");
    assert!(validate_info(&info(), &limits).is_ok());
}

#[test]
fn cut_text_never_splits_a_character() {
    for max in 0..8 {
        let mut text = "aé€😀".to_string();
        let cut = cut_text(&mut text, max);
        assert_eq!(cut, max < "aé€😀".len());
        let kept = text.split(" […cut").next().unwrap();
        assert!(kept.len() <= max || !cut, "{max}: {text}");
    }
}
