//! Python checks: the example `dead-letters-py` (examples/python-check), built with componentize-py
//! by scripts/build-python-check.sh, runs in the same sandbox as the Rust checks, finds exactly
//! what the bundled Rust `dead-letters` finds, is inconclusive on sources that could not be read,
//! is compiled once (the second run loads it from the compile cache) and passes its own
//! `plumbline test` fixtures.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::*;

/// Builds the Python component once per test process (the script skips the build when the
/// component is newer than its sources) and returns its path.
fn component() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let script = repo_root().join("scripts/build-python-check.sh");
        let out = Command::new("bash").arg(&script).current_dir(repo_root()).output().expect("run bash");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{} failed (scripts/setup.sh installs componentize-py):\n{stdout}\n{}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let path = stdout.lines().last().unwrap_or_default().trim().to_string();
        assert!(PathBuf::from(&path).is_file(), "the build script printed no component path: {stdout}");
        path
    })
}

/// The compile cache of the tests that do not look at cache states: compiling the 19 MB Python
/// component takes ~10 s, so they share one that outlives the run, in target/python-check/cache
/// (entries are keyed by the component's sha256, so a rebuilt component simply misses).
fn warm_cache() -> PathBuf {
    repo_root().join("target/python-check/cache")
}

/// The snapshots both checks are compared on: the bundled examples and every fixture of the
/// Python example.
fn snapshots() -> Vec<PathBuf> {
    let mut all = vec![PathBuf::from(example("leaky-estate")), PathBuf::from(example("healthy-estate"))];
    let fixtures = repo_root().join("examples/python-check/fixtures");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap_or_else(|e| panic!("{}: {e}", fixtures.display()))
        .flatten()
        .map(|e| e.path().join("snapshot.json"))
        .filter(|p| p.is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "expected the python-check fixtures, found {cases:?}");
    all.extend(cases);
    all
}

/// Runs the Rust and the Python dead-letters checks on `snapshot` and returns the JSON report.
/// A fixture's `plumbline.toml` (parameters of `dead-letters-py`) is applied to both checks.
fn audit_both(cache: &std::path::Path, snapshot: &std::path::Path) -> Value {
    let config_dir = temp();
    let mut args: Vec<String> =
        ["audit", "--snapshot", &snapshot.display().to_string(), "--plugin", component()].map(String::from).to_vec();
    let fixture_config = snapshot.with_file_name("plumbline.toml");
    if fixture_config.is_file() {
        let text = std::fs::read_to_string(&fixture_config).expect("read fixture config");
        let both = format!("{text}\n{}", text.replace("[checks.dead-letters-py.", "[checks.dead-letters."));
        let path = config_dir.path().join("plumbline.toml");
        std::fs::write(&path, both).expect("write config");
        args.extend(["--config".to_string(), path.display().to_string()]);
    }
    args.extend(
        ["--checks", "dead-letters,dead-letters-py", "--fail-on", "none", "--format", "json"].map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = plumbline(cache, &args);
    assert_ne!(run.code, 2, "{}: usage error:\n{}", snapshot.display(), run.stderr);
    run.json()
}

/// What a check concluded, with rule ids stripped of the check id: status, evaluated count,
/// notes and every finding (rule, severity, subject, message, evidence), sorted.
fn verdict(report: &Value, id: &str) -> (String, u64, Vec<String>, Vec<String>) {
    let check = check(report, id);
    assert!(check["error"].is_null(), "{id} errored: {}", check["error"]);
    let prefix = format!("{id}/");
    let mut findings: Vec<String> = check["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let rule = f["rule"].as_str().expect("rule");
            let rule = rule.strip_prefix(&prefix).unwrap_or_else(|| panic!("{id}: rule {rule} lacks `{prefix}`"));
            let s = &f["subject"];
            format!(
                "{rule} {} {}/{}/{} | {} | {}",
                f["severity"], s["source"], s["kind"], s["id"], f["message"], f["evidence"]
            )
        })
        .collect();
    findings.sort();
    let notes = check["notes"].as_array().expect("notes").iter().map(|n| n.to_string()).collect();
    (
        check["status"].as_str().unwrap_or_default().to_string(),
        check["evaluated"].as_u64().unwrap_or(0),
        notes,
        findings,
    )
}

