//! Unit tests of report::suppress: globs, dates, parse errors, and the policy applied to the
//! renderers' fixture report.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::report::fixture;

fn date(text: &str) -> Date {
    Date::parse(text).expect("valid date")
}

fn entry(rule: &str, subject: &str, reason: &str, expires: &str) -> SuppressEntry {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    SuppressEntry {
        rule: opt(rule),
        subject: opt(subject),
        fingerprint: None,
        reason: opt(reason),
        expires: opt(expires).map(toml::Value::String),
    }
}

fn policy(entries: &[SuppressEntry], overrides: &[(&str, &str)]) -> Result<Policy, String> {
    let path = Path::new("/etc/plumbline.toml");
    let table: BTreeMap<String, String> = overrides.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Ok(Policy {
        suppressions: parse_entries(entries, path).map_err(|e| e.to_string())?,
        overrides: parse_overrides(&table, path).map_err(|e| e.to_string())?,
    })
}

#[test]
fn globs_match_whole_strings_and_star_crosses_slashes() {
    assert!(glob("security/*", "security/sqs-public-policy"));
    assert!(!glob("security/*", "acks/security/x"));
    assert!(glob("acks/rabbitmq-auto-ack", "acks/rabbitmq-auto-ack"));
    assert!(!glob("acks/rabbitmq-auto-ack", "acks/rabbitmq-auto-ack-2"));
    assert!(glob("rabbit-prod/consumer/*", "rabbit-prod/consumer//orders/q|1"));
    assert!(glob("*/orders.created/*", "rabbit-prod/consumer//orders/orders.created/amq.ctag-1"));
    assert!(glob("a?c*", "abc"));
    assert!(!glob("a?c", "ac"));
    assert!(glob("*", ""));
    assert!(glob("*a*b*", "xxaxxbxx"));
    assert!(!glob("*a*b", "xxaxxbxxc"));
}

#[test]
fn dates_parse_strictly_and_compare() {
    assert_eq!(date("2024-02-29").to_string(), "2024-02-29");
    for bad in ["2023-02-29", "2026-13-01", "2026-1-01", "26-01-01", "2026/01/01", "2026-00-10", "tomorrow"] {
        assert!(Date::parse(bad).is_none(), "{bad} accepted");
    }
    assert!(date("2026-01-31") < date("2026-02-01"));
    assert!(date("1999-12-31") < Date::today());
}

#[test]
fn entries_without_reason_expiry_or_target_are_clear_errors() {
    let cases = [
        (entry("acks/*", "*", "", "2030-01-01"), "`reason` is required"),
        (entry("acks/*", "*", "  ", "2030-01-01"), "`reason` is required"),
        (entry("acks/*", "*", "accepted", ""), "`expires` is required"),
        (entry("acks/*", "*", "accepted", "2030-02-30"), "expires = 2030-02-30: not a date"),
        (entry("", "*", "accepted", "2030-01-01"), "`rule` is required"),
        (entry("acks/*", "", "accepted", "2030-01-01"), "give `subject`"),
    ];
    for (bad, expected) in cases {
        let ok = entry("acks/*", "*", "fine", "2030-01-01");
        let err = policy(&[ok, bad], &[]).expect_err("invalid entry accepted");
        assert!(err.contains("/etc/plumbline.toml"), "{err}");
        assert!(err.contains("[[suppress]] #2: "), "{err}");
        assert!(err.contains(expected), "`{expected}` not in: {err}");
    }
    let mut fp = entry("acks/*", "", "accepted", "2030-01-01");
    fp.fingerprint = Some("xyz".into());
    assert!(policy(&[fp], &[]).unwrap_err().contains("16 hex digits"));
    let err = policy(&[], &[("acks/*", "severe")]).unwrap_err();
    assert!(err.contains("severity-overrides.\"acks/*\" = \"severe\": not a severity"), "{err}");
}

