//! Hostile guest: allocates and touches memory without bound. The host must stop it at the
//! memory limit (`error` naming the limit), and every other check must still finish.

use plumbline_sdk::prelude::*;

pub struct Hog;

impl Check for Hog {
    fn info() -> Info {
        Info::new("hostile-hog", "Eats memory", "Does the host enforce its memory limit?")
    }
    fn run(_audit: &mut Audit<'_>) {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(vec![0xA5; 4 << 20]);
            std::hint::black_box(&hoard);
        }
    }
}

plumbline_sdk::export_check!(Hog);
