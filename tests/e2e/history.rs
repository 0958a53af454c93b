//! `audit --record`, `plumbline history` and `plumbline diff`: two recorded audits with a change
//! in between, compared on a SQLite file and on the local PostgreSQL (a schema of its own).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::support::*;

/// Runs `plumbline` without the `--cache-dir` that [`plumbline`] adds (history commands compile
/// nothing); PLUMBLINE_HISTORY is cleared so only `--history` counts.
fn plumbline_bare(args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    command.args(args).env_remove("PLUMBLINE_LOG").env_remove("PLUMBLINE_HISTORY").current_dir(repo_root());
    run(command)
}

/// The leaky estate with the auto-ack consumer on orders.created switched to manual acks: the
/// critical `acks/rabbitmq-auto-ack` goes away and, with prefetch 0, `backpressure/unbounded-prefetch`
/// appears for that consumer.
fn fixed_estate(dir: &Path) -> String {
    let text = std::fs::read_to_string(example("leaky-estate")).unwrap();
    let mut snapshot: serde_json::Value = serde_json::from_str(&text).unwrap();
    let consumer = &mut snapshot["rabbitmq"][0]["consumers"][0];
    assert_eq!(consumer["queue"], "orders.created");
    consumer["ack_required"] = true.into();
    let path = dir.join("leaky-fixed.json");
    std::fs::write(&path, serde_json::to_string_pretty(&snapshot).unwrap()).unwrap();
    path.display().to_string()
}

fn fingerprints(report: &serde_json::Value) -> BTreeSet<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["findings"].as_array().unwrap().iter().map(|f| f["fingerprint"].as_str().unwrap().to_string()))
        .collect()
}

fn listed(diff: &serde_json::Value, key: &str) -> BTreeSet<String> {
    diff[key].as_array().unwrap().iter().map(|f| f["fingerprint"].as_str().unwrap().to_string()).collect()
}

