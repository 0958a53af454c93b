//! Hostile guest: recurses without end. The host's bounded wasm stack must turn that into a trap
//! (`error`, "wasm stack exhausted") instead of overflowing a host thread's stack.

use plumbline_sdk::prelude::*;

pub struct Recurse;

/// Recurses until the stack runs out; `black_box` hides that the condition is always true.
/// Scalar arguments keep every frame on the wasm stack (not Rust's shadow stack in linear
/// memory), so it is the host's wasm stack limit that stops it.
fn depth(n: u64) -> u64 {
    if std::hint::black_box(true) { depth(n + 1).wrapping_add(n) } else { n }
}

impl Check for Recurse {
    fn info() -> Info {
        Info::new("hostile-recurse", "Recurses forever", "Is the wasm stack bounded?")
    }
    fn run(audit: &mut Audit<'_>) {
        let total = depth(0);
        audit.note(format!("unreachable: {total}"));
    }
}

plumbline_sdk::export_check!(Recurse);
