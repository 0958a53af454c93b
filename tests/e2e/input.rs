//! Bad input: a clear message naming the file and field, exit 2, never a panic.

use crate::support::*;

fn audit_file(contents: &[u8]) -> (Run, tempfile::TempDir) {
    let dir = temp();
    let path = dir.path().join("estate.json");
    std::fs::write(&path, contents).unwrap();
    let run = plumbline(dir.path(), &["audit", "--snapshot", path.to_str().unwrap()]);
    (run, dir)
}

fn assert_clean_usage_error(run: &Run, needles: &[&str]) {
    assert_eq!(run.code, 2, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    for needle in needles {
        assert!(run.stderr.contains(needle), "missing `{needle}` in:\n{}", run.stderr);
    }
}

#[test]
fn a_missing_snapshot_file_is_named() {
    let cache = temp();
    let run = plumbline(cache.path(), &["audit", "--snapshot", "/nonexistent/estate.json"]);
    assert_clean_usage_error(&run, &["cannot read snapshot /nonexistent/estate.json", "No such file"]);
}

#[test]
fn a_wrong_field_type_names_the_path_and_line() {
    let text = std::fs::read_to_string(example("leaky-estate")).unwrap();
    let broken = text.replacen("\"ack_required\": false", "\"ack_required\": \"nope\"", 1);
    assert_ne!(text, broken, "fixture changed: no auto-ack consumer to break");
    let (run, _dir) = audit_file(broken.as_bytes());
    assert_clean_usage_error(&run, &["estate.json", "rabbitmq[0].consumers[", "ack_required", "line "]);
}

#[test]
fn truncated_and_garbage_files_are_clear_errors() {
    // Each of these must be refused with a message, not a panic or a partial audit.
    let text = std::fs::read(example("leaky-estate")).unwrap();
    let (run, _dir) = audit_file(&text[..text.len() / 3]);
    assert_clean_usage_error(&run, &["invalid snapshot", "estate.json"]);
    let (run, _dir) = audit_file(b"\xff\xfe not json");
    assert_clean_usage_error(&run, &["invalid snapshot"]);
    let (run, _dir) = audit_file(b"");
    assert_clean_usage_error(&run, &["invalid snapshot"]);
}

#[test]
fn an_unknown_format_version_is_refused() {
    let (run, _dir) = audit_file(br#"{"format":"plumbline-snapshot/7","info":{"collected_at":0,"window_seconds":1,"collector_version":"x","sources":[]}}"#);
    assert_clean_usage_error(&run, &["plumbline-snapshot/7", "plumbline-snapshot/1"]);
}

#[test]
fn an_invalid_config_is_a_usage_error_naming_the_key() {
    let dir = temp();
    let config = dir.path().join("plumbline.toml");
    std::fs::write(&config, "[limits]\nmemory-mib = 0\n").unwrap();
    let run = plumbline(dir.path(), &["audit", "--config", config.to_str().unwrap()]);
    assert_clean_usage_error(&run, &["plumbline.toml", "limits.memory-mib"]);
    std::fs::write(&config, "[limits\n").unwrap();
    let run = plumbline(dir.path(), &["audit", "--config", config.to_str().unwrap()]);
    assert_clean_usage_error(&run, &["invalid config"]);
}

#[test]
fn a_config_for_a_check_that_does_not_exist_is_refused() {
    let dir = temp();
    let config = dir.path().join("plumbline.toml");
    std::fs::write(&config, "[checks.ackz.params]\nignore-queues = []\n").unwrap();
    let run = plumbline(dir.path(), &["audit", "--config", config.to_str().unwrap()]);
    assert_clean_usage_error(&run, &["[checks.ackz]", "no check `ackz`", "acks"]);
}

#[test]
fn a_missing_file_error_states_the_cause_once() {
    let cache = temp();
    let run = plumbline(cache.path(), &["audit", "--snapshot", "/nonexistent/estate.json"]);
    assert_eq!(run.stderr.matches("No such file").count(), 1, "{}", run.stderr);
}
