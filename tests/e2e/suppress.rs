//! Suppressions and severity overrides (`[[suppress]]`, `.plumblineignore.toml`,
//! `[severity-overrides]`) on the leaky example estate, through the real binary.

use std::path::Path;

use crate::support::*;

/// The acks check alone, gated on critical: its one critical finding is the RabbitMQ consumer
/// with auto-ack on `orders.created`, so the gate hangs on that finding.
fn audit(cache: &Path, config: &Path, extra: &[&str]) -> Run {
    let snapshot = example("leaky-estate");
    let mut args = vec!["audit", "--snapshot", &snapshot, "--checks", "acks", "--fail-on", "critical", "--config"];
    let config = config.to_str().expect("utf-8 path");
    args.push(config);
    args.extend_from_slice(extra);
    plumbline(cache, &args)
}

fn suppress(expires: &str) -> String {
    format!(
        "[[suppress]]\nrule = \"acks/rabbitmq-*\"\nsubject = \"rabbit-prod/consumer/*orders.created*\"\n\
         reason = \"Consumer replaced in OPS-42\"\nexpires = {expires}\n"
    )
}

fn validate(report: &serde_json::Value) {
    let schema_text = std::fs::read_to_string(repo_root().join("docs/report.schema.json")).expect("schema file");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(report).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "report does not match docs/report.schema.json:\n{}", errors.join("\n"));
}

fn auto_ack(report: &serde_json::Value) -> &serde_json::Value {
    check(report, "acks")["findings"]
        .as_array()
        .and_then(|f| {
            f.iter().find(|f| f["rule"] == "acks/rabbitmq-auto-ack" && f["subject"]["source"] == "rabbit-prod")
        })
        .expect("auto-ack finding on rabbit-prod")
}

#[test]
fn an_active_suppression_hides_the_finding_from_the_gate_but_keeps_it_in_json_and_sarif() {
    let cache = temp();
    let dir = temp();
    let config = dir.path().join("plumbline.toml");
    std::fs::write(&config, "").unwrap();
    let baseline = audit(cache.path(), &config, &["--format", "json"]);
    assert_eq!(baseline.code, 1, "the critical auto-ack finding fails the gate\n{}", baseline.stderr);
    assert!(baseline.json().get("suppressions").is_none(), "no suppression, no new field");

    std::fs::write(&config, suppress("2999-12-31")).unwrap();
    let sarif_path = dir.path().join("out.sarif");
    let sarif_arg = format!("sarif={}", sarif_path.display());
    let run = audit(cache.path(), &config, &["--format", "json", "--format", &sarif_arg]);
    assert_eq!(run.code, 0, "a suppressed finding does not fail the gate\n{}{}", run.stdout, run.stderr);
    let report = run.json();
    validate(&report);
    let finding = auto_ack(&report);
    assert_eq!(finding["suppression"]["reason"], "Consumer replaced in OPS-42");
    assert_eq!(finding["suppression"]["expires"], "2999-12-31");
    assert_eq!(finding["suppression"]["defined_in"], "plumbline.toml [[suppress]] #1");
    assert_eq!(report["summary"]["suppressed"], 1);
    assert_eq!(report["summary"]["by_severity"]["critical"], 0);
    assert_eq!(report["suppressions"][0]["status"], "active");
    assert_eq!(report["suppressions"][0]["findings"][0], finding["fingerprint"]);
    let reason = report["summary"]["gate"]["reason"].as_str().unwrap();
    assert!(reason.contains("1 suppressed finding(s) not counted"), "{reason}");

    let sarif: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let sarif_schema = std::fs::read_to_string(repo_root().join("tests/schemas/sarif-schema-2.1.0.json")).unwrap();
    let sarif_schema: serde_json::Value = serde_json::from_str(&sarif_schema).unwrap();
    let sarif_errors: Vec<String> = jsonschema::validator_for(&sarif_schema)
        .expect("SARIF schema compiles")
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(sarif_errors.is_empty(), "invalid SARIF:\n{}", sarif_errors.join("\n"));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<&serde_json::Value> = results.iter().filter(|r| r.get("suppressions").is_some()).collect();
    assert_eq!(suppressed.len(), 1, "exactly the auto-ack result carries a suppression");
    assert_eq!(suppressed[0]["partialFingerprints"]["plumbline/v1"], finding["fingerprint"]);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "external");
    assert_eq!(suppressed[0]["suppressions"][0]["status"], "accepted");
    assert_eq!(suppressed[0]["suppressions"][0]["justification"], "Consumer replaced in OPS-42");

    let text = audit(cache.path(), &config, &[]);
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("SUPPRESSED (1) — not counted"), "{}", text.stdout);
    assert!(text.stdout.contains("1 suppressed · --fail-on critical: PASSED"), "{}", text.stdout);
    let md = audit(cache.path(), &config, &["--format", "markdown"]);
    assert!(md.stdout.contains("### Suppressed (1, not counted)"), "{}", md.stdout);
}

