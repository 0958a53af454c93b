//! Limits from configuration: `[limits]`, `[limits.packs.<pack>]` and `[limits.checks.<id>]`,
//! the most specific winning; findings, strings and result size bounded where values come back
//! from a plugin; fuel. Each hostile run is compared with a clean one and its cost to the host
//! (peak RSS, wall time) is bounded.

use std::time::Duration;

use crate::sandbox::{Measured, assert_bounded, assert_contained, bundled_results, clean_bundled, measured};
use crate::support::*;

/// Audits with `config` (a plumbline.toml text) and the given test guests.
fn audit_configured(cache: &std::path::Path, config: &str, guests: &[&str]) -> Measured {
    let path = cache.join("plumbline-test.toml");
    std::fs::write(&path, config).unwrap();
    let paths: Vec<String> = guests.iter().map(|g| guest(g)).collect();
    let mut args = vec!["audit", "--format", "json", "--config", path.to_str().unwrap()];
    for plugin in &paths {
        args.extend(["--plugin", plugin.as_str()]);
    }
    measured(cache, &args)
}

#[test]
fn ten_million_findings_stop_at_the_memory_limit_by_default() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let run = audit_configured(cache.path(), "[limits]\ntimeout-seconds = 2\n", &["flood"]);
    assert_contained(&run, "hostile-flood", "memory limit of 256 MiB exceeded", &clean, 256);
}

#[test]
fn eight_million_findings_with_memory_to_spare_are_refused_before_the_host_copies_them() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    // 8,000,000 findings: about 1.3 GiB of guest memory, the most a 2 GiB guest can build through
    // the SDK (ten million need more while its list doubles). The host must refuse them while
    // lifting (`result-mib`), not after: copied, they would take another 1.2 GiB (152 bytes a
    // finding) and break the bound below.
    let config = "[limits.checks.hostile-flood]\nmemory-mib = 2048\ntimeout-seconds = 60\n\
                  [checks.hostile-flood.params]\ncount = 8000000\n";
    let run = audit_configured(cache.path(), config, &["flood"]);
    let reason = "handed the host more than 64 MiB in one call (findings, notes, strings); \
                  raise `result-mib` under [limits] or [limits.checks.hostile-flood]";
    let report = run.run.json();
    assert_eq!(check(&report, "hostile-flood")["status"], "error");
    let error = check(&report, "hostile-flood")["error"].as_str().unwrap().to_string();
    assert!(error.contains(reason), "{error}");
    assert_eq!(bundled_results(&report), clean);
    eprintln!("flood of 8,000,000 with 2048 MiB: peak RSS {} MiB, wall {:?}", run.peak_rss_mib, run.wall);
    assert_bounded(&run, 2048, Duration::from_secs(60));
}

#[test]
fn one_finding_over_max_findings_is_an_error_naming_the_key_not_a_shorter_list() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let config = "[limits]\ntimeout-seconds = 2\n[checks.hostile-flood.params]\ncount = 10001\n";
    let run = audit_configured(cache.path(), config, &["flood"]);
    let reason = "returned 10001 findings, more than the limit of 10000; \
                  raise `max-findings` under [limits] or [limits.checks.hostile-flood] in plumbline.toml";
    assert_contained(&run, "hostile-flood", reason, &clean, 256);
    // Exactly at the limit the check keeps its verdict and every finding.
    let config = "[limits]\ntimeout-seconds = 2\n[checks.hostile-flood.params]\ncount = 10000\n";
    let report = audit_configured(cache.path(), config, &["flood"]).run.json();
    let flood = check(&report, "hostile-flood");
    assert_eq!(flood["status"], "fail", "{}", flood["error"]);
    assert_eq!(flood["findings"].as_array().unwrap().len(), 10_000);
}