#[test]
fn toml_dates_and_unknown_keys() {
    let config: crate::config::Config =
        toml::from_str("[[suppress]]\nrule = \"acks/*\"\nsubject = \"*\"\nreason = \"r\"\nexpires = 2030-01-01\n")
            .expect("native TOML date");
    let p = Policy::load(&config, None).expect("valid");
    assert_eq!(p.suppressions[0].expires, date("2030-01-01"));
    assert_eq!(p.suppressions[0].defined_in, "plumbline.toml [[suppress]] #1");
    let typo = toml::from_str::<crate::config::Config>("[[suppress]]\nrule = \"a\"\nreasons = \"r\"\n");
    assert!(typo.unwrap_err().to_string().contains("reasons"));
    let timed = entry("acks/*", "*", "r", "2030-01-01T10:00:00");
    assert!(policy(&[timed], &[]).unwrap_err().contains("not a date"));
}

#[test]
fn an_active_suppression_hides_a_finding_from_the_gate_but_keeps_it() {
    let (mut report, _) = fixture::report();
    assert_eq!(report.summary.findings, 2);
    let p = policy(&[entry("acks/auto-ack", "rabbit-prod/consumer/*", "known, fix in Q3", "2030-01-01")], &[]).unwrap();
    report.apply_policy(&p, date("2026-05-01"));
    let f = &report.checks[0].findings[0];
    assert_eq!(f.rule, "acks/auto-ack");
    let s = f.suppression.as_ref().expect("suppressed");
    assert_eq!((s.reason.as_str(), s.expires.as_str()), ("known, fix in Q3", "2030-01-01"));
    assert_eq!(report.summary.findings, 1);
    assert_eq!(report.summary.suppressed, Some(1));
    assert_eq!(report.summary.by_severity.critical, 0);
    assert!(
        report.summary.gate.reason.contains("1 suppressed finding(s) not counted"),
        "{}",
        report.summary.gate.reason
    );
    assert!(!report.summary.gate.reason.contains("at or above"), "{}", report.summary.gate.reason);
    assert_eq!(report.suppressions[0].status, "active");
    assert_eq!(report.suppressions[0].findings, vec![f.fingerprint.clone()]);
    let json = crate::report::render_json(&report);
    assert!(json.contains("\"suppression\": {") && json.contains("\"suppressed\": 1"), "{json}");
}

#[test]
fn an_expired_suppression_stops_applying_and_is_reported() {
    let (mut report, _) = fixture::report();
    let p = policy(&[entry("acks/*", "*", "was fine", "2026-05-01")], &[]).unwrap();
    // Applies the day before its date, not on it.
    report.apply_policy(&p, date("2026-04-30"));
    assert_eq!(report.summary.suppressed, Some(2));
    let (mut report, _) = fixture::report();
    report.apply_policy(&p, date("2026-05-01"));
    assert!(report.checks[0].findings.iter().all(|f| f.suppression.is_none()));
    assert_eq!(report.summary.findings, 2);
    assert_eq!(report.summary.suppressed, Some(0));
    assert_eq!(report.suppressions[0].status, "expired");
    assert_eq!(report.suppressions[0].findings.len(), 2);
    let reason = &report.summary.gate.reason;
    assert!(reason.contains("1 finding(s) at or above high"), "{reason}");
    let revived = "; 1 of the finding(s) at or above high count again because their suppression expired";
    assert!(reason.ends_with(revived), "{reason}");
    let text = crate::report::render_text(&report);
    assert!(
        text.contains(
            "suppression plumbline.toml [[suppress]] #1 (acks/* on *) expired 2026-05-01 — 2 finding(s) count again"
        ),
        "{text}"
    );
}

