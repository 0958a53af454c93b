//! Hostile guest: prints megabytes to stdout and stderr, then finishes normally. The host keeps
//! only the first 64 KiB of each and the check's own verdict (`skip`: it evaluated nothing) stands.

use plumbline_sdk::prelude::*;

pub struct Chatty;

impl Check for Chatty {
    fn info() -> Info {
        Info::new("hostile-chatty", "Prints a lot", "Is a check's output capped without failing it?")
    }
    fn run(_audit: &mut Audit<'_>) {
        let line = "x".repeat(1000);
        for i in 0..5_000 {
            println!("{i} {line}");
            eprintln!("{i} {line}");
        }
    }
}

plumbline_sdk::export_check!(Chatty);