#[test]
fn multi_megabyte_strings_are_cut_to_max_string_and_say_so() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let run = audit_configured(cache.path(), "[limits]\ntimeout-seconds = 2\n", &["bloat"]);
    let report = run.run.json();
    let bloat = check(&report, "hostile-bloat");
    assert_eq!(bloat["status"], "fail", "{bloat}");
    let finding = &bloat["findings"][0];
    let message = finding["message"].as_str().unwrap();
    assert!(message.len() < (64 << 10) + 100, "message of {} bytes", message.len());
    assert!(message.ends_with("[…cut by plumbline: 8388608 bytes]"), "{}", &message[message.len() - 60..]);
    let evidence = finding["evidence"].to_string();
    assert!(evidence.len() < (64 << 10) + 200 && evidence.contains("cut by plumbline: 8388608 bytes"));
    let notes = bloat["notes"].to_string();
    assert!(notes.contains("plumbline cut 2 finding text(s) longer than 64 KiB"), "{}", &notes[notes.len() - 400..]);
    assert!(notes.contains("plumbline cut 1 note(s)") && notes.contains("`max-string-kib`"));
    assert!(run.run.stdout.len() < 1 << 20, "report of {} bytes", run.run.stdout.len());
    assert_eq!(bundled_results(&report), clean);
    assert_bounded(&run, 256, Duration::from_secs(2));
}

#[test]
fn a_verdict_larger_than_result_mib_is_refused_before_it_is_copied() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    let config = "[limits]\ntimeout-seconds = 2\n[limits.checks.hostile-bloat]\nresult-mib = 4\n";
    let run = audit_configured(cache.path(), config, &["bloat"]);
    let reason = "handed the host more than 4 MiB in one call";
    assert_contained(&run, "hostile-bloat", reason, &clean, 256);
}

#[test]
fn fuel_stops_a_spinning_check_deterministically_and_changes_no_other_result() {
    let cache = temp();
    let clean = clean_bundled(cache.path());
    // Fuel for the spinning check only; the bundled checks run on the fuel-counting engine
    // without a budget and must give exactly their clean results.
    let config = "[limits]\ntimeout-seconds = 2\n[limits.checks.hostile-spin]\nfuel = 5000000\n";
    let run = audit_configured(cache.path(), config, &["spin"]);
    let reason = "stopped: ran out of fuel (5000000) (raise `fuel` under [limits] or [limits.checks.hostile-spin]";
    assert_contained(&run, "hostile-spin", reason, &clean, 256);
    let spin = &run.run.json();
    assert!(check(spin, "hostile-spin")["duration_ms"].as_f64().unwrap() < 2000.0, "fuel, not the deadline");
}

#[test]
fn pack_limits_apply_to_that_pack_and_check_limits_beat_them() {
    let cache = temp();
    // The bundled checks form the `plumbline-core` pack: 1 MiB is too little for any of them.
    // hostile-hog is a loose plugin: the run's 64 MiB applies, then its own 16 MiB.
    let config = "[limits]\nmemory-mib = 64\n[limits.packs.plumbline-core]\nmemory-mib = 1\n\
                  [limits.checks.hostile-hog]\nmemory-mib = 16\n";
    let run = audit_configured(cache.path(), config, &["hog", "chatty"]);
    let report = run.run.json();
    let bundled = bundled_results(&report);
    assert!(!bundled.is_empty());
    for outcome in bundled {
        let error = outcome["error"].as_str().unwrap_or_default();
        assert!(error.contains("memory limit of 1 MiB exceeded"), "{}: {error}", outcome["id"]);
    }
    let error = check(&report, "hostile-hog")["error"].as_str().unwrap().to_string();
    assert!(error.contains("memory limit of 16 MiB exceeded"), "{error}");
    assert_eq!(check(&report, "hostile-chatty")["status"], "skip");
    assert_bounded(&run, 64, Duration::from_secs(10));
}

#[test]
fn limit_tables_for_checks_or_packs_not_in_the_run_are_refused() {
    let cache = temp();
    let path = cache.path().join("typo.toml");
    std::fs::write(&path, "[limits.checks.akcs]\nmemory-mib = 64\n").unwrap();
    let run = plumbline(cache.path(), &["audit", "--config", path.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("[limits.checks.akcs]: no check `akcs` in this run"), "{}", run.stderr);
    std::fs::write(&path, "[limits.packs.acme]\nfuel = 10\n").unwrap();
    let run = plumbline(cache.path(), &["audit", "--config", path.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("[limits.packs.acme]: no pack `acme` in this run"), "{}", run.stderr);
    std::fs::write(&path, "[limits]\nmax-findings = 0\n").unwrap();
    let run = plumbline(cache.path(), &["audit", "--config", path.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("limits.max-findings = 0: must be in 1..=10000000"), "{}", run.stderr);
}
