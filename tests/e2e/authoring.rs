//! Writing a check, end to end: `plumbline new check` scaffolds a crate that builds for
//! wasm32-wasip2 with the repository's SDK and passes its own native tests; `plumbline test`
//! passes its fixtures, prints a precise diff when an expectation is wrong, and refuses a bad
//! `expected.toml` (exit 2); the component runs in `plumbline audit --plugin`; and the extra
//! cases in tests/fixtures/test-harness (parameters per case, extra findings allowed, a partial
//! source) pass against it.
//!
//! The generated crate is built with real cargo into <repo>/target/scaffold, so repeated runs are
//! cached and the build never waits on the main target directory's lock.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::support::*;

/// The id every test scaffolds (tests/fixtures/test-harness targets it too).
const ID: &str = "queue-depth";
const WASM: &str = "plumbline_check_queue_depth.wasm";

fn scaffold_target() -> PathBuf {
    repo_root().join("target").join("scaffold")
}

/// `plumbline new check ID --dir parent --sdk-path <repo>/plugins/sdk`; returns the crate dir.
fn scaffold(parent: &Path) -> PathBuf {
    let sdk = repo_root().join("plugins").join("sdk");
    let run = new_check(parent, &[ID, "--sdk-path", &sdk.display().to_string()]);
    assert_eq!(run.code, 0, "plumbline new check failed:\n{}{}", run.stdout, run.stderr);
    let dir = parent.join(ID);
    // The workspace's lock file: the new crate resolves to versions this repository already
    // builds (cargo drops what it does not use), so no registry lookup is needed.
    std::fs::copy(repo_root().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
    dir
}

fn new_check(parent: &Path, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    command.args(["new", "check"]).args(args).arg("--dir").arg(parent).env_remove("PLUMBLINE_LOG");
    run(command)
}

/// Runs cargo in `dir` on target/scaffold, without the outer `cargo test`'s environment (as
/// host/build.rs does for the guests).
fn cargo(dir: &Path, args: &[&str]) {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let keep = name == "CARGO_HOME"
            || ["CARGO_NET_", "CARGO_HTTP_", "CARGO_REGISTRIES_", "CARGO_TERM_"].iter().any(|p| name.starts_with(p));
        if (name.starts_with("CARGO") && !keep) || name.contains("RUSTFLAGS") || name == "RUSTC_WORKSPACE_WRAPPER" {
            command.env_remove(name.as_ref());
        }
    }
    command.current_dir(dir).args(args).env("CARGO_TARGET_DIR", scaffold_target());
    let output = command.output().expect("run cargo");
    assert!(
        output.status.success(),
        "cargo {} failed in {}:\n{}\n{}",
        args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The scaffolded check built for wasm32-wasip2 once per test run (the crate itself is
/// scaffolded afresh by each test that needs its files; the output is the same).
fn component() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let parent = temp();
        let dir = scaffold(parent.path());
        cargo(&dir, &["build", "--release", "--target", "wasm32-wasip2"]);
        let wasm = scaffold_target().join("wasm32-wasip2").join("release").join(WASM);
        assert!(wasm.is_file(), "{} was not built", wasm.display());
        wasm
    })
}

/// `plumbline ARGS --cache-dir cache` with CARGO_TARGET_DIR pointing at target/scaffold (where
/// `plumbline test` looks for the component when no --plugin is given).
fn plumbline_test(cache: &Path, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    command
        .arg("test")
        .args(args)
        .arg("--cache-dir")
        .arg(cache)
        .env_remove("PLUMBLINE_LOG")
        .env("CARGO_TARGET_DIR", scaffold_target())
        .current_dir(repo_root());
    run(command)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    std::fs::write(path, text.replace(from, to)).expect("write");
}

