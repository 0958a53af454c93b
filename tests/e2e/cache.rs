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
    assert_eq!(cache_states(&first), ["miss"]);
    let second = plumbline(cache.path(), &["audit", "--format", "json", "-vv"]);
    assert_eq!(cache_states(&second), ["hit"]);
    assert!(
        !second.stderr.contains("compiled component"),
        "recompiled on the warm run:\n{}",
        second.stderr
    );
    assert!(
        second.stderr.contains("compile cache hit"),
        "{}",
        second.stderr
    );
}

#[test]
fn a_corrupted_cache_entry_is_recompiled_not_trusted() {
    let cache = temp();
    plumbline(cache.path(), &["audit", "--format", "json"]);
    let entries: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let bytes = std::fs::read(&entries[0]).unwrap();
    std::fs::write(&entries[0], &bytes[..bytes.len() / 2]).unwrap();
    let run = plumbline(cache.path(), &["audit", "--format", "json"]);
    assert_eq!(cache_states(&run), ["miss"]);
    assert_eq!(check(&run.json(), "acks")["status"], "fail");
    let again = plumbline(cache.path(), &["audit", "--format", "json"]);
    assert_eq!(cache_states(&again), ["hit"]);
}

#[test]
fn cache_clear_empties_the_cache() {
    let cache = temp();
    plumbline(cache.path(), &["audit"]);
    let clear = plumbline(cache.path(), &["cache", "clear"]);
    assert_eq!(clear.code, 0);
    assert!(clear.stdout.contains("removed 1"), "{}", clear.stdout);
    let run = plumbline(cache.path(), &["audit", "--format", "json"]);
    assert_eq!(cache_states(&run), ["miss"]);
}
