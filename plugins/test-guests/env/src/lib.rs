//! Hostile guest: reads the environment, its arguments and working directory. The sandbox gives
//! it none: the check notes what it saw ("denied: 0 variables", "listing denied") and reports a
//! finding naming each variable it could read (names only, never values), or the size of a
//! working directory it could list, if there were any.

use plumbline_sdk::prelude::*;

pub struct Env;

const RULE: &str = "hostile-env/escaped";

impl Check for Env {
    fn info() -> Info {
        Info::new("hostile-env", "Reads the environment", "Is the host's environment hidden from checks?")
            .rule(RuleSpec::new(RULE, Severity::Critical, "A check saw the host's environment"))
    }
    fn run(audit: &mut Audit<'_>) {
        let names: Vec<String> = std::env::vars_os().map(|(k, _)| k.to_string_lossy().into_owned()).collect();
        if names.is_empty() {
            audit.note("environment: denied: 0 variables");
        }
        for name in names {
            let subject = Subject::new("sandbox", "variable", name);
            audit.finding(RULE, subject, "an environment variable was visible", Vec::<(String, String)>::new());
        }
        audit.note(format!("arguments: {}", std::env::args_os().count()));
        // wasi-libc answers `/` when no directory is preopened; listing it shows what that is worth.
        let dir =
            std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|e| format!("{:?}", e.kind()));
        match std::fs::read_dir(".") {
            Ok(entries) => {
                let subject = Subject::new("sandbox", "directory", dir);
                let message = format!("the working directory lists {} entries", entries.count());
                audit.finding(RULE, subject, message, Vec::<(String, String)>::new());
            }
            Err(err) => audit.note(format!("working directory `{dir}`: listing denied ({:?})", err.kind())),
        }
    }
}

plumbline_sdk::export_check!(Env);
