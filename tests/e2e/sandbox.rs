//! The sandbox, proven with hostile guests built from plugins/test-guests: each misbehaving
//! check ends in `error` with the reason, and the bundled check beside it gives exactly the
//! result of a clean run. Also: plugins for another contract version, core modules and truncated
//! files are refused before compiling.

use crate::support::*;

/// The acks result of a clean run, for comparison.
fn clean_acks(cache: &std::path::Path) -> serde_json::Value {
    let report = plumbline(cache, &["audit", "--format", "json"]).json();
    let mut acks = check(&report, "acks").clone();
    normalise(&mut acks);
    acks
}

/// Drops the fields that legitimately differ between runs (time, cache state).
fn normalise(check: &mut serde_json::Value) {
    check["duration_ms"] = serde_json::Value::Null;
    check["plugin"]["cache"] = serde_json::Value::Null;
}

fn audit_with(cache: &std::path::Path, extra: &[&str]) -> Run {
    let mut args = vec!["audit", "--format", "json", "--timeout", "2"];
    for plugin in extra {
        args.extend(["--plugin", plugin]);
    }
    plumbline(cache, &args)
}

fn assert_contained(run: &Run, id: &str, reason: &str, clean: &serde_json::Value) {
    assert_eq!(run.code, 3, "a check in error exits 3\n{}", run.stderr);
    let report = run.json();
    let hostile = check(&report, id);
    assert_eq!(hostile["status"], "error", "{hostile}");
    let error = hostile["error"].as_str().unwrap_or_default();
    assert!(error.contains(reason), "{id}: expected `{reason}` in `{error}`");
    let mut acks = check(&report, "acks").clone();
    normalise(&mut acks);
    assert_eq!(&acks, clean, "the bundled check's result changed next to {id}");
}

#[test]
fn an_infinite_loop_is_stopped_at_the_deadline() {
    let cache = temp();
    let clean = clean_acks(cache.path());
    let started = std::time::Instant::now();
    let run = audit_with(cache.path(), &[&guest("spin")]);
    assert_contained(&run, "hostile-spin", "ran longer than the 2 s deadline", &clean);
    // A generous bound: the deadline is 2 s; the whole run must not hang.
    assert!(started.elapsed().as_secs() < 30, "run took {:?}", started.elapsed());
}

#[test]
fn unbounded_allocation_is_stopped_at_the_memory_limit() {
    let cache = temp();
    let clean = clean_acks(cache.path());
    let run = audit_with(cache.path(), &[&guest("hog")]);
    assert_contained(&run, "hostile-hog", "memory limit of 256 MiB exceeded", &clean);
}

#[test]
fn a_configured_memory_limit_is_the_one_enforced() {
    let cache = temp();
    let config = cache.path().join("limits.toml");
    std::fs::write(&config, "[limits]\nmemory-mib = 32\n").unwrap();
    let run = plumbline(
        cache.path(),
        &["audit", "--format", "json", "--config", config.to_str().unwrap(), "--plugin", &guest("hog")],
    );
    let error = check(&run.json(), "hostile-hog")["error"].as_str().unwrap_or_default().to_string();
    assert!(error.contains("memory limit of 32 MiB exceeded"), "{error}");
}

#[test]
fn a_panic_is_an_error_with_the_panic_message() {
    let cache = temp();
    let clean = clean_acks(cache.path());
    let run = audit_with(cache.path(), &[&guest("crash")]);
    assert_contained(&run, "hostile-crash", "boom: this check crashed on purpose", &clean);
}

#[test]
fn reading_an_undeclared_section_is_refused() {
    let cache = temp();
    let clean = clean_acks(cache.path());
    let run = audit_with(cache.path(), &[&guest("nosy")]);
    assert_contained(&run, "hostile-nosy", "config-files without declaring", &clean);
}

#[test]
fn all_hostile_guests_at_once_leave_the_bundled_check_untouched() {
    let cache = temp();
    let clean = clean_acks(cache.path());
    let run = audit_with(cache.path(), &[&guest("spin"), &guest("hog"), &guest("crash"), &guest("nosy")]);
    assert_eq!(run.code, 3);
    let report = run.json();
    for id in ["hostile-spin", "hostile-hog", "hostile-crash", "hostile-nosy"] {
        assert_eq!(check(&report, id)["status"], "error", "{id}");
    }
    let mut acks = check(&report, "acks").clone();
    normalise(&mut acks);
    assert_eq!(acks, clean);
}

