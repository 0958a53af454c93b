//! The report formats on the leaky example estate: SARIF validates against the OASIS SARIF 2.1.0
//! schema and JUnit against Jenkins' junit-10.xsd (both in tests/schemas/, origins in its
//! README), Markdown fits a PR comment and states the verdict, several `--format x=path` write
//! every file in one run, and bad `--format` values are usage errors (exit 2).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::*;

fn leaky() -> String {
    example("leaky-estate")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sarif_validator() -> jsonschema::Validator {
    let text = read(&repo_root().join("tests/schemas/sarif-schema-2.1.0.json"));
    let schema: Value = serde_json::from_str(&text).expect("SARIF schema is JSON");
    jsonschema::validator_for(&schema).expect("SARIF schema compiles")
}

fn assert_valid_sarif(log: &Value) {
    let errors: Vec<String> =
        sarif_validator().iter_errors(log).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "SARIF does not match the 2.1.0 schema:\n{}", errors.join("\n"));
}

/// Validates `xml` with `xmllint --schema tests/schemas/junit-10.xsd` (Debian libxml2-utils,
/// installed by scripts/setup.sh).
fn assert_valid_junit(xml: &Path) {
    let xsd = repo_root().join("tests/schemas/junit-10.xsd");
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(xml)
        .output()
        .expect("xmllint runs (apt-get install libxml2-utils; scripts/setup.sh does)");
    assert!(
        output.status.success(),
        "JUnit XML does not match junit-10.xsd:\n{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        read(xml).chars().take(3000).collect::<String>()
    );
}

/// The number in `name="N"` of the first element `tag`.
fn attribute(xml: &str, tag: &str, name: &str) -> usize {
    let start = xml.find(&format!("<{tag} ")).unwrap_or_else(|| panic!("no <{tag}>"));
    let head = &xml[start..start + xml[start..].find('>').unwrap()];
    let value = head.split(&format!(" {name}=\"")).nth(1).unwrap_or_else(|| panic!("no {name} in {head}"));
    value[..value.find('"').unwrap()].parse().unwrap()
}

