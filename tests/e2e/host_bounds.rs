//! Host-side costs a guest can drive stay bounded: a check that reads a section in a loop
//! (available, unavailable with a long reason, never declared) or writes to stdout/stderr in
//! tiny pieces ends in `error` at the deadline, while the host's peak RSS stays under the
//! per-check memory limit plus a small constant, the JSON report stays small, and the bundled
//! checks give exactly the result of a clean run on the same snapshot.

use crate::sandbox::{Measured, TIMEOUT, assert_contained, bundled_results, measured};
use crate::support::*;

/// The per-check memory limit these runs set (`[limits] memory-mib`).
const MEMORY_MIB: u64 = 64;
/// What plumbline itself may add on top: the engine, compiled code of nine checks, the snapshot
/// and the report. (A read loop that remembered every call reached 6.8 GB.)
const HOST_MIB: u64 = 200;
/// The JSON report of such a run: a few KB per check.
const REPORT_BYTES: usize = 2 << 20;

/// Writes `dir/<name>.toml` with the limits and, when given, `section` for hostile-readloop (a
/// `[checks.<id>]` table for a check not in the run is a usage error, so the clean run has none).
fn config(dir: &std::path::Path, name: &str, section: Option<&str>) -> String {
    let path = dir.join(format!("{name}.toml"));
    let mut text = format!("[limits]\nmemory-mib = {MEMORY_MIB}\ntimeout-seconds = {}\n", TIMEOUT.as_secs());
    if let Some(section) = section {
        text.push_str(&format!("\n[checks.hostile-readloop.params]\nsection = \"{section}\"\n"));
    }
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// The bundled checks' results on `snapshot` under the same limits, without the hostile guest.
fn clean(cache: &std::path::Path, snapshot: &str, config: &str) -> Vec<serde_json::Value> {
    let run = plumbline(cache, &["audit", "--format", "json", "--snapshot", snapshot, "--config", config]);
    bundled_results(&run.json())
}

/// Audits `snapshot` with the hostile `guest_name` (`section` for hostile-readloop) and asserts
/// it was contained.
fn contained(guest_name: &str, id: &str, section: Option<&str>, snapshot: &str) -> Measured {
    let cache = temp();
    let clean = clean(cache.path(), snapshot, &config(cache.path(), "clean", None));
    let config = config(cache.path(), "hostile", section);
    let plugin = guest(guest_name);
    let run = measured(
        cache.path(),
        &["audit", "--format", "json", "--snapshot", snapshot, "--config", &config, "--plugin", &plugin],
    );
    eprintln!(
        "{id} ({section:?}): plumbline peak RSS {} MiB (per-check limit {MEMORY_MIB} MiB, bound {} MiB), report {} bytes",
        run.peak_rss_mib,
        MEMORY_MIB + HOST_MIB,
        run.run.stdout.len()
    );
    assert!(run.run.stdout.len() < REPORT_BYTES, "report of {} bytes", run.run.stdout.len());
    // assert_contained also bounds the RSS, loosely; the bound here is the tight one.
    assert_contained(&run, id, "ran longer than the 2 s deadline", &clean, MEMORY_MIB);
    let bound = (MEMORY_MIB + HOST_MIB).max(run.inherited_rss_mib + 64);
    assert!(run.peak_rss_mib < bound, "peak RSS {} MiB, bound {bound} MiB", run.peak_rss_mib);
    run
}

/// The hostile check's `sections_read` entries as (section, state, reads).
fn reads(run: &Measured, id: &str) -> Vec<(String, String, u64)> {
    let report = run.run.json();
    check(&report, id)["sections_read"]
        .as_array()
        .expect("sections_read")
        .iter()
        .map(|r| {
            (
                r["section"].as_str().unwrap_or_default().to_string(),
                r["state"].as_str().unwrap_or_default().to_string(),
                r["reads"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn a_read_loop_over_an_available_section_costs_a_counter() {
    let run = contained("readloop", "hostile-readloop", Some("rabbitmq"), &example("leaky-estate"));
    let reads = reads(&run, "hostile-readloop");
    assert_eq!(reads.len(), 1, "one entry for one section: {reads:?}");
    let (section, state, count) = &reads[0];
    assert_eq!((section.as_str(), state.as_str()), ("rabbitmq", "available"));
    assert!(*count > 100, "the loop ran: {count} reads");
}

#[test]
fn a_read_loop_over_an_unavailable_section_with_a_long_reason_keeps_the_reason_once() {
    let dir = temp();
    let mut snapshot: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example("leaky-estate")).unwrap()).unwrap();
    let reason = format!("connection refused {}", "x".repeat(64 << 10));
    for source in snapshot["info"]["sources"].as_array_mut().unwrap() {
        if source["kind"] == "Postgres" {
            source["ok"] = false.into();
            source["reason"] = reason.clone().into();
        }
    }
    snapshot["postgres"] = serde_json::json!([]);
    let path = dir.path().join("pg-down.json");
    std::fs::write(&path, serde_json::to_vec(&snapshot).unwrap()).unwrap();

    let run = contained("readloop", "hostile-readloop", Some("postgres"), path.to_str().unwrap());
    let reads = reads(&run, "hostile-readloop");
    assert_eq!(reads.len(), 1, "{:?}", reads.iter().map(|r| (&r.0, &r.1, r.2)).collect::<Vec<_>>());
    assert_eq!((reads[0].0.as_str(), reads[0].1.as_str()), ("postgres", "unavailable"));
    assert!(reads[0].2 > 10, "the loop ran: {} reads", reads[0].2);
    let report = run.run.json();
    let entry = &check(&report, "hostile-readloop")["sections_read"][0];
    assert!(entry["reason"].as_str().is_some_and(|r| r.ends_with(&reason)), "the reason is kept once, whole");
}

#[test]
fn a_read_loop_over_an_undeclared_section_is_refused_and_counted() {
    let run = contained("readloop", "hostile-readloop", Some("kafka"), &example("leaky-estate"));
    let reads = reads(&run, "hostile-readloop");
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert_eq!((reads[0].0.as_str(), reads[0].1.as_str()), ("kafka", "not-declared"));
    assert!(reads[0].2 > 100, "the loop ran: {} reads", reads[0].2);
}

#[test]
fn a_loop_over_the_snapshot_info_is_bounded() {
    contained("readloop", "hostile-readloop", Some("info"), &example("leaky-estate"));
}

#[test]
fn tiny_writes_to_stdout_and_stderr_in_a_loop_are_bounded() {
    contained("drip", "hostile-drip", None, &example("leaky-estate"));
}
