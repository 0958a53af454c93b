//! Hostile guest: panics in `run`. The host must report `error` with the panic message, and
//! every other check must still finish.

use plumbline_sdk::prelude::*;

pub struct Crash;

impl Check for Crash {
    fn info() -> Info {
        Info::new("hostile-crash", "Panics", "Does a trapping check stay contained?")
    }
    fn run(_audit: &mut Audit<'_>) {
        panic!("boom: this check crashed on purpose");
    }
}

plumbline_sdk::export_check!(Crash);
