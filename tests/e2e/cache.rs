//! The compile cache: the second run compiles nothing, a corrupt entry is recompiled.

use crate::support::*;

fn cache_states(run: &Run) -> Vec<String> {
    run.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["plugin"]["cache"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_second_run_loads_every_component_from_the_cache() {
    let cache = temp();
    let first = plumbline(cache.path(), &["audit", "--format", "json"]);
    let states = cache_states(&first);
    assert!(!states.is_empty() && states.iter().all(|s| s == "miss"), "{states:?}");
    let second = plumbline(cache.path(), &["audit", "--format", "json", "-vv"]);
    let states = cache_states(&second);
    assert!(!states.is_empty() && states.iter().all(|s| s == "hit"), "{states:?}");
    assert!(!second.stderr.contains("compiled component"), "recompiled on the warm run:\n{}", second.stderr);
    assert!(second.stderr.contains("compile cache hit"), "{}", second.stderr);
}

#[test]
fn a_run_that_describes_before_it_runs_reports_the_compile_it_did() {
    // `--checks` makes the CLI describe every plugin first; the run after that must neither
    // compile again nor call the entry it just wrote a hit.
    let cache = temp();
    let run = plumbline(cache.path(), &["audit", "--format", "json", "--checks", "acks", "-vv"]);
    assert_eq!(cache_states(&run), ["miss"]);
    assert_eq!(
        run.stderr.matches("compiled component").count(),
        8,
        "each bundled check compiled once:\n{}",
        run.stderr
    );
}

#[test]
fn a_corrupted_cache_entry_is_recompiled_not_trusted() {
    let cache = temp();
    let first = plumbline(cache.path(), &["audit", "--format", "json"]);
    let checks = cache_states(&first).len();
    let mut entries: Vec<_> = std::fs::read_dir(cache.path()).unwrap().flatten().map(|e| e.path()).collect();
    entries.sort();
    assert_eq!(entries.len(), checks, "one cache entry per component: {entries:?}");
    let bytes = std::fs::read(&entries[0]).unwrap();
    std::fs::write(&entries[0], &bytes[..bytes.len() / 2]).unwrap();
    let run = plumbline(cache.path(), &["audit", "--format", "json"]);
    let states = cache_states(&run);
    assert_eq!(states.iter().filter(|s| *s == "miss").count(), 1, "only the corrupt entry recompiles: {states:?}");
    assert_eq!(check(&run.json(), "acks")["status"], "fail");
    let again = plumbline(cache.path(), &["audit", "--format", "json"]);
    assert!(cache_states(&again).iter().all(|s| s == "hit"));
}

#[test]
fn cache_clear_empties_the_cache() {
    let cache = temp();
    plumbline(cache.path(), &["audit"]);
    let clear = plumbline(cache.path(), &["cache", "clear"]);
    assert_eq!(clear.code, 0);
    assert!(clear.stdout.contains("removed "), "{}", clear.stdout);
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);
    let run = plumbline(cache.path(), &["audit", "--format", "json"]);
    assert!(cache_states(&run).iter().all(|s| s == "miss"));
}
