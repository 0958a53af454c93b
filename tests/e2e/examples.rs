//! The eight bundled checks on the two example estates: the healthy one passes everything, the
//! leaky one gives exactly the findings in tests/golden/leaky-estate.findings — a file reviewed
//! by hand against examples/README.md. (`PLUMBLINE_BLESS=1` rewrites it; review the diff.)

use crate::support::*;

const CHECKS: [&str; 8] =
    ["acks", "backpressure", "schema-drift", "dead-letters", "blind-spots", "sla", "idempotency", "security"];

#[test]
fn eight_checks_are_bundled_each_with_its_question() {
    let cache = temp();
    let list = plumbline(cache.path(), &["checks", "list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    for id in CHECKS {
        let line = list.stdout.lines().find(|l| l.split_whitespace().next() == Some(id));
        let line = line.unwrap_or_else(|| panic!("{id} missing from:\n{}", list.stdout));
        assert!(line.contains('?'), "{id} has no question: {line}");
    }
    assert_eq!(list.stdout.lines().count(), CHECKS.len(), "{}", list.stdout);
}

#[test]
fn the_healthy_estate_passes_every_check() {
    let cache = temp();
    let run = plumbline(cache.path(), &["audit", "--format", "json", "--snapshot", &example("healthy-estate")]);
    let report = run.json();
    for id in CHECKS {
        let check = check(&report, id);
        assert_eq!(check["status"], "pass", "{id}: {check:#}");
        assert!(check["evaluated"].as_u64().unwrap() > 0, "{id} evaluated nothing");
    }
    assert_eq!(report["summary"]["findings"], 0);
    assert_eq!(run.code, 0);
}

fn finding_lines(report: &serde_json::Value) -> Vec<String> {
    let mut lines = Vec::new();
    for check in report["checks"].as_array().unwrap() {
        for f in check["findings"].as_array().unwrap() {
            lines.push(format!(
                "{:<8} {} | {} | {} | {}",
                f["severity"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                f["subject"]["source"].as_str().unwrap(),
                f["subject"]["kind"].as_str().unwrap(),
                f["subject"]["id"].as_str().unwrap()
            ));
        }
    }
    lines.sort();
    lines
}

#[test]
fn the_leaky_estate_gives_exactly_the_golden_findings() {
    let cache = temp();
    let run = plumbline(cache.path(), &["audit", "--format", "json", "--snapshot", &example("leaky-estate")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    for id in CHECKS {
        assert_eq!(check(&report, id)["status"], "fail", "{id} should fail on the leaky estate");
    }
    let actual = finding_lines(&report);
    let golden_path = repo_root().join("tests/golden/leaky-estate.findings");
    if std::env::var_os("PLUMBLINE_BLESS").is_some() {
        std::fs::write(&golden_path, actual.join("\n") + "\n").unwrap();
    }
    let golden = std::fs::read_to_string(&golden_path).expect("golden file");
    let expected: Vec<String> =
        golden.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).map(str::to_string).collect();
    let missing: Vec<&String> = expected.iter().filter(|l| !actual.contains(l)).collect();
    let extra: Vec<&String> = actual.iter().filter(|l| !expected.contains(l)).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing:\n{missing:#?}\nunexpected:\n{extra:#?}");
}

#[test]
fn changing_a_threshold_in_configuration_changes_the_verdict() {
    let cache = temp();
    let dir = temp();
    let config = dir.path().join("plumbline.toml");
    let cpu = |r: &serde_json::Value| {
        check(r, "backpressure")["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "backpressure/cpu-saturation")
    };
    let base = plumbline(cache.path(), &["audit", "--format", "json"]).json();
    assert!(cpu(&base), "cpu 0.90 > 0.80 must fire by default");
    std::fs::write(&config, "[checks.backpressure.params]\nmax-cpu-utilisation = 0.95\n").unwrap();
    let tuned = plumbline(cache.path(), &["audit", "--format", "json", "--config", config.to_str().unwrap()]).json();
    assert!(!cpu(&tuned), "raising the CPU threshold to 95% must silence it");
}
