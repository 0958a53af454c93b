//! Hostile guest: writes one byte at a time to stdout and stderr, each write its own WASI call,
//! until the deadline stops it. The host keeps at most `output-kib` of each stream and must not
//! spend memory per call: its memory stays small and the check ends in `error` at the deadline.

use std::io::Write;

use plumbline_sdk::prelude::*;

pub struct Drip;

impl Check for Drip {
    fn info() -> Info {
        Info::new("hostile-drip", "Writes in tiny pieces", "Is a stream of tiny writes bounded on the host?")
    }
    fn run(_audit: &mut Audit<'_>) {
        let mut out = std::io::stdout();
        let mut err = std::io::stderr();
        loop {
            let _ = out.write_all(b"x");
            let _ = out.flush();
            let _ = err.write_all(b"y");
            let _ = err.flush();
        }
    }
}

plumbline_sdk::export_check!(Drip);