#[test]
fn several_formats_are_written_in_one_run_and_stdout_gets_text() {
    let cache = temp();
    let dir = temp();
    let path = |name: &str| dir.path().join(name);
    let spec = |format: &str, file: &str| format!("{format}={}", path(file).display());
    let formats = [
        ("json", "report.json"),
        ("sarif", "report.sarif"),
        ("junit", "junit.xml"),
        ("markdown", "comment.md"),
        ("text", "report.txt"),
    ];
    let mut args = vec!["audit".to_string(), "--snapshot".into(), leaky()];
    for (format, file) in formats {
        args.push("--format".into());
        args.push(spec(format, file));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = plumbline(cache.path(), &args);
    assert_eq!(run.code, 1, "the gate is the same whatever the formats: {}", run.stderr);
    for (_, file) in formats {
        let written = read(&path(file));
        assert!(!written.is_empty(), "{file} is empty");
        assert!(!written.contains('\u{1b}'), "{file} carries ANSI escapes");
    }
    let json: Value = serde_json::from_str(&read(&path("report.json"))).unwrap();
    assert_eq!(json["schema"], "plumbline-report/1");
    assert!(run.stdout.contains("--fail-on high: FAILED"), "stdout gets the text report:\n{}", run.stdout);
    assert_eq!(read(&path("report.txt")), run.stdout, "the text file is the plain text report");
}

#[test]
fn sarif_validates_against_the_schema_and_mirrors_the_report() {
    let cache = temp();
    let report = plumbline(cache.path(), &["audit", "--format", "json", "--snapshot", &leaky()]).json();
    let run = plumbline(cache.path(), &["audit", "--format", "sarif", "--snapshot", &leaky()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let log = run.json();
    assert_valid_sarif(&log);
    assert_eq!(log["version"], "2.1.0");

    let sarif_run = &log["runs"][0];
    let driver = &sarif_run["tool"]["driver"];
    assert_eq!(driver["name"], "plumbline");
    let rules = driver["rules"].as_array().unwrap();
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        for field in ["shortDescription", "fullDescription", "help"] {
            assert!(!rule[field]["text"].as_str().unwrap_or("").is_empty(), "{id} has no {field}");
        }
        assert!(rule["help"]["markdown"].is_string(), "{id} has no markdown help");
        assert!(rule["defaultConfiguration"]["level"].is_string(), "{id} has no level");
        assert!(rule["properties"]["tags"].as_array().is_some_and(|t| !t.is_empty()), "{id} has no tags");
    }
    // Every check's every rule, not only those that fired: compare with `checks show`.
    let acks_rules = plumbline(cache.path(), &["checks", "show", "acks"]).stdout.matches("\n  acks/").count();
    let listed = rules.iter().filter(|r| r["id"].as_str().unwrap().starts_with("acks/")).count();
    assert_eq!(listed, acks_rules);

    let findings: Vec<&Value> =
        report["checks"].as_array().unwrap().iter().flat_map(|c| c["findings"].as_array().unwrap()).collect();
    let results = sarif_run["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    for (result, finding) in results.iter().zip(&findings) {
        assert_eq!(result["ruleId"], finding["rule"]);
        assert_eq!(result["partialFingerprints"]["plumbline/v1"], finding["fingerprint"]);
        let expected = match finding["severity"].as_str().unwrap() {
            "critical" | "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(result["level"], expected, "{finding}");
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0];
        assert!(location["physicalLocation"]["artifactLocation"]["uri"].is_string(), "GitHub needs a file");
        assert!(location["physicalLocation"]["region"]["startLine"].as_u64().unwrap() >= 1);
        assert_eq!(location["logicalLocations"][0]["name"], finding["subject"]["id"]);
    }
    // A config-file finding points at the file and line; an estate finding at the snapshot
    // (relative to the working directory, the repository root here).
    let config = results
        .iter()
        .find(|r| r["properties"]["subject"]["id"] == "spring.rabbitmq.listener.simple.acknowledge-mode")
        .expect("config-key finding");
    let physical = &config["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "file:///srv/payment-service/config/application.yml");
    assert_eq!(physical["region"]["startLine"], 15);
    let estate = results.iter().find(|r| r["properties"]["subject"]["source"] == "rabbit-prod").unwrap();
    assert_eq!(
        estate["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "examples/leaky-estate/snapshot.json"
    );
    let invocation = &sarif_run["invocations"][0];
    assert_eq!(invocation["exitCode"], 1);
    assert_eq!(invocation["executionSuccessful"], true);
    assert_eq!(invocation["properties"]["gate"], report["summary"]["gate"]);

    // The schema is really applied: a level SARIF does not know is refused.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = "critical".into();
    assert!(!sarif_validator().is_valid(&broken), "schema accepts an unknown level");
}

/// The leaky estate with RabbitMQ unreadable (so `acks` is inconclusive) and a plugin that
/// crashes (so its check ends in `error`).
fn unanswered_run(cache: &Path, dir: &Path, format: &str) -> (i32, PathBuf) {
    let snapshot_path = leaky_estate_without_rabbitmq(dir);
    let out = dir.join(format!("out.{format}"));
    let spec = format!("{format}={}", out.display());
    let crash = guest("crash");
    let args = ["audit", "--snapshot", snapshot_path.to_str().unwrap(), "--plugin", &crash, "--format", &spec];
    let run = plumbline(cache, &args);
    (run.code, out)
}

#[test]
fn unanswered_checks_are_notifications_in_sarif_and_errors_or_skips_in_junit() {
    let cache = temp();
    let dir = temp();
    let (code, sarif) = unanswered_run(cache.path(), dir.path(), "sarif");
    assert_eq!(code, 3, "a check in error exits 3");
    let log: Value = serde_json::from_str(&read(&sarif)).unwrap();
    assert_valid_sarif(&log);
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(invocation["exitCode"], 3);
    let notes = invocation["toolExecutionNotifications"].as_array().expect("notifications");
    let find = |needle: &str| {
        notes
            .iter()
            .find(|n| n["message"]["text"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no notification with `{needle}` in {notes:#?}"))
    };
    assert_eq!(find("`hostile-crash` ended in error")["level"], "error");
    assert_eq!(find("`acks` is inconclusive")["level"], "warning");
    assert!(find("could not be read: connection refused")["message"]["text"].is_string());

    let (code, junit) = unanswered_run(cache.path(), dir.path(), "junit");
    assert_eq!(code, 3);
    assert_valid_junit(&junit);
    let xml = read(&junit);
    let crash = &xml[xml.find("<testsuite name=\"hostile-crash\"").expect("suite of the crashing check")..];
    assert!(attribute(crash, "testsuite", "errors") >= 1, "{crash}");
    assert!(crash[..crash.find("</testsuite>").unwrap()].contains("<error message=\"check ended in error"));
    let acks = &xml[xml.find("<testsuite name=\"acks\"").unwrap()..];
    assert!(attribute(acks, "testsuite", "skipped") >= 1, "{acks}");
    assert!(acks.contains("<skipped message=\"check inconclusive"), "{acks}");
}

#[test]
fn junit_validates_with_one_case_per_rule() {
    let cache = temp();
    let dir = temp();
    let leaky_xml = dir.path().join("leaky.xml");
    let healthy_xml = dir.path().join("healthy.xml");
    let leaky_spec = format!("junit={}", leaky_xml.display());
    let run = plumbline(cache.path(), &["audit", "--snapshot", &leaky(), "--format", &leaky_spec]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_valid_junit(&leaky_xml);
    let healthy_spec = format!("junit={}", healthy_xml.display());
    let run = plumbline(cache.path(), &["audit", "--snapshot", &example("healthy-estate"), "--format", &healthy_spec]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_valid_junit(&healthy_xml);

    let sarif = plumbline(cache.path(), &["audit", "--snapshot", &leaky(), "--format", "sarif"]).json();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().len();
    let leaky = read(&leaky_xml);
    assert_eq!(attribute(&leaky, "testsuites", "tests"), rules, "one test case per rule");
    assert_eq!(leaky.matches("<testsuite ").count(), 8, "one suite per check");
    // Every rule fires on the leaky estate (tests/golden), so every case fails there…
    assert_eq!(attribute(&leaky, "testsuites", "failures"), rules);
    assert!(leaky.contains("<testcase name=\"acks/rabbitmq-auto-ack\" classname=\"plumbline.acks\">"));
    assert!(leaky.contains("[critical] rabbit-prod consumer /orders/orders.created/"), "findings are listed");
    // …and passes on the healthy one.
    let healthy = read(&healthy_xml);
    assert_eq!(attribute(&healthy, "testsuites", "tests"), rules);
    assert_eq!(attribute(&healthy, "testsuites", "failures"), 0);
    assert_eq!(attribute(&healthy, "testsuites", "errors"), 0);
}

#[test]
fn markdown_fits_a_pr_comment_and_states_the_verdict() {
    let cache = temp();
    let report = plumbline(cache.path(), &["audit", "--format", "json", "--snapshot", &leaky()]).json();
    let run = plumbline(cache.path(), &["audit", "--format", "markdown", "--snapshot", &leaky()]);
    assert_eq!(run.code, 1);
    let md = &run.stdout;
    assert!(md.len() < 60_000 && md.chars().count() < 65_536, "{} bytes", md.len());
    assert!(md.starts_with("## plumbline audit ❌ failed"), "{md}");
    let reason = report["summary"]["gate"]["reason"].as_str().unwrap();
    assert!(md.contains(&format!("**FAILED**, exit 1: {reason}")), "verdict and why:\n{md}");
    assert!(md.contains("| Check | Status | Critical | High | Medium | Low | Info |"));
    assert!(md.contains("| `security` | ❌ fail |"), "{md}");
    let total = report["summary"]["findings"].as_u64().unwrap();
    assert!(md.contains(&format!("… and {} more", total - 50)), "capped at 50 findings:\n{md}");
    assert!(md.contains("#### 🔴 Critical (3)"), "{md}");

    let healthy = plumbline(cache.path(), &["audit", "--format", "markdown", "--snapshot", &example("healthy-estate")]);
    assert_eq!(healthy.code, 0);
    assert!(healthy.stdout.starts_with("## plumbline audit ✅ passed"), "{}", healthy.stdout);
    assert!(healthy.stdout.contains("No findings."));
}

#[test]
fn output_takes_the_plain_format_and_files_never_get_colour() {
    let cache = temp();
    let dir = temp();
    let json = dir.path().join("report.json");
    let run = plumbline(
        cache.path(),
        &["audit", "--snapshot", &leaky(), "--format", "json", "--output", json.to_str().unwrap()],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "--output takes the report off stdout: {}", run.stdout);
    let report: Value = serde_json::from_str(&read(&json)).unwrap();
    assert_eq!(report["schema"], "plumbline-report/1");

    // Colours forced on: stdout (a "terminal") gets them, files do not.
    let text = dir.path().join("report.txt");
    let output = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(["audit", "--snapshot", &leaky(), "--format", &format!("text={}", text.display()), "--cache-dir"])
        .arg(cache.path())
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains('\u{1b}'), "forced colours reach stdout");
    assert!(!read(&text).contains('\u{1b}'), "a file never gets ANSI escapes");
}

#[test]
fn bad_format_values_are_usage_errors() {
    let cache = temp();
    let dir = temp();
    let same = dir.path().join("same.out").display().to_string();
    let cases: [(&[&str], &str); 5] = [
        (&["--format", "xml"], "`xml` is not a report format (text, json, sarif, junit, markdown, html)"),
        (&["--format", "sarif="], "`sarif=` names no file"),
        (&["--format", "pdf=out.pdf"], "`pdf` is not a report format"),
        (&["--format", "json", "--format", "sarif"], "only one format can go to stdout"),
        (&["--format", &format!("sarif={same}"), "--format", &format!("junit={same}")], "is named twice"),
    ];
    let snapshot = leaky();
    for (extra, message) in cases {
        let mut args = vec!["audit", "--snapshot", &snapshot];
        args.extend_from_slice(extra);
        let run = plumbline(cache.path(), &args);
        assert_eq!(run.code, 2, "{extra:?} should be a usage error:\n{}", run.stderr);
        assert!(run.stderr.contains(message), "{extra:?}: expected `{message}` in:\n{}", run.stderr);
        assert!(run.stdout.is_empty(), "{extra:?}: no report on a usage error");
    }
    assert!(!Path::new(&same).exists(), "nothing is written on a usage error");
}
