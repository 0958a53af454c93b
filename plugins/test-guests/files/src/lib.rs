//! Hostile guest: tries to read `/etc/passwd`, a relative path and the root directory, and to
//! create a file. The sandbox preopens no directory, so WASI refuses every attempt; the check
//! notes each refusal ("denied …") and would report a finding (`fail`) if any attempt worked —
//! without ever putting what it read into the report.

use plumbline_sdk::prelude::*;

pub struct Files;

const RULE: &str = "hostile-files/escaped";

impl Check for Files {
    fn info() -> Info {
        Info::new("hostile-files", "Reads host files", "Is the file system closed to checks?").rule(RuleSpec::new(
            RULE,
            Severity::Critical,
            "A check reached the host's files",
        ))
    }
    fn run(audit: &mut Audit<'_>) {
        let attempts: [(&str, std::io::Result<usize>); 4] = [
            ("read /etc/passwd", std::fs::read("/etc/passwd").map(|b| b.len())),
            ("read Cargo.toml", std::fs::read("Cargo.toml").map(|b| b.len())),
            ("list /", std::fs::read_dir("/").map(|d| d.count())),
            ("create escape.txt", std::fs::write("hostile-files-escape.txt", b"out").map(|_| 3)),
        ];
        for (what, result) in attempts {
            match result {
                Ok(size) => audit.finding(
                    RULE,
                    Subject::new("sandbox", "file", what),
                    format!("{what} succeeded ({size})"),
                    Vec::<(String, String)>::new(),
                ),
                Err(err) => audit.note(format!("{what}: denied ({:?}: {err})", err.kind())),
            }
        }
    }
}

plumbline_sdk::export_check!(Files);