/// Records leaky → fixed → healthy in `history` and checks what `history` and `diff` say.
fn record_change_and_diff(history: &str) {
    let cache = temp();
    let dir = temp();
    let fixed = fixed_estate(dir.path());
    let leaky = example("leaky-estate");
    let healthy = example("healthy-estate");

    let audit = |snapshot: &str| {
        let run =
            plumbline(cache.path(), &["audit", "-s", snapshot, "--record", "--history", history, "--format", "json"]);
        assert!(run.stderr.contains("recorded run "), "{}", run.stderr);
        run
    };
    let first = audit(&leaky);
    assert_eq!(first.code, 1, "{}", first.stderr);
    let second = audit(&fixed);
    assert_eq!(second.code, 1, "{}", second.stderr);
    let (before, after) = (fingerprints(&first.json()), fingerprints(&second.json()));
    let expected_new: BTreeSet<String> = after.difference(&before).cloned().collect();
    let expected_resolved: BTreeSet<String> = before.difference(&after).cloned().collect();
    assert_eq!((expected_new.len(), expected_resolved.len()), (1, 1), "the fixture changed");

    // `history` lists both runs, oldest first.
    let list = plumbline_bare(&["history", "--history", history]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(list.stdout.contains("(2 run(s))"), "{}", list.stdout);
    assert!(list.stdout.contains("leaky-estate/snapshot.json") && list.stdout.contains("leaky-fixed.json"));
    let runs = plumbline_bare(&["history", "--history", history, "--format", "json"]).json();
    let runs = runs["runs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 2);
    assert_eq!((runs[0]["counts"]["critical"].as_i64(), runs[1]["counts"]["critical"].as_i64()), (Some(3), Some(2)));
    assert_eq!(runs[0]["gate"]["passed"], false);
    let (id1, id2) = (runs[0]["id"].as_i64().unwrap(), runs[1]["id"].as_i64().unwrap());

    // `diff` with no arguments: the previous run against the last.
    let text = plumbline_bare(&["diff", "--history", history]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let unchanged = before.len() - 1;
    for expected in [
        format!("diff: run {id1} → run {id2}"),
        format!("findings: 1 new · 1 resolved · {unchanged} unchanged"),
        "New (1):\n  HIGH      backpressure/unbounded-prefetch".to_string(),
        "Resolved (1):\n  CRITICAL  acks/rabbitmq-auto-ack".to_string(),
        "Check status: no change".to_string(),
        "Gate: FAILED (exit 1) in both runs".to_string(),
    ] {
        assert!(text.stdout.contains(&expected), "missing `{expected}` in:\n{}", text.stdout);
    }
    let json = plumbline_bare(&["diff", &id1.to_string(), &id2.to_string(), "--history", history, "-f", "json"]);
    let diff = json.json();
    assert_eq!(diff["schema"], "plumbline-diff/1");
    assert_eq!(listed(&diff, "new"), expected_new);
    assert_eq!(listed(&diff, "resolved"), expected_resolved);
    assert_eq!(diff["counts"]["unchanged"].as_u64(), Some(unchanged as u64));

    // Backwards, the fix is a new finding: --fail-on-new fails.
    let back = plumbline_bare(&["diff", "last", "last~1", "--fail-on-new", "--history", history]);
    assert_eq!(back.code, 1, "{}{}", back.stdout, back.stderr);
    assert!(back.stdout.contains("New (1):\n  CRITICAL  acks/rabbitmq-auto-ack"), "{}", back.stdout);

    // A third run on the healthy estate: every check goes from fail to pass.
    let third = audit(&healthy);
    assert_eq!(third.code, 0, "{}", third.stderr);
    let text = plumbline_bare(&["diff", "--history", history]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    for expected in [
        format!("findings: 0 new · {} resolved · 0 unchanged", after.len()),
        "acks: fail → pass".to_string(),
        "sla: fail → pass".to_string(),
        "Gate: FAILED (exit 1) → passed (exit 0)".to_string(),
    ] {
        assert!(text.stdout.contains(&expected), "missing `{expected}` in:\n{}", text.stdout);
    }
    let one = plumbline_bare(&["diff", &id1.to_string(), "--history", history, "-f", "json"]).json();
    assert_eq!(one["from"]["id"].as_i64(), Some(id1));
    assert_eq!(one["counts"]["resolved"].as_u64(), Some(before.len() as u64));

    // Unknown runs are a clear error, exit 2.
    let unknown = plumbline_bare(&["diff", "999999", "--history", history]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no run 999999") && unknown.stderr.contains("3 run(s) recorded"),
        "{}",
        unknown.stderr
    );
    let bad = plumbline_bare(&["diff", "yesterday", "--history", history]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("`yesterday` is not a run"), "{}", bad.stderr);
}

#[test]
fn record_twice_then_diff_on_sqlite() {
    let dir = temp();
    let history = dir.path().join("nested/history.sqlite");
    record_change_and_diff(history.to_str().unwrap());
    assert!(history.is_file());
}

#[test]
fn record_twice_then_diff_on_postgres() {
    let schema = TestSchema::new("plumbline_history");

    // Trust auth ignores the password; it must never be printed.
    let canary = "pw-canary-history-5e1d";
    let url = schema.url(&format!("postgres:{canary}@"));
    record_change_and_diff(&url);

    let list = plumbline_bare(&["history", "--history", &url]);
    assert!(list.stdout.contains("postgres://127.0.0.1:5432/test") || list.stdout.contains("127.0.0.1:5432"));
    assert!(!list.stdout.contains(canary) && !list.stderr.contains(canary), "{}{}", list.stdout, list.stderr);
    let missing = plumbline_bare(&["diff", "42", "--history", &url]);
    assert!(!missing.stderr.contains(canary), "{}", missing.stderr);

    // The runs are in the test's schema, and only there.
    let count = schema.count("runs");
    assert_eq!(count, 3);
}

#[test]
fn bad_history_locations_are_clear_errors() {
    let dir = temp();
    let missing = dir.path().join("none.sqlite");
    let run = plumbline_bare(&["history", "--history", missing.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no history at") && run.stderr.contains("none.sqlite"), "{}", run.stderr);
    assert!(!missing.exists(), "reading must not create the file");

    let run = plumbline_bare(&["diff", "--history", "mysql://root:hunter2@db/x"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not supported") && !run.stderr.contains("hunter2"), "{}", run.stderr);

    let not_sqlite = dir.path().join("notes.txt");
    std::fs::write(&not_sqlite, "not a database ".repeat(100)).unwrap();
    let run = plumbline_bare(&["history", "--history", not_sqlite.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("notes.txt"), "{}", run.stderr);

    let run = plumbline_bare(&["history", "--history", "postgres://postgres:hunter2@127.0.0.1:1/none"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot open history") && !run.stderr.contains("hunter2"), "{}", run.stderr);

    // Only one run so far: `diff` says so instead of comparing nothing.
    let history = dir.path().join("h.sqlite");
    let cache = temp();
    let audit = plumbline(cache.path(), &["audit", "--record", "--history", history.to_str().unwrap()]);
    assert_eq!(audit.code, 1, "{}", audit.stderr);
    let run = plumbline_bare(&["diff", "--history", history.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no run last~1") && run.stderr.contains("1 run(s) recorded"), "{}", run.stderr);
}

#[test]
fn the_config_names_the_history() {
    let dir = temp();
    let config = dir.path().join("plumbline.toml");
    std::fs::write(&config, "[history]\nlocation = \"runs/audits.sqlite\"\n").unwrap();
    let cache = temp();
    let config_arg = config.to_str().unwrap();
    let audit = plumbline(cache.path(), &["audit", "--fail-on", "none", "--record", "--config", config_arg]);
    assert_eq!(audit.code, 0, "{}", audit.stderr);
    assert!(dir.path().join("runs/audits.sqlite").is_file(), "relative to the config file: {}", audit.stderr);
    let list = plumbline_bare(&["history", "--config", config_arg, "-f", "json"]).json();
    assert_eq!(list["runs"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["runs"][0]["gate"]["fail_on"], "none");
}
