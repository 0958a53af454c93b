//! Hostile guest: `run` never returns. The host must stop it at the deadline (`error`), and every
//! other check must still finish.

use plumbline_sdk::prelude::*;

pub struct Spin;

impl Check for Spin {
    fn info() -> Info {
        Info::new("hostile-spin", "Spins forever", "Does the host enforce its deadline?")
    }
    fn run(_audit: &mut Audit<'_>) {
        let mut n: u64 = 0;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

plumbline_sdk::export_check!(Spin);