#[test]
fn new_check_refuses_bad_names_existing_directories_and_a_wrong_sdk() {
    let parent = temp();
    let run = new_check(parent.path(), &["Queue_Depth"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("`Queue_Depth` is not a valid check id") && run.stderr.contains("kebab-case"),
        "{}",
        run.stderr
    );

    std::fs::create_dir(parent.path().join("taken")).expect("mkdir");
    let run = new_check(parent.path(), &["taken"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(parent.path().join("taken")).expect("list").count(), 0, "nothing written");

    let run = new_check(parent.path(), &["fresh", "--sdk-path", &repo_root().join("host").display().to_string()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not of plumbline-sdk"), "{}", run.stderr);
    assert!(!parent.path().join("fresh").exists(), "nothing is created when the SDK is wrong");
}

#[test]
fn the_scaffolded_check_passes_its_own_native_tests() {
    let parent = temp();
    let dir = scaffold(parent.path());
    cargo(&dir, &["test", "--release"]);
}

#[test]
fn plumbline_test_passes_the_scaffolded_fixtures() {
    component();
    let cache = temp();
    let parent = temp();
    let dir = scaffold(parent.path());
    // No --plugin: the component is found from Cargo.toml under $CARGO_TARGET_DIR.
    let run = plumbline_test(cache.path(), &[&dir.display().to_string()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    for case in ["backlog", "draining", "rabbitmq-unavailable", "rabbitmq-not-collected"] {
        assert!(run.stdout.lines().any(|l| l.starts_with("ok") && l.contains(case)), "{case}:\n{}", run.stdout);
    }
    assert!(run.stdout.contains("4 case(s): 4 ok, all passed"), "{}", run.stdout);

    let run = plumbline_test(cache.path(), &[&dir.display().to_string(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["schema"], "plumbline-test/1");
    assert_eq!(report["check"]["id"], ID);
    assert_eq!(report["summary"]["passed"], 4);
    let statuses: Vec<&str> =
        report["cases"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["fail", "pass", "skip", "inconclusive"], "sorted by case name");
}

#[test]
fn the_scaffolded_check_runs_in_audit_beside_the_bundled_ones() {
    let wasm = component().display().to_string();
    let cache = temp();
    // The bundled leaky example: /orders/payments.in holds 18420 ready messages, orders.created 312.
    let run = plumbline(cache.path(), &["audit", "--plugin", &wasm, "--format", "json"]);
    assert_eq!(run.code, 1, "the leaky estate fails the gate\n{}", run.stderr);
    let report = run.json();
    let ours = check(&report, ID);
    assert_eq!(ours["status"], "fail", "{ours}");
    let subjects: Vec<&str> =
        ours["findings"].as_array().unwrap().iter().map(|f| f["subject"]["id"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["/orders/payments.in"]);
    assert_eq!(ours["findings"][0]["remediation"].as_str().map(|r| r.contains("max-ready")), Some(true));
    assert!(report["checks"].as_array().unwrap().len() > 1, "bundled checks ran too");

    let run = plumbline(
        cache.path(),
        &["audit", "--plugin", &wasm, "--checks", ID, "--snapshot", &example("healthy-estate"), "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(check(&run.json(), ID)["status"], "pass");
}

#[test]
fn plumbline_test_shows_a_precise_diff_when_an_expectation_is_wrong() {
    let wasm = component().display().to_string();
    let cache = temp();
    let parent = temp();
    let dir = scaffold(parent.path());
    let fixtures = dir.join("fixtures");
    edit(&fixtures.join("backlog/expected.toml"), "/orders/payments.in", "/orders/orders.created");
    edit(&fixtures.join("backlog/expected.toml"), "severity = \"medium\"", "severity = \"high\"");
    edit(&fixtures.join("draining/expected.toml"), "status = \"pass\"", "status = \"skip\"");
    edit(&fixtures.join("rabbitmq-unavailable/expected.toml"), "evaluated = 0", "evaluated = 1");

    let run = plumbline_test(cache.path(), &[&dir.display().to_string(), "--plugin", &wasm]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let out = &run.stdout;
    for expected in [
        "FAILED  backlog",
        "missing finding: queue-depth/ready-backlog on `/orders/orders.created` [high], message containing \"18420 ready messages\"",
        "unexpected finding: queue-depth/ready-backlog on `/orders/payments.in` [medium] (source rabbit-prod, kind queue)",
        "FAILED  draining",
        "status: expected skip, got pass",
        "FAILED  rabbitmq-unavailable",
        "evaluated: expected 1, got 0",
        "ok      rabbitmq-not-collected",
        "4 case(s): 1 ok, 3 FAILED",
    ] {
        assert!(out.contains(expected), "missing `{expected}` in:\n{out}");
    }

    // Right finding, wrong details: one precise line per difference.
    let parent = temp();
    let dir = scaffold(parent.path());
    edit(&dir.join("fixtures/backlog/expected.toml"), "severity = \"medium\"", "severity = \"critical\"");
    edit(&dir.join("fixtures/backlog/expected.toml"), "18420 ready", "18421 ready");
    let run = plumbline_test(
        cache.path(),
        &[&dir.join("fixtures").display().to_string(), "--plugin", &wasm, "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let backlog = &report["cases"][0];
    assert_eq!((backlog["name"].as_str(), backlog["ok"].as_bool()), (Some("backlog"), Some(false)));
    assert_eq!(backlog["problems"][0]["problem"], "finding-differs");
    let differences: Vec<&str> =
        backlog["problems"][0]["differences"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    assert_eq!(differences[0], "severity: expected critical, got medium");
    assert!(differences[1].starts_with("message does not contain \"18421 ready messages\""), "{differences:?}");
    assert_eq!(report["summary"]["failed"], 1);
}

#[test]
fn plumbline_test_refuses_bad_cases_before_running_any() {
    let wasm = component().display().to_string();
    let cache = temp();
    let parent = temp();
    let dir = scaffold(parent.path());
    let fixtures = dir.join("fixtures");
    edit(&fixtures.join("draining/expected.toml"), "status = \"pass\"", "status = \"passed\"");
    std::fs::remove_file(fixtures.join("backlog/expected.toml")).expect("remove");
    std::fs::write(
        fixtures.join("rabbitmq-unavailable/plumbline.toml"),
        "[checks.queue-dpeth.params]\nmax-ready = 1\n",
    )
    .expect("write");

    let run = plumbline_test(cache.path(), &[&dir.display().to_string(), "--plugin", &wasm]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "nothing runs: {}", run.stdout);
    let err = &run.stderr;
    assert!(err.contains("2 bad test case(s), nothing was run"), "{err}");
    assert!(err.contains(&format!("{}: no expected.toml", fixtures.join("backlog").display())), "{err}");
    assert!(
        err.contains(&format!("invalid {}: at `status` (line 2)", fixtures.join("draining/expected.toml").display())),
        "{err}"
    );
    assert!(
        err.contains("unknown variant `passed`, expected one of `pass`, `fail`, `inconclusive`, `error`, `skip`"),
        "{err}"
    );

    // Once those are fixed, the case config naming another check is refused too.
    let parent = temp();
    let dir = scaffold(parent.path());
    std::fs::write(dir.join("fixtures/draining/plumbline.toml"), "[checks.queue-dpeth.params]\nmax-ready = 1\n")
        .expect("write");
    let run = plumbline_test(cache.path(), &[&dir.display().to_string(), "--plugin", &wasm]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("draining/plumbline.toml") && run.stderr.contains("no check `queue-dpeth`"),
        "{}",
        run.stderr
    );
}

#[test]
fn plumbline_test_says_how_to_build_when_there_is_no_component() {
    let cache = temp();
    let parent = temp();
    let dir = scaffold(parent.path());
    let empty_target = temp();
    let mut command = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    command.arg("test").arg(&dir).arg("--cache-dir").arg(cache.path()).env("CARGO_TARGET_DIR", empty_target.path());
    let run = run(command);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(WASM) && run.stderr.contains("cargo build --release --target wasm32-wasip2"),
        "{}",
        run.stderr
    );

    let run = plumbline_test(cache.path(), &[&repo_root().join("plugins/acks").display().to_string()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no test cases"), "{}", run.stderr);
}

#[test]
fn the_test_harness_fixtures_pass_against_the_scaffolded_check() {
    let wasm = component().display().to_string();
    let cache = temp();
    let harness = repo_root().join("tests/fixtures/test-harness");
    let run = plumbline_test(cache.path(), &[&harness.display().to_string(), "--plugin", &wasm, "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report = run.json();
    let cases: Vec<(&str, &str)> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        cases,
        [
            ("extra-findings-allowed", "fail"),
            ("partial-source-is-inconclusive", "inconclusive"),
            ("threshold-from-config", "fail")
        ]
    );
    assert_eq!(report["cases"][0]["findings"], 2, "the unlisted finding is allowed, not absent");
    assert_eq!(report["cases"][2]["findings"], 2, "max-ready = 40 from the case's plumbline.toml");
}