#[test]
fn a_suppression_past_its_expiry_is_reported_as_expired_and_the_finding_counts_again() {
    let cache = temp();
    let dir = temp();
    let config = dir.path().join("plumbline.toml");
    std::fs::write(&config, "").unwrap();
    // In the ignore file next to the config, as a string date this time.
    std::fs::write(dir.path().join(".plumblineignore.toml"), suppress("\"2000-01-31\"")).unwrap();
    let run = audit(cache.path(), &config, &["--format", "json"]);
    assert_eq!(run.code, 1, "the expired suppression no longer applies\n{}{}", run.stdout, run.stderr);
    let report = run.json();
    validate(&report);
    let finding = auto_ack(&report);
    assert!(finding.get("suppression").is_none(), "{finding}");
    assert_eq!(report["summary"]["suppressed"], 0);
    assert_eq!(report["summary"]["by_severity"]["critical"], 1);
    let entry = &report["suppressions"][0];
    assert_eq!(entry["status"], "expired");
    assert_eq!(entry["expires"], "2000-01-31");
    assert_eq!(entry["defined_in"], ".plumblineignore.toml [[suppress]] #1");
    assert_eq!(entry["findings"][0], finding["fingerprint"]);
    let reason = report["summary"]["gate"]["reason"].as_str().unwrap();
    assert_eq!(
        reason,
        "1 finding(s) at or above critical; 1 of the finding(s) at or above critical count again because their \
         suppression expired"
    );

    let text = audit(cache.path(), &config, &[]);
    assert_eq!(text.code, 1);
    assert!(
        text.stdout.contains(
            "suppression .plumblineignore.toml [[suppress]] #1 (acks/rabbitmq-* on \
             rabbit-prod/consumer/*orders.created*) expired 2000-01-31 — 1 finding(s) count again"
        ),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("--fail-on critical: FAILED (1 finding(s) at or above critical; 1 of"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_severity_override_changes_the_severity_and_the_gate() {
    let cache = temp();
    let dir = temp();
    let config = dir.path().join("plumbline.toml");
    std::fs::write(&config, "[severity-overrides]\n\"acks/rabbitmq-auto-ack\" = \"high\"\n").unwrap();
    let run = audit(cache.path(), &config, &["--format", "json"]);
    assert_eq!(run.code, 0, "no critical finding left\n{}", run.stderr);
    let report = run.json();
    validate(&report);
    assert_eq!(auto_ack(&report)["severity"], "high");
    assert_eq!(auto_ack(&report)["original_severity"], "critical");
    assert_eq!(report["summary"]["by_severity"]["critical"], 0);

    // Raised the other way, with the auto-ack finding suppressed: the override alone fails it.
    let raise = format!("{}[severity-overrides]\n\"acks/kafka-*\" = \"critical\"\n", suppress("2999-12-31"));
    std::fs::write(&config, raise).unwrap();
    let run = audit(cache.path(), &config, &["--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let kafka: Vec<&serde_json::Value> = check(&report, "acks")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "acks/kafka-auto-commit")
        .collect();
    assert!(!kafka.is_empty());
    assert!(kafka.iter().all(|f| f["severity"] == "critical" && f["original_severity"].is_string()), "{kafka:?}");
    assert_eq!(report["summary"]["by_severity"]["critical"], kafka.len());

    std::fs::write(&config, "[severity-overrides]\n\"acks/rabbitmq-autoack\" = \"low\"\n").unwrap();
    let typo = audit(cache.path(), &config, &[]);
    assert_eq!(typo.code, 2, "{}", typo.stdout);
    assert!(typo.stderr.contains("severity-overrides.\"acks/rabbitmq-autoack\": matches no rule"), "{}", typo.stderr);
    std::fs::write(&config, "[severity-overrides]\n\"acks/*\" = \"severe\"\n").unwrap();
    let bad = audit(cache.path(), &config, &[]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("= \"severe\": not a severity"), "{}", bad.stderr);
}

#[test]
fn a_suppression_without_reason_or_expiry_is_a_clear_error() {
    let cache = temp();
    let dir = temp();
    let config = dir.path().join("plumbline.toml");
    let valid = suppress("2999-12-31");
    let cases = [
        (valid.replace("reason = \"Consumer replaced in OPS-42\"\n", ""), "[[suppress]] #2: `reason` is required"),
        (valid.replace("reason = \"Consumer replaced in OPS-42\"", "reason = \"\""), "#2: `reason` is required"),
        (valid.replace("expires = 2999-12-31\n", ""), "[[suppress]] #2: `expires` is required"),
        (valid.replace("2999-12-31", "\"2999-02-30\""), "#2: expires = 2999-02-30: not a date"),
        // A native TOML date that does not exist is refused by the TOML parser, with its line.
        (valid.replace("2999-12-31", "2999-02-30"), "invalid date"),
    ];
    for (second, expected) in cases {
        std::fs::write(&config, format!("{valid}\n{second}")).unwrap();
        let run = audit(cache.path(), &config, &[]);
        assert_eq!(run.code, 2, "{expected}: {}", run.stdout);
        assert!(run.stdout.is_empty(), "no report on a config error");
        assert!(run.stderr.contains(&config.display().to_string()), "names the file: {}", run.stderr);
        assert!(run.stderr.contains(expected), "`{expected}` not in: {}", run.stderr);
    }
}
