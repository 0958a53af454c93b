//! The Rego twins of `acks` and `dead-letters` report exactly what the checks report (rule and
//! subject), on a small generated estate and on the example estates.

use plumbline_bench::{native, rego, synth};

fn assert_same(json: &str, what: &str) {
    let fixture = native::fixture(json.as_bytes()).unwrap();
    let mut peer = rego::RegoPeer::new(json).unwrap();
    for check in native::checks().iter().filter(|c| rego::POLICIES.iter().any(|(id, _, _)| *id == c.id)) {
        let expected = native::keys(&check.time(&fixture).0);
        let (found, _) = peer.eval(check.id).unwrap();
        assert_eq!(found, expected, "{} on {what}", check.id);
    }
}

#[test]
fn rego_twins_match_the_checks_on_a_generated_estate() {
    let generated = synth::generate(synth::Spec { resources: 3_000, problem_rate: 0.2, seed: 5 });
    assert_same(&serde_json::to_string(&generated.snapshot).unwrap(), "a generated estate");
}

#[test]
fn rego_twins_match_the_checks_on_the_example_estates() {
    for example in ["leaky-estate", "healthy-estate"] {
        let path = format!("{}/../examples/{example}/snapshot.json", env!("CARGO_MANIFEST_DIR"));
        let json = std::fs::read_to_string(&path).unwrap();
        assert_same(&json, &path);
    }
}
