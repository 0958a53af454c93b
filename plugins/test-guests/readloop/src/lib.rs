//! Hostile guest: reads one estate section (or the snapshot info) over and over until the
//! deadline stops it, dropping each answer. The parameter `section` picks what it reads:
//! `rabbitmq` (available in the leaky example), `postgres` (make it unavailable with a long reason
//! in the test's snapshot), `kafka` (never declared, so every read is refused) or `info`.
//! The host must count the reads instead of remembering each one: its memory and the report stay
//! small, and the check ends in `error` at the deadline.

use plumbline_sdk::prelude::*;
use plumbline_sdk::{Estate, HostEstate};

pub struct ReadLoop;

impl Check for ReadLoop {
    fn info() -> Info {
        Info::new("hostile-readloop", "Reads in a loop", "Does a read loop cost the host only a counter?")
            .reads(Section::Rabbitmq)
            .reads(Section::Postgres)
            .reads(Section::Registry)
            .param("section", "rabbitmq", "What to read in the loop: rabbitmq, postgres, registry, kafka or info")
    }
    fn run(audit: &mut Audit<'_>) {
        let what = audit.params().text("section").to_string();
        let estate = HostEstate;
        let mut answers: u64 = 0;
        loop {
            let ok = match what.as_str() {
                "rabbitmq" => estate.rabbitmq().is_ok(),
                "postgres" => estate.postgres().is_ok(),
                "registry" => estate.registry().is_ok(),
                "kafka" => estate.kafka().is_ok(),
                _ => estate.info().collected_at >= 0,
            };
            answers = answers.wrapping_add(u64::from(ok));
            // Keep the loop observable so it is not optimised away.
            std::hint::black_box(answers);
        }
    }
}

plumbline_sdk::export_check!(ReadLoop);
