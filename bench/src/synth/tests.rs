//! The generator makes valid snapshots of the asked size, with exactly the asked share of
//! problem units, deterministically; `acks` and `dead-letters` find exactly the injected problems.

use std::path::Path;

use super::*;
use crate::native;

fn spec(resources: usize, seed: u64) -> Spec {
    Spec { resources, problem_rate: 0.05, seed }
}

fn json(generated: &Generated) -> Vec<u8> {
    serde_json::to_vec(&generated.snapshot).unwrap()
}

#[test]
fn a_generated_estate_is_a_snapshot_the_host_loads_with_the_asked_size_and_problem_share() {
    let generated = generate(spec(10_000, 7));
    let bytes = json(&generated);
    let loaded = plumbline::snapshot::parse(&bytes, Path::new("generated.json")).expect("the host parses it");
    let resources = count_resources(&loaded.snapshot);
    assert!(resources.abs_diff(10_000) <= 100, "{resources} resources");
    assert_eq!(generated.problem_units, (generated.units as f64 * 0.05).round() as usize);
    // Every problem unit but the `security` ones is in the manifest, once.
    assert!(generated.injected.len() <= generated.problem_units);
    // (one kind in 12 to 14 is the `security` one; a seeded draw of 23 units stays well above 2/3).
    assert!(generated.injected.len() * 3 >= generated.problem_units * 2, "{}", generated.injected.len());
    // Loading changed nothing: the generator already redacted like a collector.
    let reloaded = serde_json::to_string(&*loaded.snapshot).unwrap();
    let original = String::from_utf8(bytes).unwrap();
    if let Some(at) = reloaded.bytes().zip(original.bytes()).position(|(a, b)| a != b) {
        let context = |s: &str| s[at.saturating_sub(200)..(at + 100).min(s.len())].to_string();
        panic!("loading changed the estate at byte {at}:\n{}\nvs\n{}", context(&reloaded), context(&original));
    }
    assert_eq!(reloaded.len(), original.len());
}

#[test]
fn the_same_seed_gives_the_same_estate_and_another_seed_another() {
    let a = json(&generate(spec(2_000, 1)));
    assert_eq!(a, json(&generate(spec(2_000, 1))));
    assert_ne!(a, json(&generate(spec(2_000, 2))));
}

#[test]
fn no_problems_at_rate_zero_and_every_unit_at_rate_one() {
    let clean = generate(Spec { resources: 2_000, problem_rate: 0.0, seed: 3 });
    assert_eq!((clean.problem_units, clean.injected.len()), (0, 0));
    let all = generate(Spec { resources: 2_000, problem_rate: 1.0, seed: 3 });
    assert_eq!(all.problem_units, all.units);
}

#[test]
fn acks_and_dead_letters_find_exactly_the_injected_problems() {
    let generated = generate(spec(10_000, 11));
    let fixture = native::fixture(&json(&generated)).unwrap();
    let mut found: Vec<native::Key> = native::checks()
        .iter()
        .filter(|c| matches!(c.id, "acks" | "dead-letters"))
        .flat_map(|c| native::keys(&c.time(&fixture).0))
        .collect();
    found.sort();
    let expected: Vec<native::Key> = generated
        .injected
        .iter()
        .map(|i| (i.rule.to_string(), i.source.clone(), i.kind.to_string(), i.id.clone()))
        .collect();
    assert_eq!(found, expected);
}