#[test]
fn the_python_port_finds_exactly_what_the_rust_dead_letters_check_finds() {
    let cache = warm_cache();
    for snapshot in snapshots() {
        let report = audit_both(&cache, &snapshot);
        let rust = verdict(&report, "dead-letters");
        let python = verdict(&report, "dead-letters-py");
        assert_eq!(python, rust, "{}: the Python port disagrees with the Rust check", snapshot.display());
    }
    // Not vacuous: on the leaky example both fail with findings under several rules.
    let report = audit_both(&cache, std::path::Path::new(&example("leaky-estate")));
    let (status, _, _, findings) = verdict(&report, "dead-letters-py");
    assert_eq!(status, "fail");
    let rules: std::collections::BTreeSet<&str> =
        findings.iter().filter_map(|f| f.split_once(' ').map(|(rule, _)| rule)).collect();
    assert!(rules.len() >= 3, "the leaky example should break several rules: {rules:?}");
}

#[test]
fn the_python_check_is_inconclusive_when_its_sources_could_not_be_read() {
    let cache = warm_cache();
    let fixtures = repo_root().join("examples/python-check/fixtures");
    let report = audit_both(&cache, &fixtures.join("sources-unavailable/snapshot.json"));
    let py = check(&report, "dead-letters-py");
    assert_eq!(py["status"], "inconclusive", "{py:#}");
    assert!(py["findings"].as_array().unwrap().is_empty());
    let unavailable: Vec<&str> = py["sections_read"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["state"] == "unavailable")
        .filter_map(|r| r["section"].as_str())
        .collect();
    assert!(unavailable.contains(&"rabbitmq") && unavailable.contains(&"sqs"), "{py:#}");
    assert!(
        py["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap_or("").contains("timed out")),
        "the note names why rabbitmq could not be read: {py:#}"
    );

    // Nothing of its kinds in the estate at all: nothing to audit, so skip (as the Rust check).
    let report = audit_both(&cache, &fixtures.join("nothing-collected/snapshot.json"));
    assert_eq!(check(&report, "dead-letters-py")["status"], "skip");
}

#[test]
fn the_second_run_of_the_python_check_loads_it_from_the_compile_cache() {
    let cache = temp();
    let args = ["audit", "--no-bundled", "--plugin", component(), "--format", "json", "--fail-on", "none"];
    let first = plumbline(cache.path(), &args);
    let second = plumbline(cache.path(), &args);
    for (run, expected) in [(&first, "miss"), (&second, "hit")] {
        let report = run.json();
        let check = check(&report, "dead-letters-py");
        assert_eq!(check["plugin"]["cache"], expected, "{:#}", check["plugin"]);
        assert_eq!(check["plugin"]["contract"], "0.1.0");
        assert_eq!(check["status"], "fail");
    }
}

#[test]
fn checks_show_describes_the_python_check() {
    let cache = warm_cache();
    let run = plumbline(&cache, &["checks", "show", "dead-letters-py", "--plugin", component()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for rule in [
        "rabbitmq-no-dead-letter",
        "sqs-no-redrive",
        "kafka-no-dead-letter-topic",
        "messages-in-dead-letter-queue",
        "no-dead-letter-alert",
        "unbounded-redelivery",
        "excessive-retries",
    ] {
        assert!(run.stdout.contains(&format!("dead-letters-py/{rule}")), "{rule} missing:\n{}", run.stdout);
    }
    assert!(run.stdout.contains("max-receive-count"), "{}", run.stdout);
}

#[test]
fn plumbline_test_passes_the_python_checks_fixtures() {
    let cache = warm_cache();
    let dir = repo_root().join("examples/python-check");
    let run = plumbline(&cache, &["test", &dir.display().to_string(), "--plugin", component()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("5 case(s): 5 ok"), "{}", run.stdout);
    for case in ["every-rule", "healthy", "kafka-dlt-optional", "nothing-collected", "sources-unavailable"] {
        assert!(run.stdout.lines().any(|l| l.starts_with("ok") && l.contains(case)), "{case}:\n{}", run.stdout);
    }
}