/// Rewrites every `plumbline:audit/...@0.1.0` name in a component to another version of the same
/// length, as if it had been built against that contract.
fn rebrand(bytes: &[u8], version: &str) -> Vec<u8> {
    assert_eq!(version.len(), "0.1.0".len());
    let mut out = bytes.to_vec();
    for interface in ["check", "estate", "types"] {
        let from = format!("plumbline:audit/{interface}@0.1.0");
        let to = format!("plumbline:audit/{interface}@{version}");
        let mut i = 0;
        while let Some(pos) = out[i..].windows(from.len()).position(|w| w == from.as_bytes()) {
            out[i + pos..i + pos + to.len()].copy_from_slice(to.as_bytes());
            i += pos + to.len();
        }
    }
    out
}

#[test]
fn a_plugin_for_another_contract_version_is_refused_naming_both() {
    let cache = temp();
    let acks = std::fs::read(bundled_component("plumbline-check-acks")).unwrap();
    let future = cache.path().join("future.wasm");
    std::fs::write(&future, rebrand(&acks, "0.2.0")).unwrap();
    let run = audit_with(cache.path(), &[future.to_str().unwrap()]);
    assert_eq!(run.code, 3);
    let report = run.json();
    let refused = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["plugin"]["origin"].as_str().unwrap().ends_with("future.wasm"))
        .unwrap();
    assert_eq!(refused["status"], "error");
    let error = refused["error"].as_str().unwrap();
    assert!(error.contains("plumbline:audit@0.2.0") && error.contains("plumbline:audit@0.1.0"), "{error}");
    assert_eq!(check(&report, "acks")["status"], "fail");
}

#[test]
fn a_compatible_patch_version_still_loads() {
    let cache = temp();
    let acks = std::fs::read(bundled_component("plumbline-check-acks")).unwrap();
    let patched = cache.path().join("patched.wasm");
    std::fs::write(&patched, rebrand(&acks, "0.1.9")).unwrap();
    let run =
        plumbline(cache.path(), &["audit", "--format", "json", "--no-bundled", "--plugin", patched.to_str().unwrap()]);
    let report = run.json();
    let outcome = &report["checks"][0];
    assert_eq!(outcome["plugin"]["contract"], "0.1.9");
    // wasmtime links semver-compatible names (0.1.9 imports are satisfied by our 0.1.0).
    assert_eq!(outcome["status"], "fail", "{outcome}");
    assert_eq!(outcome["error"], serde_json::Value::Null);
}

#[test]
fn core_modules_truncated_files_and_non_wasm_are_refused() {
    let cache = temp();
    let core = cache.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let acks = std::fs::read(bundled_component("plumbline-check-acks")).unwrap();
    let truncated = cache.path().join("truncated.wasm");
    std::fs::write(&truncated, &acks[..acks.len() / 2]).unwrap();
    let text = cache.path().join("notes.wasm");
    std::fs::write(&text, b"just some text").unwrap();
    let run = audit_with(cache.path(), &[core.to_str().unwrap(), truncated.to_str().unwrap(), text.to_str().unwrap()]);
    assert_eq!(run.code, 3);
    let report = run.json();
    let error_of = |suffix: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["plugin"]["origin"].as_str().unwrap().ends_with(suffix))
            .unwrap()["error"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(error_of("core.wasm").contains("core WebAssembly module, not a component"));
    assert!(error_of("truncated.wasm").contains("refused"), "{}", error_of("truncated.wasm"));
    assert!(error_of("notes.wasm").contains("not a WebAssembly file"));
    assert_eq!(check(&report, "acks")["status"], "fail");
}

#[test]
fn megabytes_of_output_are_capped_without_failing_the_check() {
    let cache = temp();
    let run = plumbline(cache.path(), &["audit", "--format", "json", "--plugin", &guest("chatty"), "-vv"]);
    let report = run.json();
    let chatty = check(&report, "hostile-chatty");
    assert_eq!(chatty["status"], "skip", "{chatty}");
    assert_eq!(chatty["error"], serde_json::Value::Null);
    assert!(run.stderr.contains("output beyond the cap was dropped"), "cap not applied");
    assert!(run.stderr.len() < 1 << 20, "logged {} bytes of plugin output", run.stderr.len());
}

#[test]
fn unbounded_recursion_exhausts_the_wasm_stack_not_the_host() {
    let cache = temp();
    let clean = clean_acks(cache.path());
    let run = audit_with(cache.path(), &[&guest("recurse")]);
    assert_contained(&run, "hostile-recurse", "wasm stack exhausted", &clean);
}
