//! Snapshot files from anywhere: parsing never panics, and a snapshot that loads (redacted) loads
//! again from its own serialisation to the same thing — redaction and the model are stable.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(loaded) = plumbline::snapshot::parse(data, Path::new("fuzz.json")) else { return };
    let first = serde_json::to_vec(&*loaded.snapshot).expect("a loaded snapshot serialises");
    let again = plumbline::snapshot::parse(&first, Path::new("again.json")).expect("a loaded snapshot loads again");
    let second = serde_json::to_vec(&*again.snapshot).expect("serialises");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&first).ok(),
        serde_json::from_slice::<serde_json::Value>(&second).ok(),
        "a snapshot changed on its second load"
    );
});
