//! `plumbline audit` on the bundled example: the report, its JSON schema, gates and parameters.

use crate::support::*;

#[test]
fn default_audit_reports_the_acks_findings_of_the_example() {
    let cache = temp();
    let run = plumbline(cache.path(), &["audit"]);
    assert_eq!(run.code, 1, "leaky example must fail the default gate\n{}{}", run.stdout, run.stderr);
    for expected in [
        "bundled:examples/leaky-estate/snapshot.json",
        "CRITICAL (",
        "acks/rabbitmq-auto-ack",
        "acks/kafka-auto-commit",
        "acks/webhook-ack-before-processing",
        "orders.created",
        "--fail-on high: FAILED",
    ] {
        assert!(run.stdout.contains(expected), "missing `{expected}` in:\n{}", run.stdout);
    }
    assert!(!run.stdout.contains('\u{1b}'), "colour codes written to a pipe");
}

#[test]
fn json_report_validates_against_the_documented_schema() {
    let cache = temp();
    let run = plumbline(cache.path(), &["audit", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let schema_text = std::fs::read_to_string(repo_root().join("docs/report.schema.json")).expect("schema file");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&report).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(errors.is_empty(), "report does not match docs/report.schema.json:\n{}", errors.join("\n"));

    assert_eq!(report["schema"], "plumbline-report/1");
    assert_eq!(report["plumbline_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(report["snapshot"]["sha256"].as_str().map(str::len), Some(64));
    let acks = check(&report, "acks");
    assert_eq!(acks["status"], "fail");
    assert_eq!(acks["plugin"]["origin"], "bundled:acks");
    assert_eq!(acks["plugin"]["sha256"].as_str().map(str::len), Some(64));
    assert_eq!(acks["plugin"]["contract"], "0.1.0");
    // The schema would also accept a mutated report that breaks the contract; make sure it does not.
    let mut broken = report.clone();
    broken["checks"][0]["status"] = "green".into();
    assert!(!validator.is_valid(&broken), "schema accepts an unknown status");
}

#[test]
fn fail_on_sets_the_gate() {
    let cache = temp();
    let none = plumbline(cache.path(), &["audit", "--fail-on", "none"]);
    assert_eq!(none.code, 0, "{}", none.stdout);
    let critical = plumbline(cache.path(), &["audit", "--fail-on", "critical", "--format", "json"]);
    assert_eq!(critical.code, 1);
    let report = critical.json();
    let criticals = report["summary"]["by_severity"]["critical"].as_u64().unwrap();
    assert!(criticals > 0);
    assert_eq!(report["summary"]["gate"]["reason"], format!("{criticals} finding(s) at or above critical"));
    let bad = plumbline(cache.path(), &["audit", "--fail-on", "severe"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("not a severity"), "{}", bad.stderr);
}

#[test]
fn a_parameter_override_in_config_changes_the_verdict() {
    let cache = temp();
    let dir = temp();
    let config = dir.path().join("plumbline.toml");
    std::fs::write(&config, "[checks.acks.params]\nignore-queues = [\"orders.*\"]\n").unwrap();
    let base = plumbline(cache.path(), &["audit", "--format", "json"]).json();
    let tuned = plumbline(cache.path(), &["audit", "--format", "json", "--config", config.to_str().unwrap()]).json();
    let criticals = |r: &serde_json::Value| {
        check(r, "acks")["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "critical").count()
    };
    assert_eq!(criticals(&base), 1);
    assert_eq!(criticals(&tuned), 0, "ignoring orders.* must drop the auto-ack finding");

    std::fs::write(&config, "[checks.acks.params]\nignore-queues = 3\n").unwrap();
    let wrong = plumbline(cache.path(), &["audit", "--format", "json", "--config", config.to_str().unwrap()]);
    assert_eq!(wrong.code, 3, "a mistyped parameter is that check's error");
    let error = check(&wrong.json(), "acks")["error"].as_str().unwrap().to_string();
    assert!(error.contains("ignore-queues") && error.contains("list of strings"), "{error}");
}

#[test]
fn unknown_check_ids_are_usage_errors() {
    let cache = temp();
    let run = plumbline(cache.path(), &["audit", "--checks", "acks,nope"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no check `nope`") && run.stderr.contains("acks"), "{}", run.stderr);
}

#[test]
fn checks_list_and_show_describe_the_bundled_check() {
    let cache = temp();
    let list = plumbline(cache.path(), &["checks", "list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(list.stdout.contains("acks") && list.stdout.contains("acknowledgments"), "{}", list.stdout);
    let show = plumbline(cache.path(), &["checks", "show", "acks"]);
    assert_eq!(show.code, 0);
    for expected in
        ["acks/rabbitmq-auto-ack [high]", "reads: rabbitmq, config-files, registry", "ignore-queues", "see: https://"]
    {
        assert!(show.stdout.contains(expected), "missing `{expected}`:\n{}", show.stdout);
    }
    let missing = plumbline(cache.path(), &["checks", "show", "nope"]);
    assert_eq!(missing.code, 2);
}

#[test]
fn an_unreadable_source_makes_the_check_inconclusive_never_pass() {
    let cache = temp();
    let dir = temp();
    let path = leaky_estate_without_rabbitmq(dir.path());

    // Only acks: the other checks find plenty in the rest of this estate.
    let run = plumbline(
        cache.path(),
        &["audit", "--checks", "acks", "--format", "json", "--snapshot", path.to_str().unwrap()],
    );
    assert_eq!(run.code, 1, "inconclusive fails the gate by default");
    let report = run.json();
    let acks = check(&report, "acks");
    assert_eq!(acks["status"], "inconclusive");
    let read = acks["sections_read"].as_array().unwrap().iter().find(|r| r["section"] == "rabbitmq").unwrap();
    assert_eq!(read["state"], "unavailable");
    assert!(read["reason"].as_str().unwrap().contains("connection refused"));

    let allowed = plumbline(
        cache.path(),
        &["audit", "--checks", "acks", "--allow-inconclusive", "--snapshot", path.to_str().unwrap()],
    );
    assert_eq!(allowed.code, 0, "{}", allowed.stdout);
}
