//! Hostile guest: returns multi-megabyte strings — a finding's message, an evidence value and a
//! note, `mib` MiB each (default 8). The host cuts each to `max-string-kib` with a visible mark
//! and keeps the verdict (`fail`); when the strings together exceed `result-mib` it refuses the
//! verdict before copying it.

use plumbline_sdk::prelude::*;

pub struct Bloat;

impl Check for Bloat {
    fn info() -> Info {
        Info::new("hostile-bloat", "Returns huge strings", "Does the host bound the strings it accepts?")
            .rule(RuleSpec::new("hostile-bloat/big", Severity::Low, "A finding with a huge message"))
            .param("mib", 8i64, "Size of each string in MiB.")
    }
    fn run(audit: &mut Audit<'_>) {
        let size = usize::try_from(audit.params().i64("mib")).unwrap_or(0) << 20;
        let big = "B".repeat(size);
        audit.evaluated(1);
        audit.finding("hostile-bloat/big", Subject::new("estate", "blob", "big"), big.clone(), [("blob", big.clone())]);
        audit.note(big);
    }
}

plumbline_sdk::export_check!(Bloat);
