//! Hostile guest: returns ten million findings (parameter `count`). Under the default memory
//! limit it cannot even build them and is stopped there; given the memory, it hands the host a
//! verdict far beyond `result-mib`, which the host refuses before copying it. With `count` just
//! over `max-findings` the host ends it in `error` naming that limit — never a shorter list.

use plumbline_sdk::prelude::*;

pub struct Flood;

impl Check for Flood {
    fn info() -> Info {
        Info::new("hostile-flood", "Floods findings", "Does the host bound the findings it accepts?")
            .rule(RuleSpec::new("hostile-flood/flood", Severity::Low, "One of very many findings"))
            .param("count", 10_000_000i64, "How many findings to return.")
    }
    fn run(audit: &mut Audit<'_>) {
        let count = usize::try_from(audit.params().i64("count")).unwrap_or(0);
        audit.evaluated(count);
        for _ in 0..count {
            // Empty strings cost no allocation: the guest spends its memory on the list itself.
            audit.finding("hostile-flood/flood", Subject::new("", "", ""), "", Vec::<(String, String)>::new());
        }
    }
}

plumbline_sdk::export_check!(Flood);
