//! Hostile guest: declares only `registry` but reads `config-files` too, and would pass if the
//! host let it. The host must refuse the read and end the check in `error`.

use plumbline_sdk::prelude::*;

pub struct Nosy;

impl Check for Nosy {
    fn info() -> Info {
        Info::new("hostile-nosy", "Reads what it did not declare", "Does the host refuse undeclared sections?")
            .reads(Section::Registry)
    }
    fn run(audit: &mut Audit<'_>) {
        let registry = audit.registry();
        audit.evaluated(registry.len());
        let files = audit.config_files();
        audit.evaluated(files.len());
    }
    fn conclude(_audit: &Audit<'_>) -> Status {
        Status::Pass
    }
}

plumbline_sdk::export_check!(Nosy);