#[test]
fn unused_suppressions_are_listed_and_fingerprints_pick_one_finding() {
    let (mut report, _) = fixture::report();
    let target = report.checks[0].findings[1].fingerprint.clone();
    let mut by_fp = entry("acks/*", "", "one finding", "2030-01-01");
    by_fp.fingerprint = Some(target.to_uppercase());
    let p = policy(&[entry("nope/*", "*", "typo", "2030-01-01"), by_fp], &[]).unwrap();
    report.apply_policy(&p, date("2026-05-01"));
    assert_eq!(report.suppressions[0].status, "unused");
    assert_eq!(report.suppressions[1].findings, vec![target.clone()]);
    let suppressed: Vec<&str> =
        report.checks[0].findings.iter().filter(|f| f.suppression.is_some()).map(|f| f.fingerprint.as_str()).collect();
    assert_eq!(suppressed, vec![target.as_str()]);
    assert!(crate::report::render_text(&report).contains("matches no finding (unused)"));
}

#[test]
fn severity_overrides_change_the_gate_and_keep_the_original() {
    let (mut report, _) = fixture::report();
    // Exact ids win over globs, longer globs over shorter ones.
    let p = policy(&[], &[("acks/*", "info"), ("acks/auto-*", "low"), ("acks/auto-commit", "critical")]).unwrap();
    report.apply_policy(&p, date("2026-05-01"));
    let findings = &report.checks[0].findings;
    assert_eq!((findings[0].rule.as_str(), findings[0].severity), ("acks/auto-commit", "critical"));
    assert_eq!(findings[0].original_severity, Some("medium"));
    assert_eq!((findings[1].rule.as_str(), findings[1].severity), ("acks/auto-ack", "low"));
    assert_eq!(findings[1].original_severity, Some("critical"));
    assert_eq!(report.summary.by_severity.critical, 1);
    assert_eq!(report.summary.by_severity.low, 1);
    assert_eq!(report.summary.suppressed, None);
    assert!(report.suppressions.is_empty());
    assert!(report.summary.gate.reason.contains("1 finding(s) at or above high"));
    assert!(p.check_rules(&["acks/auto-ack", "acks/auto-commit"]).is_ok());
    let unknown = policy(&[], &[("acks/auto-comit", "low")]).unwrap();
    assert!(unknown.check_rules(&["acks/auto-commit"]).unwrap_err().contains("matches no rule"));
}

#[test]
fn no_policy_leaves_the_report_and_its_json_unchanged() {
    let (mut report, _) = fixture::report();
    let before = crate::report::render_json(&report);
    report.apply_policy(&Policy::default(), date("2026-05-01"));
    let after = crate::report::render_json(&report);
    assert_eq!(before, after);
    assert!(!after.contains("suppress") && !after.contains("original_severity"));
}

#[test]
fn the_ignore_file_next_to_the_config_adds_suppressions() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("plumbline.toml");
    std::fs::write(
        &config_path,
        "[[suppress]]\nrule = \"a/*\"\nsubject = \"*\"\nreason = \"r\"\nexpires = 2030-01-01\n",
    )
    .unwrap();
    std::fs::write(dir.path().join(IGNORE_FILE), "[[suppress]]\nrule = \"b/*\"\nsubject = \"*\"\nreason = \"r\"\n")
        .unwrap();
    let config = crate::config::Config::load(&config_path).unwrap();
    let err = Policy::load(&config, Some(&config_path)).unwrap_err().to_string();
    assert!(err.contains(IGNORE_FILE) && err.contains("[[suppress]] #1: `expires` is required"), "{err}");
    std::fs::write(
        dir.path().join(IGNORE_FILE),
        "[[suppress]]\nrule = \"b/*\"\nsubject = \"*\"\nreason = \"r\"\nexpires = \"2030-01-01\"\n",
    )
    .unwrap();
    let p = Policy::load(&config, Some(&config_path)).unwrap();
    let origins: Vec<&str> = p.suppressions.iter().map(|s| s.defined_in.as_str()).collect();
    assert_eq!(origins, vec!["plumbline.toml [[suppress]] #1", ".plumblineignore.toml [[suppress]] #1"]);
}
